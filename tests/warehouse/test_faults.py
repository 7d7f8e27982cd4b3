"""A damaged, read-only, misplaced, full or locked warehouse: one line naming the file, cause and fix; no write."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb
import pytest
from helpers.warehouse import count, filled_warehouse, mention, scribble
from typer.testing import CliRunner

from flows.cli.main import app
from flows.runtime.run_lock import writer_lock
from models.errors import (
    WarehouseCorrupt,
    WarehouseDiskFull,
    WarehouseError,
    WarehouseLocked,
    WarehouseNotWritable,
)
from warehouse import Warehouse, load_mentions
from warehouse.connection import translate_error

runner = CliRunner()

# A second process holding a read-write connection, as another run or an analyst's notebook would.
HOLDER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
sys.stdin.readline()
con.close()
"""


@contextmanager
def held(path: Path) -> Iterator[subprocess.Popen[str]]:
    """Hold a read-write DuckDB connection on path in another process until the block ends."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        yield proc
    finally:
        with suppress(OSError):
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        proc.wait(timeout=30)


def digest(path: Path) -> str:
    """The file's bytes, to show nothing was written."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def filled(tmp_path: Path) -> Warehouse:
    """A warehouse with enough rows that its data blocks lie well inside the file."""
    return filled_warehouse(tmp_path)


def truncate(path: Path) -> None:
    """Cut the file in half, as a full disk or an interrupted copy would."""
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size // 2)


def one_line(text: str) -> str:
    """The CLI's error output must be exactly one line."""
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


def config(tmp_path: Path, wh: Warehouse) -> Path:
    """A brandpulse.toml pointing at the warehouse."""
    path = tmp_path / "brandpulse.toml"
    path.write_text(f'[warehouse]\npath = "{wh.path.as_posix()}"\nlock_timeout_s = 1\n[[brands]]\nname = "Acme"\n'
                    'terms = ["acme"]\n', encoding="utf-8")
    return path


@pytest.mark.parametrize(("damage", "cause"), [(truncate, "truncated"), (scribble, "checksum")])
def test_a_damaged_file_is_refused_before_any_write(filled: Warehouse, damage, cause: str) -> None:
    damage(filled.path)
    before = digest(filled.path)
    fresh = Warehouse(filled.path, lock_timeout_s=1.0)  # a new run: this process's check is not reused
    from warehouse.connection import _VERIFIED

    _VERIFIED.clear()
    with pytest.raises(WarehouseCorrupt) as caught, fresh.write() as con:
        load_mentions(con, [mention("x", "new")])
    message = str(caught.value)
    assert str(filled.path) in message and cause in message and "nothing was written" in message
    assert "brandpulse restore" in message and "\n" not in message
    assert digest(filled.path) == before
    assert not Path(f"{filled.path}.wal").exists()


