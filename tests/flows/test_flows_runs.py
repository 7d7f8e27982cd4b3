"""Run bookkeeping: every pass leaves one `runs` row with its final status, also when it fails."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest

from flows.runs import new_run_id, recorded_run
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
