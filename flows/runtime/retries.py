"""Prefect task retries for transient errors only: a RetryableError is retried, anything else fails at once."""

from __future__ import annotations

from typing import Any

from models.errors import RetryableError

# Long enough for another run to let go of the warehouse; short enough to finish inside a 15-minute schedule.
TRANSIENT_RETRY_DELAYS_S: tuple[float, ...] = (5, 30, 120)


def is_retryable_state(task: Any, task_run: Any, state: Any) -> bool:
    """`retry_condition_fn` for Prefect tasks: retry only when the task failed with a RetryableError."""
    try:
        state.result()
    except RetryableError:
        return True
    except BaseException:  # FatalError, RecordError or a bug: retrying would fail the same way
        return False
    return False


def transient_retries(delays_s: tuple[float, ...] = TRANSIENT_RETRY_DELAYS_S) -> dict[str, Any]:
    """Keyword arguments for `@task(...)`: one retry per delay, only for RetryableError."""
    return {
        "retries": len(delays_s),
        "retry_delay_seconds": list(delays_s),
        "retry_condition_fn": is_retryable_state,
    }
