"""Daily API quotas (YouTube units, Naver calls): a run spends at most its share; a spent day waits for the reset.

A channel with a daily quota gets one `QuotaBudget` per run from `LEDGER.budget(...)`: every feed of the run (all
brands) draws from it, and each call is counted before it is made. Past the run's share, or once the platform says
the day's quota is gone, `spend` raises `QuotaExhausted` (a `RateLimited` that is never retried): the feed stops,
keeps what it fetched and its cursor, and the next run (or, for a spent day, the first run after the platform's
midnight) resumes. The ledger lives for the process: later runs in it skip a spent day without calling; a run in a
new process spends one refused call per channel to learn it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from models.errors import QuotaExhausted


def next_reset(now: float, zone: ZoneInfo) -> float:
    """The epoch second of the next midnight in `zone` (when a platform's daily quota starts again)."""
    local = datetime.fromtimestamp(now, UTC).astimezone(zone)
    tomorrow = (local + timedelta(days=1)).date()
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=zone).timestamp()


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class QuotaBudget:
    """One run's share of a channel's daily quota, shared by all of the run's feeds; counts units per endpoint."""

    channel: str
    daily: int  # the platform's daily quota (YouTube: units; Naver: calls)
    share: float  # the part of it one run may spend
    zone: ZoneInfo  # where the platform's quota day ends
    unit: str = "units"
    clock: Callable[[], float] = time.time
    used: int = 0
    calls: dict[str, int] = field(default_factory=dict)  # endpoint → calls made this run
    exhausted_until: float | None = None  # set when the platform said the day's quota is gone

    @property
    def limit(self) -> int:
        """The most this run may spend."""
        return max(1, math.floor(self.daily * self.share))

    def spend(self, units: int, endpoint: str) -> None:
        """Count one call of `units` before it is made; QuotaExhausted when the run's share or the day is spent."""
        now = self.clock()
        if self.exhausted_until is not None and now < self.exhausted_until:
            raise QuotaExhausted(
                f"{self.channel}: the daily API quota is used up; no calls until it resets at "
                f"{_iso(self.exhausted_until)} (cursor kept)",
                resume_at=self.exhausted_until,
            )
        if self.used + units > self.limit:
            raise QuotaExhausted(
                f"{self.channel}: this run's share of the daily quota is spent ({self.used} of {self.limit} "
                f"{self.unit}: [channels.{self.channel}] run_share = {self.share:g} of {self.daily:,}); the rest "
                "is read on the next run (cursor kept)"
            )
        self.used += units
        self.calls[endpoint] = self.calls.get(endpoint, 0) + 1

    def day_spent(self, detail: str) -> QuotaExhausted:
        """Record that the platform refused a call because the day's quota is gone; the error to raise."""
        self.exhausted_until = next_reset(self.clock(), self.zone)
        return QuotaExhausted(
            f"{self.channel}: the daily API quota is used up ({detail}); stopped with the cursor kept, resumes "
            f"after {_iso(self.exhausted_until)} (midnight {self.zone.key})",
            resume_at=self.exhausted_until,
        )

    def summary(self) -> str:
        """One line for the run summary: what this run spent, of what."""
        calls = ", ".join(f"{endpoint} × {count}" for endpoint, count in sorted(self.calls.items()))
        return (
            f"quota: {self.used:,} of this run's {self.limit:,} {self.unit} used "
            f"({self.share:.0%} of {self.daily:,} a day){': ' + calls if calls else ''}"
        )


class QuotaLedger:
    """The budgets of this process: one per channel and run, and the day a channel's quota ran out."""

    def __init__(self) -> None:
        # channel → (the run's settings object, its budget). The settings object is the run's identity: the pipeline
        # hands the same `[channels.NAME]` object to every brand of one run, and a new one to the next run.
        self._runs: dict[str, tuple[object, QuotaBudget]] = {}

    def budget(
        self,
        channel: str,
        run: object,
        *,
        daily: int,
        share: float,
        zone: ZoneInfo,
        unit: str = "units",
        clock: Callable[[], float] = time.time,
    ) -> QuotaBudget:
        """The budget of the run `run` belongs to (a new one for a new run, still stopped while the day is spent)."""
        current = self._runs.get(channel)
        if current is not None and current[0] is run:
            return current[1]
        budget = QuotaBudget(channel, daily, share, zone, unit=unit, clock=clock)
        if current is not None and current[1].exhausted_until is not None and clock() < current[1].exhausted_until:
            budget.exhausted_until = current[1].exhausted_until
        self._runs[channel] = (run, budget)  # holding `run` keeps its id from being reused by a later object
        return budget


LEDGER = QuotaLedger()
