"""The spike detector: `detect(series, settings)` runs every signal in one causal pass, then groups flags into episodes.

Four signals, each with its own settings: `negative_volume` (more negative mentions than the hour's rhythm
explains, also per channel where volume allows: `channel_volume`), `negative_share` (a larger share of
negatives), `topic_surge` (one topic's negatives) and `high_reach_post` (one negative post from a large
account). Flagged hours of all signals close together form one **episode**, the unit of alerting.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from models.alerts.episodes import Driver, Episode
from models.alerts.series import HOUR, BrandSeries, HourCount, dense_counts
from models.alerts.settings import DetectorSettings, ScopeSettings
from models.alerts.signals import (
    SIGNAL_CHANNEL_VOLUME,
    SIGNAL_NEGATIVE_VOLUME,
    SIGNAL_TOPIC_SURGE,
    SIGNALS,
    CountTest,
    Decision,
    Track,
    reach_decisions,
    run_counts,
    run_share,
)
from models.alerts.tails import negbin_upper_tail

__all__ = ["Detection", "detect", "detect_negative_spikes"]


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
        brand_track: Track,
        channels: dict[str, Track],
        topics: dict[str, Track],
        decisions: list[Decision],
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
        return self.first + index * HOUR

    def index(self, hour: datetime) -> int:
        """The index of a UTC hour (may be outside the series)."""
        return int((hour.astimezone(UTC) - self.first) // HOUR)

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
        groups: list[list[Decision]] = []
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

    def _episode(self, group: list[Decision], last: int) -> Episode:
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


def _drivers(tracks: Mapping[str, Track], start: int, stop: int) -> tuple[Driver, ...]:
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



def detect(series: BrandSeries, settings: DetectorSettings) -> Detection:
    """Run every enabled signal over a brand's hours in one causal pass."""
    if not series.hours:
        raise ValueError(f"no hourly counts for brand {series.brand!r}")
    hours = sorted(c.hour.astimezone(UTC) for c in series.hours)
    first = hours[0]
    size = int((hours[-1] - first) // HOUR) + 1
    negative, total = dense_counts(series.hours, first, size, "brand")
    volume = CountTest(settings.min_count, settings.min_lift, settings.p_value)
    brand = run_counts(negative, total, first, settings, volume, SIGNAL_NEGATIVE_VOLUME, "", None)
    decisions = list(brand.decisions)
    if settings.share.enabled:
        decisions += run_share(brand, settings)

    def scoped(
        groups: Mapping[str, Sequence[HourCount]], kind: str, scope: ScopeSettings, signal: str
    ) -> dict[str, Track]:
        # A disabled channel or topic signal still keeps its baseline: the tracks name the drivers of an episode.
        test = CountTest(scope.min_count, scope.min_lift, scope.p_value)
        min_daily = scope.min_daily_negative if scope.enabled else None
        tracks: dict[str, Track] = {}
        for name, counts in sorted(groups.items()):
            neg, tot = dense_counts(counts, first, size, f"{kind} {name}")
            tracks[name] = run_counts(neg, tot, first, settings, test, signal, name, min_daily)
        return tracks

    channels = scoped(series.channels, "channel", settings.channel, SIGNAL_CHANNEL_VOLUME)
    topics = scoped(series.topics, "topic", settings.topic, SIGNAL_TOPIC_SURGE)
    decisions += [d for track in (*channels.values(), *topics.values()) for d in track.decisions]
    if settings.reach.enabled:
        decisions += reach_decisions(series.posts, first, size, settings.reach)
    return Detection(series.brand, first, settings, brand, channels, topics, decisions)


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
