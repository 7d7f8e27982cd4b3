"""The contract every registered channel's feeds pass: UTC times, skip rules, idempotent re-fetch, monotonic cursor.

The tests run once per channel in `listeners.registry.CHANNELS`: each case serves a small platform dataset from a
local server on 127.0.0.1 (one item of it must be skipped) and builds the channel's feed through the registry, with
`[channels.NAME]` settings pointing at that server. A registered channel without a case fails: add a `ContractCase`
to `CASES` when you add a channel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from helpers.listen_server import FakeApi, Reply, fake_api

from listeners.bluesky.listener import BlueskyListener
from listeners.cursors import newest_value
from listeners.feeds import Feed, ListenerFeed, per_fetch
from listeners.hackernews.listener import HackerNewsListener
from listeners.reddit.listener import cursor_key
from listeners.registry import CHANNELS
from listeners.retry import RetryPolicy
from listeners.youtube.listener import YouTubeListener
from models.brands import Brand
from models.channels import ChannelSettings

POLICY = RetryPolicy(base_delay=0.0, jitter=0.0, max_attempts=2)
BRAND = Brand(name="Acme", terms=["acme"])


@dataclass
class ContractCase:
    """A channel under the contract: its server fake, how to add a newer item, its settings for that server."""

    name: str
    serve: Callable[[FakeApi], None]  # scripts the server with the dataset
    add_newer: Callable[[], str]  # adds one item newer than all others to the dataset; returns its Mention id
    settings: Callable[[FakeApi], dict[str, Any]]  # the [channels.NAME] keys that point the channel at the server
    skipped_ids: frozenset[str]  # items in the dataset that must never come out (deleted, removed, empty)
    secrets: dict[str, Any] = field(default_factory=dict)
    cursor_order: Callable[[str], Any] = lambda value: newest_value([value])
    # Channels that re-read a margin before the cursor (search indexes lag) check the cursor itself on a feed built
    # the same way but with no margin; the margin is tested on its own.
    without_overlap: Callable[[FakeApi], Feed] | None = None

    def registered_feed(self, api: FakeApi) -> Feed:
        """The channel's first feed for BRAND, built through the registry."""
        settings = ChannelSettings(enabled=True, max_pages=5, **self.settings(api))
        return CHANNELS[self.name].feeds(settings, BRAND, _Secrets(self.secrets))[0]

    def feed(self, api: FakeApi) -> Feed:
        """The feed the cursor tests use."""
        return self.without_overlap(api) if self.without_overlap else self.registered_feed(api)


