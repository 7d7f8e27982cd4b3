"""The Hacker News channel: one feed per brand term over the Algolia search API (no credentials)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flows.brand_queries import plain_terms
from flows.channel_http import ClientFactory, HttpHistoryFeed, make_http_client
from flows.feeds import StrictOptions, channel_options, scope_for
from flows.runtime.config import Brand, ChannelSettings, Secrets
from listeners.hackernews import CHANNEL, DEFAULT_HOST, HackerNewsListener


class HackerNewsOptions(StrictOptions):
    """`[channels.hackernews]` keys beyond `enabled` / `max_pages`."""

    host: str = DEFAULT_HOST  # a mirror or a test server


def build_hackernews_feeds(
    settings: ChannelSettings, secrets: Secrets, brand: Brand, *, make_client: ClientFactory = make_http_client
) -> list[HttpHistoryFeed]:
    """One search feed per plain brand term (Algolia ANDs the words of one query, so terms cannot be OR-ed).

    Each feed also reads history (`fetch_range`): Algolia filters on `created_at_i` for a backfill.
    """
    del secrets  # the Algolia HN API is public
    options = channel_options(settings, HackerNewsOptions, channel=CHANNEL)

    def reader(term: str) -> Any:
        def read(client: Any, cursor: str | None) -> tuple[Any, HackerNewsListener]:
            listener = HackerNewsListener(client, host=options.host)
            return listener.search(term, since=cursor, max_pages=settings.max_pages), listener

        return read

    def range_reader(term: str) -> Any:
        def read(client: Any, start: datetime, end: datetime) -> tuple[Any, HackerNewsListener]:
            listener = HackerNewsListener(client, host=options.host)
            between = (int(start.timestamp()), int(end.timestamp()))
            return listener.search(term, between=between, max_pages=settings.max_pages), listener

        return read

    return [
        HttpHistoryFeed(
            CHANNEL, scope_for(brand, "search", term), reader(term), make_client, read_range=range_reader(term)
        )
        for term in plain_terms(brand)
    ]
