"""`kind = "ducklake"` from the command line: import, sql and report read the lake; migrate copies a file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.config import write_config
from typer.testing import CliRunner

from flows.cli.main import app
from flows.resources import build_warehouse
from flows.runtime.config import load_config
from models.errors import ConfigError
from warehouse.lake import LakeWarehouse

runner = CliRunner()
LAKE = {"kind": "ducklake", "catalog": "meta.ducklake", "data_path": "lake-data"}
ROWS = "channel,id,text,created_at\nx,1,acme one,2026-11-01T10:00:00Z\nx,2,globex two,2026-11-01T11:00:00Z\n"
COUNT = ["sql", "SELECT count(*) AS n FROM mentions_scored", "--format", "json"]


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BRANDPULSE_WAREHOUSE_CATALOG", raising=False)
    (tmp_path / "m.csv").write_text(ROWS, encoding="utf-8")
    return tmp_path


def test_the_lake_settings_resolve_beside_the_config_and_turn_the_snapshot_off(folder: Path) -> None:
    config = load_config(write_config(folder, warehouse=LAKE))
    assert config.warehouse.catalog == str(folder / "meta.ducklake")
    assert config.warehouse.data_path == str(folder / "lake-data")
    assert config.warehouse.read_snapshot_path() is None
    warehouse = build_warehouse(config)
    assert isinstance(warehouse, LakeWarehouse) and warehouse.shared


def test_a_password_in_the_toml_is_refused_and_the_environment_supplies_the_catalog(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = {**LAKE, "catalog": "postgres:dbname=lake password=hunter2"}
    with pytest.raises(ConfigError, match="BRANDPULSE_WAREHOUSE_CATALOG") as caught:
        load_config(write_config(folder, warehouse=secret))
    assert "hunter2" not in str(caught.value)
    monkeypatch.setenv("BRANDPULSE_WAREHOUSE_CATALOG", str(folder / "from-env.ducklake"))
    config = load_config(write_config(folder, warehouse={**LAKE, "catalog": "postgres:dbname=ignored"}))
    warehouse = build_warehouse(config)
    assert isinstance(warehouse, LakeWarehouse) and warehouse.catalog == str(folder / "from-env.ducklake")
    assert "from-env" not in repr(warehouse)
    with pytest.raises(ConfigError, match="data_path"):
        load_config(write_config(folder, warehouse={"kind": "ducklake", "catalog": "x.ducklake"}))


def test_import_then_sql_and_report_work_on_the_lake(folder: Path) -> None:
    write_config(folder, warehouse=LAKE)
    imported = runner.invoke(app, ["import", "m.csv"])
    assert imported.exit_code == 0, imported.output
    assert "read snapshot" not in imported.output
    assert f"warehouse: DuckLake (data_path {folder / 'lake-data'})" in " ".join(imported.output.split())
    again = runner.invoke(app, ["import", "m.csv"])
    assert "0 new" in again.output
    result = runner.invoke(app, COUNT)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["n"] == 2
    assert not (folder / "wh.duckdb").exists() and list((folder / "lake-data").rglob("*.parquet"))
    report = runner.invoke(app, ["report", "--from", "2026-11-01", "--to", "2026-11-01", "--out", "r.html"])
    assert report.exit_code == 0, report.output
    # The day's counts came from the lake: one Acme mention in the chart data.
    assert '"mentions":1' in (folder / "r.html").read_text(encoding="utf-8").replace(" ", "")


def test_migrate_copies_the_file_into_the_lake_once(folder: Path) -> None:
    write_config(folder)  # a file warehouse first
    assert runner.invoke(app, ["import", "m.csv"]).exit_code == 0
    refused = runner.invoke(app, ["migrate", "--to", "ducklake"])
    assert refused.exit_code == 2 and 'kind = "ducklake"' in " ".join(refused.output.split())
    write_config(folder, warehouse=LAKE)  # path still names the file to copy
    first = runner.invoke(app, ["migrate", "--to", "ducklake"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, ["migrate", "--to", "ducklake"])
    assert second.exit_code == 0 and "copied 0 rows" in second.output
    with build_warehouse(load_config(folder / "brandpulse.toml")).read() as con:
        assert con.execute("SELECT count(*) FROM mentions").fetchall() == [(2,)]
        assert con.execute("SELECT count(*) FROM mention_brands").fetchall() == [(2,)]
        assert con.execute("SELECT count(*) FROM cursors").fetchall() == [(1,)]
        assert con.execute("SELECT count(*) FROM runs").fetchall() == [(0,)]
    assert runner.invoke(app, ["migrate", "--to", "motherduck"]).exit_code == 2
    backup = runner.invoke(app, ["backup"])
    assert backup.exit_code == 1 and "pg_dump" in " ".join(backup.output.split())
