"""The RSS / Atom feeds of one brand: configured news, blog and app-store review feeds (no credentials)."""

from __future__ import annotations

from listeners.feeds import ClientFactory, ListenerFeed, channel_options, per_fetch, scope_for
from listeners.http import make_http_client
from listeners.rss.listener import CHANNEL, RssListener
from listeners.rss.options import FeedSpec, RssOptions
from listeners.rss.query import feed_url
from models.brands import Brand
from models.channels import ChannelSettings
from models.errors import ConfigError


def build_rss_feeds(
    settings: ChannelSettings, brand: Brand, *, make_client: ClientFactory | None = None
) -> list[ListenerFeed[RssListener]]:
    """One feed per configured URL that concerns this brand; one request each per run."""
    options = channel_options(settings, RssOptions, channel=CHANNEL)
    factory = make_client or (lambda: make_http_client(follow_redirects=True))  # feeds move; follow them
    listener = per_fetch(RssListener, factory)

    def feed(url: str, spec: FeedSpec) -> ListenerFeed[RssListener]:
        return ListenerFeed(
            spec.channel, scope_for(brand, "feed", spec.url), listener,
            lambda rss, cursor: rss.feed(url, since=cursor, channel=spec.channel), owned=spec.owned,
        )

    feeds: list[ListenerFeed[RssListener]] = []
    for index, spec in enumerate(options.feeds):
        if spec.brands and brand.name.casefold() not in {b.casefold() for b in spec.brands}:
            continue
        if spec.owned and not spec.brands:
            raise ConfigError(
                f"{CHANNEL}: feed {spec.url!r} is marked owned but names no brand; add brands = [\"...\"]",
                key=f"channels.{CHANNEL}.feeds.{index}.brands",
            )
        feeds.append(feed(feed_url(spec, brand), spec))
    return feeds
