"""The `runs` table: a run recorded as it starts, finishes, or is found abandoned, and the newest runs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import duckdb

from warehouse.arrow import json_text


def start_run(con: duckdb.DuckDBPyConnection, run_id: str, started_at: datetime) -> None:
    """Record that a run began (status 'running'); starting the same run twice changes nothing."""
    con.execute(
        "INSERT INTO runs (run_id, started_at, status) VALUES (?, ?, 'running') ON CONFLICT DO NOTHING",
        [run_id, started_at],
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
    con.execute(
        """INSERT INTO runs (run_id, started_at, finished_at, status, summary, reason) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (run_id) DO UPDATE SET finished_at = excluded.finished_at, status = excluded.status,
        summary = excluded.summary, reason = excluded.reason""",
        [run_id, finished, finished, status, json_text(summary), reason],
    )


def abandon_runs(con: duckdb.DuckDBPyConnection, *, except_run: str, now: datetime, reason: str) -> list[str]:
    """Mark every other `running` run `abandoned` with finished_at and reason; the caller knows they are dead."""
    rows = con.execute(
        """UPDATE runs SET status = 'abandoned', finished_at = ?, reason = ?
        WHERE status = 'running' AND run_id <> ? RETURNING run_id""",
        [now, reason, except_run],
    ).fetchall()
    return sorted(str(run_id) for (run_id,) in rows)


def recent_runs(con: duckdb.DuckDBPyConnection, limit: int = 20) -> list[dict[str, Any]]:
    """The newest runs, newest first: id, status, start, finish and reason."""
    cursor = con.execute(
        "SELECT run_id, status, started_at, finished_at, reason FROM runs ORDER BY started_at DESC LIMIT ?",
        [int(limit)],
    )
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
