"""The listener contract, checked on each credential-free listener (Hacker News, Bluesky, Mastodon, RSS).

Every listener, fed the synthetic fixtures from a local HTTP server: yields only valid Mentions or Rejects;
timestamps are UTC; items its parser skips never appear; re-fetching from the same cursor gives the same mentions
(loads are idempotent on `(channel, id)`); the cursor it reports never moves backwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import feedparser
import httpx
import pytest
from helpers.free_api_server import FakeApi, Reply, fixture, fixture_json, serve

from listeners.bluesky.listener import SEARCH_PATH as BSKY_PATH
from listeners.bluesky.listener import BlueskyListener, post_to_mention
from listeners.cursors import cursor_order, newest_cursor
from listeners.hackernews.listener import SEARCH_PATH as HN_PATH
from listeners.hackernews.listener import HackerNewsListener, hit_to_mention
from listeners.mastodon.listener import MastodonListener, status_to_mention
from listeners.rss.listener import RssListener, entry_to_mention
from models.errors import RecordError
from models.mention import Mention, Reject

Run = Callable[[httpx.Client, str, str | None], tuple[Iterable[Mention | Reject], Any]]


@dataclass
class Case:
    """One listener under the contract: how to serve its fixture, run it, and parse its raw items."""

    channel: str
    setup: Callable[[FakeApi], None]
    run: Run
    raw_items: Callable[[], list[Any]]
    parse: Callable[[Any], Mention | None]


def _hn_setup(api: FakeApi) -> None:
    api.route(HN_PATH, lambda seen: Reply(200, fixture_json(f"hn_search_page{seen.query['page'][0]}.json")))


def _hn_run(client: httpx.Client, url: str, cursor: str | None) -> tuple[Iterable[Mention | Reject], Any]:
    listener = HackerNewsListener(client, host=url)
    return listener.search("acme", since=cursor), listener


def _bsky_run(client: httpx.Client, url: str, cursor: str | None) -> tuple[Iterable[Mention | Reject], Any]:
    listener = BlueskyListener(client, host=url)
    return listener.search("acme", since=cursor), listener


def _masto_run(client: httpx.Client, url: str, cursor: str | None) -> tuple[Iterable[Mention | Reject], Any]:
    listener = MastodonListener(client, url)
    return listener.hashtag("acme", since_id=cursor), listener


def _rss_run(client: httpx.Client, url: str, cursor: str | None) -> tuple[Iterable[Mention | Reject], Any]:
    listener = RssListener(client)
    return listener.feed(f"{url}/reviews.xml", since=cursor), listener


def _rss_setup(api: FakeApi) -> None:
    api.route("/reviews.xml", Reply(200, fixture("appstore_reviews.xml"), {"Content-Type": "application/xml"}))


CASES = [
    Case(
        "hackernews",
        _hn_setup,
        _hn_run,
        lambda: fixture_json("hn_search_page0.json")["hits"] + fixture_json("hn_search_page1.json")["hits"],
        hit_to_mention,
    ),
    Case(
        "bluesky",
        lambda api: api.route(BSKY_PATH, Reply(200, {**fixture_json("bluesky_search.json"), "cursor": None})),
        _bsky_run,
        lambda: fixture_json("bluesky_search.json")["posts"],
        post_to_mention,
    ),
    Case(
        "mastodon",
        lambda api: api.route("/api/v1/timelines/tag/acme", Reply(200, fixture_json("mastodon_tag.json"))),
        _masto_run,
        lambda: fixture_json("mastodon_tag.json"),
        status_to_mention,
    ),
    Case(
        "rss",
        _rss_setup,
        _rss_run,
        lambda: list(feedparser.parse(fixture("appstore_reviews.xml")).entries),
        entry_to_mention,
    ),
]


@pytest.fixture(params=CASES, ids=[case.channel for case in CASES])
def case(request: pytest.FixtureRequest) -> Iterator[tuple[Case, FakeApi]]:
    with serve(FakeApi()) as api:
        request.param.setup(api)
        yield request.param, api


def _read(case: Case, api: FakeApi, cursor: str | None) -> tuple[list[Mention], list[Reject], str | None]:
    with httpx.Client(timeout=5) as client:
        items, listener = case.run(client, api.url, cursor)
        items = list(items)
        resume = listener.last.resume_from
    mentions = [i for i in items if isinstance(i, Mention)]
    rejects = [i for i in items if isinstance(i, Reject)]
    assert len(mentions) + len(rejects) == len(items)
    return mentions, rejects, resume


def test_mentions_are_valid_utc_and_keep_raw(case: tuple[Case, FakeApi]) -> None:
    spec, api = case
    mentions, rejects, _ = _read(spec, api, None)
    assert mentions, "the fixture holds valid items"
    for mention in mentions:
        assert mention.channel == spec.channel
        assert mention.created_at.tzinfo is UTC or mention.created_at.utcoffset().total_seconds() == 0
        assert mention.raw, "raw keeps the platform's item for audit and re-parsing"
        assert mention.text.strip()
    assert len({m.key for m in mentions}) == len(mentions)
    for reject in rejects:
        assert reject.channel == spec.channel and reject.reason and reject.payload


def test_skip_rules_match_the_pure_parser(case: tuple[Case, FakeApi]) -> None:
    spec, api = case
    mentions, rejects, _ = _read(spec, api, None)
    expected, broken = [], 0
    for item in spec.raw_items():
        try:
            parsed = spec.parse(item)
        except RecordError:
            broken += 1
            continue
        if parsed is not None:
            expected.append(parsed.id)
    assert sorted(m.id for m in mentions) == sorted(expected)
    assert len(rejects) == broken >= 1  # every fixture holds one malformed item, and it becomes a Reject


def test_refetch_is_idempotent_and_the_cursor_never_moves_back(case: tuple[Case, FakeApi]) -> None:
    spec, api = case
    first, _, cursor = _read(spec, api, None)
    again, _, _ = _read(spec, api, None)
    assert [m.model_dump() for m in again] == [m.model_dump() for m in first]
    assert cursor is not None
    _, _, later = _read(spec, api, cursor)
    if later is not None:
        assert cursor_order(later) >= cursor_order(cursor)
    # This server ignores the cursor and serves the same items again: the saved cursor must not move (the
    # shared test_feed_contract.py checks forward moves against fakes that honour the cursor).
    assert newest_cursor(spec.channel, "scope", [later], previous=cursor) is None
