"""Bluesky listener: postView parsing, optional app-password login, paging and errors on a local server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from helpers.free_api_server import FakeApi, Reply, fixture_json, serve

from listeners.bluesky.listener import LOGIN_PATH, SEARCH_PATH, BlueskyListener, post_to_mention
from listeners.retry import RetryPolicy
from models.errors import CredentialError, FatalError, RecordError
from models.mention import Mention, Reject

POSTS = fixture_json("bluesky_search.json")["posts"]


@pytest.fixture
def api() -> Iterator[FakeApi]:
    with serve(FakeApi()) as running:
        yield running


def test_post_reply_and_quote_are_parsed() -> None:
    post, reply, quote = (post_to_mention(p) for p in POSTS[:3])
    assert post is not None and reply is not None and quote is not None
    assert post.id == "at://did:plc:aaaa1111/app.bsky.feed.post/3lbqz2k4rts2a"
    assert post.url == "https://bsky.app/profile/minji.bsky.social/post/3lbqz2k4rts2a"
    assert (post.lang, post.kind, post.author_id) == ("ko", "post", "did:plc:aaaa1111")
    assert post.metrics == {"likes": 7.0, "reposts": 1.0, "replies": 2.0, "quotes": 0.0}
    assert post.created_at == datetime(2026, 11, 19, 10, 41, 7, 123000, tzinfo=UTC)
    assert (reply.kind, reply.parent_id) == ("reply", post.id)
    assert (quote.kind, quote.parent_id) == ("quote", reply.id)
    assert quote.created_at == datetime(2026, 11, 19, 1, 30, tzinfo=UTC)  # +09:00 converted to UTC
    assert quote.url == "https://bsky.app/profile/did:plc:cccc3333/post/3lbqz2k4rts2c"  # invalid handle → DID


def test_skip_reject_and_untrusted_clock() -> None:
    assert post_to_mention(POSTS[3]) is None  # image only, no text
    with pytest.raises(RecordError, match="no at:// post uri"):
        post_to_mention(POSTS[4])
    future = post_to_mention(POSTS[5])
    assert future is not None and future.created_at == datetime(2026, 11, 19, 10, 5, tzinfo=UTC)  # indexedAt


def test_search_pages_with_cursor_and_since(api: FakeApi) -> None:
    first = fixture_json("bluesky_search.json")
    api.route(SEARCH_PATH, [Reply(200, first), Reply(200, {"posts": [], "cursor": "50"})])
    with httpx.Client(timeout=5) as client:
        listener = BlueskyListener(client, host=api.url)
        items = list(listener.search("acme", since="2026-11-19T10:00:00Z"))
    assert sum(isinstance(i, Mention) for i in items) == 4
    assert [i.reason for i in items if isinstance(i, Reject)] == [
        "bluesky: post has no at:// post uri (got 'https://not-an-at-uri.example/post/1')"
    ]
    q0, q1 = (r.query for r in api.requests)
    assert q0["q"] == ["acme"] and q0["sort"] == ["latest"] and q0["limit"] == ["100"]
    assert q0["since"] == ["2026-11-19T09:58:00.000000Z"]  # two minutes of overlap for index lag
    assert "cursor" not in q0 and q1["cursor"] == ["25"]
    assert "authorization" not in api.requests[0].headers
    assert listener.last.resume_from == "2026-11-19T10:41:08.500000+00:00"


def test_login_uses_the_app_password_and_sends_the_token(api: FakeApi) -> None:
    api.route(LOGIN_PATH, Reply(200, {"accessJwt": "jwt-abc", "refreshJwt": "r", "handle": "brand.bsky.social"}))
    api.route(SEARCH_PATH, Reply(200, {"posts": []}))
    with httpx.Client(timeout=5) as client:
        listener = BlueskyListener(client, host=api.url)
        assert listener.login("brand.bsky.social", "app-pass-1234") == "jwt-abc"
        list(listener.search("acme"))
    login, search = api.requests
    assert json.loads(login.body) == {"identifier": "brand.bsky.social", "password": "app-pass-1234"}
    assert search.headers["authorization"] == "Bearer jwt-abc"


@pytest.mark.parametrize("status", [400, 401])
def test_refused_login_names_the_setting_not_the_password(api: FakeApi, status: int) -> None:
    api.route(LOGIN_PATH, Reply(status, {"error": "AuthenticationRequired"}))
    with httpx.Client(timeout=5) as client, pytest.raises(CredentialError) as caught:
        BlueskyListener(client, host=api.url).login("brand.bsky.social", "app-pass-1234")
    assert "BRANDPULSE_BLUESKY_APP_PASSWORD" in str(caught.value)
    assert "app-pass-1234" not in str(caught.value)


def test_anonymous_search_refused_is_a_credential_error(api: FakeApi) -> None:
    api.route(SEARCH_PATH, Reply(403, {"error": "Forbidden"}))
    with httpx.Client(timeout=5) as client, pytest.raises(CredentialError, match="BRANDPULSE_BLUESKY_APP_PASSWORD"):
        list(BlueskyListener(client, host=api.url).search("acme"))


def test_ratelimit_reset_header_and_html_body(api: FakeApi) -> None:
    reset = str(int(datetime.now(UTC).timestamp()) + 30)
    api.route(SEARCH_PATH, [Reply(429, b"", {"ratelimit-reset": reset}), Reply(200, {"posts": []})])
    slept: list[float] = []
    with httpx.Client(timeout=5) as client:
        listener = BlueskyListener(client, host=api.url, policy=RetryPolicy(jitter=0), sleep=slept.append)
        assert list(listener.search("acme")) == []
    assert len(slept) == 1 and 25 <= slept[0] <= 30  # the reset time
    # A 200 with an HTML page is junk, not "no posts": the feed fails with the reason, without retrying.
    api.route(SEARCH_PATH, Reply(200, b"<html>maintenance</html>"))
    with httpx.Client(timeout=5) as client, pytest.raises(FatalError, match="not JSON"):
        list(BlueskyListener(client, host=api.url, sleep=lambda s: None).search("acme"))
