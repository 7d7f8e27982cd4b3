"""The `runs` table: a run recorded as it starts, finishes, or is found abandoned, and the newest runs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import duckdb

from warehouse.arrow import json_text


def start_run(con: duckdb.DuckDBPyConnection, run_id: str, started_at: datetime) -> None:
    """Record that a run began (status 'running'); starting the same run twice changes nothing."""
    con.execute(
        """INSERT INTO runs (run_id, started_at, status) SELECT ?, ?, 'running'
        WHERE NOT EXISTS (SELECT 1 FROM runs WHERE run_id = ?)""",
        [run_id, started_at, run_id],
    )


def finish_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    status: str,
    summary: dict[str, Any],
    *,
    finished_at: datetime | None = None,
    reason: str | None = None,
) -> None:
    """Record a run's outcome, why (partial, failed), and its summary (as JSON); a run never started is recorded too."""
    finished = finished_at or datetime.now(UTC)
    # MERGE, not ON CONFLICT: a DuckLake warehouse has no primary keys (warehouse/upsert.py).
    con.execute(
        """MERGE INTO runs USING (SELECT ? AS run_id, ? AS finished_at, ? AS status, ? AS summary, ? AS reason) AS s
        ON runs.run_id = s.run_id
        WHEN MATCHED THEN UPDATE SET finished_at = s.finished_at, status = s.status, summary = s.summary,
            reason = s.reason
        WHEN NOT MATCHED THEN INSERT (run_id, started_at, finished_at, status, summary, reason)
            VALUES (s.run_id, s.finished_at, s.finished_at, s.status, s.summary, s.reason)""",
        [run_id, finished, status, json_text(summary), reason],
    ).fetchall()


def abandon_runs(con: duckdb.DuckDBPyConnection, *, except_run: str, now: datetime, reason: str) -> list[str]:
    """Mark every other `running` run `abandoned` with finished_at and reason; the caller knows they are dead."""
    # Read, then update those ids (no RETURNING: DuckLake refuses it on updates); one writer does this at a time.
    dead = sorted(
        str(run_id)
        for (run_id,) in con.execute(
            "SELECT run_id FROM runs WHERE status = 'running' AND run_id <> ?", [except_run]
        ).fetchall()
    )
    if dead:
        con.execute(
            "UPDATE runs SET status = 'abandoned', finished_at = ?, reason = ? WHERE list_contains(?, run_id)",
            [now, reason, dead],
        )
    return dead


def recent_runs(con: duckdb.DuckDBPyConnection, limit: int = 20) -> list[dict[str, Any]]:
    """The newest runs, newest first: id, status, start, finish and reason."""
    cursor = con.execute(
        "SELECT run_id, status, started_at, finished_at, reason FROM runs ORDER BY started_at DESC LIMIT ?",
        [int(limit)],
    )
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
