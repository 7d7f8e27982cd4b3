"""X listener: recorded API responses replayed, the pure parser, and a local server for the failure cases."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import tweepy
import vcr
from helpers.listen_server import FakeApi, Reply, fake_api

from listeners.feeds import ListenerFeed, shared
from listeners.retry import RetryPolicy
from listeners.x.client import x_client
from listeners.x.listener import Includes, XListener, partial_errors, snowflake_time, tweet_to_mention
from listeners.x.options import XOptions
from models.errors import CredentialError, FatalError, RateLimited, RecordError, RetryableError

RECORDED = Path(__file__).parents[1] / "fixtures" / "recorded" / "x"
REPLAY = vcr.VCR(record_mode="none", decode_compressed_response=True, match_on=["method", "host", "path"])
TOKEN = "secret-token-never-logged"
NO_WAIT = RetryPolicy(base_delay=0.0, jitter=0.0, max_attempts=3, max_wait_per_run=60.0)


class Clock:
    """A fake clock that sleeping moves forward, so rate-limit waits take no real time."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def listener_for(api: FakeApi, clock: Clock | None = None, policy: RetryPolicy = NO_WAIT) -> XListener:
    clock = clock or Clock()
    client = x_client(TOKEN, XOptions(api_url=api.url, timeout_s=5))
    return XListener(client, policy=policy, sleep=clock.sleep, clock=clock)


# ---------------------------------------------------------------------------------------------------- recordings


def test_recorded_recent_search_gives_utc_mentions_with_the_newest_id() -> None:
    with REPLAY.use_cassette(str(RECORDED / "test_client_search_recent_tweets.yaml"), allow_playback_repeats=True):
        listener = XListener(tweepy.Client("any", return_type=requests.Response), policy=NO_WAIT)
        mentions = list(listener.search("Tweepy", max_pages=1))
    assert len(mentions) == 10
    first = mentions[0]
    assert first.channel == "x" and first.id == "1578516068309794817" and first.kind == "post"
    assert first.text == "2022-10-07 22:42:12.637103 tweepy"
    # The recording asked for no tweet.fields, so the time comes from the snowflake id: it matches the text.
    assert first.created_at == datetime(2022, 10, 7, 22, 42, 12, 752000, tzinfo=UTC)
    assert all(m.created_at.tzinfo is UTC for m in mentions)
    assert first.url == "https://x.com/i/web/status/1578516068309794817"
    assert first.raw == {"data": {"edit_history_tweet_ids": ["1578516068309794817"], "id": "1578516068309794817",
                                  "text": "2022-10-07 22:42:12.637103 tweepy"}, "includes": {}}
    assert listener.last.newest == "1578516068309794817"
    assert listener.last.stopped_reason == "max_pages" and listener.last.truncated


def test_recorded_search_stops_on_a_repeated_page_token() -> None:
    # Replaying one page forever is exactly an API that hands back the same next_token.
    with REPLAY.use_cassette(str(RECORDED / "test_client_search_recent_tweets.yaml"), allow_playback_repeats=True):
        listener = XListener(tweepy.Client("any", return_type=requests.Response), policy=NO_WAIT)
        mentions = list(listener.search("Tweepy", max_pages=5))
    assert listener.last.pages == 2 and len(mentions) == 20
    assert listener.last.stopped_reason == "repeated_token"
    assert any("page token twice" in note for note in listener.last.notes())


def test_recorded_full_archive_search_waits_a_second_between_pages() -> None:
    clock = Clock()
    with REPLAY.use_cassette(str(RECORDED / "test_client_search_all_tweets.yaml"), allow_playback_repeats=True):
        client = tweepy.Client("any", return_type=requests.Response)
        listener = XListener(client, policy=NO_WAIT, sleep=clock.sleep, clock=clock)
        mentions = list(listener.search_all("Tweepy", max_pages=2))
    assert len(mentions) >= 10 and all(m.channel == "x" for m in mentions)
    assert clock.slept == [1.0]  # full-archive search allows one request per second


