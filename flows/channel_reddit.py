"""The Reddit channel for the pipeline: `[channels.reddit]` settings, the praw client, one feed per endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from flows.brand_queries import REDDIT_QUERY_MAX_CHARS, reddit_query
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
from models.mention import Mention


class RedditOptions(StrictOptions):
    """Keys of `[channels.reddit]` besides `enabled` and `max_pages`."""

    search: bool = True  # search posts that match the brand query
    search_subreddit: str = "all"  # where to search ("all", or e.g. "korea+hanguk")
    time_filter: Literal["hour", "day", "week", "month", "year", "all"] = "week"
    comments: bool = True  # new comments in the brand's `subreddits` (re-checked against its terms)
    subreddits: list[str] = Field(default_factory=list)  # extra subreddits watched for every brand
    page_size: int = Field(default=100, ge=1, le=100)
    query_max_chars: int = Field(default=REDDIT_QUERY_MAX_CHARS, ge=64, le=4096)
    timeout_s: float = Field(default=16.0, gt=0, le=120)
    max_wait_s: float = Field(default=120.0, ge=0, le=900)
    oauth_url: str = "https://oauth.reddit.com"  # a proxy or a test server in front of the Reddit API
    reddit_url: str = "https://www.reddit.com"  # where the OAuth token comes from


def _single_try_strategy() -> type:
    """A prawcore retry strategy that never retries nor sleeps: brandpulse's retry loop is the only one."""
    from prawcore.sessions import FiniteRetryStrategy

    class SingleTry(FiniteRetryStrategy):
        def _sleep_seconds(self) -> float | None:
            return None

        def should_retry_on_failure(self) -> bool:
            return False

    return SingleTry


def reddit_client(client_id: str, client_secret: str, user_agent: str, options: RedditOptions) -> Any:
    """A read-only (application-only OAuth) praw.Reddit that never checks PyPI for updates nor retries by itself."""
    import praw

    reddit = praw.Reddit(
        client_id=client_id,
        client_secret=client_secret,
        user_agent=user_agent,
        check_for_updates=False,
        oauth_url=options.oauth_url.rstrip("/"),
        reddit_url=options.reddit_url.rstrip("/"),
        timeout=options.timeout_s,
    )
    # prawcore retries 5xx and connection errors twice with its own sleeps; stacked under call_with_retries that
    # would multiply requests in an outage. It has no public switch, so its sessions get a single-try strategy.
    for core in (reddit._read_only_core, reddit._authorized_core):
        if core is not None and hasattr(core, "_retry_strategy_class"):
            core._retry_strategy_class = _single_try_strategy()
    return reddit


def _subreddit_name(name: str) -> str:
    return name.strip().removeprefix("/").removeprefix("r/")


HISTORY_MAX_PAGES = 10  # Reddit listings end after about 1000 items, whatever the page size


def search_history(
    listener: Any, query: str, where: str, start: datetime, end: datetime, max_pages: int
) -> Iterator[Mention]:
    """Posts created in `[start, end)`, roughly: Reddit search cannot filter by date.

    Searches `time_filter="all"` sorted by new, skips what is newer than `end`, and stops at the first post older
    than `start` (the listener's `since` floor). Reddit serves at most ~1000 results per search, so a busy brand's
    older days may be out of reach; comments have no history at all.
    """
    from listeners.reddit import reddit_cursor

    floor = reddit_cursor(start, "t3_0")  # everything created before `start` sorts at or below this
    items = listener.search(
        query, where, since=floor, max_pages=min(max_pages, HISTORY_MAX_PAGES), time_filter="all"
    )
    for mention in items:
        if start <= mention.created_at < end:
            yield mention


def build_reddit_feeds(settings: ChannelSettings, secrets: Secrets, brand: Brand) -> list[Feed]:
    """Feeds for one brand on Reddit: a post search, and new comments in its subreddits (one listing for all)."""
    from listeners.reddit import RedditListener

    options = channel_options(settings, RedditOptions, channel="reddit")
    query = reddit_query(brand, max_chars=options.query_max_chars)
    client_id = require_secret(secrets.reddit_client_id, "BRANDPULSE_REDDIT_CLIENT_ID", channel="reddit")
    client_secret = require_secret(secrets.reddit_client_secret, "BRANDPULSE_REDDIT_CLIENT_SECRET", channel="reddit")
    reddit = reddit_client(client_id, client_secret, secrets.reddit_user_agent, options)
    listener = RedditListener(
        reddit, policy=RetryPolicy(max_wait_per_run=options.max_wait_s), page_size=options.page_size
    )
    pages = settings.max_pages
    feeds: list[Feed] = []
    if options.search:
        where = _subreddit_name(options.search_subreddit) or "all"
        feeds.append(ListenerHistoryFeed(
            "reddit", scope_for(brand, "search", where),
            lambda cursor: listener.search(
                query, where, since=cursor, max_pages=pages, time_filter=options.time_filter
            ),
            lambda: listener.last,
            history=lambda start, end: search_history(listener, query, where, start, end, pages),
        ))
    subreddits = sorted({_subreddit_name(s).casefold() for s in [*brand.subreddits, *options.subreddits]} - {""})
    if options.comments and subreddits:
        # "a+b" reads every watched subreddit in one listing: one request per page, whatever their number.
        combined = "+".join(subreddits)
        feeds.append(ListenerFeed(
            "reddit", scope_for(brand, "comments", combined),
            lambda cursor: listener.comments(combined, since=cursor, max_pages=pages),
            lambda: listener.last,
        ))
    return feeds
