"""The read snapshot: atomic publishing while another process reads it, snapshot_info, views, and the setting."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from helpers.config import write_config
from helpers.report import build_small_warehouse
from helpers.warehouse import mention

from flows.runtime.config import load_config
from warehouse import SCHEMA_VERSION, Warehouse, load_mentions
from warehouse.snapshot import default_snapshot_path, publish_snapshot, snapshot_info

# A reader in another process, like an analyst's notebook: it opens the snapshot read-only, answers "count" with
# the mentions it sees on that same connection, and holds the connection until its stdin closes.
READER = textwrap.dedent(
    """
    import sys, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    for line in sys.stdin:
        print(con.execute("SELECT count(*) FROM mentions").fetchone()[0], flush=True)
    con.close()
    """
)


@pytest.fixture
def small(tmp_path: Path) -> Warehouse:
    warehouse = build_small_warehouse(tmp_path / "wh.duckdb")
    warehouse.lock_timeout_s = 2.0  # a writer that had to wait for a reader would fail well inside the test
    return warehouse


@pytest.fixture
def reader(small: Warehouse) -> Iterator[subprocess.Popen[str]]:
    """Another process holding a read-only connection to a published snapshot."""
    snapshot = default_snapshot_path(small.path)
    publish_snapshot(small, snapshot)
    proc = subprocess.Popen(
        [sys.executable, "-c", READER, str(snapshot)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert ask(proc) == 18  # connected, and holding the snapshot from here on
        yield proc
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=10)


def ask(proc: subprocess.Popen[str]) -> int:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("count\n")
    proc.stdin.flush()
    return int(proc.stdout.readline())


def test_publish_is_atomic_while_another_process_reads_the_snapshot(
    small: Warehouse, reader: subprocess.Popen[str]
) -> None:
    snapshot = default_snapshot_path(small.path)
    started = time.monotonic()
    with small.write() as con:  # the scheduled run's write: must not wait for the reader
        load_mentions(con, [mention("x", "new-1", "acme new", datetime(2026, 11, 11, 9, tzinfo=UTC))], run_id="r2")
    info = publish_snapshot(small, snapshot)
    assert time.monotonic() - started < 2.0  # no lock wait (the writer would wait up to lock_timeout_s, then fail)
    assert info.mentions == 19
    # The reader keeps its file (the old inode) and sees what it saw; a new connection sees the new data.
    assert ask(reader) == 18
    with duckdb.connect(str(snapshot), read_only=True) as fresh:
        assert fresh.execute("SELECT count(*) FROM mentions").fetchone() == (19,)
    assert sorted(p.name for p in snapshot.parent.iterdir() if "read" in p.name) == [snapshot.name]


def test_the_live_file_is_never_locked_by_snapshot_readers(small: Warehouse, reader: subprocess.Popen[str]) -> None:
    # Read-write from this process while the other holds the snapshot: an immediate open, not a lock conflict.
    with duckdb.connect(str(small.path)) as con:
        con.execute("CREATE TABLE scratch (x INTEGER)")
    assert ask(reader) == 18


def test_snapshot_info_and_views_read_in_the_snapshot(small: Warehouse) -> None:
    snapshot = small.path.with_name("elsewhere.duckdb")
    when = datetime(2026, 12, 3, 10, tzinfo=UTC)
    info = publish_snapshot(small, snapshot, now=when)
    assert (info.mentions, info.schema_version, info.published_at) == (18, SCHEMA_VERSION, when)
    assert not Path(f"{snapshot}.wal").exists()
    assert not any(p.name.startswith(".") for p in snapshot.parent.iterdir())  # no staging file left behind
    with Warehouse(snapshot).read() as con:  # the same checks as any reader: schema version, UTC
        row = con.execute("SELECT published_at, source_path, schema_version, mentions FROM snapshot_info").fetchall()
        assert row == [(when, str(small.path), SCHEMA_VERSION, 18)]
        assert con.execute("SELECT count(*) FROM mentions_scored WHERE brand IS NOT NULL").fetchone()[0] >= 18
        assert con.execute("SELECT count(*) FROM share_of_voice WHERE brand = 'Globex'").fetchone()[0] > 0
        assert con.execute("SELECT count(*) FROM topic_daily WHERE topic = 'delivery'").fetchone()[0] > 0
        assert con.execute("SELECT count(*) FROM alerts").fetchone() == (1,)
    assert snapshot_info(snapshot) == info
    with duckdb.connect(str(small.path), read_only=True) as live:  # the live file never gets the table
        assert live.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'snapshot_info'").fetchone() == (
            0,
        )


def test_snapshot_info_is_none_without_a_snapshot(tmp_path: Path) -> None:
    assert snapshot_info(tmp_path / "none.duckdb") is None


@pytest.mark.parametrize(
    ("setting", "expected"),
    [(None, "data/wh.read.duckdb"), ('""', None), ("false", None), ('"shared/bp.duckdb"', "shared/bp.duckdb")],
)
def test_read_snapshot_setting(tmp_path: Path, setting: str | None, expected: str | None) -> None:
    path = write_config(tmp_path, warehouse={"path": "data/wh.duckdb"})
    if setting is not None:
        line = 'path = "data/wh.duckdb"'
        path.write_text(path.read_text().replace(line, f"{line}\nread_snapshot = {setting}"))
    found = load_config(path).warehouse.read_snapshot_path()
    assert found == (tmp_path / expected if expected else None)