class _Secrets:
    """Secrets as attributes, like the flows' `Secrets`; a channel reads only the ones it declares."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)

    def __getattr__(self, name: str) -> None:
        return None


# ---------------------------------------------------------------------------------------------------- X


class XData:
    def __init__(self) -> None:
        self.tweets = [
            {"id": "1860000000000000003", "text": "Acme again", "created_at": "2026-11-19T19:00:00+09:00"},
            {"id": "1860000000000000002", "text": "   ", "created_at": "2026-11-19T09:59:00Z"},  # empty: skipped
            {"id": "1860000000000000001", "text": "acme &amp; me", "created_at": "2026-11-19T09:58:00Z"},
        ]

    def serve(self, api: FakeApi) -> None:
        def search(query: dict[str, list[str]]) -> Reply:
            since = int(query.get("since_id", ["0"])[0])
            data = [t for t in self.tweets if int(t["id"]) > since]
            meta: dict[str, Any] = {"result_count": len(data)}
            if data:
                meta["newest_id"] = max((t["id"] for t in data), key=int)
            return Reply({"data": data, "meta": meta} if data else {"meta": meta})

        api.handle("/2/tweets/search/recent", search)

    def add_newer(self) -> str:
        self.tweets.insert(0, {"id": "1860000000000000009", "text": "Acme new", "created_at": "2026-11-20T00:00:00Z"})
        return "1860000000000000009"

    @staticmethod
    def settings(api: FakeApi) -> dict[str, Any]:
        return {"api_url": api.url, "mentions": False}


# ---------------------------------------------------------------------------------------------------- Reddit


class RedditData:
    def __init__(self) -> None:
        base = {"author": "kim", "parent_id": "t3_p", "link_id": "t3_p", "score": 1}
        self.comments = [
            {**base, "id": "c3", "name": "t1_c3", "body": "Acme 최고", "created_utc": 1763546400.0},
            {**base, "id": "c2", "name": "t1_c2", "body": "[removed]", "created_utc": 1763546300.0},
            {**base, "id": "c1", "name": "t1_c1", "body": "[deleted]", "created_utc": 1763546200.0,
             "author": "[deleted]"},
            {**base, "id": "c0", "name": "t1_c0", "body": "acme &amp; co", "created_utc": 1763546100.0},
        ]

    def serve(self, api: FakeApi) -> None:
        token = {"access_token": "a", "token_type": "bearer", "expires_in": 3600, "scope": "*"}
        api.script("/api/v1/access_token", Reply(token))

        def comments(query: dict[str, list[str]]) -> Reply:
            children = [{"kind": "t1", "data": c} for c in self.comments]
            return Reply({"kind": "Listing", "data": {"after": None, "children": children}})

        api.handle("/r/korea/comments/", comments)

    def add_newer(self) -> str:
        self.comments.insert(0, {"id": "c9", "name": "t1_c9", "body": "Acme new", "created_utc": 1763550000.0,
                                 "author": "lee", "parent_id": "t3_p", "link_id": "t3_p"})
        return "t1_c9"

    @staticmethod
    def settings(api: FakeApi) -> dict[str, Any]:
        return {"oauth_url": api.url, "reddit_url": api.url, "search": False, "subreddits": ["korea"]}


def _x_case() -> ContractCase:
    data = XData()
    return ContractCase("x", data.serve, data.add_newer, data.settings, frozenset({"1860000000000000002"}),
                        secrets={"x_bearer_token": "t"})


def _reddit_case() -> ContractCase:
    data = RedditData()
    return ContractCase("reddit", data.serve, data.add_newer, data.settings, frozenset({"t1_c1", "t1_c2"}),
                        secrets={"reddit_client_id": "id", "reddit_client_secret": "secret",
                                 "reddit_user_agent": "tests"},
                        cursor_order=cursor_key)


# Factories, so every test gets a fresh dataset.
# ---------------------------------------------------------------------------------------------------- Hacker News,
# Bluesky, Mastodon, RSS (synthetic data shaped like each API; fakes honour the cursor parameters)


class HackerNewsData:
    def __init__(self) -> None:
        self.hits = [
            {"objectID": "903", "created_at_i": 1795084867, "comment_text": "<p>Acme &amp; me</p>", "author": "a",
             "_tags": ["comment"], "parent_id": 900},
            {"objectID": "902", "created_at_i": 1795084800, "comment_text": None, "_tags": ["comment"]},  # deleted
            {"objectID": "901", "created_at_i": 1795084200, "title": "Acme outage", "author": "b", "_tags": ["story"]},
        ]

    def serve(self, api: FakeApi) -> None:
        def search(query: dict[str, list[str]]) -> Reply:
            after = int(query.get("numericFilters", ["created_at_i>0"])[0].split(">")[1])
            return Reply({"hits": [h for h in self.hits if h["created_at_i"] > after], "nbPages": 1, "page": 0})

        api.handle("/api/v1/search_by_date", search)

    def add_newer(self) -> str:
        newer = {"objectID": "904", "created_at_i": 1795090000, "title": "Acme is back", "_tags": ["story"]}
        self.hits.insert(0, newer)
        return "904"

    @staticmethod
    def settings(api: FakeApi) -> dict[str, Any]:
        return {"host": api.url}

    @staticmethod
    def without_overlap(api: FakeApi) -> Feed:
        return ListenerFeed(
            "hackernews", "acme:search:acme",
            per_fetch(lambda client: HackerNewsListener(client, host=api.url, policy=POLICY, overlap_s=0)),
            lambda hn, cursor: hn.search("acme", since=cursor),
        )


class BlueskyData:
    def __init__(self) -> None:
        self.posts = [self._post("3c", "Acme & me", "2026-11-19T19:00:00+09:00", "2026-11-19T10:00:01Z"),
                      self._post("3b", "", "2026-11-19T09:59:00Z", "2026-11-19T09:59:01Z"),  # image only: skipped
                      self._post("3a", "acme again", "2026-11-19T09:58:00Z", "2026-11-19T09:58:01Z")]

    @staticmethod
    def _post(rkey: str, text: str, created: str, indexed: str) -> dict[str, Any]:
        return {"uri": f"at://did:plc:x/app.bsky.feed.post/{rkey}", "author": {"did": "did:plc:x", "handle": "x.test"},
                "record": {"text": text, "createdAt": created}, "indexedAt": indexed}

    def serve(self, api: FakeApi) -> None:
        def search(query: dict[str, list[str]]) -> Reply:
            since = query.get("since", [""])[0].replace(".000000Z", "Z")
            return Reply({"posts": [p for p in self.posts if p["indexedAt"] > since] if since else self.posts})

        api.handle("/xrpc/app.bsky.feed.searchPosts", search)

    def add_newer(self) -> str:
        self.posts.insert(0, self._post("3d", "Acme new", "2026-11-20T00:00:00Z", "2026-11-20T00:00:01Z"))
        return "at://did:plc:x/app.bsky.feed.post/3d"

    @staticmethod
    def settings(api: FakeApi) -> dict[str, Any]:
        return {"host": api.url}

    @staticmethod
    def without_overlap(api: FakeApi) -> Feed:
        return ListenerFeed(
            "bluesky", "acme:search:acme",
            per_fetch(lambda client: BlueskyListener(client, host=api.url, policy=POLICY, overlap=timedelta(0))),
            lambda bsky, cursor: bsky.search("acme", since=cursor),
        )


class MastodonData:
    def __init__(self) -> None:
        self.statuses = [self._status("30", "<p>Acme &amp; me</p>", "2026-11-19T10:00:00.000Z"),
                         self._status("20", "<p></p>", "2026-11-19T09:59:00.000Z"),  # empty: skipped
                         self._status("10", "acme again", "2026-11-19T09:58:00.000Z")]

    @staticmethod
    def _status(local_id: str, content: str, created: str) -> dict[str, Any]:
        uri = f"https://m.test/users/a/statuses/{local_id}"
        return {"id": local_id, "uri": uri, "content": content, "created_at": created, "account": {"acct": "a"}}

    def serve(self, api: FakeApi) -> None:
        def timeline(query: dict[str, list[str]]) -> Reply:
            after = int(query.get("min_id", ["0"])[0])
            return Reply([s for s in self.statuses if int(s["id"]) > after])

        api.handle("/api/v1/timelines/tag/acme", timeline)

    def add_newer(self) -> str:
        self.statuses.insert(0, self._status("40", "Acme new", "2026-11-20T00:00:00.000Z"))
        return "https://m.test/users/a/statuses/40"

    @staticmethod
    def settings(api: FakeApi) -> dict[str, Any]:
        return {"instances": [api.url]}


class RssData:
    def __init__(self) -> None:
        self.items = [("n3", "Acme &amp;amp; me", "Thu, 19 Nov 2026 10:00:00 GMT"),
                      ("n2", "", "Thu, 19 Nov 2026 09:59:00 GMT"),  # no title or text: skipped
                      ("n1", "acme again", "Thu, 19 Nov 2026 09:58:00 +0000")]

    def serve(self, api: FakeApi) -> None:
        def feed(query: dict[str, list[str]]) -> Reply:
            items = "".join(f"<item><guid>{g}</guid><title>{t}</title><pubDate>{d}</pubDate></item>"
                            for g, t, d in self.items)
            return Reply(f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>',
                         headers={"Content-Type": "application/rss+xml"})

        api.handle("/feed.xml", feed)

    def add_newer(self) -> str:
        self.items.insert(0, ("n4", "Acme new", "Fri, 20 Nov 2026 00:00:00 GMT"))
        return "n4"

    @staticmethod
    def settings(api: FakeApi) -> dict[str, Any]:
        return {"feeds": [f"{api.url}/feed.xml"]}


# ---------------------------------------------------------------------------------------------------- Naver, YouTube
# (shaped like the documented responses; the Naver fake ignores the cursor, as the API does: the listener stops at
# the link it saw last)


class NaverData:
    # Dated today: the listener stops at items far older than its saved cursor, as a date-sorted listing allows.
    TODAY = datetime.now(ZoneInfo("Asia/Seoul")).strftime("%Y%m%d")

    def __init__(self) -> None:
        self.items = [self._item("3", "<b>Acme</b> &amp; me", self.TODAY),
                      self._item("2", "", self.TODAY),  # empty description: skipped
                      self._item("1", "acme again", self.TODAY)]

    @staticmethod
    def _item(n: str, description: str, postdate: str) -> dict[str, Any]:
        return {"title": f"post {n}", "link": f"https://blog.naver.com/kim/{n}", "description": description,
                "bloggername": "김", "bloggerlink": "blog.naver.com/kim", "postdate": postdate}

    def serve(self, api: FakeApi) -> None:
        def search(query: dict[str, list[str]]) -> Reply:
            return Reply({"lastBuildDate": "Thu, 19 Nov 2026 19:00:00 +0900", "total": len(self.items), "start": 1,
                          "display": len(self.items), "items": self.items})

        api.handle("/v1/search/blog.json", search)

    def add_newer(self) -> str:
        self.items.insert(0, self._item("4", "Acme new", self.TODAY))
        return "https://blog.naver.com/kim/4"

    @staticmethod
    def settings(api: FakeApi) -> dict[str, Any]:
        return {"api_url": api.url, "endpoints": ["blog"]}


class YouTubeData:
    def __init__(self) -> None:
        self.comments = [self._thread("c3", "Acme & me", "2026-11-19T10:00:00Z"),
                         self._thread("c2", "", "2026-11-19T09:59:00Z"),  # no text: skipped
                         self._thread("c1", "acme again", "2026-11-19T09:58:00Z")]

    @staticmethod
    def _thread(comment_id: str, text: str, published: str) -> dict[str, Any]:
        snippet = {"videoId": "vid1", "textDisplay": text, "textOriginal": text, "authorDisplayName": "@kim",
                   "authorChannelId": {"value": "UCkim"}, "likeCount": 2, "publishedAt": published,
                   "updatedAt": published}
        return {"kind": "youtube#commentThread", "id": comment_id,
                "snippet": {"channelId": "UCacme", "videoId": "vid1", "totalReplyCount": 0, "canReply": True,
                            "isPublic": True,
                            "topLevelComment": {"kind": "youtube#comment", "id": comment_id, "snippet": snippet}}}

    def serve(self, api: FakeApi) -> None:
        video = {"kind": "youtube#searchResult", "id": {"kind": "youtube#video", "videoId": "vid1"},
                 "snippet": {"publishedAt": "2026-11-19T09:00:00Z", "channelId": "UCacme", "title": "Acme review",
                             "description": "", "channelTitle": "Acme", "liveBroadcastContent": "none"}}
        api.script("/youtube/v3/search", Reply({"kind": "youtube#searchListResponse", "items": [video],
                                                "pageInfo": {"totalResults": 1, "resultsPerPage": 50}}))
        api.handle("/youtube/v3/commentThreads",
                   lambda query: Reply({"kind": "youtube#commentThreadListResponse", "items": self.comments}))

    def add_newer(self) -> str:
        self.comments.insert(0, self._thread("c4", "Acme new", "2026-11-20T00:00:00Z"))
        return "c4"

    @staticmethod
    def settings(api: FakeApi) -> dict[str, Any]:
        return {"api_url": api.url}

    @staticmethod
    def without_overlap(api: FakeApi) -> Feed:
        return ListenerFeed(
            "youtube", "acme:search",
            per_fetch(lambda client: YouTubeListener(client, api_key="k", api_url=api.url, policy=POLICY,
                                                     overlap=timedelta(0))),
            lambda yt, cursor: yt.search("acme", since=cursor),
        )


def _naver_case() -> ContractCase:
    data = NaverData()
    return ContractCase("naver", data.serve, data.add_newer, data.settings, frozenset({"https://blog.naver.com/kim/2"}),
                        secrets={"naver_client_id": "id", "naver_client_secret": "secret"})


def _youtube_case() -> ContractCase:
    data = YouTubeData()
    return ContractCase("youtube", data.serve, data.add_newer, data.settings, frozenset({"c2"}),
                        secrets={"youtube_api_key": "key"}, without_overlap=data.without_overlap)


def _free_case(name: str, data: Any, skipped: set[str]) -> Callable[[], ContractCase]:
    def factory() -> ContractCase:
        instance = data()
        return ContractCase(name, instance.serve, instance.add_newer, instance.settings, frozenset(skipped),
                            without_overlap=getattr(instance, "without_overlap", None))

    factory.__name__ = f"_{name}_case"
    return factory


_FREE_CASES = [
    _free_case("hackernews", HackerNewsData, {"902"}),
    _free_case("bluesky", BlueskyData, {"at://did:plc:x/app.bsky.feed.post/3b"}),
    _free_case("mastodon", MastodonData, {"https://m.test/users/a/statuses/20"}),
    _free_case("rss", RssData, {"n2"}),
]


CASES: dict[str, Callable[[], ContractCase]] = {
    factory.__name__.strip("_").removesuffix("_case"): factory
    for factory in [_x_case, _reddit_case, _naver_case, _youtube_case, *_FREE_CASES]
}


@pytest.fixture(params=sorted(CHANNELS))
def case(request: pytest.FixtureRequest) -> ContractCase:
    if request.param not in CASES:
        pytest.fail(f"channel {request.param!r} is registered but has no ContractCase in {__name__}")
    return CASES[request.param]()


def test_first_fetch_is_utc_skips_what_must_be_skipped_and_sets_a_cursor(case: ContractCase) -> None:
    with fake_api() as api:
        case.serve(api)
        feed = case.registered_feed(api)
        batch = feed.fetch(None)
    assert isinstance(feed, ListenerFeed) and feed.channel == case.name
    assert batch.error is None and batch.mentions
    assert not {m.id for m in batch.mentions} & case.skipped_ids
    assert all(m.created_at.utcoffset() == timedelta(0) and m.created_at.tzinfo is UTC for m in batch.mentions)
    assert all("&amp;" not in m.text for m in batch.mentions)
    assert batch.cursor is not None and batch.cursor.channel == case.name


def test_refetch_gives_the_same_items_and_from_the_cursor_nothing(case: ContractCase) -> None:
    with fake_api() as api:
        case.serve(api)
        first = case.feed(api).fetch(None)
        again = case.feed(api).fetch(None)
        assert first.cursor is not None
        after = case.feed(api).fetch(first.cursor.value)
    assert [m.id for m in again.mentions] == [m.id for m in first.mentions]
    assert after.mentions == [] and after.cursor is None  # nothing new: the cursor stays where it is


def test_the_cursor_only_moves_forward_to_new_items(case: ContractCase) -> None:
    with fake_api() as api:
        case.serve(api)
        first = case.feed(api).fetch(None)
        assert first.cursor is not None
        new_id = case.add_newer()
        second = case.feed(api).fetch(first.cursor.value)
    assert [m.id for m in second.mentions] == [new_id]
    assert second.cursor is not None
    assert case.cursor_order(second.cursor.value) > case.cursor_order(first.cursor.value)
