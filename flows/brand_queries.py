"""One brand definition compiled to each platform's native search query (pure).

The platform query only narrows what is fetched; every returned mention is re-checked locally with
`flows.brands.BrandMatcher`, so a platform that matches more loosely (stemming, ignored `#`) stores nothing extra.
"""

from __future__ import annotations

import re
import unicodedata

from flows.runtime.config import Brand
from models.errors import ConfigError

X_QUERY_MAX_CHARS = 512  # recent search on the Basic tier; Pro and full-archive search allow 1,024
REDDIT_QUERY_MAX_CHARS = 512

# A bare term X and Reddit both accept without quotes: letters, digits, Hangul, '_' and inner '-', '.', "'".
_BARE = re.compile(r"^[\w][\w.'-]*$")
_RESERVED = frozenset({"or", "and", "not"})


def _clean(term: str) -> str:
    """NFKC-folded (full-width letters → ASCII, composed Hangul), whitespace collapsed, double quotes dropped."""
    return " ".join(unicodedata.normalize("NFKC", term).replace('"', " ").split())


def _quoted(term: str) -> str:
    """A term as a query token: bare when safe, otherwise an exact phrase in double quotes."""
    return term if _BARE.match(term) and term.casefold() not in _RESERVED else f'"{term}"'


def _unique(items: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for item in items:
        if item:
            seen.setdefault(item.casefold(), item)
    return list(seen.values())


def _any_of(tokens: list[str]) -> str:
    return tokens[0] if len(tokens) == 1 else "(" + " OR ".join(tokens) + ")"


def x_token(term: str) -> str:
    """One brand term as an X search token: `#tag` and `@handle` keep their operator, the rest match as words."""
    term = _clean(term)
    if term[:1] in "#@" and _BARE.match(term[1:] or "-"):
        return term  # X operators: hashtag and mention match exactly, case-insensitively
    return _quoted(term.lstrip("#@") or term)


def x_query(
    brand: Brand,
    *,
    exclude_retweets: bool = False,
    max_chars: int = X_QUERY_MAX_CHARS,
) -> str:
    """The X API v2 search query for a brand: terms OR-ed, exclusions negated, `lang:`, `place_country:`, retweets."""
    parts = [_any_of(_unique([x_token(term) for term in brand.terms]))]
    parts += [f"-{_quoted(_clean(phrase))}" for phrase in _unique([_clean(p) for p in brand.exclude])]
    languages = _unique([lang.strip().lower() for lang in brand.languages])
    if languages:
        parts.append(_any_of([f"lang:{lang}" for lang in languages]))
    if brand.location:
        # Only geo-tagged posts carry a place, so a location narrows X search a lot: it is opt-in per brand.
        parts.append(_any_of([f"place_country:{code}" for code in _unique(brand.location)]))
    if exclude_retweets:
        parts.append("-is:retweet")
    return _checked(" ".join(parts), max_chars, brand=brand.name, channel="x")


def reddit_query(brand: Brand, *, max_chars: int = REDDIT_QUERY_MAX_CHARS) -> str:
    """The Reddit search query for a brand: terms OR-ed (Reddit ignores `#` and `@`), exclusions as NOT phrases."""
    terms = _unique([_quoted(_clean(term).lstrip("#@") or _clean(term)) for term in brand.terms])
    query = _any_of(terms)
    excluded = _unique([_quoted(_clean(phrase)) for phrase in brand.exclude])
    if excluded:
        query += "".join(f" NOT {phrase}" for phrase in excluded)
    return _checked(query, max_chars, brand=brand.name, channel="reddit")


def plain_terms(brand: Brand) -> list[str]:
    """The brand's terms as plain words for channels without a query language (`#`/`@` dropped, duplicates out)."""
    return _unique([_clean(term).lstrip("#@") or _clean(term) for term in brand.terms])


def _checked(query: str, max_chars: int, *, brand: str, channel: str) -> str:
    if len(query) > max_chars:
        raise ConfigError(
            f"{channel}: the search query for brand {brand!r} is {len(query)} characters, over the platform's "
            f"{max_chars}; use fewer or shorter terms, or raise [channels.{channel}] query_max_chars if your "
            "access tier allows longer queries",
            key="brands.terms",
        )
    return query
