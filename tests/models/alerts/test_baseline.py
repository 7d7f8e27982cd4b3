"""The hourly baseline's expectation equals its definition, hour by hour, with anomalies marked along the way."""

from __future__ import annotations

import numpy as np
import pytest

from models.alerts.baseline import BLEND_PSEUDO_DAYS, DAYS_PER_WEEK, HOURS_PER_DAY, BaselineSettings, HourlyBaseline


def _defined_expectation(b: HourlyBaseline) -> float:
    """The expectation as the class documents it, computed from the stored hours without its shortcuts."""
    i = len(b.raw)
    if i == 0:
        return b.settings.floor

    def weekday(j: int) -> int:
        return (b._first_weekday + (b._first_hour + j) // HOURS_PER_DAY) % DAYS_PER_WEEK

    factors = b._weekday_factors((b._first_hour + i) // HOURS_PER_DAY)
    days = [i - HOURS_PER_DAY * k for k in range(1, b.settings.days + 1) if i - HOURS_PER_DAY * k >= 0]
    samples = [(j, b.clean[j]) for j in days if b.clean[j] is not None]
    if 2 * len(samples) < len(days):
        samples = [(j, b.raw[j]) for j in days]
    lo = max(0, i - b._window)
    recent = b._sum / b._n if 2 * b._n >= i - lo and b._n else b._all_sum / (i - lo)
    factor = factors[weekday(i)]
    if not samples:
        return max(recent * factor, b.settings.floor)
    seasonal = sum(value / factors[weekday(j)] for j, value in samples) / len(samples)  # type: ignore[operator]
    weight = len(samples) / (len(samples) + BLEND_PSEUDO_DAYS)
    return max(factor * (weight * seasonal + (1 - weight) * recent), b.settings.floor)


@pytest.mark.parametrize(("days", "weeks", "weekday", "hour"), [(7, 3, 0, 0), (14, 4, 5, 17), (28, 6, 3, 9)])
def test_the_expectation_equals_its_definition_exactly(days: int, weeks: int, weekday: int, hour: int) -> None:
    rng = np.random.default_rng(days)
    baseline = HourlyBaseline(BaselineSettings(days, weeks), first_weekday=weekday, first_hour=hour)
    hourly = rng.poisson(4 + 3 * np.sin(np.arange(24 * 60) * 2 * np.pi / 24)).tolist()
    checked = 0
    for i, value in enumerate(hourly):
        expected = baseline.expected()
        assert expected == _defined_expectation(baseline)  # bit for bit: episodes must not move
        baseline.push(value, expected)
        checked += 1
        # Mark bursts of hours now and then, including long runs (most samples of an hour gone: raw values are used).
        if i % 97 == 0 or 700 <= i < 1000:
            baseline.mark(i)
    assert checked == len(hourly) and baseline.expected() > 1.0
