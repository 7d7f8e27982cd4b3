"""Retries: the one loop that retries a RetryableError, with backoff, the platform's `retry_after` and a wait budget."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from models.errors import RetryableError
from models.retry import RetryPolicy

T = TypeVar("T")


@dataclass
class WaitBudget:
    """Seconds slept so far in one run; shared across calls so a whole run never waits past `max_wait_per_run`."""

    spent: float = 0.0


def call_with_retries(
    fn: Callable[[], T],
    policy: RetryPolicy | None = None,
    *,
    sleep: Callable[[float], Any] = time.sleep,
    on_retry: Callable[[int, RetryableError, float], Any] | None = None,
    budget: WaitBudget | None = None,
    rng: random.Random | None = None,
) -> T:
    """Call `fn`, retrying only RetryableError with backoff (or the platform's `retry_after`), then re-raise."""
    policy = policy or RetryPolicy()
    budget = budget if budget is not None else WaitBudget()
    attempt = 1
    while True:
        try:
            return fn()
        except RetryableError as error:
            if attempt >= policy.max_attempts:
                raise
            asked = error.retry_after
            if asked is not None and asked > policy.max_wait_per_run:
                # A 15-minute X window: sleeping through it would stall every other channel. Stop this channel
                # now; its cursor stays where it was and the next run picks up from there.
                raise
            delay = asked if asked is not None else policy.backoff(attempt, rng)
            if budget.spent + delay > policy.max_wait_per_run:
                raise
            if on_retry is not None:
                on_retry(attempt, error, delay)
            sleep(delay)
            budget.spent += delay
            attempt += 1
