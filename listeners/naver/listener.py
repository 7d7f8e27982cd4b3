"""Naver Search API (blog, café articles, news, 지식iN): `NaverListener` over an injected httpx.Client.

Both forms of the API take the same parameters (`query`, `display` ≤ 100, `start` ≤ 1000, `sort=date`) and answer
the same JSON: the developer-centre form (`openapi.naver.com/v1/search/blog.json`, `X-Naver-Client-Id` /
`X-Naver-Client-Secret` headers) and the NAVER API HUB form on Naver Cloud (`…/search/v1/blog`,
`X-NCP-APIGW-API-KEY-ID` / `X-NCP-APIGW-API-KEY`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from listeners.http import error_for_status, json_body, transport_errors
from listeners.paging import Page, paginate
from listeners.parsing import html_to_text
from listeners.quota import QuotaBudget
from listeners.report import FetchReport
from listeners.retry import RetryPolicy
from models.errors import BrandpulseError, FatalError, RecordError
from models.mention import Mention, Reject, mention_from_dict

CHANNEL = "naver"
ID_SETTING = "BRANDPULSE_NAVER_CLIENT_ID"
SECRET_SETTING = "BRANDPULSE_NAVER_CLIENT_SECRET"
CREDENTIALS = f"{ID_SETTING} / {SECRET_SETTING}"
DEVELOPERS_URL = "https://openapi.naver.com"
HUB_URL = "https://naveropenapi.apigw.ntruss.com"
KST = ZoneInfo("Asia/Seoul")
DAILY_CALLS = 25_000  # the Search API's daily call limit per application
DISPLAY = 100  # the API maximum per call
MAX_START = 1000  # the API refuses `start` beyond this: at most 10 pages of 100 per query
# A date-sorted listing whose cursor item was deleted would be read to the end; dated items this much older than the
# cursor stop it (a blog `postdate` is a day, not a time).
CURSOR_SLACK = timedelta(days=2)
QUOTA_CODE = "010"  # errorCode of the daily-limit 429 ("Request limit Exceeded")

Endpoint = Literal["blog", "cafearticle", "news", "kin"]
Form = Literal["developers", "hub"]
ENDPOINTS: tuple[Endpoint, ...] = ("blog", "cafearticle", "news", "kin")
_PATHS: dict[Form, str] = {"developers": "/v1/search/{endpoint}.json", "hub": "/search/v1/{endpoint}"}
_HEADERS: dict[Form, tuple[str, str]] = {
    "developers": ("X-Naver-Client-Id", "X-Naver-Client-Secret"),
    "hub": ("X-NCP-APIGW-API-KEY-ID", "X-NCP-APIGW-API-KEY"),
}


# --------------------------------------------------------------------------------------------------------------
# Parsing (pure)
# --------------------------------------------------------------------------------------------------------------


def postdate_utc(value: Any) -> datetime:
    """A blog `postdate` (YYYYMMDD, no time) as midnight Korean time, in UTC; ValueError when it is not one."""
    text = str(value or "").strip()
    if len(text) != 8 or not text.isdigit():
        raise ValueError(f"postdate {text[:20]!r} is not YYYYMMDD")
    return datetime(int(text[:4]), int(text[4:6]), int(text[6:]), tzinfo=KST).astimezone(UTC)


def pubdate_utc(value: Any) -> datetime:
    """A news `pubDate` (RFC 822, `Thu, 19 Nov 2026 19:00:00 +0900`) in UTC; ValueError when it is not one."""
    try:
        when = parsedate_to_datetime(str(value or "").strip())
    except (TypeError, ValueError, IndexError):
        raise ValueError(f"pubDate {str(value)[:40]!r} is not an RFC 822 date") from None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)


def _site_id(url: Any) -> str | None:
    """`https://blog.naver.com/acme_kr` or `blog.naver.com/acme_kr` → `acme_kr` (the blog or café id)."""
    if not isinstance(url, str) or not url.strip():
        return None
    text = url.strip() if "://" in url else f"https://{url.strip()}"
    parts = [part for part in urlsplit(text).path.split("/") if part]
    return parts[0] if parts else None


def _text(value: Any) -> str:
    # Titles and descriptions carry <b> highlight tags and entities (&quot;, &amp;): tags out, entities decoded.
    return html_to_text(value) if isinstance(value, str) else ""


def skip_reason(item: Any, endpoint: Endpoint) -> str:
    """Why `naver_item_to_mention` returned None for an item: its description is empty."""
    # A members-only café lists its articles with the title alone: the text is not shown to outsiders.
    return "members-only café (no text)" if endpoint == "cafearticle" else "empty description"


def naver_item_to_mention(item: Mapping[str, Any], endpoint: Endpoint, seen_at: datetime) -> Mention | None:
    """One Search API item as a Mention keyed by its link; None when the description is empty.

    Blog items are dated midnight KST of their `postdate`, news items by `pubDate`; café articles and 지식iN answers
    carry no date, so they are dated `seen_at`, the time this run fetched them.
    """
    if not isinstance(item, Mapping):
        raise RecordError(f"{CHANNEL} {endpoint}: item is a {type(item).__name__}, not an object")
    link = item.get("link")
    if not isinstance(link, str) or not link.strip():
        raise RecordError(f"{CHANNEL} {endpoint}: item has no link")
    link = link.strip()
    description = _text(item.get("description"))
    if not description:
        return None
    title = _text(item.get("title"))
    try:
        if endpoint == "blog":
            created_at = postdate_utc(item.get("postdate"))
        elif endpoint == "news":
            created_at = pubdate_utc(item.get("pubDate"))
        else:
            created_at = seen_at
    except ValueError as exc:
        raise RecordError(f"{CHANNEL} {endpoint}: item {link}: {exc}") from None
    author_id = author_handle = None
    if endpoint == "blog":
        author_id, author_handle = _site_id(item.get("bloggerlink")), item.get("bloggername")
    elif endpoint == "cafearticle":
        author_id, author_handle = _site_id(item.get("cafeurl")), item.get("cafename")
    return mention_from_dict(
        {
            "channel": CHANNEL,
            "id": link,
            "text": "\n\n".join(part for part in (title, description) if part),
            "created_at": created_at,
            "url": link,
            "author_id": author_id,
            "author_handle": _text(author_handle) or None,
            "lang": None,  # detected by the pipeline
            "kind": "post",
            "raw": {"endpoint": endpoint, "item": dict(item)},
        },
        source=f"{CHANNEL} {endpoint} item {link}",
    )


def naver_error(status: int, headers: Mapping[str, str], body: Any, quota: QuotaBudget | None) -> BrandpulseError:
    """The error for a refused call, with Naver's own `errorCode` / `errorMessage` (SE01 = a malformed query)."""
    body = body if isinstance(body, Mapping) else {}
    code = str(body.get("errorCode") or "").strip()
    message = str(body.get("errorMessage") or "").strip()[:200]
    said = f" [{code}] {message}" if code or message else ""
    if status == 429 and code == QUOTA_CODE and quota is not None:
        return quota.day_spent(f"HTTP 429{said}")
    error = error_for_status(status, headers, channel=CHANNEL, credential_setting=CREDENTIALS)
    if error is None:  # not reached for status >= 400; keeps the type checker honest
        return FatalError(f"{CHANNEL}: HTTP {status}{said}")
    if not said:
        return error
    # Keep the class (retry, credential, fatal) and add Naver's words: SE01-SE06 name the parameter it refused.
    error.args = (f"{error}:{said}",)
    return error


