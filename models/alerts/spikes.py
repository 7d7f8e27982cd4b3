"""Negative-spike detection over hourly counts: signals, presets, episodes (pure functions, no I/O).

Four signals, each with its own settings: `negative_volume` (more negative mentions than the hour's rhythm
explains, also per channel where volume allows: `channel_volume`), `negative_share` (a larger share of
negatives), `topic_surge` (one topic's negatives) and `high_reach_post` (one negative post from a large
account). Flagged hours of all signals close together form one **episode**, the unit of alerting.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from models.alerts.baseline import BaselineSettings, HourlyBaseline
from models.alerts.tails import binomial_upper_tail, negbin_upper_tail, poisson_upper_tail
from models.errors import ConfigError

__all__ = [
    "PRESETS",
    "SIGNALS",
    "SIGNAL_CHANNEL_VOLUME",
    "SIGNAL_HIGH_REACH",
    "SIGNAL_NEGATIVE_SHARE",
    "SIGNAL_NEGATIVE_VOLUME",
    "SIGNAL_TOPIC_SURGE",
    "BrandSeries",
    "Detection",
    "DetectorSettings",
    "Driver",
    "Episode",
    "HourCount",
    "ReachPost",
    "ReachSettings",
    "ScopeSettings",
    "ShareSettings",
    "detect",
    "detect_negative_spikes",
    "poisson_upper_tail",
    "settings_for",
]

SIGNAL_NEGATIVE_VOLUME = "negative_volume"
SIGNAL_NEGATIVE_SHARE = "negative_share"
SIGNAL_CHANNEL_VOLUME = "channel_volume"
SIGNAL_TOPIC_SURGE = "topic_surge"
SIGNAL_HIGH_REACH = "high_reach_post"
# Also the order that names an episode when two signals start in the same hour.
SIGNALS = (
    SIGNAL_NEGATIVE_VOLUME,
    SIGNAL_NEGATIVE_SHARE,
    SIGNAL_CHANNEL_VOLUME,
    SIGNAL_TOPIC_SURGE,
    SIGNAL_HIGH_REACH,
)
# An hour is only judged once a full day precedes it, so every hour of the day has at least one sample.
MIN_HISTORY_HOURS = 24
# When everything else rose at least this much too (a launch, a sale), negatives alone are no crisis.
LAUNCH_VOLUME_LIFT = 1.5
# Significance of "everything else rose" and of "the negatives' share rose anyway" in that guard.
LAUNCH_SHARE_P = 0.01
_HOUR = timedelta(hours=1)


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
class ShareSettings:
    """`negative_share`: the share of negatives rises (volume may stay flat)."""

    enabled: bool
    min_count: int
    min_lift: float
    min_points: float
    p_value: float


@dataclass(frozen=True)
class ScopeSettings:
    """`channel_volume` / `topic_surge`: the negative-volume test on one channel's or one topic's counts."""

    enabled: bool
    min_count: int
    min_lift: float
    p_value: float
    # A channel or topic is only tested while it usually has at least this many negatives a day.
    min_daily_negative: float


@dataclass(frozen=True)
class ReachSettings:
    """`high_reach_post`: one negative post from an account with at least this many followers."""

    enabled: bool
    min_followers: int


@dataclass(frozen=True)
class DetectorSettings:
    """Thresholds for every signal; build them with `settings_for`."""

    min_count: int
    min_lift: float
    p_value: float
    baseline_days: int
    cooldown_hours: int
    baseline_weeks: int
    max_window_hours: int
    launch_share_lift: float
    update_growth: float
    share: ShareSettings
    channel: ScopeSettings
    topic: ScopeSettings
    reach: ReachSettings
    # Expected counts below this are raised to it, so an hour after a silent baseline needs a real burst.
    expected_floor: float = 1.0

    def __post_init__(self) -> None:
        problems = [
            "min_count must be >= 1" if self.min_count < 1 else "",
            "min_lift must be > 1" if self.min_lift <= 1 else "",
            "p_value must be in (0, 1)" if not 0 < self.p_value < 1 else "",
            "baseline_days must be >= 1" if self.baseline_days < 1 else "",
            "baseline_weeks must be >= 1" if self.baseline_weeks < 1 else "",
            "cooldown_hours must be >= 0" if self.cooldown_hours < 0 else "",
            "max_window_hours must be 1-6" if not 1 <= self.max_window_hours <= 6 else "",
            "launch_share_lift must be >= 1" if self.launch_share_lift < 1 else "",
            "update_growth must be > 1" if self.update_growth <= 1 else "",
            "expected_floor must be > 0" if self.expected_floor <= 0 else "",
            "share.min_count must be >= 1" if self.share.min_count < 1 else "",
            "share.min_lift must be > 1" if self.share.min_lift <= 1 else "",
            "share.min_points must be in [0, 1)" if not 0 <= self.share.min_points < 1 else "",
            "share.p_value must be in (0, 1)" if not 0 < self.share.p_value < 1 else "",
            "reach.min_followers must be >= 1" if self.reach.min_followers < 1 else "",
        ]
        for name, scope in (("channel", self.channel), ("topic", self.topic)):
            problems += [
                f"{name}.min_count must be >= 1" if scope.min_count < 1 else "",
                f"{name}.min_lift must be > 1" if scope.min_lift <= 1 else "",
                f"{name}.p_value must be in (0, 1)" if not 0 < scope.p_value < 1 else "",
                f"{name}.min_daily_negative must be >= 0" if scope.min_daily_negative < 0 else "",
            ]
        if any(problems):
            raise ValueError("invalid detector settings: " + "; ".join(p for p in problems if p))


PRESETS: dict[str, DetectorSettings] = {
    "sensitive": DetectorSettings(
        min_count=4, min_lift=2.0, p_value=1e-3, baseline_days=7, cooldown_hours=3, baseline_weeks=3,
        max_window_hours=3, launch_share_lift=1.3, update_growth=1.5,
        share=ShareSettings(enabled=True, min_count=4, min_lift=1.5, min_points=0.10, p_value=1e-3),
        channel=ScopeSettings(enabled=True, min_count=4, min_lift=2.5, p_value=1e-4, min_daily_negative=12),
        topic=ScopeSettings(enabled=True, min_count=4, min_lift=2.5, p_value=1e-4, min_daily_negative=2),
        reach=ReachSettings(enabled=True, min_followers=50_000),
    ),
    "balanced": DetectorSettings(
        min_count=5, min_lift=2.5, p_value=1e-4, baseline_days=14, cooldown_hours=6, baseline_weeks=4,
        max_window_hours=3, launch_share_lift=1.5, update_growth=2.0,
        share=ShareSettings(enabled=True, min_count=6, min_lift=2.0, min_points=0.15, p_value=1e-5),
        channel=ScopeSettings(enabled=True, min_count=6, min_lift=3.0, p_value=1e-5, min_daily_negative=24),
        topic=ScopeSettings(enabled=True, min_count=6, min_lift=3.0, p_value=1e-5, min_daily_negative=4),
        reach=ReachSettings(enabled=True, min_followers=100_000),
    ),
    "strict": DetectorSettings(
        min_count=10, min_lift=3.0, p_value=1e-6, baseline_days=28, cooldown_hours=12, baseline_weeks=6,
        max_window_hours=3, launch_share_lift=2.0, update_growth=3.0,
        share=ShareSettings(enabled=True, min_count=10, min_lift=2.5, min_points=0.20, p_value=1e-7),
        channel=ScopeSettings(enabled=False, min_count=10, min_lift=3.5, p_value=1e-7, min_daily_negative=48),
        topic=ScopeSettings(enabled=True, min_count=10, min_lift=3.5, p_value=1e-7, min_daily_negative=8),
        reach=ReachSettings(enabled=True, min_followers=500_000),
    ),
}  # fmt: skip


def settings_for(preset: str, **overrides: Any) -> DetectorSettings:
    """The named preset with any non-None overrides applied (the `[alerts]` table of brandpulse.toml).

    Nested tables (`share`, `channel`, `topic`, `reach`) take a mapping of their own overrides.
    """
    if preset not in PRESETS:
        raise ConfigError(f"unknown alert preset {preset!r} (choose one of: {', '.join(PRESETS)})", key="alerts.preset")
    return _apply(PRESETS[preset], overrides, "")


def _apply(base: Any, overrides: Mapping[str, Any], prefix: str) -> Any:
    known = {f.name for f in fields(base)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise TypeError(f"unknown detector setting(s): {', '.join(prefix + name for name in unknown)}")
    changes: dict[str, Any] = {}
    for name, value in overrides.items():
        if value is None:
            continue
        current = getattr(base, name)
        if is_dataclass(current):
            if not isinstance(value, Mapping):
                raise TypeError(f"detector setting {prefix}{name} takes a table of settings")
            changes[name] = _apply(current, value, f"{prefix}{name}.")
        else:
            changes[name] = value
    return replace(base, **changes)


@dataclass(frozen=True)
class Driver:
    """One channel or topic inside an episode: its negatives against its own expectation."""

    name: str
    observed: int
    expected: float

    @property
    def lift(self) -> float:
        """Observed over expected (the expectation is never below the floor)."""
        return self.observed / self.expected if self.expected > 0 else float("inf")


@dataclass(frozen=True)
class Episode:
    """One spike: flagged hours of any signal close together, from `start` to `end` (exclusive), times UTC.

    `observed` / `expected` are the brand's negative mentions over the window; `signal` is the signal that
    flagged first, `signals` all that took part. `detected_at` is the hour whose data first raised it (the alert
    can go out once that hour is complete); `open` says whether it may still grow as of the last hour judged.
    """

    brand: str
    signal: str
    start: datetime
    end: datetime
    observed: int
    expected: float
    lift: float
    p_value: float
    peak_hour: datetime
    signals: tuple[str, ...] = ()
    detected_at: datetime | None = None
    open: bool = False
    total: int = 0
    share: float | None = None
    usual_share: float | None = None
    channels: tuple[Driver, ...] = ()
    topics: tuple[Driver, ...] = ()
    scopes: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """Outbox key: brand, signal and start hour."""
        return f"{self.brand}|{self.signal}|{self.start.astimezone(UTC):%Y-%m-%dT%H}"


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


@dataclass(frozen=True)
class _Decision:
    """One passed test: at hour `decided` the hours first..last (indices) were flagged for a signal and scope."""

    signal: str
    scope: str
    decided: int
    first: int
    last: int


@dataclass
class _Track:
    """One series run through the baseline: its values, expectations and flags."""

    negative: list[int]
    total: list[int]
    expected: list[float]
    dispersion: list[float]
    usual_share: list[float]
    flagged: list[bool]
    decisions: list[_Decision]
    expected_others: list[float]


@dataclass(frozen=True)
class _CountTest:
    min_count: int
    min_lift: float
    p_value: float


class Detection:
    """The result of one causal pass over a brand's hours; `episodes(as_of=...)` replays any hour of it.

    Every decision only uses hours up to the one it is made at, so the episodes as of hour h are exactly what a
    run at that hour would have found: the backtest and the scheduled runs see the same thing.
    """

    def __init__(
        self,
        brand: str,
        first: datetime,
        settings: DetectorSettings,
        brand_track: _Track,
        channels: dict[str, _Track],
        topics: dict[str, _Track],
        decisions: list[_Decision],
    ) -> None:
        self.brand = brand
        self.first = first
        self.settings = settings
        self.size = len(brand_track.negative)
        self._brand = brand_track
        self._channels = channels
        self._topics = topics
        self._decisions = sorted(decisions, key=lambda d: (d.decided, d.first, SIGNALS.index(d.signal), d.scope))
        self._neg_prefix = _prefix(brand_track.negative)
        self._total_prefix = _prefix(brand_track.total)
        self._exp_prefix = _prefix(brand_track.expected)

    def hour(self, index: int) -> datetime:
        """The UTC hour at an index."""
        return self.first + index * _HOUR

    def index(self, hour: datetime) -> int:
        """The index of a UTC hour (may be outside the series)."""
        return int((hour.astimezone(UTC) - self.first) // _HOUR)

    @property
    def decision_hours(self) -> list[datetime]:
        """Hours at which some test passed, oldest first (when a replay can change its answer)."""
        return sorted({self.hour(d.decided) for d in self._decisions})

    def expected(self, hour: datetime) -> float:
        """Expected negatives of the brand in an hour of the series."""
        return self._brand.expected[self.index(hour)]

    def episodes(self, *, as_of: datetime | None = None, evaluate_from: datetime | None = None) -> list[Episode]:
        """Episodes as a run after hour `as_of` (inclusive; default the last hour) would see them.

        Only episodes with a flagged hour at or after `evaluate_from` are returned; they keep their true start.
        """
        last = self.size - 1 if as_of is None else min(self.index(as_of), self.size - 1)
        if last < 0:
            return []
        cutoff = None if evaluate_from is None else self.index(evaluate_from)
        seen = [d for d in self._decisions if d.decided <= last]
        cooldown = self.settings.cooldown_hours
        groups: list[list[_Decision]] = []
        for decision in sorted(seen, key=lambda d: (d.first, d.last)):
            if groups:
                end = max(d.last for d in groups[-1])
                quiet = decision.first - end - 1
                # Flags separated by less than the cooldown are the same trouble: one episode.
                if quiet <= 0 or quiet < cooldown:
                    groups[-1].append(decision)
                    continue
            groups.append([decision])
        episodes = []
        for group in groups:
            end_index = max(d.last for d in group)
            if cutoff is not None and end_index < cutoff:
                continue
            episodes.append(self._episode(group, last))
        return episodes

    def _episode(self, group: list[_Decision], last: int) -> Episode:
        start = min(d.first for d in group)
        stop = max(d.last for d in group) + 1
        first = min(group, key=lambda d: (d.first, SIGNALS.index(d.signal), d.decided))
        observed = self._neg_prefix[stop] - self._neg_prefix[start]
        expected = self._exp_prefix[stop] - self._exp_prefix[start]
        total = self._total_prefix[stop] - self._total_prefix[start]
        negatives = self._brand.negative
        peak = max(range(start, stop), key=lambda j: (negatives[j], -j))
        dispersion = self._brand.dispersion[start]
        squares = sum(e * e for e in self._brand.expected[start:stop])
        usual = self._brand.usual_share[start]
        signals = tuple(s for s in SIGNALS if any(d.signal == s for d in group))
        scopes = tuple(sorted({f"{d.signal}:{d.scope}" for d in group if d.scope}))
        return Episode(
            brand=self.brand,
            signal=first.signal,
            start=self.hour(start),
            end=self.hour(stop),
            observed=int(observed),
            expected=float(expected),
            lift=observed / expected if expected > 0 else float("inf"),
            p_value=negbin_upper_tail(int(observed), expected, dispersion * squares / expected**2),
            peak_hour=self.hour(peak),
            signals=signals,
            detected_at=self.hour(min(d.decided for d in group)),
            open=last - (stop - 1) < max(self.settings.cooldown_hours, 1),
            total=int(total),
            share=observed / total if total else None,
            usual_share=usual,
            channels=_drivers(self._channels, start, stop),
            topics=_drivers(self._topics, start, stop),
            scopes=scopes,
        )


def _drivers(tracks: Mapping[str, _Track], start: int, stop: int) -> tuple[Driver, ...]:
    """Each scope's negatives in [start, stop) against its expectation, the largest excess first."""
    found = []
    for name, track in tracks.items():
        observed = sum(track.negative[start:stop])
        if observed:
            found.append(Driver(name, int(observed), float(sum(track.expected[start:stop]))))
    return tuple(sorted(found, key=lambda d: (-(d.observed - d.expected), d.name)))


