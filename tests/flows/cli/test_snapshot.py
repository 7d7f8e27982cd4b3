"""Read commands read the snapshot (or the live file with --live), and a run publishes it only when asked to."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.config import write_config
from typer.testing import CliRunner

from flows.cli.main import app
from flows.cli.run import print_summary
from flows.pipeline import RunSummary, publish_read_snapshot
from flows.resources import build_warehouse
from flows.runtime.config import Config, load_config
from flows.steps.imports import import_file
from models.brands import BrandMatcher
from warehouse.snapshot import publish_snapshot, snapshot_info

runner = CliRunner()

FIRST = "channel,id,text,created_at\nx,1,acme one,2026-11-01T10:00:00Z\nx,2,acme two,2026-11-01T11:00:00Z\n"
SECOND = "channel,id,text,created_at\nx,3,acme three,2026-11-02T10:00:00Z\n"
COUNT = ["sql", "SELECT count(*) AS n FROM mentions", "--format", "json"]


def imported(folder: Path, text: str) -> None:
    (folder / "m.csv").write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["import", "m.csv"])
    assert result.exit_code == 0, result.output


def count(result: object) -> int:
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    return json.loads(result.stdout)["n"]  # type: ignore[attr-defined]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    monkeypatch.chdir(tmp_path)
    write_config(tmp_path)
    imported(tmp_path, FIRST)
    return load_config(tmp_path / "brandpulse.toml")


def stored_live(config: Config, folder: Path, text: str) -> None:
    """Import into the live file without publishing (as a run still in progress would)."""
    (folder / "live.csv").write_text(text, encoding="utf-8")
    result = import_file(build_warehouse(config), folder / "live.csv", BrandMatcher.from_brands(config.brands),
                         run_id="live")
    assert result.inserted and result.error is None


def test_import_publishes_the_snapshot_when_it_stored_something(project: Config, tmp_path: Path) -> None:
    snapshot = project.warehouse.read_snapshot_path()
    first = snapshot_info(snapshot)
    assert first is not None and first.mentions == 2
    (tmp_path / "m.csv").write_text(FIRST, encoding="utf-8")
    again = runner.invoke(app, ["import", "m.csv"])  # nothing new: the snapshot stays as it was
    assert again.exit_code == 0 and snapshot_info(snapshot) == first
    imported(tmp_path, SECOND)
    latest = snapshot_info(snapshot)
    assert latest is not None and latest.mentions == 3 and latest.published_at > first.published_at


def test_sql_reads_the_snapshot_by_default_and_the_live_file_with_live(project: Config, tmp_path: Path) -> None:
    snapshot = project.warehouse.read_snapshot_path()
    assert snapshot == tmp_path / "wh.read.duckdb"
    publish_snapshot(build_warehouse(project), snapshot)
    stored_live(project, tmp_path, SECOND)  # the live file moves on; the snapshot is the last published state
    default = runner.invoke(app, COUNT)
    assert count(default) == 2 and "note:" not in default.stderr
    assert count(runner.invoke(app, [*COUNT, "--live"])) == 3
    seen = runner.invoke(app, ["sql", "SELECT mentions, source_path FROM snapshot_info", "--format", "json"])
    assert json.loads(seen.stdout) == {"mentions": 2, "source_path": str(tmp_path / "wh.duckdb")}


def test_without_a_snapshot_yet_sql_reads_the_live_file_with_a_note(project: Config) -> None:
    snapshot = project.warehouse.read_snapshot_path()
    assert snapshot is not None
    snapshot.unlink()  # as before the first run or import that published one
    result = runner.invoke(app, COUNT)
    assert count(result) == 2
    notes = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(notes) == 1 and "no read snapshot" in notes[0] and "live warehouse" in notes[0]


def test_a_run_publishes_when_it_changed_something_and_the_summary_says_where(
    project: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse = build_warehouse(project)
    first = RunSummary(run_id="r1", warehouse=str(warehouse.path))
    project.warehouse.read_snapshot_path().unlink()  # type: ignore[union-attr]
    publish_read_snapshot(warehouse, project, first)  # no snapshot yet: always published
    assert first.read_snapshot == str(project.warehouse.read_snapshot_path()) and first.read_snapshot_published_at
    idle = RunSummary(run_id="r2", warehouse=str(warehouse.path))
    publish_read_snapshot(warehouse, project, idle)
    assert idle.read_snapshot_note and "unchanged" in idle.read_snapshot_note
    assert idle.read_snapshot_published_at == first.read_snapshot_published_at
    busy = RunSummary(run_id="r3", warehouse=str(warehouse.path), scored=1)
    publish_read_snapshot(warehouse, project, busy)
    assert busy.read_snapshot_note is None and busy.read_snapshot_published_at != first.read_snapshot_published_at
    print_summary(project, busy.as_dict())
    assert f"read snapshot: {busy.read_snapshot} (published {busy.read_snapshot_published_at})" in " ".join(
        capsys.readouterr().out.split()
    )


def test_with_the_setting_off_no_snapshot_is_published_or_mentioned(tmp_path: Path, project: Config) -> None:
    (tmp_path / "wh.read.duckdb").unlink()  # published by the fixture's import, with the setting still on
    off = project.model_copy(update={"warehouse": project.warehouse.model_copy(update={"read_snapshot": False})})
    summary = RunSummary(run_id="r1", warehouse=str(off.warehouse.path), scored=5)
    publish_read_snapshot(build_warehouse(off), off, summary)
    assert summary.read_snapshot is None and not (tmp_path / "wh.read.duckdb").exists()
    write_config(tmp_path, warehouse={"read_snapshot": False})
    result = runner.invoke(app, COUNT)
    assert count(result) == 2 and "note:" not in result.stderr
