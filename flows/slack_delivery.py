"""Alert delivery from the outbox: to Slack through an Incoming Webhook, or to the console when none is set."""

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
from slack_sdk.errors import SlackRequestError
from slack_sdk.webhook import WebhookClient

from flows.alert_message import slack_unescape
from models.errors import CredentialError
from warehouse import outbox
from warehouse.outbox import OutboxRow
from warehouse.safe_output import terminal_safe

WEBHOOK_SETTING = "BRANDPULSE_SLACK_WEBHOOK_URL"
MAX_BACKOFF_S = 6 * 3600.0
MAX_RETRY_AFTER_S = 24 * 3600.0

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
    """The destination accepted the alert."""


@dataclass(frozen=True)
class RetryLater:
    """A transient failure; `after_seconds` is the wait the server asked for, None for the usual backoff."""

    after_seconds: float | None
    reason: str


@dataclass(frozen=True)
class Failed:
    """Retrying will not help; `destination_broken` means no other alert can get through either."""

    reason: str
    destination_broken: bool = False


DeliveryResult = Delivered | RetryLater | Failed


class Sender(Protocol):
    """Something that delivers one outbox row."""

    def send(self, row: OutboxRow) -> DeliveryResult:
        """Deliver the row's text and blocks; never raise for delivery problems."""
        ...


@dataclass(frozen=True)
class DeliveryReport:
    """What one pass over the due alerts did; `deferred` rows were left untouched for the next run."""

    sent: int
    retry: int
    failed: int
    deferred: int = 0


class SlackWebhookSender:
    """Posts alerts to a Slack Incoming Webhook; the URL is a secret and is never shown."""

    def __init__(self, url: str | SecretStr, *, client: WebhookClient | None = None, timeout: int = 10) -> None:
        secret = url.get_secret_value() if isinstance(url, SecretStr) else url
        if not secret.strip().lower().startswith(("https://", "http://")):
            raise CredentialError(
                f"{WEBHOOK_SETTING} is not a URL; set it to the Incoming Webhook URL Slack gave you "
                "(https://hooks.slack.com/services/...)",
                setting=WEBHOOK_SETTING,
            )
        self._secret = secret.strip()
        # Retries live in deliver_due and across runs, not inside the SDK: no retry handlers here.
        self._client = client or WebhookClient(self._secret, timeout=timeout, logger=_SDK_LOGGER, retry_handlers=[])

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
        except (TimeoutError, urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            return RetryLater(None, f"could not reach Slack: {self._describe(exc)}")
        except Exception as exc:  # an SDK surprise must not lose the alert: retry, within max_attempts
            return RetryLater(None, f"unexpected error while posting to Slack: {type(exc).__name__}")
        return classify_response(response.status_code, response.body, response.headers)

    def _describe(self, exc: BaseException) -> str:
        """A short cause with the URL (or any URL) removed."""
        if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, BaseException):
            exc = exc.reason
        if isinstance(exc, TimeoutError):
            return "timed out"
        text = f"{type(exc).__name__}: {exc}".replace(self._secret, "<url redacted>")
        return _URL.sub("<url redacted>", text)[:300]


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
        "then re-queue failed alerts (docs/alerts.md)."
    )
    if status == 400 and code in {"invalid_payload", "too_many_attachments", "invalid_blocks", "no_text"}:
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
            f"webhook, app or workspace. {fix}",
            destination_broken=True,
        )
    if status == 410:
        return Failed(
            f"The webhook is gone (HTTP 410 {code}): its channel was archived or the webhook was disabled. "
            f"Check {WEBHOOK_SETTING}. {fix}",
            destination_broken=True,
        )
    if 400 <= status < 500:
        return Failed(
            f"Slack refused the alert (HTTP {status} {code}); check {WEBHOOK_SETTING}. {fix}",
            destination_broken=status == 400,
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
    """Prints alerts in a panel: the fallback when no Slack webhook is configured."""

    def __init__(self, console: Console) -> None:
        self._console = console

    def send(self, row: OutboxRow) -> DeliveryResult:
        """Print the plain text; `Text` keeps `[...]` in posts from being read as rich markup."""
        # Posts quoted in the alert could carry escape sequences (retitle the terminal, fake a prompt): stripped.
        title = Text(terminal_safe(slack_unescape(row.title or "brandpulse alert")))
        body = Text(terminal_safe(slack_unescape(row.text)))
        self._console.print(Panel(body, title=title, border_style="red", expand=False))
        return Delivered()


def choose_sender(webhook_url: SecretStr | str | None, console: Console) -> tuple[Sender, str]:
    """The Slack sender and destination name when a webhook URL is set, else the console."""
    secret = webhook_url.get_secret_value() if isinstance(webhook_url, SecretStr) else webhook_url
    if secret and secret.strip():
        return SlackWebhookSender(secret), "slack"
    return ConsoleSender(console), "console"


def deliver_due(
    con: duckdb.DuckDBPyConnection,
    sender: Sender,
    *,
    now: datetime,
    destination: str,
    max_attempts: int = 8,
    backoff_base_s: float = 60,
    max_backoff_s: float = MAX_BACKOFF_S,
    max_inline_wait_s: float = 5.0,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryReport:
    """Send every due alert once, recording each outcome in the outbox right after its attempt.

    A 429 asking for at most `max_inline_wait_s` is retried once in this run; any other transient failure is
    scheduled for a later run with exponential backoff, and the rest of the batch waits for that run too, since
    Slack is unlikely to take them now. A broken webhook fails its alert and leaves the others pending.
    """
    destination = _URL.sub("<url redacted>", destination)
    rows = outbox.due(con, now)
    sent = retry = failed = 0
    for index, row in enumerate(rows):
        result = _attempt(sender, row)
        if (
            isinstance(result, RetryLater)
            and result.after_seconds is not None
            and result.after_seconds <= max_inline_wait_s
        ):
            sleep(result.after_seconds)
            result = _attempt(sender, row)
        if isinstance(result, Delivered):
            # Recorded before anything else happens, so a later crash cannot make us send it again.
            outbox.mark_sent(con, row.alert_key, destination, now)
            sent += 1
            log.info("alert %s delivered to %s", row.alert_key, destination)
            continue
        reason = _URL.sub("<url redacted>", result.reason)
        attempts = row.attempts + 1
        if isinstance(result, Failed) or attempts >= max_attempts:
            if isinstance(result, RetryLater):
                reason = f"gave up after {attempts} attempts; last error: {reason}"
            outbox.mark_failed(con, row.alert_key, reason)
            failed += 1
            log.warning("alert %s not delivered: %s", row.alert_key, reason)
            if isinstance(result, Failed) and not result.destination_broken:
                continue
        else:
            wait = result.after_seconds
            if wait is None:
                wait = min(backoff_base_s * 2**row.attempts, max_backoff_s)
            outbox.mark_retry(con, row.alert_key, reason, now + timedelta(seconds=wait))
            retry += 1
            log.warning("alert %s will be retried in %.0f s: %s", row.alert_key, wait, reason)
        deferred = len(rows) - index - 1
        if deferred:
            log.warning("%d more alert(s) left pending for the next run", deferred)
        return DeliveryReport(sent=sent, retry=retry, failed=failed, deferred=deferred)
    return DeliveryReport(sent=sent, retry=retry, failed=failed)


def _attempt(sender: Sender, row: OutboxRow) -> DeliveryResult:
    """One send; an exception from a sender becomes a retry so the alert stays in the outbox."""
    try:
        return sender.send(row)
    except Exception as exc:
        return RetryLater(None, f"{type(exc).__name__} while sending")
