"""Shared pieces of query compilation: brand terms cleaned, quoted and OR-ed, and the length check (pure).

Each channel compiles a brand to its own API's query in `listeners/NAME/query.py`. The platform query only narrows
what is fetched; every returned mention is re-checked locally with `models.brands.BrandMatcher`, so a platform that
matches more loosely (stemming, ignored `#`) stores nothing extra.
"""

from __future__ import annotations

import re
import unicodedata

from models.brands import Brand
from models.errors import ConfigError

# A bare term X and Reddit both accept without quotes: letters, digits, Hangul, '_' and inner '-', '.', "'".
BARE = re.compile(r"^[\w][\w.'-]*$")
_RESERVED = frozenset({"or", "and", "not"})


def clean_term(term: str) -> str:
    """NFKC-folded (full-width letters → ASCII, composed Hangul), whitespace collapsed, double quotes dropped."""
    return " ".join(unicodedata.normalize("NFKC", term).replace('"', " ").split())


def quoted(term: str) -> str:
    """A term as a query token: bare when safe, otherwise an exact phrase in double quotes."""
    return term if BARE.match(term) and term.casefold() not in _RESERVED else f'"{term}"'


def unique(items: list[str]) -> list[str]:
    """The items without empties and case-insensitive repeats, first spelling kept."""
    seen: dict[str, str] = {}
    for item in items:
        if item:
            seen.setdefault(item.casefold(), item)
    return list(seen.values())


def any_of(tokens: list[str]) -> str:
    """One token as is, several OR-ed in parentheses."""
    return tokens[0] if len(tokens) == 1 else "(" + " OR ".join(tokens) + ")"


def plain_terms(brand: Brand) -> list[str]:
    """The brand's terms as plain words for channels without a query language (`#`/`@` dropped, duplicates out)."""
    return unique([clean_term(term).lstrip("#@") or clean_term(term) for term in brand.terms])


def checked_query(query: str, max_chars: int, *, brand: str, channel: str) -> str:
    """The query, or ConfigError when it is longer than the platform accepts."""
    if len(query) > max_chars:
        raise ConfigError(
            f"{channel}: the search query for brand {brand!r} is {len(query)} characters, over the platform's "
            f"{max_chars}; use fewer or shorter terms, or raise [channels.{channel}] query_max_chars if your "
            "access tier allows longer queries",
            key="brands.terms",
        )
    return query
