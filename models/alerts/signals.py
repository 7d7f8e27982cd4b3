"""The signals: negative volume (per brand, channel, topic), negative share, high reach, tested hour by hour (pure).

Each test that passes is a `Decision` flagging a window of hours; the detector groups them into episodes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from models.alerts.baseline import BaselineSettings, HourlyBaseline
from models.alerts.series import HOUR, ReachPost
from models.alerts.settings import DetectorSettings, ReachSettings
from models.alerts.tails import binomial_upper_tail, negbin_upper_tail, poisson_upper_tail

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
# Expected counts below this are raised to it, so an hour after a silent baseline needs a real burst.
EXPECTED_FLOOR = 1.0


@dataclass(frozen=True)
class Decision:
    """One passed test: at hour `decided` the hours first..last (indices) were flagged for a signal and scope."""

    signal: str
    scope: str
    decided: int
    first: int
    last: int


@dataclass
class Track:
    """One series run through the baseline: its values, expectations and flags."""

    negative: list[int]
    total: list[int]
    expected: list[float]
    dispersion: list[float]
    usual_share: list[float]
    flagged: list[bool]
    decisions: list[Decision]
    expected_others: list[float]


@dataclass(frozen=True)
class CountTest:
    """The thresholds of one volume test: the brand's, a channel's or a topic's."""

    min_count: int
    min_lift: float
    p_value: float


def run_counts(
    negative: list[int],
    total: list[int],
    first: datetime,
    settings: DetectorSettings,
    test: CountTest,
    signal: str,
    scope: str,
    min_daily: float | None,
) -> Track:
    """The count test over one series, hour by hour.

    The brand itself (empty `scope`) is judged every hour; a channel or topic only while its recent clean mean is
    at least `min_daily` negatives a day, and never when `min_daily` is None (its signal is off: baseline only).
    """
    baseline = HourlyBaseline(
        BaselineSettings(settings.baseline_days, settings.baseline_weeks, EXPECTED_FLOOR),
        first_weekday=first.weekday(),
        first_hour=first.hour,
    )
    # The other mentions (neutral, positive) get a baseline of their own: the launch guard compares both lifts.
    others = HourlyBaseline(
        BaselineSettings(settings.baseline_days, settings.baseline_weeks, EXPECTED_FLOOR),
        first_weekday=first.weekday(),
        first_hour=first.hour,
    )
    shares = _ShareBaseline(settings.baseline_days * 24)
    track = Track(negative, total, [], [], [], [False] * len(negative), [], [])
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
                track.decisions.append(Decision(signal, scope, i, window, i))
        shares.push(i, negative[i], total[i], track.flagged[i])
    return track


def _passing_window(
    i: int, track: Track, test: CountTest, settings: DetectorSettings, dispersion: float
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


def _looks_like_a_launch(track: Track, j: int, i: int, settings: DetectorSettings) -> bool:
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


def run_share(brand: Track, settings: DetectorSettings) -> list[Decision]:
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
                decisions.append(Decision(SIGNAL_NEGATIVE_SHARE, "", i, j, i))
                break
    return decisions


def reach_decisions(posts: Iterable[ReachPost], first: datetime, size: int, cfg: ReachSettings) -> list[Decision]:
    """`high_reach_post`: the hour of each negative post from an account of at least `min_followers`."""
    decisions = []
    for post in posts:
        index = int((post.created_at.astimezone(UTC) - first) // HOUR)
        if 0 <= index < size and post.followers >= cfg.min_followers:
            decisions.append(Decision(SIGNAL_HIGH_REACH, post.channel, index, index, index))
    return decisions