def _prefix(values: Sequence[float]) -> list[float]:
    out = [0.0]
    for value in values:
        out.append(out[-1] + value)
    return out


def _dense(counts: Sequence[HourCount], first: datetime, size: int, what: str) -> tuple[list[int], list[int]]:
    """(negative, total) per hour index; hours missing from the input had no mentions."""
    negative, total = [0] * size, [0] * size
    seen: set[int] = set()
    for count in counts:
        index = int((count.hour.astimezone(UTC) - first) // _HOUR)
        if index in seen:
            raise ValueError(f"hour {count.hour.astimezone(UTC).isoformat()} appears twice in the {what} counts")
        if not 0 <= index < size:
            raise ValueError(f"{what} hour {count.hour.isoformat()} is outside the brand's hours")
        seen.add(index)
        negative[index], total[index] = count.negative, count.total
    return negative, total


def detect(series: BrandSeries, settings: DetectorSettings) -> Detection:
    """Run every enabled signal over a brand's hours in one causal pass."""
    if not series.hours:
        raise ValueError(f"no hourly counts for brand {series.brand!r}")
    hours = sorted(c.hour.astimezone(UTC) for c in series.hours)
    first = hours[0]
    size = int((hours[-1] - first) // _HOUR) + 1
    negative, total = _dense(series.hours, first, size, "brand")
    volume = _CountTest(settings.min_count, settings.min_lift, settings.p_value)
    brand = _run_counts(negative, total, first, settings, volume, SIGNAL_NEGATIVE_VOLUME, "", None)
    decisions = list(brand.decisions)
    if settings.share.enabled:
        decisions += _run_share(brand, settings)
    channels = {}
    for name, counts in sorted(series.channels.items()):
        neg, tot = _dense(counts, first, size, f"channel {name}")
        test = _CountTest(settings.channel.min_count, settings.channel.min_lift, settings.channel.p_value)
        min_daily = settings.channel.min_daily_negative if settings.channel.enabled else None
        channels[name] = _run_counts(neg, tot, first, settings, test, SIGNAL_CHANNEL_VOLUME, name, min_daily)
        decisions += channels[name].decisions
    topics = {}
    for name, counts in sorted(series.topics.items()):
        neg, tot = _dense(counts, first, size, f"topic {name}")
        test = _CountTest(settings.topic.min_count, settings.topic.min_lift, settings.topic.p_value)
        min_daily = settings.topic.min_daily_negative if settings.topic.enabled else None
        topics[name] = _run_counts(neg, tot, first, settings, test, SIGNAL_TOPIC_SURGE, name, min_daily)
        decisions += topics[name].decisions
    if settings.reach.enabled:
        decisions += _reach_decisions(series.posts, first, size, settings.reach)
    return Detection(series.brand, first, settings, brand, channels, topics, decisions)


def _run_counts(
    negative: list[int],
    total: list[int],
    first: datetime,
    settings: DetectorSettings,
    test: _CountTest,
    signal: str,
    scope: str,
    min_daily: float | None,
) -> _Track:
    """The count test over one series, hour by hour.

    The brand itself (empty `scope`) is judged every hour; a channel or topic only while its recent clean mean is
    at least `min_daily` negatives a day, and never when `min_daily` is None (its signal is off: baseline only).
    """
    baseline = HourlyBaseline(
        BaselineSettings(settings.baseline_days, settings.baseline_weeks, settings.expected_floor),
        first_weekday=first.weekday(),
        first_hour=first.hour,
    )
    # The other mentions (neutral, positive) get a baseline of their own: the launch guard compares both lifts.
    others = HourlyBaseline(
        BaselineSettings(settings.baseline_days, settings.baseline_weeks, settings.expected_floor),
        first_weekday=first.weekday(),
        first_hour=first.hour,
    )
    shares = _ShareBaseline(settings.baseline_days * 24)
    track = _Track(negative, total, [], [], [], [False] * len(negative), [], [])
    judge_all = not scope
    for i, value in enumerate(negative):
        expected = baseline.expected()
        dispersion = baseline.dispersion()
        usual = shares.usual()
        track.expected.append(expected)
        track.dispersion.append(dispersion)
        track.usual_share.append(usual)
        track.expected_others.append(others.expected())
        baseline.push(value, expected)
        others.push(total[i] - value, track.expected_others[i])
        judged = judge_all or (min_daily is not None and baseline.recent_mean() * 24 >= min_daily)
        if i >= MIN_HISTORY_HOURS and judged:
            window = _passing_window(i, track, test, settings, dispersion)
            if window is not None:
                for j in range(window, i + 1):
                    if not track.flagged[j]:
                        track.flagged[j] = True
                        baseline.mark(j)
                        others.mark(j)
                        shares.mark(j)
                track.decisions.append(_Decision(signal, scope, i, window, i))
        shares.push(i, negative[i], total[i], track.flagged[i])
    return track


def _passing_window(
    i: int, track: _Track, test: _CountTest, settings: DetectorSettings, dispersion: float
) -> int | None:
    """The first hour of the shortest window ending at hour i that passes the count test, or None.

    Windows of 1..max_window_hours hours: a big burst passes in its first hour, a steady 3× rise in two or three.
    Every hour of a window must be above its expectation, and a window never reaches back into hours already
    flagged: their evidence was used, and must not drag the quieter hours after a burst into the episode.
    """
    negative, expected = track.negative, track.expected
    observed = expect = squares = 0.0
    for width in range(1, settings.max_window_hours + 1):
        j = i - width + 1
        if j < MIN_HISTORY_HOURS or negative[j] <= expected[j] or track.flagged[j]:
            return None
        observed += negative[j]
        expect += expected[j]
        squares += expected[j] ** 2
        if observed < test.min_count or observed < test.min_lift * expect:
            continue
        if negbin_upper_tail(int(observed), expect, dispersion * squares / expect**2) > test.p_value:
            continue
        if _looks_like_a_launch(track, j, i, settings):
            continue
        return j
    return None


def _looks_like_a_launch(track: _Track, j: int, i: int, settings: DetectorSettings) -> bool:
    """True when everything else rose with the negatives about as much: a launch or a sale, not a crisis.

    The other mentions (neutral and positive) must be clearly up too: by at least LAUNCH_VOLUME_LIFT against
    their own baseline, and improbably so (Poisson tail ≤ LAUNCH_SHARE_P). Then the negatives count as a crisis
    only if their lift is at least `launch_share_lift` times theirs and their share of the window is
    significantly above the hour's usual share (binomial tail ≤ LAUNCH_SHARE_P).
    """
    negatives = sum(track.negative[j : i + 1])
    others = sum(track.total[j : i + 1]) - negatives
    expected = sum(track.expected[j : i + 1])
    expected_others = sum(track.expected_others[j : i + 1])
    if (
        expected_others <= 0
        or others < LAUNCH_VOLUME_LIFT * expected_others
        or poisson_upper_tail(others, expected_others) > LAUNCH_SHARE_P
    ):
        return False
    share_rose = (negatives / expected) >= settings.launch_share_lift * (others / expected_others)
    usual = expected / (expected + expected_others)
    return not (share_rose and binomial_upper_tail(negatives, negatives + others, usual) <= LAUNCH_SHARE_P)


class _ShareBaseline:
    """The usual share of negatives over the recent clean hours, with a weak prior so it is never 0 or 1."""

    def __init__(self, window: int) -> None:
        self._window = window
        self._negative: list[int] = []
        self._total: list[int] = []
        self._clean: list[bool] = []
        self._neg_sum = self._tot_sum = 0

    def usual(self) -> float:
        return (self._neg_sum + 0.5) / (self._tot_sum + 2.0)

    def push(self, index: int, negative: int, total: int, flagged: bool) -> None:
        self._negative.append(negative)
        self._total.append(total)
        self._clean.append(not flagged)
        if not flagged:
            self._neg_sum += negative
            self._tot_sum += total
        old = index - self._window
        if old >= 0 and self._clean[old]:
            self._neg_sum -= self._negative[old]
            self._tot_sum -= self._total[old]

    def mark(self, index: int) -> None:
        if index < len(self._clean) and self._clean[index]:
            self._clean[index] = False
            if index >= len(self._clean) - self._window:
                self._neg_sum -= self._negative[index]
                self._tot_sum -= self._total[index]


def _run_share(brand: _Track, settings: DetectorSettings) -> list[_Decision]:
    """`negative_share`: windows of 1..max_window_hours whose share of negatives is far above the usual share.

    The usual share of an hour comes from the two baselines (negatives and the other mentions), so it follows
    the daily and weekly rhythm of the mix too; the negatives must also exceed their expectation by `min_count`,
    so two or three complaints on a quiet brand are no "share rise".
    """
    cfg = settings.share
    flagged = list(brand.flagged)
    decisions = []
    for i in range(MIN_HISTORY_HOURS, len(brand.negative)):
        negatives = total = 0
        expected = expected_others = 0.0
        for width in range(1, settings.max_window_hours + 1):
            j = i - width + 1
            usual_j = brand.expected[j] / (brand.expected[j] + brand.expected_others[j])
            if (
                j < MIN_HISTORY_HOURS
                or brand.total[j] == 0
                or brand.negative[j] <= usual_j * brand.total[j]
                or (width > 1 and flagged[j])
            ):
                break
            negatives += brand.negative[j]
            total += brand.total[j]
            expected += brand.expected[j]
            expected_others += brand.expected_others[j]
            usual = expected / (expected + expected_others)
            share = negatives / total
            if (
                negatives - expected >= cfg.min_count
                and share >= cfg.min_lift * usual
                and share - usual >= cfg.min_points
                and binomial_upper_tail(negatives, total, usual) <= cfg.p_value
            ):
                for k in range(j, i + 1):
                    flagged[k] = True
                decisions.append(_Decision(SIGNAL_NEGATIVE_SHARE, "", i, j, i))
                break
    return decisions


def _reach_decisions(posts: Iterable[ReachPost], first: datetime, size: int, cfg: ReachSettings) -> list[_Decision]:
    """`high_reach_post`: the hour of each negative post from an account of at least `min_followers`."""
    decisions = []
    for post in posts:
        index = int((post.created_at.astimezone(UTC) - first) // _HOUR)
        if 0 <= index < size and post.followers >= cfg.min_followers:
            decisions.append(_Decision(SIGNAL_HIGH_REACH, post.channel, index, index, index))
    return decisions


def detect_negative_spikes(
    brand: str,
    counts: Sequence[HourCount],
    settings: DetectorSettings,
    *,
    evaluate_from: datetime | None = None,
    as_of: datetime | None = None,
) -> list[Episode]:
    """Episodes from the brand-level signals only (negative volume and share) over one series of hourly counts."""
    if not counts:
        return []
    if evaluate_from is not None and (evaluate_from.tzinfo is None or evaluate_from.utcoffset() is None):
        raise ValueError("evaluate_from must be timezone-aware")
    return detect(BrandSeries(brand, counts), settings).episodes(as_of=as_of, evaluate_from=evaluate_from)
