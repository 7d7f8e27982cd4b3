"""A brand compiled to a Reddit search query (pure)."""

from __future__ import annotations

from listeners.queries import any_of, checked_query, clean_term, quoted, unique
from models.brands import Brand

REDDIT_QUERY_MAX_CHARS = 512


def reddit_query(brand: Brand, *, max_chars: int = REDDIT_QUERY_MAX_CHARS) -> str:
    """The Reddit search query for a brand: terms OR-ed (Reddit ignores `#` and `@`), exclusions as NOT phrases."""
    terms = unique([quoted(clean_term(term).lstrip("#@") or clean_term(term)) for term in brand.terms])
    query = any_of(terms)
    excluded = unique([quoted(clean_term(phrase)) for phrase in brand.exclude])
    if excluded:
        query += "".join(f" NOT {phrase}" for phrase in excluded)
    return checked_query(query, max_chars, brand=brand.name, channel="reddit")
