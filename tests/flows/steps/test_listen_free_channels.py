"""The credential-free channels in the pipeline: builders, config checks, feeds over a local server, loading."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.free_api_server import FakeApi, Reply, fixture, fixture_json, serve
from pydantic import SecretStr

from flows.runtime.config import Secrets
from flows.steps.listen import channel_status, listen_channel, listen_feed
from listeners.bluesky.client import SessionCache
from listeners.bluesky.feeds import build_bluesky_feeds
from listeners.bluesky.listener import LOGIN_PATH, SEARCH_PATH
from listeners.hackernews.feeds import build_hackernews_feeds
from listeners.hackernews.listener import SEARCH_PATH as HN_PATH
from listeners.mastodon.feeds import build_mastodon_feeds
from listeners.mastodon.query import hashtags_for
from listeners.registry import CHANNELS
from listeners.rss.feeds import build_rss_feeds
from listeners.rss.options import FeedSpec
from listeners.rss.query import feed_url
from models.brands import Brand, BrandMatcher
from models.channels import ChannelSettings
from models.errors import ConfigError, CredentialError
from warehouse import Warehouse, get_cursor

ACME = Brand(name="Acme", terms=["acme", "#acme", "@acmehelp", "애크미", "acme corp"], exclude=["acme anvil"])
GLOBEX = Brand(name="Globex", terms=["globex"])
NO_SECRETS = Secrets(_env_file=None, bluesky_handle=None, bluesky_app_password=None)  # type: ignore[call-arg]


def settings(**extra: object) -> ChannelSettings:
    return ChannelSettings(enabled=True, max_pages=3, **extra)


@pytest.fixture
def api() -> Iterator[FakeApi]:
    with serve(FakeApi()) as running:
        yield running


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    return Warehouse(tmp_path / "wh.duckdb", lock_timeout_s=5.0)


def test_free_channels_are_registered() -> None:
    assert {"hackernews", "bluesky", "mastodon", "rss"} <= set(CHANNELS)


def test_hackernews_has_one_feed_per_plain_term() -> None:
    feeds = build_hackernews_feeds(settings(), ACME)
    assert [f.scope for f in feeds] == ["acme:search:acme", "acme:search:acmehelp", "acme:search:애크미",
                                        "acme:search:acme corp"]
    with pytest.raises(ConfigError, match=r"channels\.hackernews\.hots"):
        build_hackernews_feeds(settings(hots="x"), ACME)


def test_mastodon_hashtags_and_instances() -> None:
    assert hashtags_for(ACME) == ["acme", "애크미", "acmecorp"]
    feeds = build_mastodon_feeds(settings(instances=["mastodon.social", "https://mstdn.jp/"]), ACME)
    assert [f.scope for f in feeds] == ["acme:tags:mastodon.social", "acme:tags:mstdn.jp"]
    with pytest.raises(ConfigError, match=r"channels\.mastodon\.instances"):
        build_mastodon_feeds(settings(), ACME)
    with pytest.raises(ConfigError, match=r"channels\.mastodon\.instances"):
        build_mastodon_feeds(settings(instances=["https://x.example/tags/acme"]), ACME)
    only_handle = Brand(name="Solo", terms=["@solo"])
    with pytest.raises(ConfigError, match="no term usable as a hashtag"):
        build_mastodon_feeds(settings(instances=["m.example"]), only_handle)
    override = settings(instances=["m.example"], hashtags={"solo": ["#SoloApp"]})
    assert len(build_mastodon_feeds(override, only_handle)) == 1


def test_rss_feed_specs() -> None:
    config = settings(feeds=[
        "https://news.example.com/feed.xml",
        {"url": "https://news.google.com/rss/search?q={query}&hl=ko", "channel": "news"},
        {"url": "https://itunes.apple.com/kr/rss/customerreviews/id=1/sortby=mostrecent/xml", "channel": "appstore",
         "brands": ["Acme"], "owned": True},
    ])
    acme = build_rss_feeds(config, ACME)
    assert [(f.channel, f.owned) for f in acme] == [("rss", False), ("news", False), ("appstore", True)]
    assert [f.channel for f in build_rss_feeds(config, GLOBEX)] == ["rss", "news"]
    spec = build_rss_feeds(config, GLOBEX)[1]
    assert spec.scope == "globex:feed:https://news.google.com/rss/search?q={query}&hl=ko"
    assert feed_url(FeedSpec(url="https://n.example/rss?q={query}"), ACME) == (
        "https://n.example/rss?q=acme+OR+acmehelp+OR+%EC%95%A0%ED%81%AC%EB%AF%B8+OR+%22acme+corp%22"
    )
    with pytest.raises(ConfigError, match=r"channels\.rss\.feeds\.0\.url"):
        build_rss_feeds(settings(feeds=["ftp://x"]), ACME)
    with pytest.raises(ConfigError, match=r"channels\.rss\.feeds"):
        build_rss_feeds(settings(), ACME)
    with pytest.raises(ConfigError, match="marked owned but names no brand"):
        build_rss_feeds(settings(feeds=[{"url": "https://a.example/f", "owned": True}]), ACME)


def test_bluesky_credentials_are_optional_but_must_come_in_pairs() -> None:
    assert build_bluesky_feeds(settings(), GLOBEX)[0].scope == "globex:search:globex"
    with pytest.raises(CredentialError, match="BRANDPULSE_BLUESKY_APP_PASSWORD is not set"):
        build_bluesky_feeds(settings(), GLOBEX, bluesky_handle="brand.bsky.social", bluesky_app_password=None)
    with pytest.raises(ConfigError, match="BRANDPULSE_BLUESKY_HANDLE"):
        build_bluesky_feeds(settings(), GLOBEX, bluesky_handle=None, bluesky_app_password=SecretStr("p"))


def test_bluesky_logs_in_once_per_process(api: FakeApi, monkeypatch: pytest.MonkeyPatch) -> None:
    import listeners.bluesky.client as sessions

    monkeypatch.setattr(sessions, "SESSIONS", SessionCache())
    api.route(LOGIN_PATH, Reply(200, {"accessJwt": "jwt-1"}))
    api.route(SEARCH_PATH, Reply(200, {"posts": []}))
    secrets = Secrets(_env_file=None, bluesky_handle="b.bsky.social", bluesky_app_password=SecretStr("pw"))  # type: ignore[call-arg]
    for feed in CHANNELS["bluesky"].feeds(settings(host=api.url), Brand(name="A", terms=["a", "b"]), secrets):
        assert feed.fetch(None).error is None
    assert api.paths() == [LOGIN_PATH, SEARCH_PATH, SEARCH_PATH]
    assert {r.headers.get("authorization") for r in api.requests[1:]} == {"Bearer jwt-1"}


def test_hackernews_feed_loads_only_real_matches_and_saves_the_cursor(api: FakeApi, warehouse: Warehouse) -> None:
    def page(seen):  # type: ignore[no-untyped-def]
        return Reply(200, fixture_json(f"hn_search_page{seen.query['page'][0]}.json"))

    api.route(HN_PATH, page)
    feed = build_hackernews_feeds(settings(host=api.url), Brand(name="Acme", terms=["acme"]))[0]
    matcher = BrandMatcher.from_brands([ACME, GLOBEX])
    first = listen_feed(warehouse, feed, "Acme", matcher, run_id="r1")
    assert (first.outcome, first.fetched, first.inserted, first.rejected) == ("ok", 3, 3, 1)
    assert first.cursor == "1795084867"
    again = listen_feed(warehouse, feed, "Acme", matcher, run_id="r2")
    assert (again.inserted, again.duplicates, again.cursor) == (0, 3, "1795084867")
    assert api.requests[-1].query["numericFilters"] == ["created_at_i>1795084747"]


def test_a_failing_feed_keeps_what_it_fetched_without_moving_the_cursor(api: FakeApi, warehouse: Warehouse) -> None:
    def page(seen):  # type: ignore[no-untyped-def]
        if seen.query["page"] == ["0"]:
            return Reply(200, fixture_json("hn_search_page0.json"))
        return Reply(403, b"")

    api.route(HN_PATH, page)
    feed = build_hackernews_feeds(settings(host=api.url), Brand(name="Acme", terms=["acme"]))[0]
    result = listen_feed(warehouse, feed, "Acme", BrandMatcher.from_brands([ACME]), run_id="r1")
    assert (result.outcome, result.inserted, result.cursor) == ("failed", 2, None)
    with warehouse.write() as con:
        assert get_cursor(con, "hackernews", feed.scope) is None


def test_owned_review_feed_keeps_reviews_that_do_not_name_the_brand(api: FakeApi, warehouse: Warehouse) -> None:
    api.route("/reviews", Reply(200, fixture("appstore_reviews.xml"), {"Content-Type": "application/xml"}))
    config = settings(feeds=[{"url": f"{api.url}/reviews", "channel": "appstore", "brands": ["Acme"], "owned": True}])
    feed = build_rss_feeds(config, ACME)[0]
    result = listen_feed(warehouse, feed, "Acme", BrandMatcher.from_brands([ACME, GLOBEX]), run_id="r1")
    assert (result.inserted, result.rejected, result.unmatched) == (2, 1, 0)
    assert result.cursor == "2026-11-19T10:12:45Z|11223344556"
    with warehouse.read() as con:
        rows = con.execute("SELECT m.rating, b.brand FROM mentions m JOIN mention_brands b USING (channel, id) "
                           "WHERE m.channel = 'appstore' ORDER BY m.rating").fetchall()
    assert rows == [(1.0, "Acme"), (5.0, "Acme")]
    not_owned = build_rss_feeds(settings(feeds=[f"{api.url}/reviews"]), ACME)[0]
    other = listen_feed(warehouse, not_owned, "Acme", BrandMatcher.from_brands([ACME]), run_id="r2")
    assert (other.inserted, other.unmatched) == (0, 2)  # reviews that never say "Acme" are not Acme's elsewhere


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<html>we are down</html>", "not JSON"),
        ({"error": "This method requires an authenticated user"}, "expected an array, got an object with keys error"),
    ],
)
def test_mastodon_junk_200_is_a_channel_failure_with_the_reason(
    api: FakeApi, warehouse: Warehouse, body: object, reason: str
) -> None:
    api.route("/api/v1/timelines/tag/acme", Reply(200, body))
    results = listen_channel(
        warehouse,
        "mastodon",
        settings(instances=[api.url], hashtags={"Acme": ["acme"]}),
        NO_SECRETS,
        ACME,
        BrandMatcher.from_brands([ACME]),
        run_id="r1",
    )
    assert [(r.outcome, r.inserted) for r in results] == [("failed", 0)]
    status = channel_status(results)
    assert status.startswith("failed: mastodon: /api/v1/timelines/tag/acme answered HTTP 200") and reason in status
    assert len(api.requests) == 1  # junk is not retried within the run: the next run tries again


def test_hackernews_403_does_not_blame_a_credential(api: FakeApi, warehouse: Warehouse) -> None:
    api.route(HN_PATH, Reply(403, b"Forbidden"))
    results = listen_channel(
        warehouse, "hackernews", settings(host=api.url), NO_SECRETS, Brand(name="Acme", terms=["acme"]),
        BrandMatcher.from_brands([ACME]), run_id="r1",
    )
    status = channel_status(results)
    assert status.startswith("failed: hackernews: HTTP 403 Forbidden: the server refused access")
    assert "credential in" not in status and "BRANDPULSE_" not in status and "sends no credential" in status