def test_random_bytes_in_the_middle_open_fine_so_only_the_full_read_finds_them(filled: Warehouse) -> None:
    """Why the check reads every column: DuckDB opens this file and even counts its rows without complaint."""
    scribble(filled.path)
    con = duckdb.connect(str(filled.path), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM mentions").fetchone() == (3000,)
        with pytest.raises(duckdb.Error, match="checksum"):
            con.execute("SELECT bit_xor(hash(COLUMNS(*))) FROM mentions").fetchall()
    finally:
        con.close()


def test_the_restore_hint_names_the_newest_backup(filled: Warehouse) -> None:
    from warehouse.backup import backup

    made = backup(filled)
    scribble(filled.path)
    with pytest.raises(WarehouseCorrupt, match=f"brandpulse restore {made.path}"):
        Warehouse(filled.path).check()


@pytest.mark.parametrize(
    "command",
    [["run"], ["rescore"], ["retention", "--days", "30"], ["backfill", "--from", "2026-11-01", "--to", "2026-11-02"]],
    ids=lambda c: c[0],
)
def test_cli_commands_on_a_damaged_file_say_one_line(tmp_path: Path, filled: Warehouse, command: list[str]) -> None:
    scribble(filled.path)
    from warehouse.connection import _VERIFIED

    _VERIFIED.clear()
    before = digest(filled.path)
    # Every command that starts a flow checks the file first: one line, no flow started, nothing written.
    result = runner.invoke(app, [*command, "--config", str(config(tmp_path, filled))])
    assert result.exit_code == 1
    line = one_line(result.output)
    assert str(filled.path) in line and "damaged" in line and "brandpulse restore" in line
    assert digest(filled.path) == before


def test_a_read_only_file_is_refused_even_for_root(filled: Warehouse) -> None:
    before = digest(filled.path)
    filled.path.chmod(0o444)
    try:
        with pytest.raises(WarehouseNotWritable) as caught, filled.write() as con:
            load_mentions(con, [mention("x", "new")])
        assert str(filled.path) in str(caught.value) and f"chmod u+w {filled.path}" in str(caught.value)
        assert digest(filled.path) == before
        # Readers are fine: a read-only file can still be queried and exported.
        with filled.read() as con:
            assert count(con, "mentions") == 3000
    finally:
        filled.path.chmod(0o644)


def test_duckdbs_own_permission_errors_are_translated(filled: Warehouse) -> None:
    """The real DuckDB message: an immutable file as root (chattr +i), a chmod'ed one otherwise."""
    if os.geteuid() == 0:
        made = subprocess.run(["chattr", "+i", str(filled.path)], capture_output=True)
        if made.returncode != 0:
            pytest.skip(f"running as root and chattr +i is not available here: {made.stderr!r}")
        undo = ["chattr", "-i", str(filled.path)]
    else:
        filled.path.chmod(0o444)
        undo = ["chmod", "644", str(filled.path)]
    try:
        with pytest.raises(duckdb.Error) as raw:
            duckdb.connect(str(filled.path))
    finally:
        subprocess.run(undo, check=True)
    translated = translate_error(raw.value, filled.path)
    assert isinstance(translated, WarehouseNotWritable)
    assert str(filled.path) in str(translated) and "writable" in str(translated)


def test_a_folder_as_the_path_is_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "wh.duckdb"
    folder.mkdir()
    wh = Warehouse(folder)
    with pytest.raises(WarehouseNotWritable, match="is a folder, not a DuckDB file"), wh.write():
        pass
    with pytest.raises(WarehouseNotWritable, match=r"wh\.duckdb/brandpulse\.duckdb"), wh.read():
        pass
    assert list(folder.iterdir()) == []
    # DuckDB's own message for it, should a folder appear between the check and the open.
    raw = duckdb.IOException(f'IO Error: Could not read from file "{folder}": Is a directory')
    assert isinstance(translate_error(raw, folder), WarehouseNotWritable)


def test_disk_full_is_one_line_with_what_to_free(tmp_path: Path) -> None:
    """DuckDB's message measured on a full 600 KB tmpfs (a commit that could not be written)."""
    path = tmp_path / "full.duckdb"
    raw = duckdb.TransactionException(
        f'TransactionContext Error: Failed to commit: Could not write file "{path}": No space left on device'
    )
    translated = translate_error(raw, path)
    assert isinstance(translated, WarehouseDiskFull)
    assert str(path) in str(translated) and f"df -h {tmp_path}" in str(translated)
    assert "rolled back" in str(translated)


def test_disk_full_for_real_on_a_tiny_tmpfs(tmp_path: Path) -> None:
    mount = tmp_path / "tiny"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        pytest.skip("mounting a small tmpfs needs root; the translation is tested on DuckDB's real message above")
    try:
        wh = Warehouse(mount / "wh.duckdb")
        with pytest.raises(WarehouseDiskFull, match="df -h"), wh.write() as con:
            load_mentions(con, [mention("x", str(i), text="acme " + "x" * 2000 + str(i)) for i in range(2000)])
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_lock_names_the_holder_and_since_when_then_the_cli_gives_one_line(tmp_path: Path, filled: Warehouse) -> None:
    before = digest(filled.path)
    with held(filled.path) as holder:
        with pytest.raises(WarehouseLocked) as caught, Warehouse(filled.path, lock_timeout_s=0.3).write():
            pass
        message = str(caught.value)
        assert f"PID {holder.pid}" in message and "running since" in message and str(filled.path) in message
        assert caught.value.pid == holder.pid
        result = runner.invoke(app, ["run", "--config", str(config(tmp_path, filled))])
        assert result.exit_code == 1
        # The waiting reports, then one line with the outcome.
        waiting = [line for line in result.output.splitlines() if "waiting" in line]
        assert waiting and f"PID {holder.pid}" in waiting[0]
        line = one_line("\n".join(line for line in result.output.splitlines() if "waiting" not in line))
        assert f"PID {holder.pid}" in line and "run again" in line and "gave up after 1 s" in line
    assert digest(filled.path) == before


def test_a_waiting_writer_reports_every_30_seconds(filled: Warehouse) -> None:
    now = [0.0]
    said: list[str] = []

    def sleep(seconds: float) -> None:
        now[0] += seconds

    wh = Warehouse(filled.path, lock_timeout_s=100.0, sleep=sleep, clock=lambda: now[0], notify=said.append)
    with held(filled.path) as holder, pytest.raises(WarehouseLocked), wh.write():
        pass
    # At the start, then at 30, 60 and 90 s of the 100 s wait: a waiting run never goes quiet.
    assert len(said) == 4, said
    assert said[0].endswith("waiting, up to 100 s") and f"PID {holder.pid}" in said[0]
    assert all("still waiting" in line for line in said[1:])


def test_the_run_lock_wait_reports_too(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    said: list[str] = []
    code = (
        "import sys, time; from flows.runtime.run_lock import writer_lock\n"
        "from pathlib import Path\n"
        "with writer_lock(Path(sys.argv[1]), timeout_s=5):\n"
        "    print('held', flush=True); time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        with pytest.raises(WarehouseLocked), writer_lock(db, timeout_s=0.5, notify=said.append):
            pass
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert said and "waiting" in said[0] and str(db) in said[0]


def test_every_translated_error_is_a_fatal_one_liner(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    for text in (
        f'IO Error: Could not read enough bytes from file "{path}": attempted to read 4096 bytes from location 4096',
        f'IO Error: The file "{path}" exists, but it is not a valid DuckDB database file!',
        "Corrupt database file: computed checksum 1 does not match stored checksum 2 in block at location 8192",
    ):
        error = translate_error(duckdb.IOException(text), path)
        assert isinstance(error, WarehouseCorrupt) and isinstance(error, WarehouseError)
        assert "\n" not in str(error) and str(path) in str(error)
    # A query's own mistakes are not about the file: left for the caller.
    assert translate_error(duckdb.BinderException("Referenced column x not found"), path) is None


def test_a_copy_of_a_damaged_file_does_not_pass_as_verified(filled: Warehouse, tmp_path: Path) -> None:
    """A verified file replaced behind the process's back is read again (its fingerprint changed)."""
    other = tmp_path / "other.duckdb"
    shutil.copy(filled.path, other)
    scribble(other)
    other.replace(filled.path)
    with pytest.raises(WarehouseCorrupt), filled.write():
        pass
