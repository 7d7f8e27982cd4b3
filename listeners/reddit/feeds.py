"""The Reddit feeds of one brand: `[channels.reddit]` + the app's credentials → search and comments feeds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pydantic import SecretStr

from listeners.feeds import ListenerFeed, channel_options, require_secret, scope_for, shared
from listeners.reddit.client import USER_AGENT, reddit_client
from listeners.reddit.listener import RedditListener, reddit_cursor
from listeners.reddit.options import RedditOptions
from listeners.reddit.query import reddit_query
from listeners.retry import RetryPolicy
from models.brands import Brand
from models.channels import ChannelSettings
from models.mention import Mention, Reject


def _subreddit_name(name: str) -> str:
    return name.strip().removeprefix("/").removeprefix("r/")


HISTORY_MAX_PAGES = 10  # Reddit listings end after about 1000 items, whatever the page size


def search_history(
    listener: Any, query: str, where: str, start: datetime, end: datetime, max_pages: int
) -> Iterator[Mention | Reject]:
    """Posts created in `[start, end)`, roughly: Reddit search cannot filter by date.

    Searches `time_filter="all"` sorted by new, skips what is newer than `end`, and stops at the first post older
    than `start` (the listener's `since` floor). Reddit serves at most ~1000 results per search, so a busy brand's
    older days may be out of reach; comments have no history at all.
    """
    floor = reddit_cursor(start, "t3_0")  # everything created before `start` sorts at or below this
    items = listener.search(
        query, where, since=floor, max_pages=min(max_pages, HISTORY_MAX_PAGES), time_filter="all"
    )
    for item in items:
        if isinstance(item, Reject) or start <= item.created_at < end:
            yield item


def build_reddit_feeds(
    settings: ChannelSettings,
    brand: Brand,
    *,
    reddit_client_id: SecretStr | str | None = None,
    reddit_client_secret: SecretStr | str | None = None,
    reddit_user_agent: str = USER_AGENT,
) -> list[ListenerFeed[RedditListener]]:
    """Feeds for one brand on Reddit: a post search, and new comments in its subreddits (one listing for all)."""
    options = channel_options(settings, RedditOptions, channel="reddit")
    query = reddit_query(brand, max_chars=options.query_max_chars)
    client_id = require_secret(reddit_client_id, "BRANDPULSE_REDDIT_CLIENT_ID", channel="reddit")
    client_secret = require_secret(reddit_client_secret, "BRANDPULSE_REDDIT_CLIENT_SECRET", channel="reddit")
    reddit = reddit_client(client_id, client_secret, reddit_user_agent, options)
    listener = shared(RedditListener(
        reddit, policy=RetryPolicy(max_wait_per_run=options.max_wait_s), page_size=options.page_size
    ))
    pages = settings.max_pages
    feeds: list[ListenerFeed[RedditListener]] = []
    if options.search:
        where = _subreddit_name(options.search_subreddit) or "all"
        feeds.append(ListenerFeed(
            "reddit", scope_for(brand, "search", where), listener,
            lambda r, cursor: r.search(query, where, since=cursor, max_pages=pages, time_filter=options.time_filter),
            history=lambda r, start, end: search_history(r, query, where, start, end, pages),
        ))
    subreddits = sorted({_subreddit_name(s).casefold() for s in [*brand.subreddits, *options.subreddits]} - {""})
    if options.comments and subreddits:
        # "a+b" reads every watched subreddit in one listing: one request per page, whatever their number.
        combined = "+".join(subreddits)
        feeds.append(ListenerFeed(
            "reddit", scope_for(brand, "comments", combined), listener,
            lambda r, cursor: r.comments(combined, since=cursor, max_pages=pages),
        ))
    return feeds
