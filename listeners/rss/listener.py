"""RSS and Atom feeds (news, blogs, app-store review feeds): feedparser over bytes fetched with httpx."""

from __future__ import annotations

import calendar
import hashlib
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from listeners.http import http_request
from listeners.parsing import html_to_text
from listeners.report import FetchReport
from listeners.retry import RetryPolicy, call_with_retries
from models.errors import FatalError, RecordError
from models.mention import Mention, Reject, mention_from_dict

CHANNEL = "rss"
MAX_ID_CHARS = 200  # the Mention id limit; longer guids (some feeds use whole URLs with tracking) are hashed
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # fixed width, so cursors "time|id" compare correctly as text
_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"


def _plain(value: Any) -> Any:
    """feedparser's dicts as plain JSON-ready data; parsed struct_times are dropped (the strings stay)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items() if not str(k).endswith("_parsed")}
    if isinstance(value, list | tuple) and not isinstance(value, time.struct_time):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def entry_time(entry: dict[str, Any]) -> datetime | None:
    """When an entry was published (else last updated), in UTC; None when the feed gives neither."""
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if isinstance(parsed, time.struct_time):
            return datetime.fromtimestamp(calendar.timegm(parsed), UTC)  # feedparser normalises to UTC
    return None


def entry_id(entry: dict[str, Any]) -> str | None:
    """The entry's stable id: its guid / Atom id, else its link; hashed when longer than a Mention id allows."""
    for key in ("id", "link"):
        value = entry.get(key)
        if isinstance(value, str) and value.strip():
            value = value.strip()
            return value if len(value) <= MAX_ID_CHARS else "sha256:" + hashlib.sha256(value.encode()).hexdigest()
    return None


def entry_cursor(entry: dict[str, Any]) -> str | None:
    """`<UTC time>|<id>`: the order entries are read in; a cursor at one entry means it and all before are in."""
    when, ident = entry_time(entry), entry_id(entry)
    return f"{when.strftime(_TIME_FORMAT)}|{ident}" if when and ident else None


def _rating(entry: dict[str, Any]) -> float | None:
    """The star rating of an app-store review entry (Apple's `im:rating`), or None for ordinary entries."""
    value = entry.get("im_rating")
    if value is None:
        return None
    try:
        return float(str(value).strip())
    except ValueError:
        raise RecordError(f"{CHANNEL}: review rating {str(value)[:20]!r} is not a number") from None


def entry_to_mention(entry: dict[str, Any], *, channel: str = CHANNEL, lang: str | None = None) -> Mention | None:
    """One feed entry as a Mention (a review when it carries a star rating); None when it has no text or date."""
    ident = entry_id(entry)
    if ident is None:
        raise RecordError(f"{channel}: feed entry has neither an id nor a link")
    created_at = entry_time(entry)
    if created_at is None:
        return None  # an undated entry cannot be placed in time, and would come back on every read
    title = html_to_text(entry.get("title"))
    contents = entry.get("content") or []
    body_html = entry.get("summary") or (contents[0].get("value") if contents else "")
    body = html_to_text(body_html)
    # News summaries often repeat the headline; say it once.
    text = body if title and body.startswith(title) else "\n\n".join(p for p in (title, body) if p)
    if not text:
        return None
    rating = _rating(entry)
    link = entry.get("link")
    language = lang or (entry.get("title_detail") or {}).get("language")
    return mention_from_dict(
        {
            "channel": channel,
            "id": ident,
            "text": text,
            "created_at": created_at,
            "url": link if isinstance(link, str) and link.startswith(("http://", "https://")) else None,
            "author_id": (entry.get("author_detail") or {}).get("href") or entry.get("author"),
            "author_handle": entry.get("author"),
            "lang": language.split("-")[0] if isinstance(language, str) and language else None,
            "kind": "review" if rating is not None else "post",
            "rating": rating,
            "rating_scale": "stars" if rating is not None else None,
            "raw": _plain(entry),
        },
        source=f"{channel} entry {ident}",
    )


class RssListener:
    """Entries of RSS / Atom feeds newer than a `time|id` cursor; one HTTP request per feed per run."""

    def __init__(
        self, client: Any, *, policy: RetryPolicy | None = None, sleep: Callable[[float], Any] = time.sleep
    ) -> None:
        self.client = client  # an httpx.Client with a timeout, built by the caller; redirects are its choice
        self.policy = policy or RetryPolicy()
        self.sleep = sleep  # injectable so tests never wait out a Retry-After
        self.last = FetchReport(endpoint="none")

    def feed(self, url: str, *, since: str | None = None, channel: str = CHANNEL) -> Iterator[Mention | Reject]:
        """Entries of the feed at `url` after the `since` cursor, oldest first, as Mentions or Rejects."""
        import feedparser  # imported here so importing the listeners package stays cheap

        # One request, read oldest first: `last.resume_from` is the newest `time|id` seen, even after a failure.
        report = self.last = FetchReport(endpoint="feed", forward=True)
        response = call_with_retries(partial(self._get, url, channel), self.policy, sleep=self.sleep)
        report.pages = 1
        parsed = feedparser.parse(
            response.content, response_headers={"content-type": response.headers.get("content-type", "")}
        )
        if parsed.bozo and not parsed.entries and not parsed.feed.get("title"):
            problem = type(parsed.get("bozo_exception")).__name__
            raise FatalError(f"{channel}: {url} is not an RSS or Atom feed ({problem}); check [channels.rss] feeds")
        lang = parsed.feed.get("language") if isinstance(parsed.feed.get("language"), str) else None
        report.newest = since
        ordered = sorted(parsed.entries, key=lambda e: entry_cursor(e) or "")
        to_mention = partial(entry_to_mention, channel=channel, lang=lang)
        for entry in ordered:
            position = entry_cursor(entry)
            if since is not None and position is not None and position <= since:
                continue
            # A Reject or a skipped entry (undated, empty) still moves the cursor past it.
            result = report.parse(entry, to_mention, channel=channel, record_id=entry_id, payload=_plain)
            if position is not None and (report.newest is None or position > report.newest):
                report.newest = position
            if result is not None:
                yield result
        report.stopped_reason = "exhausted"

    def _get(self, url: str, channel: str) -> Any:
        # Errors name the feed without its query string, which may carry a private feed's token.
        parts = urlsplit(url)
        where = f"{channel} feed {parts.netloc}{parts.path}"
        return http_request(self.client, "GET", url, channel=where, headers={"Accept": _ACCEPT})
