"""Shared listener plumbing: HTTP status → error translation, the one retry loop, paging with a cap, cursors."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Any, Generic, Literal, Protocol, TypeVar

from models.errors import AccessDenied, BrandpulseError, CredentialError, FatalError, RateLimited, RetryableError
from models.mention import CursorUpdate, Reject

T = TypeVar("T")

# Reason texts for the statuses users meet most often; anything else falls back to the bare number.
_STATUS_TEXT = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    408: "Request Timeout",
    420: "Enhance Your Calm",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


# --------------------------------------------------------------------------------------------------------------
# Rate-limit headers and HTTP status translation (pure)
# --------------------------------------------------------------------------------------------------------------


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    """One header value, looked up case-insensitively (plain dicts from SDKs keep whatever case the server sent)."""
    if not headers:
        return None
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        for key, candidate in headers.items():
            if key.lower() == lowered:
                value = candidate
                break
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def _finite(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def retry_after_seconds(headers: Mapping[str, str] | None, now: float) -> float | None:
    """Seconds the platform asks us to wait, from `Retry-After`, `x-rate-limit-reset` or `x-ratelimit-reset`."""
    # Retry-After (RFC 9110) is either delay-seconds or an HTTP-date; it wins because it is the explicit answer.
    retry_after = _header(headers, "Retry-After")
    if retry_after is not None:
        seconds = _finite(retry_after)
        if seconds is None:
            try:
                when = parsedate_to_datetime(retry_after)
            except (TypeError, ValueError, IndexError):
                when = None
            if when is not None:
                if when.tzinfo is None:  # HTTP-dates are GMT by definition
                    when = when.replace(tzinfo=UTC)
                seconds = when.timestamp() - now
        if seconds is not None:
            return max(0.0, seconds)
    # X / Twitter: the epoch second at which the window resets.
    reset_at = _finite(_header(headers, "x-rate-limit-reset") or "")
    if reset_at is not None:
        return max(0.0, reset_at - now)
    # Reddit: seconds until the window resets (note the missing dash, and that it is relative).
    # Mastodon sends the same header as an ISO-8601 time instead.
    reset_text = _header(headers, "x-ratelimit-reset") or ""
    reset_in = _finite(reset_text)
    if reset_in is not None:
        return max(0.0, reset_in)
    reset_when = _iso_epoch(reset_text)
    if reset_when is not None:
        return max(0.0, reset_when - now)
    # Bluesky: `ratelimit-reset` as an epoch second; the IETF draft header of the same name is delta-seconds.
    reset = _finite(_header(headers, "ratelimit-reset") or "")
    if reset is not None:
        return max(0.0, reset - now if reset > 1e9 else reset)
    return None


def _iso_epoch(text: str) -> float | None:
    """An ISO-8601 time as epoch seconds (naive = UTC), or None when the text is not one."""
    if not text or not text[:4].isdigit():
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def error_for_status(
    status: int,
    headers: Mapping[str, str] | None = None,
    *,
    channel: str,
    credential_setting: str | None = None,
    now: float | None = None,
) -> BrandpulseError | None:
    """Translate an HTTP status into the error the caller should act on, or None for a success (< 400)."""
    if status < 400:
        return None
    now = time.time() if now is None else now
    label = f"HTTP {status} {_STATUS_TEXT.get(status, '')}".rstrip()
    wait = retry_after_seconds(headers, now)
    if status in (420, 429):
        when = f"; retry in {wait:.0f}s" if wait is not None else ""
        return RateLimited(
            f"{channel}: rate limited ({label}){when}",
            retry_after=wait,
            resume_at=now + wait if wait is not None else None,
        )
    if status == 408 or status >= 500:
        return RetryableError(f"{channel}: the platform had a transient problem ({label})", retry_after=wait)
    if status in (401, 403):
        if credential_setting is None:
            # Channels without a credential (Hacker News, Mastodon, RSS): blaming one would send the user hunting
            # for a setting that does not exist.
            return AccessDenied(
                f"{channel}: {label}: the server refused access; this channel sends no credential, so check the "
                "address in its [channels] settings, or whether the server blocks this client"
            )
        # Name the setting so the user knows what to fix; the value itself must never reach a message or a log.
        problem = "was rejected" if status == 401 else "is not allowed to use this endpoint"
        return CredentialError(
            f"{channel}: {label}: the credential in {credential_setting} {problem}; "
            f"check {credential_setting} in the environment",
            setting=credential_setting,
        )
    return FatalError(f"{channel}: the platform refused the request ({label}); retrying will not help")


class _ResponseLike(Protocol):
    status_code: int
    headers: Any


def raise_for_status(
    response: _ResponseLike, *, channel: str, credential_setting: str | None = None, now: float | None = None
) -> None:
    """Raise the translated error for an httpx-style response (anything with `.status_code` and `.headers`)."""
    error = error_for_status(
        response.status_code, response.headers, channel=channel, credential_setting=credential_setting, now=now
    )
    if error is not None:
        raise error


@contextmanager
def transport_errors(channel: str) -> Iterator[None]:
    """Translate httpx timeouts and connection failures into RetryableError at the edge."""
    import httpx  # imported here so listeners that use tweepy or praw do not pay for it

    try:
        yield
    except httpx.TimeoutException as exc:
        raise RetryableError(f"{channel}: the request timed out ({type(exc).__name__})") from exc
    except httpx.TransportError as exc:
        # The exception text can carry the URL and its query string; only the class name goes in the message.
        raise RetryableError(f"{channel}: network error ({type(exc).__name__})") from exc


# --------------------------------------------------------------------------------------------------------------
# Retries: the one place they live
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a RetryableError; waits beyond `max_wait_per_run` stop the channel."""

    max_attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 60.0
    max_wait_per_run: float = 120.0
    jitter: float = 0.5  # fraction of each backoff delay that is randomised, so parallel runs do not retry in step

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if min(self.base_delay, self.max_delay, self.max_wait_per_run) < 0 or not 0 <= self.jitter <= 1:
            raise ValueError("delays must be >= 0 and jitter within 0..1")

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """The exponential backoff before retry number `attempt` (1-based), capped and jittered."""
        delay = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        if self.jitter:
            delay *= 1 - self.jitter * (rng or random).random()
        return delay


