"""A brand compiled into a news-search feed URL (pure): `{query}` becomes its terms OR-ed."""

from __future__ import annotations

from urllib.parse import quote_plus

from listeners.queries import plain_terms
from listeners.rss.options import FeedSpec
from models.brands import Brand

QUERY_PLACEHOLDER = "{query}"


def feed_url(spec: FeedSpec, brand: Brand) -> str:
    """The feed's URL for a brand: `{query}` becomes the brand's terms OR-ed (news search feeds)."""
    if QUERY_PLACEHOLDER not in spec.url:
        return spec.url
    query = " OR ".join(f'"{t}"' if " " in t else t for t in plain_terms(brand))
    return spec.url.replace(QUERY_PLACEHOLDER, quote_plus(query))
