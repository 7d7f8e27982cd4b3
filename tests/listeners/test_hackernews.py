"""Hacker News (Algolia) listener: parsing, paging, incremental cursor, rate limits and 5xx on a local server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from helpers.free_api_server import FakeApi, Reply, fixture_json, serve

from listeners.hackernews.listener import SEARCH_PATH, HackerNewsListener, hit_to_mention
from listeners.retry import RetryPolicy
from models.errors import FatalError, RateLimited, RecordError
from models.mention import Mention, Reject

NO_JITTER = RetryPolicy(jitter=0, base_delay=0.5)


@pytest.fixture
def api() -> Iterator[FakeApi]:
    with serve(FakeApi()) as running:
        yield running


def _page(seen) -> Reply:  # type: ignore[no-untyped-def]
    return Reply(200, fixture_json(f"hn_search_page{seen.query['page'][0]}.json"))


def test_comment_hit_strips_html_and_keeps_the_thread() -> None:
    hit = fixture_json("hn_search_page0.json")["hits"][0]
    mention = hit_to_mention(hit)
    assert mention is not None
    assert mention.text == "Acme's app logs me out every few minutes.\n\nSupport said it's known."
    assert (mention.kind, mention.parent_id, mention.author_handle) == ("comment", "42000001", "jdoe")
    assert mention.created_at == datetime(2026, 11, 19, 10, 41, 7, tzinfo=UTC)
    assert mention.url == "https://news.ycombinator.com/item?id=42000010"
    assert mention.raw == hit


def test_story_hit_has_title_text_and_points() -> None:
    story = hit_to_mention(fixture_json("hn_search_page1.json")["hits"][0])
    assert story is not None
    assert story.text == "Ask HN: Is Acme worth it?\n\nThinking of switching to Acme & co."
    assert (story.kind, story.parent_id) == ("post", None)
    assert story.metrics == {"score": 12.0, "replies": 4.0}


def test_deleted_items_are_skipped_and_broken_ones_raise() -> None:
    assert hit_to_mention(fixture_json("hn_search_page0.json")["hits"][2]) is None
    assert hit_to_mention({"objectID": "1", "_tags": ["poll"], "created_at_i": 1}) is None
    with pytest.raises(RecordError, match="no objectID"):
        hit_to_mention(fixture_json("hn_search_page1.json")["hits"][1])
    with pytest.raises(RecordError, match="item 7 has no readable created_at"):
        hit_to_mention({"objectID": "7", "comment_text": "acme", "_tags": ["comment"], "created_at": "soon"})


def test_search_pages_until_nb_pages_and_rejects_malformed_hits(api: FakeApi) -> None:
    api.route(SEARCH_PATH, _page)
    with httpx.Client(base_url=api.url, timeout=5) as client:
        listener = HackerNewsListener(client, host=api.url)
        items = list(listener.search("acme", max_pages=5))
    mentions = [i for i in items if isinstance(i, Mention)]
    rejects = [i for i in items if isinstance(i, Reject)]
    assert [m.id for m in mentions] == ["42000010", "42000001", "42000000"]
    assert len(rejects) == 1 and rejects[0].reason == "hackernews: hit has no objectID"
    assert [r.query["page"] for r in api.requests] == [["0"], ["1"]]
    assert api.requests[0].query["tags"] == ["(story,comment)"]
    assert "numericFilters" not in api.requests[0].query
    assert listener.last.resume_from == "1795084867"  # the newest created_at_i, the deleted hit included


def test_cursor_becomes_a_numeric_filter_with_overlap(api: FakeApi) -> None:
    api.route(SEARCH_PATH, Reply(200, {"hits": [], "nbPages": 0, "page": 0}))
    with httpx.Client(timeout=5) as client:
        listener = HackerNewsListener(client, host=api.url, overlap_s=120)
        assert list(listener.search("acme", since="1795084867")) == []
    assert api.requests[0].query["numericFilters"] == ["created_at_i>1795084747"]
    assert listener.last.resume_from is None  # nothing seen: keep the old cursor


def test_429_waits_retry_after_then_goes_on(api: FakeApi) -> None:
    slept: list[float] = []
    calls = iter([Reply(429, b"", {"Retry-After": "3"}), Reply(503, b"")])

    def script(seen):  # type: ignore[no-untyped-def]
        return next(calls, None) or _page(seen)

    api.route(SEARCH_PATH, script)
    with httpx.Client(timeout=5) as client:
        listener = HackerNewsListener(client, host=api.url, policy=NO_JITTER, sleep=slept.append)
        ids = [m.id for m in listener.search("acme") if isinstance(m, Mention)]
    assert ids == ["42000010", "42000001", "42000000"]
    assert slept == [3.0, 1.0]  # Retry-After honoured, then exponential backoff for the 503


def test_rate_limit_beyond_the_run_budget_stops_without_a_cursor(api: FakeApi) -> None:
    api.route(SEARCH_PATH, Reply(429, b"", {"Retry-After": "3600"}))
    with httpx.Client(timeout=5) as client:
        listener = HackerNewsListener(client, host=api.url, sleep=lambda s: None)
        with pytest.raises(RateLimited, match="hackernews: rate limited"):
            list(listener.search("acme"))
    assert listener.last.resume_from is None


def test_failure_on_a_later_page_keeps_page_one_but_not_the_cursor(api: FakeApi) -> None:
    def script(seen):  # type: ignore[no-untyped-def]
        return _page(seen) if seen.query["page"] == ["0"] else Reply(404, b"")

    api.route(SEARCH_PATH, script)
    got: list[Mention | Reject] = []
    with httpx.Client(timeout=5) as client:
        listener = HackerNewsListener(client, host=api.url, sleep=lambda s: None)
        with pytest.raises(FatalError, match="HTTP 404"):
            for item in listener.search("acme"):
                got.append(item)
    assert [m.id for m in got] == ["42000010", "42000001"]
    assert listener.last.resume_from is None  # newest first: the older part is unread


def test_page_cap_stops_paging(api: FakeApi) -> None:
    api.route(SEARCH_PATH, _page)
    with httpx.Client(timeout=5) as client:
        listener = HackerNewsListener(client, host=api.url)
        list(listener.search("acme", max_pages=1))
    assert len(api.requests) == 1
    assert listener.last.truncated
    assert listener.last.resume_from == "1795084867"
