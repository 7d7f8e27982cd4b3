"""YouTube listener: videos and comment threads, replies, cursor, per-video skips, API errors, quota, feeds."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from helpers.listen_server import FakeApi, Reply, fake_api

from listeners.feeds import drain
from listeners.quota import QuotaBudget, QuotaLedger
from listeners.retry import RetryPolicy
from listeners.youtube.feeds import build_youtube_feeds
from listeners.youtube.listener import YouTubeListener, comment_to_mention, thread_comments, video_to_mention
from listeners.youtube.query import youtube_query
from models.brands import Brand
from models.channels import ChannelSettings
from models.errors import ConfigError, CredentialError, FatalError, QuotaExhausted, RecordError
from models.mention import Mention, Reject

PACIFIC = ZoneInfo("America/Los_Angeles")
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC).timestamp()
SEARCH = "/youtube/v3/search"
THREADS = "/youtube/v3/commentThreads"
CHANNELS = "/youtube/v3/channels"
POLICY = RetryPolicy(base_delay=0.0, jitter=0.0, max_attempts=3)


def video(video_id: str, published: str = "2026-11-19T09:00:00Z", description: str = "") -> dict[str, Any]:
    """A search.list result, as documented (snippet titles HTML-escaped)."""
    return {"kind": "youtube#searchResult", "etag": "e", "id": {"kind": "youtube#video", "videoId": video_id},
            "snippet": {"publishedAt": published, "channelId": "UCreviewer", "title": "Acme &#39;outage&#39; review",
                        "description": description, "channelTitle": "Tech Kim", "liveBroadcastContent": "none",
                        "publishTime": published}}


def comment(comment_id: str, text: str, published: str, *, video_id: str = "vid1", parent: str | None = None,
            author: str = "UCkim", name: str = "@kim") -> dict[str, Any]:
    snippet: dict[str, Any] = {
        "channelId": "UCreviewer", "videoId": video_id, "textDisplay": text, "textOriginal": text,
        "authorDisplayName": name, "authorProfileImageUrl": "https://yt3.example/a.jpg",
        "authorChannelUrl": f"http://www.youtube.com/channel/{author}", "authorChannelId": {"value": author},
        "canRate": True, "viewerRating": "none", "likeCount": 7, "publishedAt": published, "updatedAt": published,
    }
    if parent:
        snippet["parentId"] = parent
    return {"kind": "youtube#comment", "etag": "e", "id": comment_id, "snippet": snippet}


def thread(top: dict[str, Any], replies: list[dict[str, Any]] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    body: dict[str, Any] = {
        "kind": "youtube#commentThread", "etag": "e", "id": top["id"],
        "snippet": {"channelId": "UCreviewer", "videoId": top["snippet"]["videoId"], "topLevelComment": top,
                    "canReply": True, "totalReplyCount": len(replies), "isPublic": True},
    }
    if replies:
        body["replies"] = {"comments": list(replies)}
    return body


def listing(kind: str, items: list[Any], next_token: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": f"youtube#{kind}ListResponse", "etag": "e", "items": items,
                            "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)}}
    if next_token:
        body["nextPageToken"] = next_token
    return body


def google_error(code: int, reason: str, message: str) -> Reply:
    """An error body as the Google APIs send it."""
    return Reply({"error": {"code": code, "message": message,
                            "errors": [{"message": message, "domain": "youtube.quota", "reason": reason}]}},
                 status=code)


@pytest.fixture
def api() -> Iterator[FakeApi]:
    with fake_api() as running:
        yield running


def listener(client: httpx.Client, api: FakeApi, **kwargs: Any) -> YouTubeListener:
    return YouTubeListener(client, api_key="the-key", api_url=api.url, policy=POLICY, sleep=lambda _: None,
                           clock=lambda: NOW, **kwargs)


def budget(daily: int = 10_000, share: float = 1.0) -> QuotaBudget:
    return QuotaBudget("youtube", daily, share, PACIFIC, clock=lambda: NOW)


# ---------------------------------------------------------------------------------------------------- parsing


def test_video_comment_and_reply() -> None:
    post = video_to_mention(video("vid1", description="Acme app down for 3 hours"))
    assert post is not None and post.kind == "post" and post.id == "vid1"
    assert post.text == "Acme 'outage' review\n\nAcme app down for 3 hours"
    assert (post.author_id, post.author_handle) == ("UCreviewer", "Tech Kim")
    top = comment("Ugz1", "애크미 또 먹통", "2026-11-19T10:00:00Z")
    reply = comment("Ugz1.r1", "불편을 드려 죄송합니다", "2026-11-19T10:14:00Z", parent="Ugz1", author="UCacme",
                    name="@acmehelp")
    pairs = thread_comments(thread(top, [reply]))
    first, second = (comment_to_mention(c, top_level_id=parent) for c, parent in pairs)
    assert first is not None and (first.kind, first.parent_id, first.metrics) == ("comment", None, {"likes": 7.0})
    assert first.url == "https://www.youtube.com/watch?v=vid1&lc=Ugz1"
    assert second is not None and (second.kind, second.parent_id) == ("reply", "Ugz1")
    assert (second.author_id, second.author_handle) == ("UCacme", "@acmehelp")
    assert second.created_at == datetime(2026, 11, 19, 10, 14, tzinfo=UTC)


def test_empty_comments_are_skipped_and_junk_rejected() -> None:
    assert comment_to_mention(comment("x", "  ", "2026-11-19T10:00:00Z")) is None
    with pytest.raises(RecordError, match="no readable publishedAt"):
        comment_to_mention(comment("x", "hi", "last week"))
    with pytest.raises(RecordError, match="no topLevelComment"):
        thread_comments({"id": "t", "snippet": {}})
    with pytest.raises(RecordError, match=r"no id\.videoId"):
        video_to_mention({"id": {"kind": "youtube#channel", "channelId": "UC"}, "snippet": {}})


def test_query_ors_terms_and_negates_exclusions() -> None:
    brand = Brand(name="Acme", terms=["acme", "#acme", "애크미", "acme store"], exclude=["acme anvil"])
    assert youtube_query(brand) == 'acme|애크미|"acme store" -"acme anvil"'
    with pytest.raises(ConfigError, match="35 characters, over the platform's 32"):
        youtube_query(brand, max_chars=32)


# ---------------------------------------------------------------------------------------------------- the listener


def test_videos_then_their_comment_threads_paged_with_the_key_and_quota_counted(
    api: FakeApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="httpx")
    api.script(SEARCH, Reply(listing("search", [video("vid1"), video("vid2")], "CAIQAA")),
               Reply(listing("search", [])))
    threads = {
        "vid1": [Reply(listing("commentThread", [thread(comment("c2", "acme 2", "2026-11-19T10:02:00Z"))], "p2")),
                 Reply(listing("commentThread", [thread(comment("c1", "acme 1", "2026-11-19T10:01:00Z"))]))],
        "vid2": [Reply(listing("commentThread", [thread(comment("d1", "acme d", "2026-11-19T11:00:00Z",
                                                                video_id="vid2"))]))],
    }
    api.handle(THREADS, lambda query: threads[query["videoId"][0]].pop(0))
    api.script(CHANNELS, Reply(listing("channel", [{"kind": "youtube#channel", "id": "UCreviewer", "statistics": {
        "viewCount": "912345", "subscriberCount": "48200", "hiddenSubscriberCount": False, "videoCount": "311"}}])))
    quota = budget()
    with httpx.Client(timeout=5) as client:
        yt = listener(client, api, quota=quota)
        items = list(yt.search("acme|애크미", comment_pages=5))
    assert [i.id for i in items if isinstance(i, Mention)] == ["vid1", "c2", "c1", "vid2", "d1"]
    first = api.calls(SEARCH)[0]
    assert first.query["q"] == ["acme|애크미"] and "key" not in first.query
    assert first.headers["x-goog-api-key"] == "the-key"
    assert "the-key" not in caplog.text  # httpx logs each request URL at INFO
    assert first.query["type"] == ["video"] and first.query["order"] == ["date"]
    assert first.query["publishedAfter"] == ["2026-11-13T03:00:00Z"]  # video_days = 7
    assert api.calls(SEARCH)[1].query["pageToken"] == ["CAIQAA"]
    assert api.calls(THREADS)[1].query["pageToken"] == ["p2"]
    assert api.calls(THREADS)[0].query["order"] == ["time"]
    assert [i.author_followers for i in items if isinstance(i, Mention) and i.kind == "post"] == [48200, 48200]
    assert api.calls(CHANNELS)[0].query == {"part": ["statistics"], "id": ["UCreviewer"], "maxResults": ["50"]}
    assert yt.last.quota_used == 2 * 100 + 1 + 3 * 1 == quota.used  # one channels.list for the uploaders
    assert yt.last.resume_from == "2026-11-19T11:00:00+00:00"
    assert "search.list × 2" in yt.last.quota_note and "commentThreads.list × 3" in yt.last.quota_note


def test_from_a_cursor_only_newer_comments_and_paging_stops_at_it(api: FakeApi) -> None:
    api.script(SEARCH, Reply(listing("search", [video("vid1", "2026-11-18T00:00:00Z")])))
    api.script(THREADS, Reply(listing("commentThread", [
        thread(comment("c3", "acme 3", "2026-11-19T12:00:00Z"),
               [comment("c1.r", "acme reply", "2026-11-19T12:30:00Z", parent="c1")]),
        thread(comment("c1", "acme 1", "2026-11-19T09:00:00Z")),
    ], "more")))
    with httpx.Client(timeout=5) as client:
        yt = listener(client, api)
        items = list(yt.search("acme", since="2026-11-19T10:00:00+00:00"))
    assert [i.id for i in items if isinstance(i, Mention)] == ["c3", "c1.r"]  # the old video and c1 were stored
    assert len(api.calls(THREADS)) == 1  # that page reached the cursor
    assert yt.last.resume_from == "2026-11-19T12:30:00+00:00"


def test_a_capped_comment_listing_moves_the_cursor_and_says_so(api: FakeApi) -> None:
    api.script(SEARCH, Reply(listing("search", [video("vid1")])))
    api.script(THREADS, Reply(listing("commentThread", [thread(comment("c9", "acme", "2026-11-19T10:00:00Z"))],
                                      "older")))
    with httpx.Client(timeout=5) as client:
        yt = listener(client, api)
        list(yt.search("acme", comment_pages=1))
    assert len(api.calls(THREADS)) == 1 and yt.last.truncated
    assert yt.last.resume_from == "2026-11-19T10:00:00+00:00"
    assert any("stopped at the page cap" in note for note in yt.last.notes())


def test_hidden_or_unreadable_subscriber_counts_leave_reach_empty(api: FakeApi) -> None:
    api.script(SEARCH, Reply(listing("search", [video("vid1")])))
    api.script(THREADS, Reply(listing("commentThread", [])))
    api.script(CHANNELS, Reply(listing("channel", [{"id": "UCreviewer", "statistics": {
        "subscriberCount": "0", "hiddenSubscriberCount": True}}])),
        Reply({"error": {"code": 500, "message": "Backend Error", "errors": [{"reason": "backendError"}]}},
              status=500))
    with httpx.Client(timeout=5) as client:
        hidden = listener(client, api)
        first = [i for i in hidden.search("acme") if isinstance(i, Mention)]
        failing = listener(client, api)  # the 500 repeats past the retries
        second = [i for i in failing.search("acme") if isinstance(i, Mention)]
    assert [m.author_followers for m in first + second] == [None, None]
    assert hidden.last.warnings == []
    assert failing.last.warnings == [
        "youtube: subscriber counts not read (youtube: the platform had a transient problem (HTTP 500 Internal "
        "Server Error): Backend Error)"
    ]


def test_comments_disabled_and_deleted_videos_are_skipped_with_reasons(api: FakeApi) -> None:
    api.script(SEARCH, Reply(listing("search", [video("off"), video("gone"), video("ok")])))
    replies = {
        "off": google_error(403, "commentsDisabled", "The video identified by the videoId parameter has disabled "
                                                     "comments."),
        "gone": google_error(404, "videoNotFound", "The video identified by the videoId parameter could not be "
                                                   "found."),
        "ok": Reply(listing("commentThread", [thread(comment("k1", "acme", "2026-11-19T10:00:00Z",
                                                             video_id="ok"))])),
    }
    api.handle(THREADS, lambda query: replies[query["videoId"][0]])
    with httpx.Client(timeout=5) as client:
        yt = listener(client, api)
        batch = drain(yt.search("acme"), yt, cursor=lambda: None)
    assert batch.error is None
    assert [m.id for m in batch.mentions] == ["off", "gone", "ok", "k1"]
    assert yt.last.skip_reasons == {"comments disabled": 1, "deleted or private video": 1}
    assert yt.last.resume_from is not None
    assert "search: 2 item(s) skipped (comments disabled: 1, deleted or private video: 1)" in batch.notes


def test_malformed_threads_and_comments_become_rejects(api: FakeApi) -> None:
    api.script(SEARCH, Reply(listing("search", [video("vid1")])))
    api.script(THREADS, Reply(listing("commentThread", [
        {"id": "t-broken", "snippet": {"videoId": "vid1"}},
        thread(comment("c-bad", "acme", "not a time")),
        thread(comment("c-empty", "", "2026-11-19T10:00:00Z")),
        thread(comment("c-ok", "acme ok", "2026-11-19T10:01:00Z")),
    ])))
    with httpx.Client(timeout=5) as client:
        yt = listener(client, api)
        items = list(yt.search("acme"))
    rejects = [i for i in items if isinstance(i, Reject)]
    assert [i.id for i in items if isinstance(i, Mention)] == ["vid1", "c-ok"]
    assert len(rejects) == 2 and "no topLevelComment" in rejects[0].reason and rejects[1].record_id == "c-bad"
    assert yt.last.skip_reasons == {"empty comment": 1}


def test_quota_exceeded_stops_at_once_keeps_the_cursor_and_waits_for_midnight_pacific(api: FakeApi) -> None:
    api.script(SEARCH, Reply(listing("search", [video("vid1"), video("vid2")])))
    api.handle(THREADS, lambda query: (
        Reply(listing("commentThread", [thread(comment("c1", "acme", "2026-11-19T10:00:00Z"))]))
        if query["videoId"] == ["vid1"]
        else google_error(403, "quotaExceeded", "The request cannot be completed because you have exceeded your "
                                                "<a href=\"/youtube/v3/getting-started#quota\">quota</a>.")))
    quota = budget()
    with httpx.Client(timeout=5) as client:
        yt = listener(client, api, quota=quota)
        batch = drain(yt.search("acme"), yt, cursor=lambda: None)
    assert [m.id for m in batch.mentions] == ["vid1", "c1", "vid2"]  # what came before is kept
    assert isinstance(batch.error, QuotaExhausted) and len(api.calls(THREADS)) == 2  # not retried
    assert batch.resume_at == datetime(2026, 11, 20, 0, 0, tzinfo=PACIFIC).timestamp()  # NOW is 19:00 PST
    assert yt.last.resume_from is None  # the cursor stays
    with httpx.Client(timeout=5) as client, pytest.raises(QuotaExhausted):
        list(listener(client, api, quota=quota).search("globex"))
    assert len(api.calls(SEARCH)) == 1  # nothing more is called today


def test_the_runs_share_is_checked_before_the_expensive_search(api: FakeApi) -> None:
    api.script(SEARCH, Reply(listing("search", [video("vid1")], "next")))
    api.script(THREADS, Reply(listing("commentThread", [])))
    quota = budget(daily=10_000, share=0.015)  # 150 units: a search, its uploaders, the comments; no 2nd search
    with httpx.Client(timeout=5) as client:
        yt = listener(client, api, quota=quota)
        batch = drain(yt.search("acme"), yt, cursor=lambda: None)
    assert len(api.calls(SEARCH)) == 1 and len(api.calls(THREADS)) == 1
    assert isinstance(batch.error, QuotaExhausted) and "102 of 150 units" in str(batch.error)


@pytest.mark.parametrize(
    ("reply", "error", "words"),
    [
        (google_error(400, "keyInvalid", "API key not valid. Please pass a valid API key."), CredentialError,
         "BRANDPULSE_YOUTUBE_API_KEY was rejected"),
        (Reply({"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.",
                          "errors": [{"message": "API key not valid.", "domain": "global", "reason": "badRequest"}],
                          "status": "INVALID_ARGUMENT",
                          "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                                       "reason": "API_KEY_INVALID", "domain": "googleapis.com"}]}}, status=400),
         CredentialError, "BRANDPULSE_YOUTUBE_API_KEY was rejected"),
        (google_error(403, "accessNotConfigured", "YouTube Data API v3 has not been used in project 1 before"),
         CredentialError, "enable the API"),
        (google_error(400, "invalidSearchFilter", "The request contains an invalid combination of filters"),
         FatalError, "invalid combination of filters"),
    ],
)
def test_refusals_name_the_fix_and_are_not_retried(
    api: FakeApi, reply: Reply, error: type[Exception], words: str
) -> None:
    api.script(SEARCH, reply)
    with httpx.Client(timeout=5) as client, pytest.raises(error) as raised:
        list(listener(client, api).search("acme"))
    assert words in str(raised.value) and "the-key" not in str(raised.value)
    assert len(api.calls(SEARCH)) == 1


def test_throttling_and_5xx_are_retried(api: FakeApi) -> None:
    api.script(SEARCH, google_error(403, "rateLimitExceeded", "slow down"), Reply("<html>oops</html>", status=503),
               Reply(listing("search", [])))
    with httpx.Client(timeout=5) as client:
        assert list(listener(client, api).search("acme")) == []
    assert len(api.calls(SEARCH)) == 3


def test_a_200_that_is_not_a_listing_fails_the_feed(api: FakeApi) -> None:
    api.script(SEARCH, Reply("<html>captive portal</html>"))
    with httpx.Client(timeout=5) as client, pytest.raises(FatalError, match="not JSON"):
        list(listener(client, api).search("acme"))


# ---------------------------------------------------------------------------------------------------- feeds


def test_one_feed_per_brand_and_a_missing_key_fails_before_any_call() -> None:
    settings = ChannelSettings(enabled=True, video_days=3)
    feeds = build_youtube_feeds(settings, Brand(name="Acme", terms=["acme"]), youtube_api_key="k",
                                ledger=QuotaLedger())
    assert [f.scope for f in feeds] == ["acme:search"]
    with pytest.raises(CredentialError, match="BRANDPULSE_YOUTUBE_API_KEY is not set"):
        build_youtube_feeds(settings, Brand(name="Acme", terms=["acme"]), youtube_api_key=None)
    with pytest.raises(ConfigError, match=r"channels\.youtube\.run_share"):
        build_youtube_feeds(ChannelSettings(enabled=True, run_share=2), Brand(name="A", terms=["a"]),
                            youtube_api_key="k")
