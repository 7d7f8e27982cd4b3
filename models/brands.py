"""Brands: the `[[brands]]` record, and matching on normalised text (which brands a mention names, by which terms)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from pydantic import BaseModel, ConfigDict, Field, field_validator

from models.mention import BrandMatch
from models.text.hangul import HANGUL_CHARS, is_hangul


class Brand(BaseModel):
    """One brand to listen for: its terms, what to exclude, its languages and competitors."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    terms: list[str] = Field(min_length=1)
    exclude: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    competitors: list[str] = Field(default_factory=list)
    x_user_id: str | None = None
    subreddits: list[str] = Field(default_factory=list)
    location: list[str] = Field(default_factory=list)

    @field_validator("location")
    @classmethod
    def _country_codes(cls, codes: list[str]) -> list[str]:
        cleaned = [code.strip().upper() for code in codes]
        bad = [code for code in cleaned if len(code) != 2 or not code.isalpha()]
        if bad:
            raise ValueError(f"location takes ISO 3166-1 two-letter country codes like 'KR', got {bad}")
        return cleaned

    @field_validator("terms")
    @classmethod
    def _no_blank_terms(cls, terms: list[str]) -> list[str]:
        if any(not term.strip() for term in terms):
            raise ValueError("terms must not contain blank strings")
        return terms


def normalise(text: str) -> str:
    """NFKC (folds full-width letters, composes Hangul) then casefold, with runs of whitespace collapsed."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).casefold())


# A word character that is not Hangul: "Acme에서" and "진짜Globex" name the brand, "acmeology" does not.
_NON_HANGUL_WORD = rf"[^\W{HANGUL_CHARS}]"


@cache
def _term_pattern(term: str) -> re.Pattern[str]:
    """A regex for one term: word-bounded, except around Hangul, where particles and missing spaces are normal."""
    norm = normalise(term).strip()
    # Korean attaches particles (애크미가, Acme에서) and social posts often drop spaces (진짜애크미), so Hangul
    # next to a term is no obstacle; Latin letters or digits are (acme must not match acmeology).
    left = "" if is_hangul(norm[0]) else rf"(?<!{_NON_HANGUL_WORD})"
    right = "" if is_hangul(norm[-1]) else rf"(?!{_NON_HANGUL_WORD})"
    return re.compile(left + re.escape(norm) + right)


@dataclass(frozen=True)
class BrandMatcher:
    """Matches texts against the configured brands; built once per run."""

    brands: tuple[Brand, ...]

    @classmethod
    def from_brands(cls, brands: Sequence[Brand]) -> BrandMatcher:
        """Build a matcher for these brands."""
        return cls(tuple(brands))

    def match(self, text: str) -> list[BrandMatch]:
        """The brands whose terms occur in `text` once each brand's excluded phrases are removed."""
        norm = normalise(text)
        found: list[BrandMatch] = []
        for brand in self.brands:
            candidate = norm
            for phrase in brand.exclude:
                candidate = candidate.replace(normalise(phrase), " ")
            terms = tuple(term for term in brand.terms if _term_pattern(term).search(candidate))
            if terms:
                found.append(BrandMatch(brand=brand.name, terms=terms))
        return found

    def named(self, name: str) -> BrandMatch | None:
        """An explicit assignment to the brand called `name` (case-insensitive), e.g. a survey's brand column."""
        for brand in self.brands:
            if brand.name.casefold() == name.strip().casefold():
                return BrandMatch(brand=brand.name, terms=())
        return None
