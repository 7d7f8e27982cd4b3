"""`[channels.reddit]`: the Reddit channel's own settings (unknown keys are an error)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from listeners.feeds import StrictOptions
from listeners.reddit.query import REDDIT_QUERY_MAX_CHARS


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
