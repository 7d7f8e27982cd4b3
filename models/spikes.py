"""Spike detection over hourly counts: pure functions, no I/O."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, timedelta

from models.errors import ConfigError

SIGNAL_NEGATIVE_VOLUME = "negative_volume"
# An hour is only judged once a full day precedes it, so every hour-of-day has at least one sample.
MIN_HISTORY_HOURS = 24
# Pseudo-count of days: with few same-hour samples the baseline leans on the recent hourly mean instead.
BLEND_PSEUDO_DAYS = 3.0
_HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class HourCount:
    """Mentions of one brand in one UTC hour: all of them and the negative ones."""

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
class DetectorSettings:
    """Thresholds for the negative-volume detector; build them with `settings_for`."""

    min_count: int
    min_lift: float
    p_value: float
    baseline_days: int
    cooldown_hours: int
    merge_gap_hours: int
    # Expected counts below this are raised to it, so an hour after a silent baseline needs a real burst.
    expected_floor: float = 1.0

    def __post_init__(self) -> None:
        problems = [
            "min_count must be >= 1" if self.min_count < 1 else "",
            "min_lift must be > 1" if self.min_lift <= 1 else "",
            "p_value must be in (0, 1)" if not 0 < self.p_value < 1 else "",
            "baseline_days must be >= 1" if self.baseline_days < 1 else "",
            "cooldown_hours must be >= 0" if self.cooldown_hours < 0 else "",
            "merge_gap_hours must be >= 0" if self.merge_gap_hours < 0 else "",
            "expected_floor must be > 0" if self.expected_floor <= 0 else "",
        ]
        if any(problems):
            raise ValueError("invalid detector settings: " + "; ".join(p for p in problems if p))


PRESETS: dict[str, DetectorSettings] = {
    "sensitive": DetectorSettings(
        min_count=3, min_lift=2.0, p_value=1e-3, baseline_days=7, cooldown_hours=3, merge_gap_hours=1
    ),
    "balanced": DetectorSettings(
        min_count=5, min_lift=2.5, p_value=1e-4, baseline_days=14, cooldown_hours=6, merge_gap_hours=2
    ),
    "strict": DetectorSettings(
        min_count=10, min_lift=3.0, p_value=1e-6, baseline_days=28, cooldown_hours=12, merge_gap_hours=3
    ),
}


def settings_for(preset: str, **overrides: float | None) -> DetectorSettings:
    """The named preset with any non-None overrides applied (the `[alerts]` table of brandpulse.toml)."""
    if preset not in PRESETS:
        raise ConfigError(f"unknown alert preset {preset!r} (choose one of: {', '.join(PRESETS)})", key="alerts.preset")
    known = {f.name for f in fields(DetectorSettings)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise TypeError(f"unknown detector setting(s): {', '.join(unknown)}")
    return replace(PRESETS[preset], **{name: value for name, value in overrides.items() if value is not None})


@dataclass(frozen=True)
class Episode:
    """One spike: flagged hours close together, from `start` to `end` (exclusive), all times UTC."""

    brand: str
    signal: str
    start: datetime
    end: datetime
    observed: int
    expected: float
    lift: float
    p_value: float
    peak_hour: datetime

    @property
    def key(self) -> str:
        """Outbox key: brand, signal and start hour, so a later run that sees the episode grow keeps it."""
        return f"{self.brand}|{self.signal}|{self.start.astimezone(UTC):%Y-%m-%dT%H}"


def poisson_upper_tail(k: int, mean: float) -> float:
    """P(X >= k) for X ~ Poisson(mean), summed exactly in log space so tiny tails keep their precision."""
    if k <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    log_mean = math.log(mean)

    def pmf(i: int) -> float:
        return math.exp(i * log_mean - mean - math.lgamma(i + 1))

    if k > mean:
        # Terms fall from k upwards: sum the upper tail directly (1 - cdf would round tiny tails to 0).
        total, i = 0.0, k
        while True:
            term = pmf(i)
            total += term
            i += 1
            if term <= total * 1e-17 or i - k > 100_000:
                return min(total, 1.0)
    # k <= mean: the lower tail is the small side; its terms fall from k-1 downwards.
    lower, i = 0.0, k - 1
    while i >= 0:
        term = pmf(i)
        lower += term
        i -= 1
        if term <= lower * 1e-17:
            break
    return max(0.0, 1.0 - lower)


def _trimmed_mean(values: list[int]) -> float:
    """Mean after dropping the top and bottom fifth, so one odd day does not move the baseline."""
    ordered = sorted(values)
    trim = len(ordered) // 5
    kept = ordered[trim : len(ordered) - trim]
    return sum(kept) / len(kept)


def detect_negative_spikes(
    brand: str,
    counts: Sequence[HourCount],
    settings: DetectorSettings,
    *,
    evaluate_from: datetime | None = None,
) -> list[Episode]:
    """Episodes of unusually many negative mentions; hours before `evaluate_from` serve only as history.

    Every hour with a day of history is judged against its baseline (so flagged hours can be left out of
    later baselines, and cooldowns carry across runs), but only episodes with a flagged hour at or after
    `evaluate_from` are returned. Such an episode keeps its true start, so its key does not change when a
    later run evaluates from a later hour.
    """
    if not counts:
        return []
    if evaluate_from is not None and (evaluate_from.tzinfo is None or evaluate_from.utcoffset() is None):
        raise ValueError("evaluate_from must be timezone-aware")
    by_hour: dict[datetime, int] = {}
    for count in counts:
        hour = count.hour.astimezone(UTC)
        if hour in by_hour:
            raise ValueError(f"hour {hour.isoformat()} appears twice in the counts")
        by_hour[hour] = count.negative
    first = min(by_hour)
    size = int((max(by_hour) - first) / _HOUR) + 1
    # Hours missing from the input had no mentions at all.
    negative = [by_hour.get(first + i * _HOUR, 0) for i in range(size)]

    expected: list[float] = [0.0] * size
    flagged = [False] * size
    # Prefix sums over all hours and over hours not flagged, for the recent hourly mean.
    all_sum = [0] * (size + 1)
    clean_sum = [0] * (size + 1)
    clean_n = [0] * (size + 1)
    for i in range(size):
        if i >= MIN_HISTORY_HOURS:
            expected[i] = _baseline(i, negative, flagged, all_sum, clean_sum, clean_n, settings)
            observed = negative[i]
            flagged[i] = (
                observed >= settings.min_count
                and observed >= settings.min_lift * expected[i]
                and poisson_upper_tail(observed, expected[i]) <= settings.p_value
            )
        all_sum[i + 1] = all_sum[i] + negative[i]
        clean_sum[i + 1] = clean_sum[i] + (0 if flagged[i] else negative[i])
        clean_n[i + 1] = clean_n[i] + (0 if flagged[i] else 1)

    cutoff = None if evaluate_from is None else evaluate_from.astimezone(UTC)
    episodes: list[Episode] = []
    last_end: int | None = None
    for start, last in _bursts(flagged, settings.merge_gap_hours):
        # A burst that starts within the cooldown of the previous one (reported or not) is the same trouble.
        cooling = last_end is not None and start - last_end < settings.cooldown_hours
        last_end = last + 1
        if cooling or (cutoff is not None and first + last * _HOUR < cutoff):
            continue
        episodes.append(_episode(brand, first, start, last, negative, expected))
    return episodes


def _baseline(
    i: int,
    negative: list[int],
    flagged: list[bool],
    all_sum: list[int],
    clean_sum: list[int],
    clean_n: list[int],
    settings: DetectorSettings,
) -> float:
    """Expected negatives for hour i: same hour on previous days, blended with the recent hourly mean.

    Flagged hours are left out, unless they are most of the history: then the "anomaly" is the new normal
    (a lasting shift in volume) and the baseline takes it in, so one shift cannot flag every hour forever.
    """
    days = [i - 24 * day for day in range(1, settings.baseline_days + 1) if i - 24 * day >= 0]
    same_hour = [negative[j] for j in days if not flagged[j]]
    if 2 * len(same_hour) < len(days):
        same_hour = [negative[j] for j in days]
    lo = max(0, i - settings.baseline_days * 24)
    n_clean = clean_n[i] - clean_n[lo]
    if 2 * n_clean >= i - lo:
        recent = (clean_sum[i] - clean_sum[lo]) / n_clean
    else:
        recent = (all_sum[i] - all_sum[lo]) / (i - lo)
    weight = len(same_hour) / (len(same_hour) + BLEND_PSEUDO_DAYS)
    seasonal = _trimmed_mean(same_hour) if same_hour else 0.0
    return max(weight * seasonal + (1 - weight) * recent, settings.expected_floor)


def _bursts(flagged: list[bool], merge_gap: int) -> list[tuple[int, int]]:
    """(first, last) indices of runs of flagged hours, joining runs separated by at most merge_gap hours."""
    bursts: list[tuple[int, int]] = []
    for i, hit in enumerate(flagged):
        if not hit:
            continue
        if bursts and i - bursts[-1][1] - 1 <= merge_gap:
            bursts[-1] = (bursts[-1][0], i)
        else:
            bursts.append((i, i))
    return bursts


def _episode(brand: str, first: datetime, start: int, last: int, negative: list[int], expected: list[float]) -> Episode:
    """Totals over the episode's hours, quiet hours inside a merge gap included."""
    observed = sum(negative[start : last + 1])
    baseline = sum(expected[start : last + 1])
    peak = max(range(start, last + 1), key=lambda j: (negative[j], -j))
    return Episode(
        brand=brand,
        signal=SIGNAL_NEGATIVE_VOLUME,
        start=first + start * _HOUR,
        end=first + (last + 1) * _HOUR,
        observed=observed,
        expected=baseline,
        lift=observed / baseline,
        p_value=poisson_upper_tail(observed, baseline),
        peak_hour=first + peak * _HOUR,
    )
