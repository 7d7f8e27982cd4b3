"""Brands: the `[[brands]]` record, its owned accounts, and matching (which brands a mention names or comes from)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from models.mention import BrandMatch, Mention
from models.text.hangul import HANGUL_CHARS, is_hangul

_CHANNEL = re.compile(r"[a-z][a-z0-9_]*")
_HANDLE = re.compile(r"[\w.\-]+(@[\w.\-]+)?")  # X, Reddit, YouTube @handles; Mastodon user@host; Bluesky a.b.c
# Account ids on the channels whose ids have a known shape; other channels take any id without spaces.
_ACCOUNT_IDS = {
    "x": (re.compile(r"\d{1,20}"), "a numeric user id like x:1102938475610293847"),
    "youtube": (re.compile(r"UC[\w-]{22}"), "a channel id like youtube:UCxxxxxxxxxxxxxxxxxxxxxx (UC + 22 characters)"),
    "reddit": (re.compile(r"(t2_)?[\w-]{3,20}"), "a username (reddit:acme_support) or id (reddit:t2_4kq9xw1z)"),
    "naver": (re.compile(r"[\w.\-]{2,40}"), "a blog id like naver:acme_official"),
}
_ANY_ID = re.compile(r"\S+")


@dataclass(frozen=True)
class OwnedAccount:
    """One entry of a brand's `owned` list: a handle (any channel, or one) or an author id on one channel."""

    entry: str
    channel: str | None
    handle: str | None
    author_id: str | None

    def owns(self, channel: str, author_id: str | None, author_handle: str | None) -> bool:
        """Whether a mention by this author on this channel comes from this account."""
        if self.channel is not None and self.channel != channel:
            return False
        if self.author_id is not None and author_id == self.author_id:
            return True
        return self.handle is not None and author_handle is not None and normal_handle(author_handle) == self.handle


def normal_handle(handle: str) -> str:
    """A handle as owned accounts are compared: without the leading @, casefolded (handles ignore case)."""
    return handle.strip().lstrip("@").casefold()


@cache
def parse_owned(entry: str) -> OwnedAccount:
    """`@acmehelp` (a handle on any channel), `x:@acmehelp` (on one), `x:1102…` / `youtube:UC…` (an author id).

    On channels without a fixed id shape (Reddit, Naver, …) `channel:name` matches the author id or the handle.
    Raises ValueError saying what is wrong and what an entry looks like.
    """
    text = entry.strip()
    if text.startswith("@"):
        handle = text[1:]
        if not _HANDLE.fullmatch(handle):
            raise ValueError(f"{entry!r} is not a handle: use @name (letters, digits, _ . -)")
        return OwnedAccount(text, None, normal_handle(handle), None)
    channel, sep, value = text.partition(":")
    if not sep or not value.strip():
        raise ValueError(f"{entry!r} is neither @handle nor channel:account (like x:1102938475610293847)")
    channel, value = channel.strip().casefold(), value.strip()
    if not _CHANNEL.fullmatch(channel):
        raise ValueError(f"{entry!r}: {channel!r} is not a channel name (like x, reddit, youtube, naver)")
    if value.startswith("@"):
        if not _HANDLE.fullmatch(value[1:]):
            raise ValueError(f"{entry!r}: {value!r} is not a handle (letters, digits, _ . -)")
        return OwnedAccount(text, channel, normal_handle(value), None)
    pattern, example = _ACCOUNT_IDS.get(channel, (_ANY_ID, "an account id without spaces"))
    if not pattern.fullmatch(value):
        raise ValueError(f"{entry!r}: {channel} takes {example}, or a handle as {channel}:@name")
    # A numeric X id or a YouTube channel id is only ever an id; elsewhere the value may be a username as well.
    handle = None if channel in ("x", "youtube") else normal_handle(value)
    return OwnedAccount(text, channel, handle, value)


class Brand(BaseModel):
    """One brand to listen for: its terms, what to exclude, its languages, competitors and own accounts."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    terms: list[str] = Field(min_length=1)
    exclude: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    competitors: list[str] = Field(default_factory=list)
    x_user_id: str | None = None
    subreddits: list[str] = Field(default_factory=list)
    location: list[str] = Field(default_factory=list)
    # The brand's own accounts (support, official channels): their posts are its voice, not customer talk.
    owned: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _owned_accounts(self) -> Brand:
        for index, entry in enumerate(self.owned):
            try:
                parse_owned(entry)
            except ValueError as exc:
                raise ValueError(f"brand {self.name!r}, owned entry {index + 1}: {exc}") from None
        return self

    def owned_accounts(self) -> list[OwnedAccount]:
        """The `owned` entries parsed (validated when the brand was built)."""
        return [parse_owned(entry) for entry in self.owned]

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

    def owner(self, mention: Mention) -> str | None:
        """The brand whose owned account wrote this mention, or None."""
        for brand in self.brands:
            if any(a.owns(mention.channel, mention.author_id, mention.author_handle) for a in brand.owned_accounts()):
                return brand.name
        return None

    def match_mention(self, mention: Mention) -> list[BrandMatch]:
        """`match` on the text, plus the owning brand for a post by its own account that does not name it."""
        found = self.match(mention.text)
        owner = self.owner(mention)
        if owner is not None and not any(match.brand == owner for match in found):
            found.append(BrandMatch(brand=owner, terms=()))
        return found

    def named(self, name: str) -> BrandMatch | None:
        """An explicit assignment to the brand called `name` (case-insensitive), e.g. a survey's brand column."""
        for brand in self.brands:
            if brand.name.casefold() == name.strip().casefold():
                return BrandMatch(brand=brand.name, terms=())
        return None
