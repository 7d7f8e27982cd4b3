"""The RSS / Atom channel: configured news, blog and app-store review feeds (no credentials)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote_plus, urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from flows.brand_queries import plain_terms
from flows.channel_http import ClientFactory, HttpFeed, make_http_client
from flows.feeds import StrictOptions, channel_options, scope_for
from flows.runtime.config import Brand, ChannelSettings, Secrets
from listeners.rss import CHANNEL, RssListener
from models.errors import ConfigError

QUERY_PLACEHOLDER = "{query}"


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


def feed_url(spec: FeedSpec, brand: Brand) -> str:
    """The feed's URL for a brand: `{query}` becomes the brand's terms OR-ed (news search feeds)."""
    if QUERY_PLACEHOLDER not in spec.url:
        return spec.url
    query = " OR ".join(f'"{t}"' if " " in t else t for t in plain_terms(brand))
    return spec.url.replace(QUERY_PLACEHOLDER, quote_plus(query))


def build_rss_feeds(
    settings: ChannelSettings, secrets: Secrets, brand: Brand, *, make_client: ClientFactory | None = None
) -> list[HttpFeed]:
    """One feed per configured URL that concerns this brand; one request each per run."""
    del secrets  # public feeds
    options = channel_options(settings, RssOptions, channel=CHANNEL)
    factory = make_client or (lambda: make_http_client(follow_redirects=True))  # feeds move; follow them

    def reader(url: str, spec: FeedSpec) -> Any:
        def read(client: Any, cursor: str | None) -> tuple[Any, RssListener]:
            listener = RssListener(client)
            return listener.feed(url, since=cursor, channel=spec.channel), listener

        return read

    feeds: list[HttpFeed] = []
    for index, spec in enumerate(options.feeds):
        if spec.brands and brand.name.casefold() not in {b.casefold() for b in spec.brands}:
            continue
        if spec.owned and not spec.brands:
            raise ConfigError(
                f"{CHANNEL}: feed {spec.url!r} is marked owned but names no brand; add brands = [\"...\"]",
                key=f"channels.{CHANNEL}.feeds.{index}.brands",
            )
        url = feed_url(spec, brand)
        scope = scope_for(brand, "feed", spec.url)
        feeds.append(HttpFeed(spec.channel, scope, reader(url, spec), factory, owned=spec.owned))
    return feeds
