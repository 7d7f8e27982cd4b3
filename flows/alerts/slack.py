"""Alert delivery from the outbox: to Slack (bot token or Incoming Webhook), or to the console when neither is set."""

from __future__ import annotations

import http.client
import logging
import re
import time
import urllib.error
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import duckdb
from pydantic import SecretStr
from rich.console import Console
from rich.panel import Panel
from rich.text import Text
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.webhook import WebhookClient

from flows.alerts.message import slack_unescape
from flows.runtime.failpoints import failpoint
from listeners.retry import RetryPolicy
from models.errors import ConfigError, CredentialError
from warehouse.alerts import outbox
from warehouse.alerts.outbox import OutboxRow
from warehouse.connection import in_transaction
from warehouse.safe_output import terminal_safe

WEBHOOK_SETTING = "BRANDPULSE_SLACK_WEBHOOK_URL"
BOT_TOKEN_SETTING = "BRANDPULSE_SLACK_BOT_TOKEN"
CHANNEL_SETTING = "[alerts] slack_channel"
MAX_BACKOFF_S = 6 * 3600.0
MAX_RETRY_AFTER_S = 24 * 3600.0
# Slack answers chat.postMessage and webhooks within a few seconds normally and documents no hard bound; 30 s
# leaves room for its slow moments so that a slow 200 is read as a 200, not as a timeout in doubt.
DEFAULT_TIMEOUT_S = 30.0
EVENT_TYPE = "brandpulse_alert"
# How far before `sending_at` conversations.history looks (clock skew between this machine and Slack).
LOOKUP_SLACK_S = 300.0
LOOKUP_PAGES = 10

