"""The expected count of an hour from its own history: daily and weekly rhythm, spikes left out (pure, no I/O)."""

from __future__ import annotations

import math
from dataclasses import dataclass

HOURS_PER_DAY = 24
DAYS_PER_WEEK = 7
# Pseudo-count of days: with few same-hour samples the expectation leans on the recent hourly mean instead.
BLEND_PSEUDO_DAYS = 0.5
# Pseudo-count of weeks pulling a weekday's factor towards 1 until several weeks back it up.
WEEKDAY_PSEUDO_WEEKS = 2.0
# Pseudo-sum of squared expectations: the dispersion estimate stays near 0 until enough history backs it.
DISPERSION_PRIOR = 20.0
MAX_DISPERSION = 2.0


@dataclass(frozen=True)
class BaselineSettings:
    """How much history the expectation uses and its lower bound."""

    days: int
    weeks: int
    floor: float = 1.0


class HourlyBaseline:
    """Expected count per hour from the hours before it, fed one hour at a time.

    expected = weekday factor × (mean of the same hour on the previous `days` days, each divided by its own
    weekday factor), blended with the recent hourly mean while few days exist. Weekday factors compare each
    UTC weekday's clean hourly mean with the overall one over the last `weeks` weeks. Hours marked anomalous
    are left out of later expectations (unless they are most of the history: a lasting shift becomes the new
    normal), and the others enter capped, so a bump that stayed under the alert thresholds barely moves them.
    """

    def __init__(self, settings: BaselineSettings, first_weekday: int, first_hour: int = 0) -> None:
        self.settings = settings
        # Index 0 is hour `first_hour` (0-23, UTC) of a day that is weekday `first_weekday` (Monday 0).
        self._first_weekday = first_weekday
        self._first_hour = first_hour
        self.raw: list[float] = []
        self.clean: list[float | None] = []
        self.expected_at: list[float] = []
        # Running sums over the recent window of clean hours: value, count, and the dispersion moments.
        self._window = settings.days * HOURS_PER_DAY
        self._sum = self._n = self._all_sum = 0.0
        self._excess = self._square = 0.0
        self._day_sum: list[float] = []
        self._day_n: list[int] = []
        self._factors: list[float] = [1.0] * DAYS_PER_WEEK
        self._factors_day = -1

    def __len__(self) -> int:
        return len(self.raw)

    def expected(self) -> float:
        """The expectation for the next hour (index len(self))."""
        i = len(self.raw)
        if i == 0:
            return self.settings.floor
        day = self._day(i)
        factors = self._weekday_factors(day)
        weekday = (self._first_weekday + day) % DAYS_PER_WEEK
        # The same hour k days back (k = 1, 2, …) lies on weekday `weekday - k`; this runs for every hour of every
        # series a run detects on, so it indexes the lists directly instead of building (index, value) pairs.
        back = range(1, min(self.settings.days, i // HOURS_PER_DAY) + 1)
        clean = self.clean
        samples = [
            value / factors[(weekday - k) % DAYS_PER_WEEK]
            for k in back
            if (value := clean[i - HOURS_PER_DAY * k]) is not None
        ]
        if 2 * len(samples) < len(back):
            raw = self.raw
            samples = [raw[i - HOURS_PER_DAY * k] / factors[(weekday - k) % DAYS_PER_WEEK] for k in back]
        lo = max(0, i - self._window)
        recent = self._sum / self._n if 2 * self._n >= i - lo and self._n else self._all_sum / (i - lo)
        factor = factors[weekday]
        if not samples:
            return max(recent * factor, self.settings.floor)
        seasonal = sum(samples) / len(samples)
        weight = len(samples) / (len(samples) + BLEND_PSEUDO_DAYS)
        return max(factor * (weight * seasonal + (1 - weight) * recent), self.settings.floor)

    def recent_mean(self) -> float:
        """The mean clean value over the recent window (0 before any history)."""
        return self._sum / self._n if self._n else 0.0

    def dispersion(self) -> float:
        """Extra-Poisson variance: variance ≈ mean + dispersion × mean², estimated from recent clean hours."""
        return min(max(self._excess, 0.0) / (self._square + DISPERSION_PRIOR), MAX_DISPERSION)

    def push(self, value: float, expected: float) -> None:
        """Record the next hour's value with the expectation it was judged against; it starts out clean."""
        i = len(self.raw)
        # A Huber-style cap: an unflagged but high hour counts as at most about twice its expectation.
        cap = max(2 * expected, expected + 3 * math.sqrt(expected) + 1)
        clean = min(value, cap)
        self.raw.append(value)
        self.clean.append(clean)
        self.expected_at.append(expected)
        while len(self._day_sum) <= self._day(i):
            self._day_sum.append(0.0)
            self._day_n.append(0)
        self._day_sum[-1] += clean
        self._day_n[-1] += 1
        self._add(i, +1)
        self._all_sum += value
        old = i - self._window
        if old >= 0:
            self._add(old, -1)
            self._all_sum -= self.raw[old]

    def mark(self, index: int) -> None:
        """Leave an hour out of later expectations (it was part of an anomaly)."""
        clean = self.clean[index]
        if clean is None:
            return
        if index >= len(self.raw) - self._window:
            self._add(index, -1)
        day = self._day(index)
        self._day_sum[day] -= clean
        self._day_n[day] -= 1
        self.clean[index] = None

    def _add(self, index: int, sign: int) -> None:
        clean = self.clean[index]
        if clean is None:
            return
        expected = self.expected_at[index]
        self._sum += sign * clean
        self._n += sign
        self._excess += sign * ((clean - expected) ** 2 - expected)
        self._square += sign * expected**2

    def _day(self, index: int) -> int:
        return (self._first_hour + index) // HOURS_PER_DAY

    def _weekday(self, index: int) -> int:
        return (self._first_weekday + self._day(index)) % DAYS_PER_WEEK

    def _weekday_factors(self, day: int) -> list[float]:
        """Each weekday's clean hourly mean over the overall one, from complete days before `day`; cached per day."""
        if day == self._factors_day:
            return self._factors
        self._factors_day = day
        first = max(0, day - self.settings.weeks * DAYS_PER_WEEK)
        complete = range(first, min(day, len(self._day_n)))
        total = sum(self._day_sum[d] for d in complete)
        hours = sum(self._day_n[d] for d in complete)
        if len(complete) < DAYS_PER_WEEK or hours == 0 or total <= 0:
            self._factors = [1.0] * DAYS_PER_WEEK
            return self._factors
        overall = total / hours
        factors = []
        for weekday in range(DAYS_PER_WEEK):
            days = [d for d in complete if (self._first_weekday + d) % DAYS_PER_WEEK == weekday and self._day_n[d]]
            if not days:
                factors.append(1.0)
                continue
            mean = sum(self._day_sum[d] for d in days) / sum(self._day_n[d] for d in days)
            # Shrunk towards 1: one odd Saturday is not a weekly rhythm yet.
            ratio = (len(days) * mean / overall + WEEKDAY_PSEUDO_WEEKS) / (len(days) + WEEKDAY_PSEUDO_WEEKS)
            factors.append(min(max(ratio, 0.25), 4.0))
        self._factors = factors
        return factors
