"""The Mention record: the one contract every listener produces and the warehouse loads."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from models.errors import RecordError

MAX_TEXT_CHARS = 50_000
Kind = Literal["post", "comment", "reply", "repost", "quote", "review", "survey"]
KINDS: tuple[str, ...] = ("post", "comment", "reply", "repost", "quote", "review", "survey")
RATING_SCALES: dict[str, tuple[float, float]] = {
    "nps": (0, 10),
    "csat": (1, 5),
    "ces": (1, 7),
    "ces5": (1, 5),
    "ces7": (1, 7),
    "stars": (1, 5),
    "stars10": (1, 10),
    "smiley": (1, 5),
}


class Mention(BaseModel):
    """One post, comment, review or survey answer about a brand; `(channel, id)` is its key."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=False)

    channel: str = Field(min_length=1, max_length=40)
    id: str = Field(min_length=1, max_length=200)
    text: str
    created_at: datetime
    url: str | None = None
    author_id: str | None = None
    author_handle: str | None = None
    author_followers: int | None = Field(default=None, ge=0)
    lang: str | None = None
    kind: Kind = "post"
    parent_id: str | None = None
    metrics: dict[str, float] = Field(default_factory=dict)
    rating: float | None = None
    rating_scale: str | None = None
    raw: dict[str, Any] | None = None

    @field_validator("channel")
    @classmethod
    def _channel_slug(cls, value: str) -> str:
        value = value.strip().lower()
        if not value.replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"channel must be a short slug like 'x' or 'reddit', got {value!r}")
        return value

    @field_validator("id")
    @classmethod
    def _id_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("id must not be blank")
        return value.strip()

    @field_validator("text")
    @classmethod
    def _text_is_clean(cls, value: str) -> str:
        if "\x00" in value:
            raise ValueError("text contains NUL bytes")
        if not value.strip():
            raise ValueError("text is empty")
        if len(value) > MAX_TEXT_CHARS:
            raise ValueError(f"text is {len(value)} characters, more than the {MAX_TEXT_CHARS} allowed")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError("text is not valid UTF-8 (lone surrogate)") from exc
        return value

    @field_validator("created_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return as_utc(value)

    @field_validator("lang")
    @classmethod
    def _lang_code(cls, value: str | None) -> str | None:
        return value.strip().lower() or None if value is not None else None

    @field_validator("rating_scale")
    @classmethod
    def _known_scale(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().lower()
        if value not in RATING_SCALES:
            raise ValueError(f"rating_scale must be one of {', '.join(RATING_SCALES)}, got {value!r}")
        return value

    @field_validator("metrics")
    @classmethod
    def _finite_metrics(cls, value: dict[str, float]) -> dict[str, float]:
        for name, number in value.items():
            if not math.isfinite(number):
                raise ValueError(f"metric {name!r} is not a finite number")
        return value

    def model_post_init(self, _context: Any) -> None:
        """Check that every string can be stored as UTF-8 and that a rating sits inside its scale."""
        # A JSON `\ud800` escape decodes to a lone surrogate that DuckDB and Arrow refuse: reject the record
        # here, or the whole batch fails at load time. `raw` is kept: the loader writes it as escaped JSON.
        for name in ("channel", "id", "url", "author_id", "author_handle", "lang", "parent_id"):
            if _has_lone_surrogate(getattr(self, name)):
                raise ValueError(f"{name} is not valid UTF-8 (lone surrogate)")
        if self.rating is None:
            return
        if self.rating_scale is None:
            raise ValueError("rating given without rating_scale")
        low, high = RATING_SCALES[self.rating_scale]
        if not low <= self.rating <= high:
            raise ValueError(f"rating {self.rating:g} is outside the {self.rating_scale} scale {low:g}-{high:g}")

    @property
    def key(self) -> tuple[str, str]:
        """The `(channel, id)` primary key."""
        return (self.channel, self.id)


def _has_lone_surrogate(value: Any) -> bool:
    """True when a string, or any key or string inside dicts and lists, cannot be encoded as UTF-8."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_lone_surrogate(item) for item in value)
    return False


def mention_from_dict(data: dict[str, Any], *, source: str | None = None, line: int | None = None) -> Mention:
    """Validate a plain dict into a Mention, or raise RecordError naming the field and the reason."""
    from pydantic import ValidationError

    try:
        return Mention.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'record'}: {err['msg'].removeprefix('Value error, ')}"
            for err in exc.errors()
        )
        raise RecordError(problems, source=source, line=line) from None


EARLIEST_DATE = date(2006, 1, 1)  # before the first tweet: anything older is a broken export or a parser default
FUTURE_TOLERANCE_HOURS = 24.0  # clock skew and time-zone slips, not posts from next year


@dataclass(frozen=True)
class DateLimits:
    """The `created_at` range a stored mention must fall in (`[warehouse] earliest_date`, `future_tolerance_hours`)."""

    earliest: date = EARLIEST_DATE
    future_tolerance_hours: float = FUTURE_TOLERANCE_HOURS

    def problem(self, created_at: datetime, now: datetime) -> str | None:
        """Why `created_at` cannot be stored (a reason for `rejects`), or None when it is in range."""
        if created_at < datetime.combine(self.earliest, time(), tzinfo=UTC):
            return (
                f"created_at {created_at.isoformat()} is before {self.earliest.isoformat()}, the earliest accepted "
                "date ([warehouse] earliest_date); fix the date in the source"
            )
        latest = now + timedelta(hours=self.future_tolerance_hours)
        if created_at > latest:
            return (
                f"created_at {created_at.isoformat()} is more than {self.future_tolerance_hours:g} h in the future "
                "([warehouse] future_tolerance_hours); fix the date in the source"
            )
        return None


def as_utc(value: datetime) -> datetime:
    """The same instant in UTC; a naive datetime is taken as UTC (exports from survey tools rarely carry an offset)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def aware_utc(value: datetime, name: str = "time") -> datetime:
    """The same instant in UTC; a naive datetime is refused (ValueError) where its zone would be a guess."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value.astimezone(UTC)


def aware_utc_or_none(value: datetime | None, name: str = "time") -> datetime | None:
    """`aware_utc` for a time that may be missing."""
    return None if value is None else aware_utc(value, name)


class Reject(BaseModel):
    """An input record that failed validation: where it came from, why, and the raw payload for audit."""

    model_config = ConfigDict(frozen=True)

    source: str
    reason: str
    line: int | None = None
    channel: str | None = None
    record_id: str | None = None
    payload: str | None = None


class BrandMatch(BaseModel):
    """Which configured brand a mention matched, and which of its terms were found (recorded beside it)."""

    model_config = ConfigDict(frozen=True)

    brand: str
    terms: tuple[str, ...]


class CursorUpdate(BaseModel):
    """Where a listener stopped for one (channel, scope); saved in the same transaction as its mentions."""

    model_config = ConfigDict(frozen=True)

    channel: str
    scope: str
    value: str