log = logging.getLogger(__name__)
_URL = re.compile(r"[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)
_SLACK_CODE = re.compile(r"[a-z0-9_]{1,60}")


class _RedactUrls(logging.Filter):
    """Strip URLs from slack-sdk's own log lines: the webhook URL is a secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _URL.sub("<url redacted>", record.getMessage())
        record.args = None
        return True


# The client we build logs here. An explicit INFO level matters: slack-sdk writes the URL and the body in
# debug lines whenever its logger's own level is NOTSET or DEBUG, whatever the handlers say.
_SDK_LOGGER = logging.getLogger("brandpulse.slack_sdk")
_SDK_LOGGER.setLevel(logging.INFO)
if not any(isinstance(f, _RedactUrls) for f in _SDK_LOGGER.filters):
    _SDK_LOGGER.addFilter(_RedactUrls())


@dataclass(frozen=True)
class Delivered:
    """The destination accepted the alert; a bot post also says where (`channel`) and as which message (`ts`)."""

    ts: str | None = None
    channel: str | None = None


@dataclass(frozen=True)
class RetryLater:
    """A transient failure; `after_seconds` is the wait the server asked for, None for the usual backoff."""

    after_seconds: float | None
    reason: str


@dataclass(frozen=True)
class InDoubt:
    """The request went out but no answer came back (timeout after sending, connection dropped): Slack may have it."""

    reason: str


@dataclass(frozen=True)
class Failed:
    """Retrying will not help; `destination_broken` means no other alert can get through either."""

    reason: str
    destination_broken: bool = False


@dataclass(frozen=True)
class NotPosted:
    """A look-up found that the destination has no such message: posting it now cannot double it."""


DeliveryResult = Delivered | RetryLater | InDoubt | Failed
LookupResult = Delivered | NotPosted | RetryLater | InDoubt


class Sender(Protocol):
    """Something that delivers one outbox row."""

    def send(self, row: OutboxRow) -> DeliveryResult:
        """Deliver the row's text and blocks; never raise for delivery problems."""
        ...


@dataclass(frozen=True)
class DeliveryReport:
    """What one pass over the outbox did; `deferred` rows were left untouched for the next run.

    `in_doubt` rows were posted without an answer and stay `sending` for the next run to resolve; `recovered` rows
    were left `sending` by an earlier run and found already posted. `console_only` lists alerts that only reached
    the console in the catch-up window (`console_resent` of them were queued for Slack again).
    """

    sent: int
    retry: int
    failed: int
    deferred: int = 0
    blocked: int = 0
    expired: int = 0
    console: int = 0
    unknown: int = 0
    in_doubt: int = 0
    recovered: int = 0
    blocked_reason: str | None = None
    console_only: tuple[str, ...] = ()
    console_resent: int = 0


# Slack's documented Incoming Webhook errors (api.slack.com/messaging/webhooks#handling_errors) that concern one
# message: the rest of the queue can still go. Every other 4xx means the webhook or its channel is unusable.
WEBHOOK_MESSAGE_ERRORS = frozenset(
    {"invalid_payload", "too_many_attachments", "invalid_blocks", "invalid_blocks_format", "no_text", "msg_too_long"}
)
# chat.postMessage errors about the message itself; other `ok: false` errors concern the token or the channel.
API_MESSAGE_ERRORS = WEBHOOK_MESSAGE_ERRORS | {
    "invalid_attachments",
    "invalid_metadata_format",
    "invalid_metadata_schema",
    "metadata_too_large",
    "metadata_must_be_sent_from_app",
    "markdown_text_conflict",
    "invalid_arguments",
}
API_TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{6,}")


class SlackWebhookSender:
    """Posts alerts to a Slack Incoming Webhook; the URL is a secret and is never shown."""

    def __init__(
        self, url: str | SecretStr, *, client: WebhookClient | None = None, timeout: float = DEFAULT_TIMEOUT_S
    ) -> None:
        secret = url.get_secret_value() if isinstance(url, SecretStr) else url
        if not secret.strip().lower().startswith(("https://", "http://")):
            raise CredentialError(
                f"{WEBHOOK_SETTING} is not a URL; set it to the Incoming Webhook URL Slack gave you "
                "(https://hooks.slack.com/services/...)",
                setting=WEBHOOK_SETTING,
            )
        self._secret = secret.strip()
        self._timeout = timeout
        # Retries live in deliver_due and across runs, not inside the SDK: no retry handlers here (the SDK's
        # default one re-posts after a dropped connection, which can double a message).
        self._client = client or WebhookClient(
            self._secret,
            timeout=timeout,  # type: ignore[arg-type]  # urllib takes a float
            logger=_SDK_LOGGER,
            retry_handlers=[],
        )

    def __repr__(self) -> str:
        return "SlackWebhookSender(url=<redacted>)"

    def send(self, row: OutboxRow) -> DeliveryResult:
        """Post the row's text and blocks once and classify Slack's answer."""
        try:
            response = self._client.send(text=row.text, blocks=row.blocks or None)
        except SlackRequestError:
            return Failed(
                f"slack-sdk refused the webhook URL; check that {WEBHOOK_SETTING} is the https:// URL of a Slack "
                "Incoming Webhook",
                destination_broken=True,
            )
        except Exception as exc:
            return transport_result(exc, self._timeout, self._describe)
        return classify_response(response.status_code, response.body, response.headers)

    def lookup(self, row: OutboxRow) -> LookupResult:
        """An Incoming Webhook cannot be asked what it posted: the outcome of an unanswered post stays unknown."""
        return InDoubt(
            "the post went out through the Incoming Webhook but no answer came back, and a webhook cannot be asked "
            f"whether Slack has it (set {BOT_TOKEN_SETTING} and {CHANNEL_SETTING} so brandpulse can check)"
        )

    def _describe(self, exc: BaseException) -> str:
        """A short cause with the URL (or any URL) removed."""
        return _redacted(exc, self._secret)


class SlackBotSender:
    """Posts alerts with a bot token (chat.postMessage), tagged with the alert key so a crashed post can be found."""

    def __init__(
        self,
        token: str | SecretStr,
        channel: str,
        *,
        client: WebClient | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        base_url: str | None = None,
    ) -> None:
        secret = (token.get_secret_value() if isinstance(token, SecretStr) else token).strip()
        if not secret:
            raise CredentialError(
                f"{BOT_TOKEN_SETTING} is empty; set it to the bot's xoxb- token", setting=BOT_TOKEN_SETTING
            )
        if not channel.strip():
            raise ConfigError(
                f"{CHANNEL_SETTING} is empty: with {BOT_TOKEN_SETTING} set, name the channel the bot posts to "
                "(its ID, e.g. C0123ABCD, lets brandpulse check a crashed post)",
                key="alerts.slack_channel",
            )
        self._secret = secret
        self._channel = channel.strip()
        # A channel ID is needed to read history; a #name is learned as an ID from the first answer to a post.
        self._channel_id = self._channel if _CHANNEL_ID.fullmatch(self._channel) else None
        self._timeout = timeout
        kwargs: dict[str, Any] = {"base_url": base_url} if base_url else {}
        self._client = client or WebClient(
            token=self._secret,
            timeout=timeout,  # type: ignore[arg-type]  # urllib takes a float
            logger=_SDK_LOGGER,
            retry_handlers=[],
            **kwargs,
        )

    def __repr__(self) -> str:
        return f"SlackBotSender(channel={self._channel!r}, token=<redacted>)"

    def send(self, row: OutboxRow) -> DeliveryResult:
        """Post once with chat.postMessage, the alert key in the message metadata; classify Slack's answer."""
        try:
            response = self._client.chat_postMessage(
                channel=self._channel,
                text=row.text,
                blocks=row.blocks or None,
                metadata={"event_type": EVENT_TYPE, "event_payload": {"alert_key": row.alert_key}},
                unfurl_links=False,
            )
        except SlackApiError as exc:
            return classify_api_error(exc.response.status_code, _api_error(exc), exc.response.headers)
        except Exception as exc:
            return transport_result(exc, self._timeout, self._describe)
        channel = response.get("channel")
        if isinstance(channel, str) and self._channel_id is None:
            self._channel_id = channel
        return Delivered(ts=response.get("ts"), channel=channel if isinstance(channel, str) else None)

    def lookup(self, row: OutboxRow) -> LookupResult:
        """Search the channel's history since just before the post for a message carrying this alert's key."""
        channel = row.slack_channel or self._channel_id
        if channel is None:
            return InDoubt(
                f"cannot look the post up: {CHANNEL_SETTING} = {self._channel!r} is a name, and reading history "
                "needs the channel ID (C0123ABCD); set that to let brandpulse check crashed posts"
            )
        since = (row.sending_at or row.queued_at) - timedelta(seconds=LOOKUP_SLACK_S)
        cursor: str | None = None
        try:
            for _ in range(LOOKUP_PAGES):
                page = self._client.conversations_history(
                    channel=channel, oldest=f"{since.timestamp():.6f}", include_all_metadata=True, limit=200,
                    cursor=cursor,
                )  # fmt: skip
                for message in page.get("messages") or []:
                    metadata = message.get("metadata") or {}
                    payload = metadata.get("event_payload") or {}
                    if metadata.get("event_type") == EVENT_TYPE and payload.get("alert_key") == row.alert_key:
                        return Delivered(ts=message.get("ts"), channel=channel)
                cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
                if not cursor:
                    return NotPosted()
        except SlackApiError as exc:
            result = classify_api_error(exc.response.status_code, _api_error(exc), exc.response.headers)
            if isinstance(result, RetryLater):
                return result
            return InDoubt(
                f"Slack refused to show the channel history ({_api_error(exc)}): give the bot the channels:history "
                f"(or groups:history) scope to let brandpulse check crashed posts"
            )
        except Exception as exc:
            return RetryLater(None, f"could not reach Slack to check a post: {self._describe(exc)}")
        return InDoubt(f"not found in the last {LOOKUP_PAGES * 200} messages of the channel; cannot tell")

    def _describe(self, exc: BaseException) -> str:
        return _redacted(exc, self._secret)


def _api_error(exc: SlackApiError) -> str:
    """Slack's error code from an API error, or a placeholder when the body had none."""
    data = exc.response.data if isinstance(exc.response.data, dict) else {}
    code = str(data.get("error") or "")
    return code if _SLACK_CODE.fullmatch(code) else "no error code"


def _redacted(exc: BaseException, secret: str) -> str:
    """A short cause with the secret (and any URL) removed."""
    if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, BaseException):
        exc = exc.reason
    if isinstance(exc, TimeoutError):
        return "timed out"
    text = f"{type(exc).__name__}: {exc}".replace(secret, "<redacted>")
    return _URL.sub("<url redacted>", text)[:300]


