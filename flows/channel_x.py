"""The X channel for the pipeline: `[channels.x]` settings, the tweepy client, and one feed per endpoint."""

from __future__ import annotations

import logging
from typing import Any, Literal

import requests
from pydantic import Field

from flows.brand_queries import X_QUERY_MAX_CHARS, x_query
from flows.config import Brand, ChannelSettings, Secrets
from flows.feeds import Feed, ListenerFeed, StrictOptions, channel_options, require_secret, scope_for
from listeners.base import RetryPolicy

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
    if options.search == "recent":
        feeds.append(ListenerFeed(
            "x", scope_for(brand, "search"),
            lambda cursor: listener.search(query, since_id=cursor, max_pages=pages), lambda: listener.last,
        ))
    elif options.search == "all":
        feeds.append(ListenerFeed(
            "x", scope_for(brand, "search"),
            lambda cursor: listener.search_all(query, since_id=cursor, max_pages=pages), lambda: listener.last,
        ))
    if options.mentions and brand.x_user_id:
        user_id = brand.x_user_id
        feeds.append(ListenerFeed(
            "x", scope_for(brand, "mentions", user_id),
            lambda cursor: listener.mentions(user_id, since_id=cursor, max_pages=pages), lambda: listener.last,
        ))
    return feeds
