"""Run bookkeeping: every pass leaves one `runs` row with its final status, also when it fails."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest

from flows.runtime.runs import new_run_id, recorded_run
from warehouse import Warehouse


@dataclass
class Summary:
    run_id: str
    status: str = "completed"
    loaded: int = 0

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def rows(warehouse: Warehouse) -> list[tuple[str, str, dict[str, object]]]:
    with warehouse.write() as con:
        found = con.execute("SELECT run_id, status, summary FROM runs ORDER BY started_at").fetchall()
    return [(run_id, status, json.loads(summary)) for run_id, status, summary in found]


def test_a_run_is_recorded_with_its_summary(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path / "w.duckdb")
    summary = Summary(run_id=new_run_id("test-"))
    with recorded_run(warehouse, summary):
        summary.loaded = 3
    assert rows(warehouse) == [(summary.run_id, "completed", {**summary.as_dict()})]
    assert summary.run_id.startswith("test-") and summary.run_id != new_run_id("test-")


def test_a_failing_run_is_marked_failed_and_the_error_propagates(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path / "w.duckdb")
    summary = Summary(run_id=new_run_id())
    with pytest.raises(RuntimeError, match="disk full"), recorded_run(warehouse, summary):
        summary.loaded = 1
        raise RuntimeError("disk full")
    [(run_id, status, stored)] = rows(warehouse)
    assert (run_id, status, stored["loaded"]) == (summary.run_id, "failed", 1)


def test_a_dead_run_is_marked_abandoned_by_the_next_run(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from flows.runtime.run_lock import writer_lock
    from warehouse import start_run

    warehouse = Warehouse(tmp_path / "w.duckdb")
    with warehouse.write() as con:  # a run that was killed: its row says running, nothing holds the lock
        start_run(con, "dead-run", datetime(2026, 11, 1, tzinfo=UTC))
    summary = Summary(run_id=new_run_id())
    with writer_lock(warehouse.path, timeout_s=1), recorded_run(warehouse, summary):
        pass
    with warehouse.write() as con:
        dead = con.execute("SELECT status, finished_at, reason FROM runs WHERE run_id = 'dead-run'").fetchone()
    assert dead is not None and dead[0] == "abandoned" and dead[1] is not None
    assert "stopped" in dead[2] and summary.run_id in dead[2]
    assert [(r, s) for r, s, _ in rows_any(warehouse)] == [("dead-run", "abandoned"), (summary.run_id, "completed")]


def test_a_live_run_holding_the_lock_is_not_abandoned(tmp_path: Path) -> None:
    import subprocess
    import sys
    from datetime import UTC, datetime

    from flows.runtime.run_lock import run_lock_path
    from warehouse import start_run

    warehouse = Warehouse(tmp_path / "w.duckdb")
    with warehouse.write() as con:
        start_run(con, "live-run", datetime.now(UTC))
    # Another process holds the run lock, as a live run does.
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from filelock import FileLock; l = FileLock(sys.argv[1]); "
         "l.acquire(); print('held', flush=True); time.sleep(60)", str(run_lock_path(warehouse.path))],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        summary = Summary(run_id=new_run_id("test-"))
        with recorded_run(warehouse, summary):
            pass
    finally:
        holder.kill()
        holder.wait()
    statuses = dict((r, s) for r, s, _ in rows_any(warehouse))
    assert statuses["live-run"] == "running"


def test_brandpulse_runs_shows_abandoned_and_partial_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import UTC, datetime

    from typer.testing import CliRunner

    from flows.cli.main import app
    from warehouse import finish_run, start_run

    monkeypatch.chdir(tmp_path)
    (tmp_path / "brandpulse.toml").write_text('[warehouse]\npath = "w.duckdb"\n', encoding="utf-8")
    warehouse = Warehouse(tmp_path / "w.duckdb")
    with warehouse.write() as con:
        start_run(con, "r-dead", datetime(2026, 11, 1, tzinfo=UTC))
        start_run(con, "r-partial", datetime(2026, 11, 2, tzinfo=UTC))
        finish_run(con, "r-partial", "partial", {}, reason="file:gone.jsonl: import file gone.jsonl not found")
    shown = CliRunner().invoke(app, ["runs"])
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.output.split())
    assert "r-partial" in text and "partial" in text and "gone.jsonl" in text
    assert "running?" in text  # nothing holds the lock: the next run will mark r-dead abandoned


def rows_any(warehouse: Warehouse) -> list[tuple[str, str, object]]:
    with warehouse.write() as con:
        return con.execute("SELECT run_id, status, summary FROM runs ORDER BY started_at").fetchall()
