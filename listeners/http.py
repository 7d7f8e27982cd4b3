"""HTTP at the edge: rate-limit headers, status → error, transport errors, JSON bodies, the shared httpx client."""

from __future__ import annotations

import math
import ssl
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any, Protocol

from models.errors import AccessDenied, BrandpulseError, CredentialError, FatalError, RateLimited, RetryableError

USER_AGENT = "brandpulse/0.1 (self-hosted social listening; +https://github.com/brandpulse)"
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 20.0

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



@lru_cache(maxsize=1)
def tls_context() -> ssl.SSLContext:
    """The TLS context every client shares, made on first use: building one per client re-reads the CA bundle."""
    import httpx

    return httpx.create_ssl_context()


def make_http_client(*, follow_redirects: bool = False) -> Any:
    """An httpx.Client with explicit timeouts and an honest User-Agent (built per fetch, closed after it)."""
    import httpx

    return httpx.Client(
        timeout=httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S),
        headers={"User-Agent": USER_AGENT},
        follow_redirects=follow_redirects,
        # About 40 ms a client otherwise, and a run builds one per feed (docs/listeners.md).
        verify=tls_context(),
    )
