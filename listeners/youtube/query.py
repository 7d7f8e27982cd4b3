"""A brand compiled to a YouTube `search.list` query (pure): terms joined by `|`, exclusions negated with `-`."""

from __future__ import annotations

from listeners.queries import checked_query, clean_term, plain_terms, quoted, unique
from models.brands import Brand

YOUTUBE_QUERY_MAX_CHARS = 500  # search.list has no documented limit; long `q`s come back empty or as 400s


def youtube_query(brand: Brand, *, max_chars: int = YOUTUBE_QUERY_MAX_CHARS) -> str:
    """`acme|애크미|"acme store" -"acme anvil"`: any term (`|` is YouTube's OR), none of the exclusions."""
    query = "|".join(quoted(term) for term in plain_terms(brand))
    excluded = unique([quoted(clean_term(phrase)) for phrase in brand.exclude])
    query += "".join(f" -{phrase}" for phrase in excluded)
    return checked_query(query, max_chars, brand=brand.name, channel="youtube")
