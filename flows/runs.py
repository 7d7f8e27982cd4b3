"""Run bookkeeping: one id scheme and one `runs` row per pass, finished with its status even when it fails."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Protocol

from warehouse import Warehouse, finish_run, start_run


class RunRecord(Protocol):
    """What a run summary must offer to be recorded in `runs`."""

    run_id: str
    status: str

    def as_dict(self) -> dict[str, Any]:
        """A JSON-serialisable copy."""
        ...


def new_run_id(prefix: str = "") -> str:
    """A sortable, unique run id: optional prefix, UTC start time, six random hex digits."""
    return datetime.now(UTC).strftime(f"{prefix}%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]


@contextmanager
def recorded_run(warehouse: Warehouse, summary: RunRecord) -> Iterator[None]:
    """Start the run's `runs` row, and finish it with the summary; an exception marks it failed and propagates."""
    with warehouse.write() as con:
        start_run(con, summary.run_id, datetime.now(UTC))
    try:
        yield
    except BaseException:
        summary.status = "failed"
        raise
    finally:
        with warehouse.write() as con:
            finish_run(con, summary.run_id, summary.status, summary.as_dict())