def transport_result(exc: BaseException, timeout: float, describe: Callable[[BaseException], str]) -> DeliveryResult:
    """Sort a transport error by whether the request can have reached Slack.

    urllib wraps everything that goes wrong while connecting and sending in URLError: Slack cannot have processed
    that request, so retrying is safe. Errors while waiting for the answer (a read timeout, a dropped connection)
    come raw: the request was sent in full and Slack may have posted it.
    """
    if isinstance(exc, urllib.error.URLError):
        return RetryLater(None, f"could not reach Slack: {describe(exc)}")
    if isinstance(exc, (TimeoutError, http.client.HTTPException, OSError)):
        cause = describe(exc)
        wait = f"no answer within {timeout:g} s" if cause == "timed out" else f"the connection broke ({cause})"
        return InDoubt(f"posted to Slack but {wait}; Slack may have it")
    # An SDK surprise before anything was sent (it raised outside the HTTP call): retrying cannot double it.
    return RetryLater(None, f"unexpected error while posting to Slack: {type(exc).__name__}")


def classify_api_error(status: int, error: str, headers: Mapping[str, Any] | None) -> DeliveryResult:
    """Map a Web API failure (HTTP status and Slack's `error`) onto RetryLater / Failed with an actionable reason."""
    if status == 429 or error == "ratelimited":
        return RetryLater(_retry_after(headers), "Slack rate-limited chat.postMessage (HTTP 429)")
    if status >= 500 or error in API_TRANSIENT_ERRORS:
        return RetryLater(None, f"Slack answered HTTP {status} ({error}); will retry")
    if error in API_MESSAGE_ERRORS:
        return Failed(
            f"Slack refused this alert's message ({error}); it will not be retried. The bot and channel were "
            "accepted and other alerts still go; please report this as a brandpulse bug."
        )
    if error in {"channel_not_found", "not_in_channel", "is_archived"}:
        fix = f"check {CHANNEL_SETTING} and invite the bot to that channel (/invite @yourbot)"
    else:
        fix = f"check {BOT_TOKEN_SETTING} (a bot token, xoxb-…, with the chat:write scope) and {CHANNEL_SETTING}"
    return Failed(
        f"Slack refused the bot's post (HTTP {status} {error}): {fix}, then run `brandpulse alerts resend --blocked`.",
        destination_broken=True,
    )


