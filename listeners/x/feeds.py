"""The X feeds of one brand: `[channels.x]` + the bearer token → search and mentions feeds (with history)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from pydantic import SecretStr

from listeners.feeds import ListenerFeed, channel_options, require_secret, scope_for, shared
from listeners.retry import RetryPolicy
from listeners.x.client import x_client
from listeners.x.listener import CREDENTIAL, XListener
from listeners.x.options import XOptions
from listeners.x.query import x_query
from models.brands import Brand
from models.channels import ChannelSettings
from models.errors import CredentialError
from models.mention import Mention, Reject


def full_archive(
    listener: XListener, query: str, start: datetime, end: datetime, max_pages: int
) -> Iterator[Mention | Reject]:
    """Full-archive search over `[start, end)` for a backfill; a 403 says which access tier it needs."""
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


def build_x_feeds(
    settings: ChannelSettings, brand: Brand, *, x_bearer_token: SecretStr | str | None = None
) -> list[ListenerFeed[XListener]]:
    """Feeds for one brand on X: search (recent or full-archive) and mentions of its account."""
    options = channel_options(settings, XOptions, channel="x")
    query = x_query(brand, exclude_retweets=options.exclude_retweets, max_chars=options.query_max_chars)
    token = require_secret(x_bearer_token, CREDENTIAL, channel="x")
    policy = RetryPolicy(max_wait_per_run=options.max_wait_s)
    # One tweepy client for all of the brand's feeds: it keeps each endpoint's rate-limit window between them.
    listener = shared(XListener(x_client(token, options), policy=policy, page_size=options.page_size))
    pages = settings.max_pages
    feeds: list[ListenerFeed[XListener]] = []
    # Either search also reads history (`fetch_range`, for a backfill) through full-archive search.
    history = lambda x, start, end: full_archive(x, query, start, end, pages)  # noqa: E731
    if options.search == "recent":
        feeds.append(ListenerFeed(
            "x", scope_for(brand, "search"), listener,
            lambda x, cursor: x.search(query, since_id=cursor, max_pages=pages), history=history,
        ))
    elif options.search == "all":
        feeds.append(ListenerFeed(
            "x", scope_for(brand, "search"), listener,
            lambda x, cursor: x.search_all(query, since_id=cursor, max_pages=pages), history=history,
        ))
    if options.mentions and brand.x_user_id:
        user_id = brand.x_user_id
        feeds.append(ListenerFeed(
            "x", scope_for(brand, "mentions", user_id), listener,
            lambda x, cursor: x.mentions(user_id, since_id=cursor, max_pages=pages),
        ))
    return feeds
