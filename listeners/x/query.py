"""A brand compiled to an X API v2 search query (pure)."""

from __future__ import annotations

from listeners.queries import BARE, any_of, checked_query, clean_term, quoted, unique
from models.brands import Brand

X_QUERY_MAX_CHARS = 512  # recent search on the Basic tier; Pro and full-archive search allow 1,024


def x_token(term: str) -> str:
    """One brand term as an X search token: `#tag` and `@handle` keep their operator, the rest match as words."""
    term = clean_term(term)
    if term[:1] in "#@" and BARE.match(term[1:] or "-"):
        return term  # X operators: hashtag and mention match exactly, case-insensitively
    return quoted(term.lstrip("#@") or term)


def owned_senders(brand: Brand) -> list[str]:
    """`from:` operators for the brand's owned accounts that can post on X (an @handle or an x: account)."""
    senders = []
    for account in brand.owned_accounts():
        if account.channel not in (None, "x"):
            continue
        name = account.author_id or account.handle or ""
        if BARE.match(name) and "@" not in name:  # a Mastodon-style user@host is no X account
            senders.append(f"from:{name}")
    return senders


def x_query(
    brand: Brand,
    *,
    exclude_retweets: bool = False,
    max_chars: int = X_QUERY_MAX_CHARS,
) -> str:
    """The X API v2 search query for a brand: terms and owned senders OR-ed, exclusions negated, `lang:`,
    `place_country:`, retweets."""
    # The brand's own X accounts too: their replies ("Sorry, DM us") rarely name it, yet response care needs them.
    parts = [any_of(unique([x_token(term) for term in brand.terms] + owned_senders(brand)))]
    parts += [f"-{quoted(clean_term(phrase))}" for phrase in unique([clean_term(p) for p in brand.exclude])]
    languages = unique([lang.strip().lower() for lang in brand.languages])
    if languages:
        parts.append(any_of([f"lang:{lang}" for lang in languages]))
    if brand.location:
        # Only geo-tagged posts carry a place, so a location narrows X search a lot: it is opt-in per brand.
        parts.append(any_of([f"place_country:{code}" for code in unique(brand.location)]))
    if exclude_retweets:
        parts.append("-is:retweet")
    return checked_query(" ".join(parts), max_chars, brand=brand.name, channel="x")
