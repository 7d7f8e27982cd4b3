"""The full-read integrity check is paid once per version of the file, across processes, and at least once a day."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.warehouse import count, filled_warehouse, mention, scribble

import warehouse.connection as connection
from models.errors import WarehouseCorrupt
from warehouse import Warehouse, load_mentions
from warehouse.connection import FULL_CHECK_EVERY_S, stamp_path


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Count the full reads (verify_integrity calls), still doing them."""
    seen: list[Path] = []
    real = connection.verify_integrity

    def counting(con: object) -> None:
        seen.append(Path(con.execute("SELECT path FROM duckdb_databases() WHERE NOT internal").fetchone()[0]))  # type: ignore[attr-defined]
        real(con)  # type: ignore[arg-type]

    monkeypatch.setattr(connection, "verify_integrity", counting)
    return seen


def mentions(wh: Warehouse) -> int:
    """Rows in the mentions table, read back through a read connection."""
    with wh.read() as con:
        return count(con, "mentions")


def new_process() -> None:
    """Forget what this process verified, as a fresh `brandpulse run` would start."""
    connection._VERIFIED.clear()


def scribble_keeping_times(path: Path) -> None:
    """Random bytes inside a data block, with the file's size and times put back: damage at rest on a failing disk."""
    before = path.stat()
    scribble(path)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_a_new_process_skips_the_full_read_of_a_file_nobody_touched(tmp_path: Path, reads: list[Path]) -> None:
    wh = filled_warehouse(tmp_path)
    assert len(reads) == 1 and stamp_path(wh.path).is_file()
    new_process()
    wh.check()
    with Warehouse(wh.path).write() as con:
        load_mentions(con, [mention("x", "one more")])
    assert len(reads) == 1
    assert mentions(wh) == 3001


def test_a_file_changed_by_another_program_is_read_whole_again(tmp_path: Path, reads: list[Path]) -> None:
    wh = filled_warehouse(tmp_path)
    # Another program (an analyst's DuckDB shell) writes to the file: its size, times or .wal change.
    time.sleep(0.02)
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import duckdb,sys; duckdb.connect(sys.argv[1]).execute('CREATE TABLE notes (n INT)')",
            str(wh.path),
        ],
        check=True,
    )
    new_process()
    wh.check()
    assert len(reads) == 2


def test_damage_at_rest_is_found_once_the_stamp_is_a_day_old(tmp_path: Path, reads: list[Path]) -> None:
    wh = filled_warehouse(tmp_path)
    scribble_keeping_times(wh.path)
    new_process()
    wh.check()  # the stamp still matches: damage that changes no size or time waits for the daily full read
    assert len(reads) == 1
    stamp = json.loads(stamp_path(wh.path).read_text(encoding="utf-8"))
    stamp["verified_at"] -= FULL_CHECK_EVERY_S + 1
    stamp_path(wh.path).write_text(json.dumps(stamp), encoding="utf-8")
    new_process()
    with pytest.raises(WarehouseCorrupt, match="brandpulse restore"), wh.write():
        pass
    assert len(reads) == 2


def test_writes_never_make_the_stamp_younger_than_the_last_full_read(tmp_path: Path, reads: list[Path]) -> None:
    wh = filled_warehouse(tmp_path)
    first = json.loads(stamp_path(wh.path).read_text(encoding="utf-8"))["verified_at"]
    for i in range(2):
        new_process()
        with wh.write() as con:
            load_mentions(con, [mention("x", f"later {i}")])
    stamp = json.loads(stamp_path(wh.path).read_text(encoding="utf-8"))
    assert stamp["verified_at"] == first and len(reads) == 1
    assert stamp["fingerprint"] == json.loads(json.dumps(connection._fingerprint(wh.path)))


def test_a_write_that_failed_leaves_the_old_stamp_so_the_next_process_reads_whole(
    tmp_path: Path, reads: list[Path]
) -> None:
    wh = filled_warehouse(tmp_path)
    before = stamp_path(wh.path).read_text(encoding="utf-8")
    new_process()
    with pytest.raises(RuntimeError), wh.write() as con:
        load_mentions(con, [mention("x", "half done")])
        raise RuntimeError("killed mid-run")
    assert stamp_path(wh.path).read_text(encoding="utf-8") == before
    new_process()
    wh.check()
    assert len(reads) == 2


@pytest.mark.parametrize("junk", ["", "not json", '{"fingerprint": 3}', '{"verified_at": "soon", "fingerprint": []}'])
def test_a_junk_stamp_means_a_full_read(tmp_path: Path, reads: list[Path], junk: str) -> None:
    wh = filled_warehouse(tmp_path)
    stamp_path(wh.path).write_text(junk, encoding="utf-8")
    new_process()
    wh.check()
    assert len(reads) == 2
    assert json.loads(stamp_path(wh.path).read_text(encoding="utf-8"))["fingerprint"]


def test_a_stamp_that_cannot_be_written_only_costs_a_full_read(
    tmp_path: Path, reads: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    wh = filled_warehouse(tmp_path)
    stamp_path(wh.path).unlink()
    stamp_path(wh.path).mkdir()  # the name is taken by a folder: replace() fails
    new_process()
    with wh.write() as con:
        load_mentions(con, [mention("x", "still written")])
    assert mentions(wh) == 3001 and len(reads) == 2
    assert not list(wh.path.parent.glob(".*.tmp"))


def test_forget_verified_drops_the_stamp(tmp_path: Path, reads: list[Path]) -> None:
    wh = filled_warehouse(tmp_path)
    wh.forget_verified()
    assert not stamp_path(wh.path).exists()
    wh.check()
    assert len(reads) == 2
