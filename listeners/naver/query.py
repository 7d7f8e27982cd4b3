"""A brand compiled to Naver Search API queries (pure): one `+term -exclusion` query per brand term."""

from __future__ import annotations

from listeners.queries import clean_term, plain_terms, quoted, unique
from models.brands import Brand


def naver_token(term: str) -> str:
    """A term Naver must find: `+acme`, `+애크미`, or an exact phrase `+"acme store"`."""
    return f"+{quoted(term)}"


def naver_queries(brand: Brand) -> dict[str, str]:
    """Brand term → its Naver query: the term required (`+`), each exclusion removed (`-`), phrases quoted.

    Naver has no reliable OR across required terms, so each term is its own query (and its own cursor).
    """
    excluded = "".join(f" -{quoted(phrase)}" for phrase in unique([clean_term(p) for p in brand.exclude]))
    return {term: naver_token(term) + excluded for term in plain_terms(brand)}
