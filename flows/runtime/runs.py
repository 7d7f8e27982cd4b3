"""Run bookkeeping: one id scheme and one `runs` row per pass, finished with its status even when it fails."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Protocol

from flows.runtime.run_lock import no_other_run
from warehouse import Warehouse, abandon_runs, finish_run, start_run

log = logging.getLogger("brandpulse")
ABANDONED_REASON = (
    "its process stopped (killed, crashed or the machine went down) before it finished; found by run {run_id}. "
    "What it had stored is kept (loads are transactional); the next runs pick up from the saved cursors"
)


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
    """Start the run's `runs` row, and finish it with the summary; an exception marks it failed and propagates.

    Rows left `running` by runs whose process died are marked `abandoned` first, when the run lock shows that no
    other run is alive. A summary's optional `reason` (why a run was partial) is recorded with it.
    """
    now = datetime.now(UTC)
    with no_other_run(warehouse.path) as alone, warehouse.write() as con:
        # On a shared lake a run of another worker may be alive: only this host's lock is known here.
        if alone and not warehouse.shared:
            why = ABANDONED_REASON.format(run_id=summary.run_id)
            dead = abandon_runs(con, except_run=summary.run_id, now=now, reason=why)
            if dead:
                log.warning("marked %d run(s) abandoned, their process died: %s", len(dead), ", ".join(dead))
        start_run(con, summary.run_id, now)
    reason: str | None = None
    try:
        yield
    except BaseException as exc:
        summary.status = "failed"
        reason = f"{type(exc).__name__}: {exc}"[:500]
        raise
    finally:
        with warehouse.write() as con:
            why = reason or getattr(summary, "reason", None)
            finish_run(con, summary.run_id, summary.status, summary.as_dict(), reason=why)
