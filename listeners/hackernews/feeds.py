"""The Hacker News feeds of one brand: one search per brand term over the Algolia API (no credentials)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from listeners.feeds import ClientFactory, ListenerFeed, channel_options, per_fetch, scope_for
from listeners.hackernews.listener import CHANNEL, HackerNewsListener
from listeners.hackernews.options import HackerNewsOptions
from listeners.http import make_http_client
from listeners.queries import plain_terms
from models.brands import Brand
from models.channels import ChannelSettings
from models.mention import Mention, Reject


def build_hackernews_feeds(
    settings: ChannelSettings, brand: Brand, *, make_client: ClientFactory = make_http_client
) -> list[ListenerFeed[HackerNewsListener]]:
    """One search feed per plain brand term (Algolia ANDs the words of one query, so terms cannot be OR-ed).

    Each feed also reads history (`fetch_range`): Algolia filters on `created_at_i` for a backfill.
    """
    options = channel_options(settings, HackerNewsOptions, channel=CHANNEL)
    listener = per_fetch(lambda client: HackerNewsListener(client, host=options.host), make_client)
    pages = settings.max_pages

    def feed(term: str) -> ListenerFeed[HackerNewsListener]:
        def history(hn: HackerNewsListener, start: datetime, end: datetime) -> Iterator[Mention | Reject]:
            return hn.search(term, between=(int(start.timestamp()), int(end.timestamp())), max_pages=pages)

        return ListenerFeed(
            CHANNEL, scope_for(brand, "search", term), listener,
            lambda hn, cursor: hn.search(term, since=cursor, max_pages=pages), history=history,
        )

    return [feed(term) for term in plain_terms(brand)]