@dataclass
class WaitBudget:
    """Seconds slept so far in one run; shared across calls so a whole run never waits past `max_wait_per_run`."""

    spent: float = 0.0


def call_with_retries(
    fn: Callable[[], T],
    policy: RetryPolicy | None = None,
    *,
    sleep: Callable[[float], Any] = time.sleep,
    on_retry: Callable[[int, RetryableError, float], Any] | None = None,
    budget: WaitBudget | None = None,
    rng: random.Random | None = None,
) -> T:
    """Call `fn`, retrying only RetryableError with backoff (or the platform's `retry_after`), then re-raise."""
    policy = policy or RetryPolicy()
    budget = budget if budget is not None else WaitBudget()
    attempt = 1
    while True:
        try:
            return fn()
        except RetryableError as error:
            if attempt >= policy.max_attempts:
                raise
            asked = error.retry_after
            if asked is not None and asked > policy.max_wait_per_run:
                # A 15-minute X window: sleeping through it would stall every other channel. Stop this channel
                # now; its cursor stays where it was and the next run picks up from there.
                raise
            delay = asked if asked is not None else policy.backoff(attempt, rng)
            if budget.spent + delay > policy.max_wait_per_run:
                raise
            if on_retry is not None:
                on_retry(attempt, error, delay)
            sleep(delay)
            budget.spent += delay
            attempt += 1


# --------------------------------------------------------------------------------------------------------------
# Paging with a per-run page cap
# --------------------------------------------------------------------------------------------------------------

