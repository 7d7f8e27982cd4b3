"""What detection reads: a brand's hourly counts (overall, per channel, per topic) and its high-reach posts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class HourCount:
    """Mentions in one UTC hour: all of them and the negative ones."""

    hour: datetime
    total: int
    negative: int

    def __post_init__(self) -> None:
        if self.hour.tzinfo is None or self.hour.utcoffset() is None:
            raise ValueError(f"HourCount.hour must be timezone-aware, got {self.hour!r}")
        if (self.hour.minute, self.hour.second, self.hour.microsecond) != (0, 0, 0):
            raise ValueError(f"HourCount.hour must be the start of an hour, got {self.hour.isoformat()}")
        if not 0 <= self.negative <= self.total:
            raise ValueError(f"need 0 <= negative <= total, got negative={self.negative} total={self.total}")


@dataclass(frozen=True)
class ReachPost:
    """A negative post and its author's reach, for the high-reach signal."""

    created_at: datetime
    followers: int
    channel: str
    id: str


@dataclass(frozen=True)
class BrandSeries:
    """Everything detection needs for one brand: hourly counts overall, per channel, per topic, and reach posts.

    Channel and topic series must cover the same hours as `hours` (missing hours count as zero).
    """

    brand: str
    hours: Sequence[HourCount]
    channels: Mapping[str, Sequence[HourCount]] = field(default_factory=dict)
    topics: Mapping[str, Sequence[HourCount]] = field(default_factory=dict)
    posts: Sequence[ReachPost] = ()


def dense_counts(counts: Sequence[HourCount], first: datetime, size: int, what: str) -> tuple[list[int], list[int]]:
    """(negative, total) per hour index; hours missing from the input had no mentions."""
    negative, total = [0] * size, [0] * size
    seen: set[int] = set()
    for count in counts:
        index = int((count.hour.astimezone(UTC) - first) // HOUR)
        if index in seen:
            raise ValueError(f"hour {count.hour.astimezone(UTC).isoformat()} appears twice in the {what} counts")
        if not 0 <= index < size:
            raise ValueError(f"{what} hour {count.hour.isoformat()} is outside the brand's hours")
        seen.add(index)
        negative[index], total[index] = count.negative, count.total
    return negative, total

