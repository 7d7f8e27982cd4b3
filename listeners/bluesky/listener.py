"""Bluesky posts that match a query, from `app.bsky.feed.searchPosts` (an app password is optional)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from listeners.cursors import newest_value
from listeners.http import http_request, json_body, raise_for_status, transport_errors
from listeners.paging import Page, paginate
from listeners.parsing import parse_timestamp
from listeners.report import FetchReport
from listeners.retry import RetryPolicy, call_with_retries
from models.errors import CredentialError, FatalError, RecordError
from models.mention import Mention, Reject, mention_from_dict

CHANNEL = "bluesky"
PUBLIC_HOST = "https://public.api.bsky.app"  # the AppView, readable without an account
PDS_HOST = "https://bsky.social"  # where an app password logs in; it proxies searchPosts to the AppView
SEARCH_PATH = "/xrpc/app.bsky.feed.searchPosts"
LOGIN_PATH = "/xrpc/com.atproto.server.createSession"
PASSWORD_SETTING = "BRANDPULSE_BLUESKY_APP_PASSWORD"
PAGE_LIMIT = 100  # the API maximum
OVERLAP = timedelta(minutes=2)  # search indexing lags a little; re-read this much before the cursor
# A client may write any createdAt; one further ahead of the index time than this is not believed.
MAX_CLOCK_SKEW = timedelta(minutes=10)
_COUNTS = (("likes", "likeCount"), ("reposts", "repostCount"), ("replies", "replyCount"), ("quotes", "quoteCount"))
_QUOTE_EMBEDS = ("app.bsky.embed.record", "app.bsky.embed.recordWithMedia")


def _post_time(record: dict[str, Any], indexed_at: datetime | None) -> datetime:
    """When the post was written: `record.createdAt` if believable, else the time the AppView indexed it."""
    try:
        created = parse_timestamp(record.get("createdAt"))
    except (ValueError, OverflowError):
        created = None
    if created is not None and (indexed_at is None or created <= indexed_at + MAX_CLOCK_SKEW):
        return created
    if indexed_at is None:
        raise RecordError(f"{CHANNEL}: post has neither a readable createdAt nor indexedAt")
    return indexed_at


def post_to_mention(post: dict[str, Any]) -> Mention | None:
    """One `app.bsky.feed.defs#postView` as a Mention; None for posts without text (images only, deleted)."""
    if not isinstance(post, dict):
        raise RecordError(f"{CHANNEL}: post is a {type(post).__name__}, not an object")
    uri = post.get("uri")
    if not isinstance(uri, str) or not uri.startswith("at://") or "/app.bsky.feed.post/" not in uri:
        raise RecordError(f"{CHANNEL}: post has no at:// post uri (got {str(uri)[:80]!r})")
    record = post.get("record")
    author = post.get("author")
    if not isinstance(record, dict) or not isinstance(author, dict):
        raise RecordError(f"{CHANNEL}: post {uri} has no record or author object")
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        indexed_at = parse_timestamp(post["indexedAt"]) if post.get("indexedAt") else None
    except (ValueError, OverflowError):
        indexed_at = None
    handle = author.get("handle") if isinstance(author.get("handle"), str) else None
    rkey = uri.rsplit("/", 1)[-1]
    profile = handle if handle and handle != "handle.invalid" else author.get("did")
    embed = record.get("embed") if isinstance(record.get("embed"), dict) else {}
    reply = record.get("reply") if isinstance(record.get("reply"), dict) else None
    if reply:
        kind = "reply"
        parent = reply.get("parent") if isinstance(reply.get("parent"), dict) else {}
        parent_id = parent.get("uri")
    elif embed.get("$type") in _QUOTE_EMBEDS:
        kind = "quote"
        quoted = embed.get("record") if isinstance(embed.get("record"), dict) else {}
        quoted = quoted.get("record", quoted) if isinstance(quoted.get("record"), dict) else quoted  # withMedia
        parent_id = quoted.get("uri")
    else:
        kind, parent_id = "post", None
    langs = record.get("langs")
    metrics = {
        name: float(post[field])
        for name, field in _COUNTS
        if isinstance(post.get(field), int | float) and not isinstance(post.get(field), bool)
    }
    return mention_from_dict(
        {
            "channel": CHANNEL,
            "id": uri,
            "text": text,
            "created_at": _post_time(record, indexed_at),
            "url": f"https://bsky.app/profile/{profile}/post/{rkey}" if profile else None,
            "author_id": author.get("did"),
            "author_handle": handle,
            "lang": langs[0] if isinstance(langs, list) and langs and isinstance(langs[0], str) else None,
            "kind": kind,
            "parent_id": parent_id if isinstance(parent_id, str) else None,
            "metrics": metrics,
            "raw": post,
        },
        source=f"{CHANNEL} post {uri}",
    )


def _uri(post: Any) -> str | None:
    uri = post.get("uri") if isinstance(post, dict) else None
    return uri if isinstance(uri, str) else None


def _indexed_at(post: Any) -> datetime | None:
    try:
        return parse_timestamp(post.get("indexedAt")) if isinstance(post, dict) else None
    except (ValueError, OverflowError):
        return None


class BlueskyListener:
    """Posts from `app.bsky.feed.searchPosts`, newest first, incremental on the time the AppView indexed them."""

    def __init__(
        self,
        client: Any,
        *,
        host: str = PUBLIC_HOST,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], Any] = time.sleep,
        overlap: timedelta = OVERLAP,
    ) -> None:
        self.client = client  # an httpx.Client with a timeout, built by the caller
        self.host = host.rstrip("/")
        self.overlap = overlap
        self.policy = policy or RetryPolicy()
        self.sleep = sleep  # injectable so tests never wait out a Retry-After
        self._access_token: str | None = None
        self.last = FetchReport(endpoint="none")

    def login(self, identifier: str, app_password: str) -> str:
        """Open a session with an app password (`com.atproto.server.createSession`); returns its access token."""
        self._access_token = call_with_retries(
            partial(self._create_session, identifier, app_password), self.policy, sleep=self.sleep
        )
        return self._access_token

    def use_session(self, access_token: str) -> None:
        """Search with an access token from an earlier `login` (sessions are rate-limited: reuse them)."""
        self._access_token = access_token

    def _create_session(self, identifier: str, app_password: str) -> str:
        with transport_errors(CHANNEL):
            response = self.client.post(
                f"{self.host}{LOGIN_PATH}", json={"identifier": identifier, "password": app_password}
            )
        if response.status_code == 400:
            # The PDS answers a wrong handle, a revoked password or a 2FA demand with 400, not 401.
            raise CredentialError(
                f"{CHANNEL}: login as {identifier!r} was refused (HTTP 400); check BRANDPULSE_BLUESKY_HANDLE and "
                f"{PASSWORD_SETTING} (an app password from Settings → App passwords)",
                setting=PASSWORD_SETTING,
            )
        raise_for_status(response, channel=CHANNEL, credential_setting=PASSWORD_SETTING)
        body = json_body(response, channel=CHANNEL, expect=dict)
        token = body.get("accessJwt")
        if not isinstance(token, str) or not token:
            raise CredentialError(
                f"{CHANNEL}: login returned no access token; check {PASSWORD_SETTING}", setting=PASSWORD_SETTING
            )
        return token

    def search(self, query: str, *, since: str | None = None, max_pages: int = 5) -> Iterator[Mention | Reject]:
        """Posts matching `query` indexed after the `since` cursor (ISO-8601 UTC), as Mentions or Rejects."""
        params: dict[str, Any] = {"q": query, "sort": "latest", "limit": PAGE_LIMIT}
        if since is not None:
            try:
                start = parse_timestamp(since) - self.overlap
            except ValueError:
                raise FatalError(f"{CHANNEL}: saved cursor {since!r} is not a time; delete it from `cursors`") from None
            params["since"] = start.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        headers = {"Authorization": f"Bearer {self._access_token}"} if self._access_token else {}

        def fetch(token: str | None) -> Page[dict[str, Any]]:
            response = http_request(
                self.client,
                "GET",
                f"{self.host}{SEARCH_PATH}",
                channel=CHANNEL,
                credential_setting=PASSWORD_SETTING,
                params={**params, "cursor": token} if token else params,
                headers=headers,
            )
            body = json_body(response, channel=CHANNEL, items="posts")
            posts = body["posts"]
            cursor = body.get("cursor")
            # The API can hand back a cursor with an empty last page; stop there rather than spend a call.
            next_token = str(cursor) if cursor and posts else None
            return Page(posts, next_token, newest_value(_indexed_at(p) for p in posts))

        # Newest first: `last.resume_from` is the newest indexedAt, unless the run failed part-way.
        report = self.last = FetchReport(endpoint="search")
        run = paginate(fetch, max_pages=max_pages, policy=self.policy, sleep=self.sleep)
        yield from report.read(run, post_to_mention, channel=CHANNEL, record_id=_uri)
