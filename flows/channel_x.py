"""The X channel for the pipeline: `[channels.x]` settings, the tweepy client, and one feed per endpoint."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Literal

import requests
from pydantic import Field

from flows.brand_queries import X_QUERY_MAX_CHARS, x_query
from flows.feeds import (
    Feed,
    ListenerFeed,
    ListenerHistoryFeed,
    StrictOptions,
    channel_options,
    require_secret,
    scope_for,
)
from flows.runtime.config import Brand, ChannelSettings, Secrets
from listeners.base import RetryPolicy
from models.errors import CredentialError
from models.mention import Mention

X_API_URL = "https://api.twitter.com"


class XOptions(StrictOptions):
    """Keys of `[channels.x]` besides `enabled` and `max_pages`."""

    search: Literal["recent", "all", "off"] = "recent"  # "all" = full-archive search (Pro/Enterprise access)
    mentions: bool = True  # also read mentions of each brand's `x_user_id`
    exclude_retweets: bool = False  # add -is:retweet to the query
    page_size: int = Field(default=100, ge=10, le=500)
    query_max_chars: int = Field(default=X_QUERY_MAX_CHARS, ge=64, le=4096)
    timeout_s: float = Field(default=15.0, gt=0, le=120)
    max_wait_s: float = Field(default=120.0, ge=0, le=900)  # longer rate-limit waits stop the channel for this run
    api_url: str = X_API_URL  # a proxy or a test server in front of the X API


class ApiSession(requests.Session):
    """A requests session with a default timeout that can send X API calls to another base URL (proxy, test)."""

    def __init__(self, *, api_url: str = X_API_URL, timeout: float = 15.0) -> None:
        super().__init__()
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        """Send with the default timeout; tweepy hard-codes the X host, so the base URL is swapped here."""
        url = url.decode() if isinstance(url, bytes) else url
        if self.api_url != X_API_URL and url.startswith(X_API_URL):
            url = self.api_url + url[len(X_API_URL):]
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)


def x_client(token: str, options: XOptions) -> Any:
    """A tweepy.Client that returns raw responses (for the rate-limit headers) and never sleeps on a 429."""
    import tweepy

    # tweepy logs request headers, the bearer token included, at DEBUG: keep that logger above DEBUG.
    tweepy_log = logging.getLogger("tweepy.client")
    if tweepy_log.getEffectiveLevel() < logging.INFO:
        tweepy_log.setLevel(logging.INFO)
    client = tweepy.Client(bearer_token=token, return_type=requests.Response, wait_on_rate_limit=False)
    client.session = ApiSession(api_url=options.api_url, timeout=options.timeout_s)
    return client


def full_archive(listener: Any, query: str, start: datetime, end: datetime, max_pages: int) -> Iterator[Mention]:
    """Full-archive search over `[start, end)` for a backfill; a 403 says which access tier it needs."""
    from listeners.x import CREDENTIAL

    try:
        yield from listener.search_all(query, max_pages=max_pages, start_time=start, end_time=end)
    except CredentialError as error:
        if "HTTP 403" not in str(error):
            raise
        raise CredentialError(
            "x: HTTP 403 Forbidden: full-archive search (/2/tweets/search/all) needs an X API access tier that "
            f"allows it (Pro or Enterprise); the app behind {CREDENTIAL} is not allowed to use it, so X cannot be "
            "backfilled with this token",
            setting=CREDENTIAL,
        ) from None


def build_x_feeds(settings: ChannelSettings, secrets: Secrets, brand: Brand) -> list[Feed]:
    """Feeds for one brand on X: search (recent or full-archive) and mentions of its account."""
    from listeners.x import CREDENTIAL, XListener

    options = channel_options(settings, XOptions, channel="x")
    query = x_query(brand, exclude_retweets=options.exclude_retweets, max_chars=options.query_max_chars)
    token = require_secret(secrets.x_bearer_token, CREDENTIAL, channel="x")
    policy = RetryPolicy(max_wait_per_run=options.max_wait_s)
    listener = XListener(x_client(token, options), policy=policy, page_size=options.page_size)
    pages = settings.max_pages
    feeds: list[Feed] = []
    # Either search also reads history (`fetch_range`, for a backfill) through full-archive search.
    history = lambda start, end: full_archive(listener, query, start, end, pages)  # noqa: E731
    if options.search == "recent":
        feeds.append(ListenerHistoryFeed(
            "x", scope_for(brand, "search"),
            lambda cursor: listener.search(query, since_id=cursor, max_pages=pages), lambda: listener.last,
            history=history,
        ))
    elif options.search == "all":
        feeds.append(ListenerHistoryFeed(
            "x", scope_for(brand, "search"),
            lambda cursor: listener.search_all(query, since_id=cursor, max_pages=pages), lambda: listener.last,
            history=history,
        ))
    if options.mentions and brand.x_user_id:
        user_id = brand.x_user_id
        feeds.append(ListenerFeed(
            "x", scope_for(brand, "mentions", user_id),
            lambda cursor: listener.mentions(user_id, since_id=cursor, max_pages=pages), lambda: listener.last,
        ))
    return feeds
