"""Mastodon posts from the public hashtag timelines of configured instances (no credentials)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

from listeners.cursors import newest_value
from listeners.http import http_request, json_body
from listeners.paging import Page, paginate
from listeners.parsing import html_to_text, parse_timestamp
from listeners.report import FetchReport
from listeners.retry import RetryPolicy
from models.errors import AccessDenied, FatalError, RecordError
from models.mention import Mention, Reject, mention_from_dict

CHANNEL = "mastodon"
TAG_PATH = "/api/v1/timelines/tag/{tag}"
PAGE_LIMIT = 40  # the API maximum for statuses


def _status_text(status: dict[str, Any]) -> str:
    """The words a reader sees: the content warning (if any) above the post body, HTML removed."""
    spoiler = status.get("spoiler_text") if isinstance(status.get("spoiler_text"), str) else ""
    body = html_to_text(status.get("content") if isinstance(status.get("content"), str) else "")
    return "\n\n".join(part for part in (spoiler.strip(), body) if part)


def status_to_mention(status: dict[str, Any]) -> Mention | None:
    """One Mastodon Status as a Mention; None for posts without text. Keyed by the global ActivityPub uri."""
    if not isinstance(status, dict):
        raise RecordError(f"{CHANNEL}: status is a {type(status).__name__}, not an object")
    # The same post has a different local `id` on every instance; its `uri` is the same everywhere, so two
    # instances' timelines never store it twice.
    uri = status.get("uri")
    if not isinstance(uri, str) or not uri.strip():
        raise RecordError(f"{CHANNEL}: status {status.get('id')!r} has no uri")
    account = status.get("account")
    if not isinstance(account, dict):
        raise RecordError(f"{CHANNEL}: status {uri} has no account object")
    reblog = status.get("reblog")
    if isinstance(reblog, dict):
        # A boost carries no words of its own: store it as a repost of the original's text (reach counts), with
        # the original's uri as parent so the two can be told apart and joined.
        text, kind, parent_id = _status_text(reblog), "repost", reblog.get("uri")
    else:
        text = _status_text(status)
        kind = "reply" if status.get("in_reply_to_id") else "post"
        parent_id = None  # in_reply_to_id is local to this instance, so it would not join; raw keeps it
    if not text:
        return None
    try:
        created_at = parse_timestamp(status.get("created_at"))
    except (ValueError, OverflowError) as exc:
        raise RecordError(f"{CHANNEL}: status {uri} has no readable created_at ({exc})") from None
    metrics = {
        name: float(status[field])
        for name, field in (("replies", "replies_count"), ("reposts", "reblogs_count"), ("likes", "favourites_count"))
        if isinstance(status.get(field), int | float) and not isinstance(status.get(field), bool)
    }
    # Posts marked sensitive (content warning / NSFW media) are kept, flagged, so reports can filter them.
    metrics["sensitive"] = 1.0 if status.get("sensitive") else 0.0
    followers = account.get("followers_count")
    language = status.get("language")
    return mention_from_dict(
        {
            "channel": CHANNEL,
            "id": uri.strip(),
            "text": text,
            "created_at": created_at,
            "url": status.get("url") or uri,
            "author_id": account.get("url") or account.get("acct"),  # the profile URL is global, `id` is local
            "author_handle": account.get("acct"),
            "author_followers": followers if isinstance(followers, int) and followers >= 0 else None,
            "lang": language if isinstance(language, str) else None,
            "kind": kind,
            "parent_id": parent_id if isinstance(parent_id, str) else None,
            "metrics": metrics,
            "raw": status,
        },
        source=f"{CHANNEL} status {uri}",
    )


def normalise_instance(instance: str) -> str:
    """`mastodon.social` or `https://mastodon.social/` → `https://mastodon.social`; ValueError when not a host."""
    text = instance.strip().rstrip("/")
    if "://" not in text:
        text = f"https://{text}"
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query:
        raise ValueError(f"{instance!r} is not an instance address like 'mastodon.social' or 'https://mstdn.jp'")
    return f"{parts.scheme}://{parts.netloc}"


def _local_id(status: Any) -> str | None:
    value = status.get("id") if isinstance(status, dict) else None
    return str(value) if isinstance(value, str | int) and str(value).isdigit() else None


class MastodonListener:
    """One instance's public hashtag timelines, read forward from a status-id cursor with `min_id` paging."""

    def __init__(
        self,
        client: Any,
        instance: str,
        *,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], Any] = time.sleep,
    ) -> None:
        self.client = client  # an httpx.Client with a timeout, built by the caller
        self.instance = normalise_instance(instance)
        self.policy = policy or RetryPolicy()
        self.sleep = sleep  # injectable so tests never wait out a Retry-After
        self.last = FetchReport(endpoint="none")

    def hashtag(
        self, tag: str, *, any_tags: Sequence[str] = (), since_id: str | None = None, max_pages: int = 5
    ) -> Iterator[Mention | Reject]:
        """Statuses tagged `#tag` (or any of `any_tags`) newer than `since_id` (this instance's ids)."""
        tag = tag.strip().lstrip("#")
        others = [t.strip().lstrip("#") for t in any_tags if t.strip().lstrip("#") and t != tag]
        if not tag:
            raise ValueError(f"{CHANNEL}: empty hashtag")
        if since_id is not None and not since_id.isdigit():
            raise FatalError(f"{CHANNEL}: saved cursor {since_id!r} is not a status id; delete it from `cursors`")
        first_url = f"{self.instance}{TAG_PATH.format(tag=quote(tag, safe=''))}"
        # With a cursor, `min_id` walks forward (oldest unseen first) through the `prev` links, so a page cap or a
        # failure leaves no gap: the next run continues from the newest id read. Without one, read the latest
        # pages backwards through the `next` links.
        forward = since_id is not None
        rel = "prev" if forward else "next"
        # One request covers several tags: `any[]` ORs them with the one in the path (Mastodon 2.7+).
        first_params: list[tuple[str, Any]] = [("limit", PAGE_LIMIT), *(("any[]", other) for other in others)]
        if since_id is not None:
            first_params.append(("min_id", since_id))

        def fetch(token: str | None) -> Page[dict[str, Any]]:
            try:
                response = http_request(
                    self.client, "GET", token or first_url, channel=CHANNEL, params=None if token else first_params
                )
            except AccessDenied:
                # We send no credential: a 401/403 means the instance hides its timelines from visitors.
                raise FatalError(
                    f"{CHANNEL}: {self.instance} does not show hashtag timelines without an account (HTTP 401/403); "
                    "remove it from [channels.mastodon] instances"
                ) from None
            # A timeline is an array; anything else (an error object, a non-Mastodon server) fails the feed.
            statuses = json_body(response, channel=CHANNEL, expect=list)
            link = response.links.get(rel, {}).get("url") if statuses else None
            return Page(statuses, self._same_origin(link), newest_value(_local_id(s) for s in statuses))

        # Oldest first (forward), everything up to the newest id read is in even after a failure.
        report = self.last = FetchReport(endpoint="hashtag", forward=forward)
        run = paginate(fetch, max_pages=max_pages, policy=self.policy, sleep=self.sleep)
        yield from report.read(run, status_to_mention, channel=CHANNEL, record_id=_local_id)

    def _same_origin(self, url: str | None) -> str | None:
        """Follow a Link only on this instance: a page must not send us (or our retries) to another host."""
        if not url:
            return None
        parts = urlsplit(url)
        return url if f"{parts.scheme}://{parts.netloc}" == self.instance else None
