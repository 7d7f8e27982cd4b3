"""Hacker News stories and comments that match a query, from the public Algolia search API (no credentials)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from listeners.cursors import newest_value
from listeners.http import http_request, json_body
from listeners.paging import Page, paginate
from listeners.parsing import html_to_text, parse_timestamp
from listeners.report import FetchReport
from listeners.retry import RetryPolicy
from models.errors import FatalError, RecordError
from models.mention import Mention, Reject, mention_from_dict

CHANNEL = "hackernews"
DEFAULT_HOST = "https://hn.algolia.com"
SEARCH_PATH = "/api/v1/search_by_date"
ITEM_URL = "https://news.ycombinator.com/item?id={id}"
HITS_PER_PAGE = 100  # Algolia allows up to 1000, but 100 keeps each response small and a page cap meaningful
# Algolia indexes new items a little after they are posted; re-reading this much before the cursor catches them
# (the warehouse drops what it already has).
OVERLAP_S = 120


def hit_to_mention(hit: dict[str, Any]) -> Mention | None:
    """One Algolia HN hit as a Mention; None for deleted or empty items and for kinds we do not listen to."""
    if not isinstance(hit, dict):
        raise RecordError(f"{CHANNEL}: hit is a {type(hit).__name__}, not an object")
    item_id = str(hit.get("objectID") or "").strip()
    if not item_id:
        raise RecordError(f"{CHANNEL}: hit has no objectID")
    tags = hit.get("_tags") or []
    is_comment = "comment" in tags or hit.get("comment_text") is not None
    if is_comment:
        text = html_to_text(hit.get("comment_text"))
    elif "story" in tags or hit.get("title"):
        text = "\n\n".join(part for part in (hit.get("title") or "", html_to_text(hit.get("story_text"))) if part)
    else:
        return None  # polls, jobs: not conversation about the brand
    if not text.strip():
        return None  # deleted / dead items come back with no text
    try:
        created_at = parse_timestamp(hit["created_at_i"] if hit.get("created_at_i") is not None else hit["created_at"])
    except (KeyError, ValueError, OverflowError) as exc:
        raise RecordError(f"{CHANNEL}: item {item_id} has no readable created_at ({exc})") from None
    metrics: dict[str, float] = {}
    if isinstance(hit.get("points"), int | float):
        metrics["score"] = float(hit["points"])
    if isinstance(hit.get("num_comments"), int | float):
        metrics["replies"] = float(hit["num_comments"])
    parent = hit.get("parent_id")
    return mention_from_dict(
        {
            "channel": CHANNEL,
            "id": item_id,
            "text": text,
            "created_at": created_at,
            "url": ITEM_URL.format(id=item_id),
            "author_id": hit.get("author"),
            "author_handle": hit.get("author"),
            "lang": None,  # Algolia does not say; the pipeline detects it
            "kind": "comment" if is_comment else "post",
            "parent_id": str(parent) if is_comment and parent is not None else None,
            "metrics": metrics,
            "raw": hit,
        },
        source=f"{CHANNEL} item {item_id}",
    )


def _object_id(hit: Any) -> str | None:
    return str(hit.get("objectID")) if isinstance(hit, dict) and hit.get("objectID") else None


def _created_at_i(hit: Any) -> int | None:
    value = hit.get("created_at_i") if isinstance(hit, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class HackerNewsListener:
    """Stories and comments from `hn.algolia.com/api/v1/search_by_date`, newest first, incremental on time."""

    def __init__(
        self,
        client: Any,
        *,
        host: str = DEFAULT_HOST,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], Any] = time.sleep,
        overlap_s: int = OVERLAP_S,
    ) -> None:
        self.client = client  # an httpx.Client with a timeout, built by the caller
        self.host = host.rstrip("/")
        self.policy = policy or RetryPolicy()
        self.sleep = sleep  # injectable so tests never wait out a Retry-After
        self.overlap_s = overlap_s
        self.last = FetchReport(endpoint="none")

    def search(
        self,
        query: str,
        *,
        since: str | None = None,
        max_pages: int = 5,
        tags: str = "(story,comment)",
        between: tuple[int, int] | None = None,
    ) -> Iterator[Mention | Reject]:
        """Items matching `query` created after the `since` cursor (epoch seconds), as Mentions or Rejects.

        `between=(start, end)` (epoch seconds) reads a past range instead, `start <= created_at_i < end` (backfill).
        """
        params: dict[str, Any] = {"query": query, "tags": tags, "hitsPerPage": HITS_PER_PAGE}
        filters: list[str] = []
        if since is not None:
            if not since.isdigit():
                raise FatalError(f"{CHANNEL}: saved cursor {since!r} is not epoch seconds; delete it from `cursors`")
            filters.append(f"created_at_i>{max(0, int(since) - self.overlap_s)}")
        if between is not None:
            filters += [f"created_at_i>={int(between[0])}", f"created_at_i<{int(between[1])}"]
        if filters:
            params["numericFilters"] = ",".join(filters)

        def fetch(token: str | None) -> Page[dict[str, Any]]:
            page_no = int(token or 0)
            response = http_request(
                self.client, "GET", f"{self.host}{SEARCH_PATH}", channel=CHANNEL, params={**params, "page": page_no}
            )
            body = json_body(response, channel=CHANNEL, items="hits")
            hits = body["hits"]
            pages = body.get("nbPages")
            more = hits and isinstance(pages, int) and page_no + 1 < pages
            return Page(hits, str(page_no + 1) if more else None, newest_value(_created_at_i(h) for h in hits))

        # Newest first: `last.resume_from` is the newest created_at_i, unless the run failed part-way.
        report = self.last = FetchReport(endpoint="search")
        run = paginate(fetch, max_pages=max_pages, policy=self.policy, sleep=self.sleep)
        yield from report.read(run, hit_to_mention, channel=CHANNEL, record_id=_object_id)