def classify_response(status: int, body: str | None, headers: Mapping[str, Any] | None) -> DeliveryResult:
    """Map a Slack webhook answer onto Delivered / RetryLater / Failed with a reason the user can act on."""
    code = (body or "").strip()
    code = code if _SLACK_CODE.fullmatch(code) else "no error code"
    if 200 <= status < 300:
        return Delivered()
    if status == 429:
        return RetryLater(_retry_after(headers), "Slack rate-limited the webhook (HTTP 429)")
    if status >= 500 or status == 408:
        return RetryLater(None, f"Slack answered HTTP {status} ({code}); will retry")
    fix = (
        f"Create a new Incoming Webhook in Slack (or re-enable it), set {WEBHOOK_SETTING} to its URL, "
        "then run `brandpulse alerts resend --blocked`."
    )
    if status == 400 and code in WEBHOOK_MESSAGE_ERRORS:
        return Failed(
            f"Slack refused this alert's message (HTTP 400 {code}); it will not be retried. {WEBHOOK_SETTING} "
            "was accepted and other alerts still go; please report this as a brandpulse bug."
        )
    if status in (401, 403):
        return Failed(
            f"Slack rejected the webhook (HTTP {status} {code}): {WEBHOOK_SETTING} is wrong, revoked or not "
            f"allowed to post to its channel. {fix}",
            destination_broken=True,
        )
    if status == 404:
        return Failed(
            f"Slack does not know this webhook (HTTP 404 {code}): {WEBHOOK_SETTING} points to a removed "
            f"webhook, app, channel or workspace. {fix}",
            destination_broken=True,
        )
    if status == 410:
        return Failed(
            f"The webhook is gone (HTTP 410 {code}): its channel was archived or the webhook was disabled. "
            f"Check {WEBHOOK_SETTING}. {fix}",
            destination_broken=True,
        )
    if 400 <= status < 500:
        # user_not_found, no_service_id, no_team and codes Slack may add: about the webhook, so park the queue.
        return Failed(
            f"Slack refused the alert (HTTP {status} {code}); check {WEBHOOK_SETTING}. {fix}", destination_broken=True
        )
    return RetryLater(None, f"unexpected HTTP {status} from Slack; will retry")