def test_listener_accepts_clients_with_the_default_return_type() -> None:
    with REPLAY.use_cassette(str(RECORDED / "test_client_search_recent_tweets.yaml"), allow_playback_repeats=True):
        mentions = list(XListener(tweepy.Client("any"), policy=NO_WAIT).search("Tweepy", max_pages=1))
    assert [m.id for m in mentions][:2] == ["1578516068309794817", "1578515564971970560"]


# ---------------------------------------------------------------------------------------------------- parsing


def _tweet(**fields: Any) -> dict[str, Any]:
    return {"id": "1860000000000000001", "text": "hello", "created_at": "2026-11-19T10:41:07.000Z", **fields}


INCLUDES = Includes(
    users={"42": {"id": "42", "username": "minji_9504", "public_metrics": {"followers_count": 312}}},
    tweets={
        "1850000000000000000": {
            "id": "1850000000000000000",
            "text": "Acme 배송 너무 느려요 … (cut)",
            "note_tweet": {"text": "Acme 배송 너무 느려요 &amp; 고객센터도 안 받아요. " + "정말 " * 60},
        }
    },
)


def test_a_retweet_is_a_repost_with_the_original_full_text() -> None:
    tweet = _tweet(
        text="RT @acmehelp: Acme 배송 너무 느려요 …",
        author_id="42",
        referenced_tweets=[{"type": "retweeted", "id": "1850000000000000000"}],
        public_metrics={"retweet_count": 5, "like_count": 0, "reply_count": 0, "quote_count": 0},
        lang="ko",
    )
    mention = tweet_to_mention(tweet, INCLUDES)
    assert mention is not None
    assert mention.kind == "repost" and mention.parent_id == "1850000000000000000"
    assert mention.text.startswith("Acme 배송 너무 느려요 & 고객센터도") and len(mention.text) > 140
    assert mention.author_handle == "minji_9504" and mention.author_followers == 312
    assert mention.url == "https://x.com/minji_9504/status/1860000000000000001"
    assert mention.metrics == {"reposts": 5.0, "likes": 0.0, "replies": 0.0, "quotes": 0.0}
    assert mention.raw is not None and mention.raw["includes"]["tweets"][0]["id"] == "1850000000000000000"


def test_a_quote_keeps_its_own_text_and_a_reply_points_to_its_parent() -> None:
    quote = tweet_to_mention(
        _tweet(text="this &lt;3 Acme", referenced_tweets=[{"type": "quoted", "id": "1850000000000000000"}]), INCLUDES
    )
    reply = tweet_to_mention(_tweet(referenced_tweets=[{"type": "replied_to", "id": "7"}], lang="und"))
    assert quote is not None and quote.kind == "quote" and quote.text == "this <3 Acme"
    assert reply is not None and (reply.kind, reply.parent_id, reply.lang) == ("reply", "7", None)


def test_a_retweet_whose_original_is_missing_keeps_its_own_text() -> None:
    mention = tweet_to_mention(_tweet(text="RT @a: Acme", referenced_tweets=[{"type": "retweeted", "id": "9"}]))
    assert mention is not None and mention.kind == "repost" and mention.text == "RT @a: Acme"


def test_empty_tweets_are_skipped_and_malformed_ones_raise() -> None:
    assert tweet_to_mention(_tweet(text="   ")) is None
    with pytest.raises(RecordError, match="no id"):
        tweet_to_mention({"text": "x"})
    with pytest.raises(RecordError, match="not a timestamp"):
        tweet_to_mention(_tweet(created_at="yesterday"))
    with pytest.raises(RecordError, match="not a snowflake"):
        tweet_to_mention({"id": "12", "text": "old"})