StopReason = Literal["exhausted", "max_pages", "repeated_token", "error"]


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page from a platform: its items, the token for the next page, and the newest id/time on it."""

    items: list[T]
    next_token: str | None
    newest: str | None = None


@dataclass
class PageRun(Generic[T]):
    """Iterator over pages that records, once it stops, how many pages it read and why it stopped."""

    fetch_page: Callable[[str | None], Page[T]]
    max_pages: int
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], Any] = time.sleep
    on_retry: Callable[[int, RetryableError, float], Any] | None = None
    pages: int = 0
    items: int = 0
    stopped_reason: StopReason | None = None
    next_token: str | None = None  # where a later run could resume when the cap cut this one short
    newest: str | None = None  # the largest `Page.newest` seen (numeric ids compared as numbers)
    budget: WaitBudget = field(default_factory=WaitBudget)

    def __post_init__(self) -> None:
        if self.max_pages < 1:
            raise ValueError("max_pages must be at least 1")
        self._pages = self._run()

    @property
    def truncated(self) -> bool:
        """True when paging stopped before the platform said there was nothing more (page cap or token loop)."""
        return self.stopped_reason in ("max_pages", "repeated_token")

    def __iter__(self) -> PageRun[T]:
        return self

    def __next__(self) -> Page[T]:
        return next(self._pages)

    def _run(self) -> Iterator[Page[T]]:
        token: str | None = None
        seen: set[str] = set()  # every token already requested: getting one back means the API is looping
        while True:
            try:
                page = call_with_retries(
                    partial(self.fetch_page, token),
                    self.policy,
                    sleep=self.sleep,
                    on_retry=self.on_retry,
                    budget=self.budget,
                )
            except BaseException:
                self.stopped_reason = "error"
                raise
            self.pages += 1
            self.items += len(page.items)
            if page.newest is not None:
                self.newest = newest_value([self.newest, page.newest])
            self.next_token = page.next_token or None
            # Decide before yielding, so the attributes are final when the consumer sees the last page.
            if self.next_token is None:
                self.stopped_reason = "exhausted"
            elif self.next_token in seen:
                self.stopped_reason = "repeated_token"
            elif self.pages >= self.max_pages:
                self.stopped_reason = "max_pages"
            yield page
            if self.stopped_reason is not None:
                return
            seen.add(self.next_token)
            token = self.next_token


def paginate(
    fetch_page: Callable[[str | None], Page[T]],
    *,
    max_pages: int,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], Any] = time.sleep,
    on_retry: Callable[[int, RetryableError, float], Any] | None = None,
) -> PageRun[T]:
    """Fetch pages (each through call_with_retries) until no next token, a repeated token, or `max_pages`."""
    return PageRun(fetch_page, max_pages, policy or RetryPolicy(), sleep, on_retry)


# --------------------------------------------------------------------------------------------------------------
# Cursors
# --------------------------------------------------------------------------------------------------------------


def _cursor_text(value: str | int | datetime) -> str:
    if isinstance(value, datetime):
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.isoformat()
    return str(value).strip()


def _cursor_key(value: str) -> tuple[int, int, str]:
    # Snowflake ids have no fixed width, so "999" < "1000" only when compared as numbers.
    return (0, int(value), "") if value.isdigit() else (1, 0, value)


def newest_value(values: Iterable[str | int | datetime | None]) -> str | None:
    """The newest of some ids or timestamps: digit strings compare as numbers, other text (ISO times) as text."""
    texts = [text for text in (_cursor_text(v) for v in values if v is not None) if text]
    return max(texts, key=_cursor_key) if texts else None


def newest_cursor(
    channel: str, scope: str, values: Iterable[str | int | datetime | None], *, previous: str | None = None
) -> CursorUpdate | None:
    """A CursorUpdate at the newest of `values` (never behind `previous`), or None when there is nothing new."""
    newest = newest_value(values)
    if newest is None:
        return None
    if previous is not None and _cursor_key(previous) >= _cursor_key(newest):
        return None
    return CursorUpdate(channel=channel, scope=scope, value=newest)


# --------------------------------------------------------------------------------------------------------------
# HTTP JSON APIs over an injected httpx.Client, and the text clean-up their payloads need
# --------------------------------------------------------------------------------------------------------------


def http_request(
    client: Any,
    method: str,
    url: str,
    *,
    channel: str,
    credential_setting: str | None = None,
    **kwargs: Any,
) -> Any:
    """Send one request with `client` (an httpx.Client); transport failures and statuses become our errors."""
    with transport_errors(channel):
        response = client.request(method, url, **kwargs)
    raise_for_status(response, channel=channel, credential_setting=credential_setting)
    return response


def json_body(
    response: Any, *, channel: str, expect: type[list] | type[dict] | None = None, items: str | None = None
) -> Any:
    """The decoded JSON of a 200 response, checked for the expected shape; junk is a FatalError for the channel.

    `expect=list` wants a JSON array, `expect=dict` an object; `items="hits"` also wants that key to hold an array.
    """
    where = getattr(getattr(response, "url", None), "path", "") or "the response"
    status = getattr(response, "status_code", 200)
    try:
        body = response.json()
    except ValueError as exc:  # json.JSONDecodeError and UnicodeDecodeError are both ValueErrors
        # A 200 with an HTML page or garbage is a wrong address or a broken server, not a blip: retrying within the
        # run would only repeat it, and reading it as "no new posts" would hide the failure (the next run tries again).
        raise FatalError(
            f"{channel}: {where} answered HTTP {status} with a body that is not JSON ({type(exc).__name__}); "
            "check the channel's address, or whether a proxy answers in its place"
        ) from None
    problem = _shape_problem(body, expect, items)
    if problem is not None:
        raise FatalError(
            f"{channel}: {where} answered HTTP {status} with JSON of the wrong shape ({problem}); "
            "check that the channel's address points at the right kind of server"
        )
    return body


def _json_kind(value: Any) -> str:
    if isinstance(value, dict):
        keys = ", ".join(str(key) for key in list(value)[:5])
        return f"an object with keys {keys}" if keys else "an empty object"
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(type(value), "a number")


def _shape_problem(body: Any, expect: type[list] | type[dict] | None, items: str | None) -> str | None:
    """Why `body` is not the expected shape, or None when it is."""
    wanted = dict if items is not None else expect
    if wanted is list and not isinstance(body, list):
        return f"expected an array, got {_json_kind(body)}"
    if wanted is dict and not isinstance(body, dict):
        return f"expected an object, got {_json_kind(body)}"
    if items is not None and not isinstance(body.get(items), list):
        return f"expected an object with an array {items!r}, got {_json_kind(body)}"
    return None


def parse_timestamp(value: Any) -> datetime:
    """An ISO-8601 string or epoch number as an aware UTC datetime (naive = UTC); ValueError when it is neither."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"not a timestamp: {value!r}")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError(f"not a timestamp: {value!r}")
        return datetime.fromtimestamp(value, UTC)
    text = str(value).strip()
    if not text[:4].isdigit():
        raise ValueError(f"not an ISO-8601 timestamp: {text[:40]!r}")
    when = datetime.fromisoformat(text)
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "hr"}
)
_SKIP_TAGS = frozenset({"script", "style", "template"})


