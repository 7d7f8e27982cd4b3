"""The one retry policy: how often and how long to back off, for listeners, the warehouse lock and Slack (pure)."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a RetryableError; waits beyond `max_wait_per_run` stop the channel."""

    max_attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 60.0
    max_wait_per_run: float = 120.0
    jitter: float = 0.5  # fraction of each backoff delay that is randomised, so parallel runs do not retry in step

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if min(self.base_delay, self.max_delay, self.max_wait_per_run) < 0 or not 0 <= self.jitter <= 1:
            raise ValueError("delays must be >= 0 and jitter within 0..1")

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """The exponential backoff before retry number `attempt` (1-based), capped and jittered."""
        delay = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        if self.jitter:
            delay *= 1 - self.jitter * (rng or random).random()
        return delay