def test_snowflake_time_and_partial_errors() -> None:
    assert snowflake_time("1578516068309794817") == datetime(2022, 10, 7, 22, 42, 12, 752000, tzinfo=UTC)
    assert snowflake_time("abc") is None
    error = {"title": "Not Found Error", "resource_id": "99", "detail": "Could not find tweet with id: [99]."}
    body = {"errors": [error]}
    assert partial_errors(body) == ["x: partial error: Not Found Error (99): Could not find tweet with id: [99]."]


# ---------------------------------------------------------------------------------------------------- local server

SEARCH = "/2/tweets/search/recent"


def page(ids: list[str], *, next_token: str | None = None, **extra: Any) -> dict[str, Any]:
    data = [{"id": i, "text": f"Acme post {i}", "created_at": "2026-11-19T10:00:00Z", "author_id": "42"} for i in ids]
    meta: dict[str, Any] = {"result_count": len(ids)}
    if ids:
        meta |= {"newest_id": max(ids, key=int), "oldest_id": min(ids, key=int)}
    if next_token:
        meta["next_token"] = next_token
    return {"data": data, "meta": meta, **extra}


def test_expansions_includes_and_partial_errors_from_the_server() -> None:
    with fake_api() as api:
        api.script(SEARCH, Reply(page(
            ["1860000000000000003"],
            includes={"users": [{"id": "42", "username": "acme_fan", "public_metrics": {"followers_count": 9}}]},
            errors=[{"title": "Authorization Error", "resource_id": "5", "detail": "Sorry, you are not authorized"}],
        )))
        listener = listener_for(api)
        mentions = list(listener.search("acme lang:en", since_id="1860000000000000000"))
        seen = api.calls(SEARCH)[0]
    assert [(m.author_handle, m.author_followers) for m in mentions] == [("acme_fan", 9)]
    assert seen.query["since_id"] == ["1860000000000000000"] and seen.query["query"] == ["acme lang:en"]
    assert "referenced_tweets.id" in seen.query["expansions"][0]
    assert "public_metrics" in seen.query["user.fields"][0] and "created_at" in seen.query["tweet.fields"][0]
    assert seen.headers["authorization"] == f"Bearer {TOKEN}"
    assert listener.last.warnings == ["x: partial error: Authorization Error (5): Sorry, you are not authorized"]


def test_a_long_rate_limit_stops_the_channel_without_sleeping_and_keeps_what_was_fetched() -> None:
    clock = Clock()
    reset = int(clock.now) + 900
    with fake_api() as api:
        api.script(
            SEARCH,
            Reply(page(["1860000000000000002", "1860000000000000001"], next_token="p2")),
            Reply({"title": "Too Many Requests"}, status=429, headers={"x-rate-limit-reset": str(reset)}),
        )
        listener = listener_for(api, clock)
        feed = ListenerFeed("x", "acme:search", shared(listener), lambda x, c: x.search("acme", since_id=c))
        batch = feed.fetch("1850000000000000000")
    assert [m.id for m in batch.mentions] == ["1860000000000000002", "1860000000000000001"]
    assert isinstance(batch.error, RateLimited) and batch.cursor is None  # cursor kept: the gap is fetched next run
    assert batch.resume_at == pytest.approx(reset, abs=2)
    assert clock.slept == []


def test_remaining_zero_stops_before_the_next_call() -> None:
    clock = Clock()
    with fake_api() as api:
        headers = {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(int(clock.now) + 600)}
        api.script(SEARCH, Reply(page(["1860000000000000002"], next_token="p2"), headers=headers))
        listener = listener_for(api, clock)
        with pytest.raises(RateLimited, match="x-rate-limit-remaining: 0") as caught:
            list(listener.search("acme"))
        assert len(api.calls(SEARCH)) == 1
        # Windows are per endpoint: the mentions timeline is still open.
        api.script("/2/users/7/mentions", Reply(page(["1860000000000000005"])))
        assert [m.id for m in listener.mentions("7")] == ["1860000000000000005"]
    assert caught.value.resume_at == pytest.approx(clock.now + 600, abs=1)


