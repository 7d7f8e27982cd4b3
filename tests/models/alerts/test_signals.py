"""The detector's signals on synthetic series: weekly rhythm, launches, share, reach, channels, topics, causality."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from models.alerts.detector import detect
from models.alerts.series import BrandSeries, HourCount, ReachPost
from models.alerts.settings import settings_for
from models.alerts.signals import (
    SIGNAL_CHANNEL_VOLUME,
    SIGNAL_HIGH_REACH,
    SIGNAL_NEGATIVE_SHARE,
    SIGNAL_NEGATIVE_VOLUME,
    SIGNAL_TOPIC_SURGE,
)
from models.alerts.tails import binomial_upper_tail, negbin_upper_tail, poisson_upper_tail

T0 = datetime(2024, 4, 1, tzinfo=UTC)  # a Monday
H = timedelta(hours=1)
BALANCED = settings_for("balanced")
DAILY = [0.3, 0.2, 0.15, 0.12, 0.12, 0.2, 0.4, 0.7, 0.9, 1.0, 1.1, 1.3,
         1.4, 1.2, 1.1, 1.1, 1.2, 1.4, 1.6, 1.8, 1.9, 1.7, 1.2, 0.6]  # fmt: skip
WEEKLY = [1.3, 1.0, 1.0, 1.0, 1.0, 0.45, 0.8]  # a busy Monday, a very quiet Saturday


def hours(negative: list[int], others: list[int], start: datetime = T0) -> list[HourCount]:
    return [HourCount(start + i * H, n + o, n) for i, (n, o) in enumerate(zip(negative, others, strict=True))]


def rhythm(days: int, level: float, rng: np.random.Generator) -> tuple[list[int], list[int]]:
    """Poisson negatives (`level` per hour on average) and 3× as many other mentions, daily and weekly rhythm."""
    rate = [level * DAILY[h % 24] / np.mean(DAILY) * WEEKLY[(h // 24) % 7] for h in range(days * 24)]
    return [int(x) for x in rng.poisson(rate)], [int(x) for x in rng.poisson(np.array(rate) * 3)]


def signals_of(series: BrandSeries, settings=BALANCED) -> list[str]:  # type: ignore[no-untyped-def]
    return [e.signal for e in detect(series, settings).episodes()]


def test_weekly_rhythm_stays_quiet_and_a_spike_on_a_quiet_saturday_is_found() -> None:
    rng = np.random.default_rng(11)
    negative, others = rhythm(42, 6.0, rng)
    assert signals_of(BrandSeries("Acme", hours(negative, others))) == []
    saturday_noon = 40 * 24 + 12  # day 40 is a Saturday: volume there is under half of Monday's
    assert (T0 + saturday_noon * H).weekday() == 5
    expected = negative[saturday_noon - 7 * 24]
    spiked = list(negative)
    for j in range(saturday_noon, saturday_noon + 2):
        spiked[j] += 3 * max(expected, 3)
    [episode] = detect(BrandSeries("Acme", hours(spiked, others)), BALANCED).episodes()
    assert episode.start == T0 + saturday_noon * H
    assert episode.detected_at is not None and episode.detected_at - episode.start <= H


def test_the_weekday_factor_lowers_saturday_expectations() -> None:
    rng = np.random.default_rng(3)
    negative, others = rhythm(35, 10.0, rng)
    detection = detect(BrandSeries("Acme", hours(negative, others)), BALANCED)
    monday, saturday = T0 + timedelta(days=28, hours=19), T0 + timedelta(days=33, hours=19)
    assert detection.expected(saturday) < 0.6 * detection.expected(monday)


def test_a_launch_that_multiplies_all_volume_at_the_same_share_is_no_crisis() -> None:
    negative, others = [4] * (20 * 24), [16] * (20 * 24)
    launch = 18 * 24 + 9
    for j in range(launch, launch + 12):
        negative[j], others[j] = 13, 50  # everything ×3, the share stays at a fifth
    assert signals_of(BrandSeries("Acme", hours(negative, others))) == []
    crisis = list(negative)
    crisis_others = [16] * (20 * 24)
    for j in range(launch, launch + 3):
        crisis[j] = 13  # the same negatives, but nothing else moved
    assert SIGNAL_NEGATIVE_VOLUME in signals_of(BrandSeries("Acme", hours(crisis, crisis_others)))


def test_low_counts_do_not_misfire_where_a_z_score_would() -> None:
    negative = [0] * (20 * 24)
    negative[10 * 24 + 5] = 1  # a baseline of about 0.004 an hour
    negative[18 * 24 + 9] = 3
    z = (3 - 1 / 480) / math.sqrt(1 / 480)
    assert z > 50  # a z-score would shout; three complaints are not a spike
    assert signals_of(BrandSeries("Acme", hours(negative, [10] * len(negative)))) == []


def test_a_rising_share_at_flat_volume_is_its_own_signal() -> None:
    negative, others = [10] * (20 * 24), [90] * (20 * 24)
    at = 18 * 24 + 9
    for j in range(at, at + 3):
        negative[j], others[j] = 28, 72  # the same 100 mentions, the negative share 10% → 28%
    volume_off = settings_for("balanced", min_lift=3.0)  # 2.8× negatives: under this volume lift
    episodes = detect(BrandSeries("Acme", hours(negative, others)), volume_off).episodes()
    assert [e.signal for e in episodes] == [SIGNAL_NEGATIVE_SHARE]
    assert episodes[0].share == pytest.approx(0.28)
    assert episodes[0].usual_share is not None and episodes[0].usual_share < 0.12
    off = settings_for("balanced", min_lift=3.0, share={"enabled": False})
    assert signals_of(BrandSeries("Acme", hours(negative, others)), off) == []


def test_one_high_reach_negative_post_is_an_episode() -> None:
    negative, others = [2] * (10 * 24), [8] * (10 * 24)
    at = T0 + timedelta(days=9, hours=14, minutes=25)
    big = ReachPost(at, 250_000, "x", "1")
    small = ReachPost(at - timedelta(days=2), 5_000, "x", "2")
    [episode] = detect(BrandSeries("Acme", hours(negative, others), posts=[big, small]), BALANCED).episodes()
    assert (episode.signal, episode.start, episode.end) == (SIGNAL_HIGH_REACH, at.replace(minute=0), at.replace(
        minute=0) + H)  # fmt: skip
    assert episode.scopes == ("high_reach_post:x",)
    off = settings_for("balanced", reach={"min_followers": 300_000})
    assert signals_of(BrandSeries("Acme", hours(negative, others), posts=[big]), off) == []


def test_a_spike_in_one_busy_channel_is_found_and_named_with_its_lift() -> None:
    size = 20 * 24
    x_neg, x_oth = [30] * size, [90] * size
    reddit_neg, reddit_oth = [2] * size, [8] * size
    at = 18 * 24 + 9
    for j in range(at, at + 3):
        x_neg[j] = 75  # x alone: 2.5×; the brand overall 77 vs 32, under balanced's 2.5× lift
    brand = hours([a + b for a, b in zip(x_neg, reddit_neg, strict=True)],
                  [a + b for a, b in zip(x_oth, reddit_oth, strict=True)])  # fmt: skip
    settings = settings_for("balanced", channel={"min_lift": 2.2, "p_value": 1e-6}, share={"enabled": False})
    series = BrandSeries("Acme", brand, channels={"x": hours(x_neg, x_oth), "reddit": hours(reddit_neg, reddit_oth)})
    [episode] = detect(series, settings).episodes()
    assert episode.signal == SIGNAL_CHANNEL_VOLUME and episode.scopes == ("channel_volume:x",)
    assert [d.name for d in episode.channels] == ["x", "reddit"]
    assert episode.channels[0].lift == pytest.approx(2.5, rel=0.05)
    quiet = settings_for("balanced", channel={"min_daily_negative": 1000}, share={"enabled": False})
    assert detect(series, quiet).episodes() == []  # "where volume allows"


def test_a_topic_surge_is_found_from_topic_counts_and_silent_without_them() -> None:
    size = 20 * 24
    negative, others = [6] * size, [24] * size
    delivery_neg, delivery_oth = [1] * size, [4] * size
    at = 18 * 24 + 9
    for j in range(at, at + 2):
        delivery_neg[j] = 9
        negative[j] = 14  # the brand: 14 vs 6, under balanced's 2.5× lift
    topics = {"delivery": hours(delivery_neg, delivery_oth), "price": hours([1] * size, [4] * size)}
    settings = settings_for("balanced", share={"enabled": False})
    [episode] = detect(BrandSeries("Acme", hours(negative, others), topics=topics), settings).episodes()
    assert episode.signal == SIGNAL_TOPIC_SURGE and episode.scopes == ("topic_surge:delivery",)
    assert episode.topics[0].name == "delivery" and episode.topics[0].lift > 5
    assert detect(BrandSeries("Acme", hours(negative, others)), settings).episodes() == []


def test_signals_close_together_are_one_episode_named_after_the_first() -> None:
    negative, others = [4] * (20 * 24), [16] * (20 * 24)
    at = 18 * 24 + 9
    for j in range(at + 1, at + 4):
        negative[j] = 30
    post = ReachPost(T0 + at * H + timedelta(minutes=10), 500_000, "x", "p")
    [episode] = detect(BrandSeries("Acme", hours(negative, others), posts=[post]), BALANCED).episodes()
    assert episode.signal == SIGNAL_HIGH_REACH and episode.start == T0 + at * H
    assert set(episode.signals) >= {SIGNAL_HIGH_REACH, SIGNAL_NEGATIVE_VOLUME}
    assert episode.key == f"Acme|high_reach_post|{T0 + at * H:%Y-%m-%dT%H}"


def test_detection_is_causal_so_any_hour_can_be_replayed() -> None:
    rng = np.random.default_rng(5)
    negative, others = rhythm(24, 4.0, rng)
    for j in range(20 * 24 + 10, 20 * 24 + 14):
        negative[j] += 25
    for j in range(22 * 24 + 3, 22 * 24 + 5):
        negative[j] += 15
    full = detect(BrandSeries("Acme", hours(negative, others)), BALANCED)
    assert full.episodes()
    for cut in range(20 * 24, 24 * 24, 5):
        truncated = detect(BrandSeries("Acme", hours(negative[:cut], others[:cut])), BALANCED)
        assert truncated.episodes() == full.episodes(as_of=T0 + (cut - 1) * H)


def test_tails_match_scipy() -> None:
    """Our (mean, dispersion) is SciPy's nbinom(size, p); the binomial is SciPy's; dispersion 0 is the Poisson."""
    from scipy import stats

    for k, mean, dispersion in [(8, 1.1, 0.16), (30, 12.0, 0.05), (150, 50.0, 0.2), (3, 5.0, 0.5), (1, 0.3, 1.0)]:
        size = 1 / dispersion
        assert negbin_upper_tail(k, mean, dispersion) == pytest.approx(
            stats.nbinom.sf(k - 1, size, size / (size + mean)), rel=1e-9
        )
    assert negbin_upper_tail(7, 2.0, 0.0) == pytest.approx(stats.poisson.sf(6, 2.0), rel=1e-9)
    for k, n, p in [(9, 14, 0.36), (22, 100, 0.1), (0, 5, 0.5), (6, 5, 0.5), (40, 50, 0.9)]:
        assert binomial_upper_tail(k, n, p) == pytest.approx(stats.binom.sf(k - 1, n, p), rel=1e-9, abs=1e-300)
    with pytest.raises(ValueError):
        negbin_upper_tail(3, 1.0, -0.1)


def test_tiny_tails_are_exact() -> None:
    """The far tails the p-value thresholds live in (1e-7 and below), against sums at 40 digits, not SciPy itself."""
    import mpmath
    mpmath.mp.dps = 40

    def negbin_sf(k: int, mean: float, dispersion: float) -> float:
        size = mpmath.mpf(1) / dispersion
        q = mean / (size + mean)
        return float(mpmath.nsum(lambda i: mpmath.binomial(i + size - 1, i) * (1 - q) ** size * q**i, [k, mpmath.inf]))

    def binomial_sf(k: int, n: int, p: float) -> float:
        return float(sum(mpmath.binomial(n, i) * mpmath.mpf(p) ** i * (1 - mpmath.mpf(p)) ** (n - i)
                         for i in range(k, n + 1)))  # fmt: skip

    for k, mean, dispersion in [(40, 3.0, 0.1), (800, 500.0, 1e-6), (25, 1.0, 0.5), (120, 10.0, 0.05)]:
        assert negbin_upper_tail(k, mean, dispersion) == pytest.approx(negbin_sf(k, mean, dispersion), rel=1e-9)
    for k, n, p in [(60, 80, 0.1), (30, 40, 0.2), (900, 1000, 0.5)]:
        assert binomial_upper_tail(k, n, p) == pytest.approx(binomial_sf(k, n, p), rel=1e-9)
    assert poisson_upper_tail(200, 5.0) == pytest.approx(
        float(mpmath.nsum(lambda i: mpmath.exp(-5) * mpmath.mpf(5) ** i / mpmath.factorial(i), [200, mpmath.inf])),
        rel=1e-9,
    )
