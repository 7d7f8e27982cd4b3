"""`[channels.rss]`: the feeds to read, each with its channel, brands and whether the brand owns it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from listeners.feeds import StrictOptions
from listeners.rss.listener import CHANNEL


class FeedSpec(BaseModel):
    """One feed: its URL, the channel its entries are stored under, the brands it is about."""

    model_config = ConfigDict(extra="forbid")

    url: str
    channel: str = Field(default=CHANNEL, pattern=r"^[a-z0-9_-]{1,40}$")  # e.g. "appstore" for review feeds
    brands: list[str] = Field(default_factory=list)  # empty: every brand (its entries are matched on text)
    # Your own app's review feed: entries belong to the brand without naming it (reviews rarely do).
    owned: bool = False

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"feed {url!r} is not an http(s) URL")
        return url.strip()


class RssOptions(StrictOptions):
    """`[channels.rss]` keys beyond `enabled` / `max_pages`."""

    feeds: list[FeedSpec] = Field(min_length=1)

    @field_validator("feeds", mode="before")
    @classmethod
    def _strings_are_urls(cls, feeds: Any) -> Any:
        return [{"url": f} if isinstance(f, str) else f for f in feeds] if isinstance(feeds, list) else feeds