def test_a_short_rate_limit_is_waited_out_once() -> None:
    clock = Clock()
    with fake_api() as api:
        api.script(
            SEARCH,
            Reply({}, status=429, headers={"x-rate-limit-reset": str(int(clock.now) + 5)}),
            Reply(page(["1860000000000000002"])),
        )
        mentions = list(listener_for(api, clock).search("acme"))
    assert [m.id for m in mentions] == ["1860000000000000002"] and clock.slept == [pytest.approx(5, abs=1)]


def test_a_5xx_storm_is_retried_then_surfaces_as_retryable() -> None:
    clock = Clock()
    with fake_api() as api:
        api.script(SEARCH, Reply({}, status=503), Reply({}, status=502), Reply(page(["1860000000000000002"])))
        assert len(list(listener_for(api, clock).search("acme"))) == 1
        api.script(SEARCH, Reply({"title": "Service Unavailable"}, status=503))
        with pytest.raises(RetryableError, match="HTTP 503"):
            list(listener_for(api, clock).search("acme"))
        assert len(api.calls(SEARCH)) == 3 + NO_WAIT.max_attempts


def test_401_names_the_setting_never_the_token() -> None:
    with fake_api() as api:
        api.script(SEARCH, Reply({"title": "Unauthorized", "detail": "Unauthorized"}, status=401))
        with pytest.raises(CredentialError) as caught:
            list(listener_for(api).search("acme"))
    assert "BRANDPULSE_X_BEARER_TOKEN" in str(caught.value) and TOKEN not in str(caught.value)
    assert caught.value.__suppress_context__  # the tweepy exception (with the request) is not chained


def test_a_bad_query_is_fatal_with_the_platform_reason() -> None:
    with fake_api() as api:
        message = "There were errors processing your request: no viable alternative at input 'lang:'"
        api.script(SEARCH, Reply({"errors": [{"message": message}], "title": "Invalid Request"}, status=400))
        with pytest.raises(FatalError, match="no viable alternative"):
            list(listener_for(api).search("acme lang:"))


def test_paging_follows_next_token_and_stops_at_a_repeated_one() -> None:
    with fake_api() as api:
        api.script(
            SEARCH,
            Reply(page(["1860000000000000004", "1860000000000000003"], next_token="a")),
            Reply(page([], next_token="b")),  # X can return an empty page that still has a next token
            Reply(page(["1860000000000000002"], next_token="a")),
        )
        listener = listener_for(api)
        mentions = list(listener.search("acme", max_pages=10))
        tokens = [seen.query.get("next_token") for seen in api.calls(SEARCH)]
    assert [m.id for m in mentions] == ["1860000000000000004", "1860000000000000003", "1860000000000000002"]
    assert tokens == [None, ["a"], ["b"]]
    assert listener.last.stopped_reason == "repeated_token" and listener.last.newest == "1860000000000000004"


def test_mentions_endpoint_uses_the_user_id_and_pagination_token() -> None:
    path = "/2/users/1102938475610293847/mentions"
    with fake_api() as api:
        api.script(path, Reply(page(["1860000000000000009"], next_token="n1")), Reply(page(["1860000000000000008"])))
        mentions = list(listener_for(api).mentions("1102938475610293847", since_id="1"))
        calls = api.calls(path)
    assert [m.id for m in mentions] == ["1860000000000000009", "1860000000000000008"]
    assert calls[1].query["pagination_token"] == ["n1"] and calls[0].query["since_id"] == ["1"]


def test_timeouts_are_retryable() -> None:
    listener = XListener(_TimingOut(), policy=RetryPolicy(max_attempts=1))
    with pytest.raises(RetryableError, match="timed out"):
        list(listener.search("acme"))


class _TimingOut:
    def search_recent_tweets(self, *args: Any, **kwargs: Any) -> Any:
        time.sleep(0)
        raise requests.ReadTimeout("https://api.twitter.com/2/tweets/search/recent?query=secret")