def _retry_after(headers: Mapping[str, Any] | None) -> float | None:
    """Seconds from a Retry-After header (delta seconds or HTTP date), or None when absent or unreadable."""
    value = next((v for k, v in (headers or {}).items() if str(k).lower() == "retry-after"), None)
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None:
        return None
    text = str(value).strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(text).timestamp() - time.time()
        except (TypeError, ValueError, IndexError):
            return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


class ConsoleSender:
    """Prints alerts in a panel: the fallback when no Slack destination is configured."""

    def __init__(self, console: Console) -> None:
        self._console = console

    def send(self, row: OutboxRow) -> DeliveryResult:
        """Print the plain text; `Text` keeps `[...]` in posts from being read as rich markup."""
        # Posts quoted in the alert could carry escape sequences (retitle the terminal, fake a prompt): stripped.
        title = Text(terminal_safe(slack_unescape(row.title or "brandpulse alert")))
        body = Text(terminal_safe(slack_unescape(row.text)))
        self._console.print(Panel(body, title=title, border_style="red", expand=False))
        return Delivered()

    def lookup(self, row: OutboxRow) -> LookupResult:
        """Printing again is harmless."""
        return NotPosted()


def choose_sender(
    webhook_url: SecretStr | str | None,
    console: Console,
    *,
    bot_token: SecretStr | str | None = None,
    channel: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    base_url: str | None = None,
) -> tuple[Sender, str]:
    """The bot sender when a bot token and channel are set, else the webhook sender, else the console."""
    token = bot_token.get_secret_value() if isinstance(bot_token, SecretStr) else bot_token
    if token and token.strip():
        if not (channel or "").strip():
            raise ConfigError(
                f"{BOT_TOKEN_SETTING} is set but {CHANNEL_SETTING} is not: name the channel the bot posts to "
                "(its ID, e.g. C0123ABCD)",
                key="alerts.slack_channel",
            )
        return SlackBotSender(token, channel or "", timeout=timeout_s, base_url=base_url), "slack"
    secret = webhook_url.get_secret_value() if isinstance(webhook_url, SecretStr) else webhook_url
    if secret and secret.strip():
        if channel:
            log.info("%s applies to the bot token only; the webhook posts to its own channel", CHANNEL_SETTING)
        return SlackWebhookSender(secret, timeout=timeout_s), "slack"
    return ConsoleSender(console), "console"


def console_catchup(
    con: duckdb.DuckDBPyConnection, *, now: datetime, hours: float, resend: bool
) -> tuple[list[OutboxRow], int]:
    """Alerts that only reached the console in the last `hours`, listed once; with `resend`, queued for Slack."""
    rows = outbox.console_only(con, now - timedelta(hours=hours)) if hours > 0 else []
    if not rows:
        return [], 0
    keys = [row.alert_key for row in rows]
    outbox.mark_console_listed(con, keys, now)
    resent = outbox.requeue(con, now=now, keys=keys) if resend else 0
    return rows, resent