def html_to_text(markup: str | None) -> str:
    """Plain text from an HTML fragment (HN comments, Mastodon posts, feed summaries): tags out, entities decoded."""
    from html.parser import HTMLParser

    chunks: list[str] = []
    skipping = 0

    class _Text(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            nonlocal skipping
            if tag in _SKIP_TAGS:
                skipping += 1
            elif tag in _BLOCK_TAGS:
                chunks.append("\n")

        def handle_endtag(self, tag: str) -> None:
            nonlocal skipping
            if tag in _SKIP_TAGS:
                skipping = max(0, skipping - 1)
            elif tag in _BLOCK_TAGS:
                chunks.append("\n")

        def handle_data(self, data: str) -> None:
            if not skipping:
                chunks.append(data)

    parser = _Text(convert_charrefs=True)
    parser.feed(markup or "")
    parser.close()
    # Whitespace inside a line collapses as a browser would; block boundaries keep at most one blank line.
    lines = [" ".join(line.split()) for line in "".join(chunks).replace("\xa0", " ").splitlines()]
    text = "\n".join(lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip()


def api_reject(channel: str, item: Any, reason: str, *, record_id: str | None = None) -> Reject:
    """A Reject for one malformed API item, its JSON kept (cut at 2,000 characters) for audit."""
    import json

    payload = json.dumps(item, ensure_ascii=False, default=str)[:2000]
    return Reject(source=f"{channel} API", reason=reason, channel=channel, record_id=record_id, payload=payload)