# --------------------------------------------------------------------------------------------------------------
# The listener
# --------------------------------------------------------------------------------------------------------------


def _link(item: Any) -> str | None:
    link = item.get("link") if isinstance(item, Mapping) else None
    return link.strip() if isinstance(link, str) and link.strip() else None


def _dated(item: Any, endpoint: Endpoint) -> datetime | None:
    """The item's own date when its endpoint gives one (blog, news), else None."""
    try:
        if endpoint == "blog":
            return postdate_utc(item.get("postdate"))
        if endpoint == "news":
            return pubdate_utc(item.get("pubDate"))
    except (ValueError, AttributeError):
        return None
    return None


def split_cursor(cursor: str) -> tuple[datetime, str]:
    """A saved cursor `SEEN_AT|LINK` as (when it was saved, the newest link then); FatalError when malformed."""
    seen, _, link = cursor.partition("|")
    try:
        when = datetime.fromisoformat(seen)
    except ValueError:
        when = None
    if when is None or when.tzinfo is None or not link:
        raise FatalError(f"{CHANNEL}: saved cursor {cursor[:80]!r} is not 'TIME|LINK'; delete it from `cursors`")
    return when.astimezone(UTC), link


class NaverListener:
    """Naver Search API results, newest first (`sort=date`), incremental on the newest link seen."""

    def __init__(
        self,
        client: Any,
        *,
        client_id: str,
        client_secret: str,
        api_url: str = DEVELOPERS_URL,
        form: Form = "developers",
        quota: QuotaBudget | None = None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], Any] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client  # an httpx.Client with a timeout, built by the caller
        self.api_url = api_url.rstrip("/")
        self.form: Form = form
        id_header, secret_header = _HEADERS[form]
        self._headers = {id_header: client_id, secret_header: client_secret}
        self.quota = quota
        self.policy = policy or RetryPolicy()
        self.sleep = sleep  # injectable so tests never wait out a Retry-After
        self.clock = clock
        self.last = FetchReport(endpoint="none")

    def search(
        self, endpoint: Endpoint, query: str, *, since: str | None = None, max_pages: int = 5
    ) -> Iterator[Mention | Reject]:
        """Items of `endpoint` matching `query` that are newer than the `since` cursor (`SEEN_AT|LINK`)."""
        if endpoint not in ENDPOINTS:
            raise ValueError(f"{CHANNEL}: unknown endpoint {endpoint!r} (one of {', '.join(ENDPOINTS)})")
        stop_link: str | None = None
        oldest_wanted: datetime | None = None
        if since is not None:
            saved_at, stop_link = split_cursor(since)
            oldest_wanted = saved_at - CURSOR_SLACK
        seen_at = datetime.fromtimestamp(self.clock(), UTC)
        url = self.api_url + _PATHS[self.form].format(endpoint=endpoint)
        report = self.last = FetchReport(endpoint=endpoint)
        start_quota = self.quota.used if self.quota is not None else 0

        def fetch(token: str | None) -> Page[Mapping[str, Any]]:
            start = int(token or 1)
            if self.quota is not None:
                self.quota.spend(1, endpoint)
            params = {"query": query, "display": DISPLAY, "start": start, "sort": "date"}
            with transport_errors(CHANNEL):
                response = self.client.get(url, params=params, headers=self._headers)
            if response.status_code >= 400:
                try:
                    body = response.json()
                except ValueError:
                    body = None
                raise naver_error(response.status_code, response.headers, body, self.quota)
            body = json_body(response, channel=CHANNEL, items="items")
            items: list[Mapping[str, Any]] = []
            reached = False
            for item in body["items"]:
                dated = _dated(item, endpoint)
                if (stop_link is not None and _link(item) == stop_link) or (
                    oldest_wanted is not None and dated is not None and dated < oldest_wanted
                ):
                    reached = True  # everything from here down was read by an earlier run
                    break
                items.append(item)
            total = body.get("total") if isinstance(body.get("total"), int) else 0
            following = start + DISPLAY
            more = not reached and len(body["items"]) >= DISPLAY and following <= min(MAX_START, total)
            # Newest first: the cursor is the first link of the first page, stamped with when it was seen.
            first = next((link for link in map(_link, items) if link), None) if start == 1 else None
            return Page(items, str(following) if more else None, f"{seen_at.isoformat()}|{first}" if first else None)

        run = paginate(fetch, max_pages=max_pages, policy=self.policy, sleep=self.sleep)
        try:
            yield from report.read(
                run,
                lambda item: naver_item_to_mention(item, endpoint, seen_at),
                channel=CHANNEL,
                record_id=_link,
                skip_reason=lambda item: skip_reason(item, endpoint),
            )
        finally:
            if self.quota is not None:
                report.quota_used = self.quota.used - start_quota
                report.quota_note = self.quota.summary()
