"""Reddit listener: recorded praw cassettes replayed, the pure parser, and a local server for the failure cases."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import praw
import pytest
import vcr
from helpers.listen_server import FakeApi, Reply, fake_api

from listeners.reddit.client import reddit_client
from listeners.reddit.listener import RedditListener, cursor_key, reddit_cursor, reddit_item_to_mention
from listeners.reddit.options import RedditOptions
from listeners.retry import RetryPolicy
from models.errors import CredentialError, FatalError, RateLimited, RecordError, RetryableError
from models.mention import Mention, Reject

RECORDED = Path(__file__).parents[1] / "fixtures" / "recorded" / "reddit"
REPLAY = vcr.VCR(serializer="json", record_mode="none", match_on=["method", "host", "path"])
NO_WAIT = RetryPolicy(base_delay=0.0, jitter=0.0, max_attempts=2, max_wait_per_run=60.0)
SECRET = "client-secret-never-logged"


def recorded_reddit() -> praw.Reddit:
    return praw.Reddit(client_id="id", client_secret="secret", user_agent="brandpulse tests", check_for_updates=False)


# ---------------------------------------------------------------------------------------------------- recordings


def test_recorded_search_gives_posts_with_title_and_body_and_the_newest_cursor() -> None:
    with REPLAY.use_cassette(str(RECORDED / "TestSubreddit.test_search.json"), allow_playback_repeats=True):
        listener = RedditListener(recorded_reddit(), policy=NO_WAIT)
        mentions = list(listener.search("praw oauth search", max_pages=1))
    assert len(mentions) == 6 and all(m.kind == "post" and m.id.startswith("t3_") for m in mentions)
    japanese = next(m for m in mentions if m.id == "t3_4at068")
    assert japanese.text.startswith("たびたび話題になるサイドバーの閲覧中ユーザ数について（また）調べた\n\n")
    assert len(japanese.text) > 10_000
    assert japanese.created_at == datetime(2016, 3, 17, 13, 33, 54, tzinfo=UTC)
    assert japanese.author_handle == "nmtake" and japanese.metrics["score"] == 15.0
    assert japanese.url is not None and japanese.url.startswith("https://www.reddit.com/r/p18s/comments/4at068/")
    assert listener.last.newest == "2016-03-17T13:33:54Z t3_4at068"
    assert all(m.raw and "_reddit" not in m.raw and isinstance(m.raw["subreddit"], str) for m in mentions)


def test_recorded_comment_listing_gives_comments_with_parents() -> None:
    with REPLAY.use_cassette(
        str(RECORDED / "TestSubredditStreams.test_comments__with_pause.json"), allow_playback_repeats=True
    ):
        listener = RedditListener(recorded_reddit(), policy=NO_WAIT)
        mentions = list(listener.comments("kakapo", max_pages=1))
    assert len(mentions) == 16 and {m.kind for m in mentions} == {"comment"}
    first = mentions[0]
    assert (first.id, first.parent_id, first.text) == ("t1_dgauydy", "t1_dg7dqfd", "i lick it")
    assert first.url == "https://www.reddit.com/comments/654eqk/_/dgauydy/"
    assert listener.last.newest == reddit_cursor(first.created_at, "t1_dgauydy")


def test_recorded_comments_since_a_cursor_only_gives_newer_ones() -> None:
    cassette = str(RECORDED / "TestSubredditStreams.test_comments__with_pause.json")
    with REPLAY.use_cassette(cassette, allow_playback_repeats=True):
        listener = RedditListener(recorded_reddit(), policy=NO_WAIT)
        since = reddit_cursor(datetime(2017, 4, 13, 10, 26, 14, tzinfo=UTC), "t1_dg7dqfd")
        mentions = list(listener.comments("kakapo", since=since, max_pages=5))
    assert [m.id for m in mentions] == ["t1_dgauydy", "t1_dg8ievl"]
    assert listener.last.stopped_reason == "caught_up" and listener.last.pages == 1


def test_recorded_submission_comment_tree_parses_without_extra_requests() -> None:
    with REPLAY.use_cassette(str(RECORDED / "TestSubmission.test_comments.json")):
        submission = recorded_reddit().submission("2gmzqe")
        comments = submission.comments.list()
        parsed = [reddit_item_to_mention(c, "comment") for c in comments if isinstance(c, praw.models.Comment)]
    kept = [m for m in parsed if m is not None]
    assert kept and all(m.parent_id and m.parent_id[:3] in ("t1_", "t3_") for m in kept)
    assert all("&amp;" not in m.text for m in kept)


# ---------------------------------------------------------------------------------------------------- parsing


def comment(**fields: Any) -> dict[str, Any]:
    return {"id": "abc", "name": "t1_abc", "body": "Acme &amp; Globex", "created_utc": 1763546400.0,
            "author": "kim", "parent_id": "t3_xyz", "link_id": "t3_xyz", "score": 4, **fields}


def test_deleted_and_removed_items_are_skipped_nsfw_is_flagged() -> None:
    assert reddit_item_to_mention(comment(body="[deleted]", author=None), "comment") is None
    assert reddit_item_to_mention(comment(body="[removed]"), "comment") is None
    post = {"id": "p1", "name": "t3_p1", "title": "Acme", "selftext": "[removed]", "created_utc": 1.0}
    assert reddit_item_to_mention(post, "submission") is None
    mention = reddit_item_to_mention(comment(over_18=True, author=None), "comment")
    assert mention is not None and mention.metrics == {"score": 4.0, "nsfw": 1.0}
    assert mention.text == "Acme & Globex" and mention.author_handle is None


def test_malformed_items_raise_record_errors() -> None:
    with pytest.raises(RecordError, match="no created_utc"):
        reddit_item_to_mention(comment(created_utc="soon"), "comment")
    with pytest.raises(RecordError, match="no id"):
        reddit_item_to_mention({"body": "x"}, "comment")


def test_cursor_order_uses_time_then_base36_id() -> None:
    when = datetime(2026, 11, 19, 10, tzinfo=UTC)
    assert cursor_key(reddit_cursor(when, "t1_zz")) < cursor_key(reddit_cursor(when, "t1_100"))


# ---------------------------------------------------------------------------------------------------- local server

TOKEN_PATH = "/api/v1/access_token"
SEARCH = "/r/all/search/"
TOKEN_OK = Reply({"access_token": "at-123", "token_type": "bearer", "expires_in": 3600, "scope": "*"})


def listing(items: list[dict[str, Any]], after: str | None = None, kind: str = "t1") -> dict[str, Any]:
    return {"kind": "Listing", "data": {"after": after, "children": [{"kind": kind, "data": i} for i in items]}}


def post(ident: str, created: float, title: str = "Acme delivery", **extra: Any) -> dict[str, Any]:
    return {"id": ident, "name": f"t3_{ident}", "title": title, "selftext": "", "created_utc": created,
            "author": "lee", "permalink": f"/r/korea/comments/{ident}/x/", "subreddit": "korea", "score": 1, **extra}


def listener_for(api: FakeApi, **policy: Any) -> RedditListener:
    options = RedditOptions(oauth_url=api.url, reddit_url=api.url, timeout_s=5)
    return RedditListener(reddit_client("cid", SECRET, "brandpulse tests", options),
                          policy=RetryPolicy(**{"base_delay": 0.0, "jitter": 0.0, "max_attempts": 2, **policy}),
                          sleep=lambda _: None)


def test_search_pages_with_after_and_asks_for_new_nsfw_included() -> None:
    with fake_api() as api:
        api.script(TOKEN_PATH, TOKEN_OK)
        api.script(SEARCH, Reply(listing([post("b2", 200.0)], after="t3_b2", kind="t3")),
                   Reply(listing([post("b1", 100.0, over_18=True)], kind="t3")))
        listener = listener_for(api)
        mentions = list(listener.search('(acme OR "acme help")', max_pages=5))
        calls = api.calls(SEARCH)
    assert [m.id for m in mentions] == ["t3_b2", "t3_b1"] and mentions[1].metrics["nsfw"] == 1.0
    assert calls[0].query["sort"] == ["new"] and calls[0].query["include_over_18"] == ["on"]
    assert calls[1].query["after"] == ["t3_b2"] and "restrict_sr" not in calls[0].query
    assert calls[0].headers["authorization"] == "bearer at-123"
    assert listener.last.stopped_reason == "exhausted"


def test_bad_client_credentials_name_the_settings_not_the_secret() -> None:
    with fake_api() as api:
        api.script(TOKEN_PATH, Reply({"message": "Unauthorized", "error": 401}, status=401))
        with pytest.raises(CredentialError) as caught:
            list(listener_for(api).search("acme"))
    assert "BRANDPULSE_REDDIT_CLIENT_ID" in str(caught.value) and SECRET not in str(caught.value)


def test_429_with_a_long_reset_stops_the_channel() -> None:
    with fake_api() as api:
        api.script(TOKEN_PATH, TOKEN_OK)
        api.script(SEARCH, Reply({"message": "Too Many Requests"}, status=429, headers={"Retry-After": "600"}))
        with pytest.raises(RateLimited) as caught:
            list(listener_for(api).search("acme"))
        assert len(api.calls(SEARCH)) == 1
    assert caught.value.retry_after == pytest.approx(600)


def test_5xx_storm_surfaces_as_retryable_after_retries() -> None:
    with fake_api() as api:
        api.script(TOKEN_PATH, TOKEN_OK)
        api.script(SEARCH, Reply({"message": "Internal"}, status=500))
        with pytest.raises(RetryableError, match="500"):
            list(listener_for(api).search("acme"))
        assert len(api.calls(SEARCH)) == 2  # our two attempts, none stacked inside prawcore


def test_a_private_subreddit_is_fatal_and_names_it() -> None:
    with fake_api() as api:
        api.script(TOKEN_PATH, TOKEN_OK)
        api.script("/r/secretclub/comments/", Reply({"reason": "private", "error": 403}, status=403))
        with pytest.raises(FatalError, match="r/secretclub"):
            list(listener_for(api).comments("secretclub"))


def test_malformed_children_become_rejects_and_the_rest_goes_on() -> None:
    with fake_api() as api:
        api.script(TOKEN_PATH, TOKEN_OK)
        api.script(SEARCH, Reply(listing([post("c2", 300.0), post("c1", "not-a-time")], kind="t3")))
        listener = listener_for(api)
        items = list(listener.search("acme"))
    assert [m.id for m in items if isinstance(m, Mention)] == ["t3_c2"]
    rejects = [r for r in items if isinstance(r, Reject)]
    assert [(r.record_id, r.reason) for r in rejects] == [("t3_c1", "t3_c1 has no created_utc")]
