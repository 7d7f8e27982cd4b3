"""The negative-volume spike detector on synthetic hourly series."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from flows.runtime.config import AlertSettings
from models.alerts.detector import detect_negative_spikes
from models.alerts.series import HourCount
from models.alerts.settings import PRESETS, DetectorSettings, settings_for
from models.alerts.signals import SIGNAL_NEGATIVE_VOLUME
from models.alerts.tails import poisson_upper_tail
from models.errors import ConfigError

T0 = datetime(2024, 4, 1, tzinfo=UTC)
H = timedelta(hours=1)
BALANCED = settings_for("balanced")
# The volume signal alone, for tests of its mechanics (the share signal has tests of its own).
VOLUME_ONLY = settings_for("balanced", share={"enabled": False})


def flat(days: int, negative: int = 1, total: int = 20) -> list[int]:
    """A steady series: the same negative count every hour."""
    return [negative] * (days * 24)


def series(negatives: list[int], start: datetime = T0) -> list[HourCount]:
    # The other mentions stay at 10 an hour: a negative burst adds negative mentions only.
    return [HourCount(start + i * H, total=max(n, 0) + 10, negative=n) for i, n in enumerate(negatives)]


def with_burst(negatives: list[int], at: datetime, values: list[int]) -> list[int]:
    """A copy with `values` added from hour `at` on."""
    out = list(negatives)
    first = int((at - T0) / H)
    for offset, extra in enumerate(values):
        out[first + offset] += extra
    return out


def test_clear_spike_found_with_start_end_and_peak() -> None:
    day15 = T0 + timedelta(days=15)
    negatives = with_burst(flat(16), day15 + 10 * H, [20, 35, 18])
    [episode] = detect_negative_spikes("Acme", series(negatives), BALANCED)
    assert episode.start == day15 + 10 * H
    assert episode.end == day15 + 13 * H  # exclusive: one hour after the last flagged hour
    assert episode.peak_hour == day15 + 11 * H
    assert episode.observed == 20 + 35 + 18 + 3
    assert episode.expected == pytest.approx(3.0)
    assert episode.lift == pytest.approx(episode.observed / episode.expected)
    assert episode.p_value < 1e-20
    assert episode.signal == SIGNAL_NEGATIVE_VOLUME
    assert episode.key == "Acme|negative_volume|2024-04-16T10"


def test_steady_daily_rhythm_with_noise_gives_nothing() -> None:
    rng = np.random.default_rng(7)
    hours = np.arange(21 * 24)
    # Quiet nights, busy afternoons: 1 to 13 expected negatives an hour, Poisson noise on top.
    rate = 1 + 12 * np.clip(np.sin((hours % 24 - 6) / 24 * 2 * math.pi), 0, None)
    negatives = [int(n) for n in rng.poisson(rate)]
    for preset in ("balanced", "strict"):
        assert detect_negative_spikes("Acme", series(negatives), settings_for(preset)) == []


def test_the_rhythm_does_not_hide_a_real_spike_at_night() -> None:
    hours = np.arange(16 * 24)
    negatives = [round(1 + 12 * max(0.0, math.sin((h % 24 - 6) / 24 * 2 * math.pi))) for h in hours]
    night = T0 + timedelta(days=15, hours=3)
    episodes = detect_negative_spikes("Acme", series(with_burst(negatives, night, [14])), BALANCED)
    assert [e.start for e in episodes] == [night]


@pytest.mark.parametrize("burst", [[2, 2, 2, 2], [4, 4], [2, 3, 2]])
def test_low_counts_from_zero_do_not_alert(burst: list[int]) -> None:
    negatives = with_burst([0] * (16 * 24), T0 + timedelta(days=15, hours=9), burst)
    assert detect_negative_spikes("Acme", series(negatives), BALANCED) == []


def test_min_count_and_lift_both_gate() -> None:
    quiet = with_burst([0] * (16 * 24), T0 + timedelta(days=15, hours=9), [8])
    assert len(detect_negative_spikes("Acme", series(quiet), VOLUME_ONLY)) == 1
    fewer = settings_for("balanced", min_count=9, share={"enabled": False})
    assert detect_negative_spikes("Acme", series(quiet), fewer) == []
    busy = with_burst(flat(16, negative=40), T0 + timedelta(days=15, hours=9), [50])  # 90 vs 40: lift 2.25
    assert detect_negative_spikes("Acme", series(busy), VOLUME_ONLY) == []
    lower = settings_for("balanced", min_lift=2.0, share={"enabled": False})
    assert len(detect_negative_spikes("Acme", series(busy), lower)) == 1


def test_evaluate_from_hours_before_are_history_only() -> None:
    early, late = T0 + timedelta(days=10, hours=9), T0 + timedelta(days=15, hours=9)
    negatives = with_burst(with_burst(flat(16), early, [30, 30]), late, [30])
    everything = detect_negative_spikes("Acme", series(negatives), BALANCED)
    assert [e.start for e in everything] == [early, late]
    recent = detect_negative_spikes("Acme", series(negatives), BALANCED, evaluate_from=T0 + timedelta(days=14))
    assert [e.start for e in recent] == [late]
    after_all = detect_negative_spikes("Acme", series(negatives), BALANCED, evaluate_from=late + H)
    assert after_all == []


def test_an_episode_straddling_evaluate_from_keeps_its_start() -> None:
    start = T0 + timedelta(days=15, hours=9)
    negatives = with_burst(flat(16), start, [30, 30, 30])
    [episode] = detect_negative_spikes("Acme", series(negatives), BALANCED, evaluate_from=start + 2 * H)
    assert episode.start == start
    assert episode.end == start + 3 * H


def test_episode_key_is_stable_as_the_episode_grows() -> None:
    start = T0 + timedelta(days=15, hours=9)
    full = with_burst(flat(17), start, [25, 30, 40, 35, 28])
    keys, ends = [], []
    for seen_until in (start + H, start + 3 * H, start + 5 * H, start + 12 * H):
        upto = int((seen_until - T0) / H)
        [episode] = detect_negative_spikes("Acme", series(full[:upto]), BALANCED, evaluate_from=seen_until - 8 * H)
        keys.append(episode.key)
        ends.append(episode.end)
    assert len(set(keys)) == 1
    assert ends == [start + H, start + 3 * H, start + 5 * H, start + 5 * H]


def test_bursts_within_the_cooldown_join_one_episode() -> None:
    start = T0 + timedelta(days=15, hours=9)
    negatives = with_burst(flat(16), start, [30, 0, 0, 30])  # two quiet hours between
    [episode] = detect_negative_spikes("Acme", series(negatives), BALANCED)
    assert (episode.start, episode.end) == (start, start + 4 * H)
    assert episode.observed == 31 + 1 + 1 + 31  # the quiet hours inside count too
    split = detect_negative_spikes("Acme", series(negatives), settings_for("balanced", cooldown_hours=2))
    assert [(e.start, e.end) for e in split] == [(start, start + H), (start + 3 * H, start + 4 * H)]


def test_a_burst_inside_the_cooldown_extends_the_episode_instead_of_a_new_one() -> None:
    first = T0 + timedelta(days=15, hours=6)
    second = first + 6 * H  # ends 07:00, the next burst starts at 12:00: 5 quiet hours, inside a 6 h cooldown
    negatives = with_burst(with_burst(flat(16), first, [30]), second, [30])
    [episode] = detect_negative_spikes("Acme", series(negatives), BALANCED)
    assert (episode.start, episode.end) == (first, second + H)
    no_cooldown = settings_for("balanced", cooldown_hours=0)
    assert [e.start for e in detect_negative_spikes("Acme", series(negatives), no_cooldown)] == [first, second]
    later = with_burst(with_burst(flat(16), first, [30]), first + 7 * H, [30])  # 6 quiet hours: a new episode
    assert len(detect_negative_spikes("Acme", series(later), BALANCED)) == 2


def test_an_episode_stays_open_until_the_cooldown_has_passed() -> None:
    first = T0 + timedelta(days=15, hours=6)
    negatives = with_burst(flat(17), first, [30])
    upto = int((first - T0) / H)
    for quiet_hours, still_open in ((0, True), (5, True), (6, False)):
        [episode] = detect_negative_spikes("Acme", series(negatives[: upto + 1 + quiet_hours]), BALANCED)
        assert episode.open is still_open
        assert episode.detected_at == first


def test_flagged_hours_are_left_out_of_later_baselines() -> None:
    day14 = T0 + timedelta(days=14, hours=10)
    negatives = with_burst(with_burst(flat(16), day14, [40]), day14 + timedelta(days=1), [40])
    short = settings_for("balanced", baseline_days=3)  # three samples: trimming alone would not drop the 41
    first, second = detect_negative_spikes("Acme", series(negatives), short)
    assert (first.start, second.start) == (day14, day14 + timedelta(days=1))
    assert second.expected == pytest.approx(1.0)


def test_a_lasting_shift_is_one_episode_then_becomes_the_baseline() -> None:
    negatives = [1] * (10 * 24) + [8] * (30 * 24)
    [episode] = detect_negative_spikes("Acme", series(negatives), BALANCED)
    assert episode.start == T0 + timedelta(days=10)
    assert episode.end < T0 + timedelta(days=20)


def test_a_day_of_history_is_needed_before_judging() -> None:
    negatives = with_burst([0] * 48, T0 + 5 * H, [30])
    assert detect_negative_spikes("Acme", series(negatives), BALANCED) == []


def test_missing_hours_count_as_zero_and_input_order_does_not_matter() -> None:
    start = T0 + timedelta(days=15, hours=9)
    negatives = with_burst(flat(16, negative=0), start, [12])
    dense = [HourCount(T0 + i * H, total=n, negative=n) for i, n in enumerate(negatives)]
    sparse = [c for c in dense if c.negative > 0 or c.hour in (T0, T0 + timedelta(days=16) - H)]
    assert detect_negative_spikes("Acme", list(reversed(sparse)), BALANCED) == detect_negative_spikes(
        "Acme", dense, BALANCED
    )


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        HourCount(datetime(2024, 1, 1), total=1, negative=0)
    with pytest.raises(ValueError, match="start of an hour"):
        HourCount(T0 + timedelta(minutes=5), total=1, negative=0)
    with pytest.raises(ValueError, match="negative"):
        HourCount(T0, total=1, negative=2)
    with pytest.raises(ValueError, match="twice"):
        detect_negative_spikes("Acme", [HourCount(T0, 1, 0), HourCount(T0, 2, 1)], BALANCED)
    assert detect_negative_spikes("Acme", [], BALANCED) == []


def test_presets_and_overrides() -> None:
    assert PRESETS["balanced"] == BALANCED
    assert BALANCED.min_count == 5 and BALANCED.min_lift == 2.5 and BALANCED.p_value == 1e-4
    assert (BALANCED.baseline_days, BALANCED.baseline_weeks, BALANCED.cooldown_hours) == (14, 4, 6)
    sensitive, strict = PRESETS["sensitive"], PRESETS["strict"]
    assert sensitive.min_count < BALANCED.min_count < strict.min_count
    assert sensitive.p_value > BALANCED.p_value > strict.p_value
    assert sensitive.reach.min_followers < BALANCED.reach.min_followers < strict.reach.min_followers
    tuned = settings_for("strict", min_count=None, cooldown_hours=2, share={"min_count": 3, "p_value": None})
    strict = PRESETS["strict"]
    assert tuned == strict.model_copy(
        update={"cooldown_hours": 2, "share": strict.share.model_copy(update={"min_count": 3})}
    )
    assert isinstance(tuned, DetectorSettings)
    with pytest.raises(TypeError, match=r"share\.loud"):
        settings_for("balanced", share={"loud": 1})
    with pytest.raises(ValueError, match=r"share\.min_points"):
        settings_for("balanced", share={"min_points": 1.5})
    with pytest.raises(ConfigError, match="unknown alert preset 'loud'"):
        settings_for("loud")
    with pytest.raises(TypeError, match="slack_channel"):
        settings_for("balanced", slack_channel="#alerts")
    with pytest.raises(ValueError, match="min_lift"):
        settings_for("balanced", min_lift=0.5)


def test_settings_from_the_alerts_table_of_the_config() -> None:
    table = AlertSettings(preset="sensitive", min_count=4, p_value=1e-5, slack_channel="#cx", share={"min_count": 7})
    settings = table.detector()
    assert settings == settings_for(table.preset, **table.detection_overrides())
    assert (settings.min_count, settings.p_value, settings.min_lift) == (4, 1e-5, PRESETS["sensitive"].min_lift)
    assert (settings.share.min_count, settings.share.p_value) == (7, PRESETS["sensitive"].share.p_value)
    # `--preset` of the backtest swaps the preset and keeps the overrides.
    assert table.detector("strict").min_lift == PRESETS["strict"].min_lift and table.detector("strict").min_count == 4
    with pytest.raises(ConfigError, match="unknown alert preset 'loud'"):
        table.detector("loud")


def test_one_schema_for_the_config_and_the_detector() -> None:
    """Every threshold of the detector is a key of `[alerts]`, with the same limits, and nothing else is."""
    detection = set(AlertSettings.model_fields) - {"preset", "slack_channel", "delivery_horizon_hours",
                                                   "console_catchup_hours", "resend_console", "resend_in_doubt",
                                                   "slack_timeout_s"}  # fmt: skip
    assert detection == set(DetectorSettings.model_fields)
    wrong = [{"min_lift": 1.0}, {"baseline_days": 91}, {"share": {"min_points": 1.0}}, {"reach": {"min_followers": 0}}]
    for value in wrong:
        with pytest.raises(ValueError):
            AlertSettings(**value)  # the config refuses it...
        with pytest.raises(ValueError):
            settings_for("balanced", **value)  # ...and so does the code path, with the same limit


def test_poisson_tail_exact_values() -> None:
    assert poisson_upper_tail(0, 3.0) == 1.0
    assert poisson_upper_tail(1, 0.7) == pytest.approx(1 - math.exp(-0.7))
    assert poisson_upper_tail(2, 2.0) == pytest.approx(1 - 3 * math.exp(-2.0))
    assert poisson_upper_tail(5, 0.0) == 0.0
    tiny = poisson_upper_tail(200, 5.0)
    assert 0 < tiny < 1e-200  # summed directly: 1 - cdf would round this to zero


def test_poisson_tail_matches_scipy() -> None:
    from scipy import stats
    for k, mean in [(5, 0.5), (30, 12.0), (8, 1.0), (3, 5.0), (10, 10.0), (55, 60.0), (400, 150.0), (1, 1e-3)]:
        assert poisson_upper_tail(k, mean) == pytest.approx(stats.poisson.sf(k - 1, mean), rel=1e-9)
