"""`[channels.youtube]`: the YouTube channel's own settings (unknown keys are an error)."""

from __future__ import annotations

from pydantic import Field, field_validator

from listeners.feeds import StrictOptions
from listeners.youtube.listener import API_URL, DAILY_UNITS
from listeners.youtube.query import YOUTUBE_QUERY_MAX_CHARS


class YouTubeOptions(StrictOptions):
    """`[channels.youtube]` keys beyond `enabled` / `max_pages` (search pages of 50 videos per brand and run)."""

    video_days: int = Field(default=7, ge=1, le=90)  # follow the comments of videos published this recently
    comment_pages: int = Field(default=2, ge=1, le=50)  # comment-thread pages (100 threads) per video and run
    subscribers: bool = True  # the uploaders' subscriber counts as reach: one channels.list (1 unit) per search page
    daily_quota: int = Field(default=DAILY_UNITS, ge=1)  # the Google Cloud project's units a day
    run_share: float = Field(default=0.05, gt=0, le=1)  # the most of the daily quota one run may spend
    query_max_chars: int = Field(default=YOUTUBE_QUERY_MAX_CHARS, ge=32, le=2048)
    max_wait_s: float = Field(default=120.0, ge=0, le=900)
    api_url: str = API_URL  # a proxy or a test server in front of the API

    @field_validator("api_url")
    @classmethod
    def _url(cls, url: str) -> str:
        if not url.startswith(("https://", "http://")):
            raise ValueError(f"api_url {url!r} must start with https://")
        return url
