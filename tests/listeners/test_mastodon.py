"""Mastodon listener: Status parsing (HTML, boosts, content warnings), Link paging, min_id cursor, errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from helpers.free_api_server import FakeApi, Reply, fixture_json, serve

from listeners.http import retry_after_seconds
from listeners.mastodon.listener import MastodonListener, normalise_instance, status_to_mention
from models.errors import FatalError, RecordError, RetryableError
from models.mention import Mention, Reject

STATUSES = fixture_json("mastodon_tag.json")
TAG = "/api/v1/timelines/tag/acme"


@pytest.fixture
def api() -> Iterator[FakeApi]:
    with serve(FakeApi()) as running:
        yield running


def test_status_html_is_text_and_the_uri_is_the_key() -> None:
    post = status_to_mention(STATUSES[0])
    assert post is not None
    assert post.id == "https://mastodon.example/users/alice/statuses/113512000000000050"
    assert post.text == "The #acme app is down again & nobody answers.\n\nDay two."
    assert (post.kind, post.lang, post.author_handle, post.author_followers) == ("post", "en", "alice", 321)
    assert post.metrics == {"replies": 1.0, "reposts": 4.0, "likes": 9.0, "sensitive": 0.0}
    assert post.created_at == datetime(2026, 11, 19, 10, 41, 7, tzinfo=UTC)


def test_reply_boost_and_sensitive_post() -> None:
    reply, boost, sensitive = (status_to_mention(s) for s in STATUSES[1:4])
    assert reply is not None and reply.kind == "reply" and reply.text == "@alice same, #Acme support is slow"
    assert reply.raw is not None and reply.raw["in_reply_to_id"] == "113512000000000010"
    assert boost is not None and boost.kind == "repost"
    assert boost.text == "Acme confirms a checkout outage #acme"
    assert boost.parent_id == "https://news.example/users/desk/statuses/555"
    assert sensitive is not None and sensitive.metrics["sensitive"] == 1.0
    assert sensitive.text == "rant about #acme\n\nI am so done with acme billing"  # the content warning first
    with pytest.raises(RecordError, match="has no uri"):
        status_to_mention(STATUSES[4])
    assert status_to_mention({**STATUSES[0], "content": "<p> </p>"}) is None


@pytest.mark.parametrize(
    ("given", "expected"),
    [("mastodon.social", "https://mastodon.social"), ("https://mstdn.jp/", "https://mstdn.jp"),
     ("http://127.0.0.1:8080", "http://127.0.0.1:8080")],
)
def test_instance_addresses(given: str, expected: str) -> None:
    assert normalise_instance(given) == expected


def test_instance_with_a_path_is_refused() -> None:
    with pytest.raises(ValueError, match="not an instance address"):
        normalise_instance("https://mastodon.social/tags/acme")


def test_first_run_reads_backwards_through_next_links(api: FakeApi) -> None:
    api.route(TAG, [
        Reply(200, STATUSES[:2], {"Link": '<{base}/api/v1/timelines/tag/acme?max_id=113512000000000040>; rel="next", '
                                          '<{base}/api/v1/timelines/tag/acme?min_id=113512000000000050>; rel="prev"'}),
        Reply(200, STATUSES[2:], {"Link": '<https://evil.example/api/v1/timelines/tag/acme?max_id=1>; rel="next"'}),
    ])
    with httpx.Client(timeout=5) as client:
        listener = MastodonListener(client, api.url)
        items = list(listener.hashtag("#acme", any_tags=["애크미", "acmecorp"]))
    assert sum(isinstance(i, Mention) for i in items) == 4 and sum(isinstance(i, Reject) for i in items) == 1
    first, second = api.requests
    assert first.query == {"limit": ["40"], "any[]": ["애크미", "acmecorp"]}
    assert second.query == {"max_id": ["113512000000000040"]}
    assert len(api.requests) == 2  # the link to another host was not followed
    assert listener.last.resume_from == "113512000000000050"


def test_with_a_cursor_it_walks_forward_and_keeps_progress_after_a_failure(api: FakeApi) -> None:
    api.route(TAG, [
        Reply(200, STATUSES[:2], {"Link": '<{base}/api/v1/timelines/tag/acme?min_id=113512000000000050>; rel="prev"'}),
        Reply(404, {"error": "Record not found"}),
    ])
    with httpx.Client(timeout=5) as client:
        listener = MastodonListener(client, api.url, sleep=lambda s: None)
        got = []
        with pytest.raises(FatalError, match="HTTP 404"):
            for item in listener.hashtag("acme", since_id="113512000000000000"):
                got.append(item)
    assert api.requests[0].query["min_id"] == ["113512000000000000"]
    assert api.requests[1].query == {"min_id": ["113512000000000050"]}
    assert len(got) == 2
    assert listener.last.resume_from == "113512000000000050"  # oldest first: what was read is safe to pass


def test_empty_page_ends_the_walk(api: FakeApi) -> None:
    api.route(TAG, Reply(200, []))
    with httpx.Client(timeout=5) as client:
        listener = MastodonListener(client, api.url)
        assert list(listener.hashtag("acme", since_id="5")) == []
    assert listener.last.resume_from is None and len(api.requests) == 1


def test_mastodon_rate_limit_reset_is_an_iso_time(api: FakeApi) -> None:
    assert retry_after_seconds({"X-RateLimit-Reset": "2026-11-19T10:05:00.000Z"}, 1795082400.0) == 300.0
    api.route(TAG, [Reply(429, b"", {"X-RateLimit-Reset": "2000-01-01T00:00:00.000Z"}), Reply(502, b""),
                    Reply(200, [])])
    slept: list[float] = []
    with httpx.Client(timeout=5) as client:
        assert list(MastodonListener(client, api.url, sleep=slept.append).hashtag("acme")) == []
    assert slept[0] == 0.0 and len(slept) == 2
    api.route(TAG, Reply(503, b""))
    with httpx.Client(timeout=5) as client, pytest.raises(RetryableError, match="HTTP 503"):
        list(MastodonListener(client, api.url, sleep=lambda s: None).hashtag("acme"))


def test_an_instance_that_hides_its_timelines_is_named(api: FakeApi) -> None:
    api.route(TAG, Reply(401, {"error": "This method requires an authenticated user"}))
    with httpx.Client(timeout=5) as client, pytest.raises(FatalError) as caught:
        list(MastodonListener(client, api.url).hashtag("acme"))
    assert api.url in str(caught.value) and "[channels.mastodon] instances" in str(caught.value)