def deliver_due(
    con: duckdb.DuckDBPyConnection,
    sender: Sender,
    *,
    now: datetime,
    destination: str,
    horizon_hours: float = 48.0,
    resend_in_doubt: bool = True,
    backoff_base_s: float = 60,
    max_backoff_s: float = MAX_BACKOFF_S,
    max_inline_wait_s: float = 5.0,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryReport:
    """Resolve posts an earlier run left in doubt, expire what is past its horizon, then send every due alert once.

    Each row is marked `sending` (committed) before its POST and `sent` right after, so a crash in between leaves
    a trace the next run resolves. A 429 asking for at most `max_inline_wait_s` is retried once in this run; any
    other transient failure is scheduled with capped exponential backoff, and the rest of the batch waits for a
    later run, since Slack is unlikely to take them now. A refusing destination parks every queued alert as
    `blocked` at once; a refused message fails only itself.
    """
    if in_transaction(con):
        # `sending` must be committed before the POST, or a crash would erase the only trace of it.
        raise ValueError("deliver_due needs an autocommit connection, not one inside a transaction")
    destination = _URL.sub("<url redacted>", destination)
    counts = dict.fromkeys(("sent", "retry", "failed", "blocked", "expired", "console", "unknown", "in_doubt",
                            "recovered", "deferred"), 0)  # fmt: skip
    blocked_reason: str | None = None
    if destination != "console":  # the console cannot tell what reached Slack: leave those for a run with Slack
        for row in outbox.with_status(con, outbox.SENDING):
            outcome = _resolve(con, sender, row, now=now, destination=destination, resend_in_doubt=resend_in_doubt,
                               horizon_hours=horizon_hours)  # fmt: skip
            if outcome:
                counts[outcome] += 1
    for row in outbox.with_status(con, outbox.PENDING):
        if now > _deadline(row, horizon_hours):
            outbox.mark_expired(con, row.alert_key, _expiry_reason(row, horizon_hours))
            counts["expired"] += 1
            log.warning("alert %s expired: past the delivery horizon of %g h", row.alert_key, horizon_hours)
    rows = outbox.due(con, now)
    for index, row in enumerate(rows):
        if not outbox.mark_sending(con, row.alert_key, now):
            continue  # someone re-queued or resolved it meanwhile
        failpoint("delivery.sending")
        result = _attempt(sender, row)
        if (
            isinstance(result, RetryLater)
            and result.after_seconds is not None
            and result.after_seconds <= max_inline_wait_s
        ):
            sleep(result.after_seconds)
            result = _attempt(sender, row)
        if isinstance(result, Delivered):
            failpoint("delivery.posted")
            # Recorded before anything else happens, so a later crash cannot make us send it again.
            if destination == "console":
                outbox.mark_console(con, row.alert_key, now)
                counts["console"] += 1
            else:
                outbox.mark_sent(con, row.alert_key, destination, now, slack_ts=result.ts, slack_channel=result.channel)
                counts["sent"] += 1
            log.info("alert %s delivered to %s", row.alert_key, destination)
            continue
        reason = _URL.sub("<url redacted>", result.reason)
        if isinstance(result, Failed) and not result.destination_broken:
            outbox.mark_failed(con, row.alert_key, reason)
            counts["failed"] += 1
            log.warning("alert %s not delivered: %s", row.alert_key, reason)
            continue
        if isinstance(result, Failed):
            # One refusal speaks for the whole queue: park it all now rather than one alert per run.
            counts["blocked"] += outbox.block_queued(con, reason, tried=row.alert_key)
            blocked_reason = reason
            log.warning("%d alert(s) blocked on %s: %s", counts["blocked"], destination, reason)
            break
        if isinstance(result, InDoubt):
            outbox.note_in_doubt(con, row.alert_key, reason)
            counts["in_doubt"] += 1
            log.warning("alert %s: %s; the next run resolves it", row.alert_key, reason)
        else:
            wait = result.after_seconds
            if wait is None:
                # The one backoff formula (listeners.retry.RetryPolicy), here across runs and without jitter:
                # runs are already spread by the schedule.
                policy = RetryPolicy(base_delay=backoff_base_s, max_delay=max_backoff_s, jitter=0.0)
                wait = policy.backoff(row.attempts + 1)
            # The last try lands on the horizon rather than past it.
            next_at = max(min(now + timedelta(seconds=wait), _deadline(row, horizon_hours)), now)
            outbox.mark_retry(con, row.alert_key, reason, next_at)
            counts["retry"] += 1
            log.warning("alert %s will be retried at %s: %s", row.alert_key, next_at.isoformat(), reason)
        counts["deferred"] = len(rows) - index - 1
        if counts["deferred"]:
            log.warning("%d more alert(s) left pending for the next run", counts["deferred"])
        break
    return DeliveryReport(**counts, blocked_reason=blocked_reason)


def _resolve(
    con: duckdb.DuckDBPyConnection,
    sender: Sender,
    row: OutboxRow,
    *,
    now: datetime,
    destination: str,
    resend_in_doubt: bool,
    horizon_hours: float,
) -> str | None:
    """Settle a row an earlier run left `sending`; the report counter it adds to, None when it is due again."""
    lookup = getattr(sender, "lookup", None)
    try:
        found: LookupResult = lookup(row) if lookup else InDoubt("this sender cannot look posts up")
    except Exception as exc:  # a look-up bug must not lose the alert: treat it as no answer
        found = InDoubt(f"{type(exc).__name__} while looking the post up")
    if isinstance(found, Delivered):
        outbox.mark_sent(con, row.alert_key, destination, now, slack_ts=found.ts, slack_channel=found.channel)
        log.info("alert %s was already posted (found in Slack); not posting again", row.alert_key)
        return "recovered"
    if isinstance(found, NotPosted):
        outbox.retry_now(con, row.alert_key, "an earlier run stopped during the post and Slack has no such message")
        return None  # due again: the pass over due rows below sends it
    if isinstance(found, RetryLater) and now <= _deadline(row, horizon_hours):
        return "in_doubt"  # Slack could not be asked now; stay `sending` and ask again next run
    reason = _URL.sub("<url redacted>", found.reason)
    if resend_in_doubt and row.in_doubt == 0:
        outbox.retry_now(con, row.alert_key, f"outcome unknown ({reason}); sent again once", in_doubt=True)
        log.warning("alert %s: outcome of an earlier post unknown; sending it again once", row.alert_key)
        return None
    outbox.mark_unknown(
        con,
        row.alert_key,
        f"outcome unknown ({reason}); not sent again automatically. If it is not in Slack, run "
        f"`brandpulse alerts resend --key '{row.alert_key}'`",
    )
    return "unknown"


def _deadline(row: OutboxRow, horizon_hours: float) -> datetime:
    """When the row stops being worth sending: the horizon from its queueing (or last re-queue)."""
    return row.queued_at + timedelta(hours=horizon_hours)


def _expiry_reason(row: OutboxRow, horizon_hours: float) -> str:
    return (
        f"expired: not delivered within [alerts] delivery_horizon_hours = {horizon_hours:g} h of being queued "
        f"({row.queued_at:%Y-%m-%d %H:%M} UTC) after {row.attempts} attempt(s); last error: "
        f"{row.last_error or 'none'}. If it still matters: brandpulse alerts resend --key '{row.alert_key}'"
    )


def _attempt(sender: Sender, row: OutboxRow) -> DeliveryResult:
    """One send; an exception from a sender becomes a retry so the alert stays in the outbox."""
    try:
        return sender.send(row)
    except Exception as exc:
        return RetryLater(None, f"{type(exc).__name__} while sending")
