"""`[channels.x]`: the X channel's own settings (unknown keys are an error)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from listeners.feeds import StrictOptions
from listeners.x.query import X_QUERY_MAX_CHARS

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
