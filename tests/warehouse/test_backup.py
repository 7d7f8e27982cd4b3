"""Backup and restore: a verified copy, the file damaged, restored, every row back; a damaged backup is refused."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from helpers.warehouse import count, mention
from typer.testing import CliRunner

from flows.cli.main import app
from models.errors import WarehouseCorrupt
from warehouse import Warehouse, load_mentions
from warehouse.backup import backup, newest_backup, restore

runner = CliRunner()


@pytest.fixture
def filled(tmp_path: Path) -> Warehouse:
    """A warehouse with a few hundred mentions."""
    wh = Warehouse(tmp_path / "data" / "brandpulse.duckdb", lock_timeout_s=5.0)
    rng = random.Random(2)
    with wh.write() as con:
        load_mentions(con, [mention("x", str(i), text=f"acme {rng.randbytes(200).hex()}") for i in range(2000)])
    return wh


def test_backup_damage_restore_gets_every_row_back(filled: Warehouse) -> None:
    made = backup(filled)
    assert made.path.parent == filled.path.parent / "backups" and made.mentions == 2000
    assert newest_backup(filled.path) == made.path
    with filled.path.open("r+b") as handle:  # truncated, as an interrupted copy would leave it
        handle.truncate(filled.path.stat().st_size // 3)
    with pytest.raises(WarehouseCorrupt, match=f"brandpulse restore {made.path}"):
        filled.check()
    done = restore(filled, made.path)
    assert done.mentions == 2000
    # The damaged file is kept beside it, never deleted.
    assert [p.name.split(".before-restore-")[0] for p in done.set_aside] == ["brandpulse.duckdb"]
    with filled.write() as con:
        assert count(con, "mentions") == 2000
        load_mentions(con, [mention("x", "after")])
    with filled.read() as con:
        assert count(con, "mentions") == 2001


def test_backup_refuses_a_damaged_file_and_restore_a_damaged_backup(filled: Warehouse, tmp_path: Path) -> None:
    made = backup(filled, tmp_path / "copy.duckdb")
    with made.path.open("r+b") as handle:
        handle.truncate(made.path.stat().st_size // 2)
    before = filled.path.read_bytes()
    with pytest.raises(WarehouseCorrupt, match="nothing was restored"):
        restore(filled, made.path)
    assert filled.path.read_bytes() == before
    with filled.path.open("r+b") as handle:
        handle.truncate(filled.path.stat().st_size // 2)
    with pytest.raises(WarehouseCorrupt):
        backup(filled, tmp_path / "second.duckdb")
    assert not (tmp_path / "second.duckdb").exists()


def test_cli_backup_and_restore(filled: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "brandpulse.toml").write_text(
        f'[warehouse]\npath = "{filled.path.as_posix()}"\n[[brands]]\nname = "Acme"\nterms = ["acme"]\n',
        encoding="utf-8",
    )
    made = runner.invoke(app, ["backup", "--to", str(tmp_path / "b.duckdb")])
    assert made.exit_code == 0, made.output
    assert "brandpulse restore" in made.output and (tmp_path / "b.duckdb").exists()
    again = runner.invoke(app, ["backup", "--to", str(tmp_path / "b.duckdb")])
    assert again.exit_code == 1 and "already exists" in again.output
    filled.path.write_bytes(b"not a database at all")
    broken = runner.invoke(app, ["sql", "SELECT count(*) FROM mentions"])
    assert broken.exit_code == 1 and "damaged" in broken.output and "Traceback" not in broken.output
    back = runner.invoke(app, ["restore", str(tmp_path / "b.duckdb")])
    assert back.exit_code == 0, back.output
    assert "2000 mentions" in back.output and "before-restore" in back.output
    rows = runner.invoke(app, ["sql", "SELECT count(*) AS n FROM mentions", "--format", "csv"])
    assert rows.stdout.splitlines() == ["n", "2000"]
