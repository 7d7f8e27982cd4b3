"""Connections: a second process's lock is waited out with backoff, then reported; read-only means read-only."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb
import pytest
from helpers.warehouse import count, mention

from models.errors import FatalError, RetryableError, WarehouseLocked
from warehouse import SCHEMA_VERSION, Warehouse, load_mentions, migrate
from warehouse.failures import is_lock_conflict, lock_holder_pid

# A separate process that opens the file read-write (as another pipeline run would), says so, and holds it until
# told to let go on stdin or until `hold_s` has passed.
HOLDER = """
import sys, threading, duckdb
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
done = threading.Event()
threading.Thread(target=lambda: (sys.stdin.readline(), done.set()), daemon=True).start()
done.wait(float(sys.argv[2]))
con.close()
print("released", flush=True)
"""


@contextmanager
def held(path: Path, hold_s: float = 60.0) -> Iterator[subprocess.Popen[str]]:
    """Hold a read-write DuckDB connection on path in another process."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), str(hold_s)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        yield proc
    finally:
        # The holder may be exiting on its own already; a closed pipe then is fine.
        with suppress(OSError):
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        proc.wait(timeout=30)


@pytest.fixture
def created(warehouse: Warehouse) -> Warehouse:
    """A warehouse whose file exists and is migrated."""
    with warehouse.write() as con:
        load_mentions(con, [mention("x", "1")])
    return warehouse


def test_write_creates_the_folder_and_migrates(warehouse: Warehouse) -> None:
    assert not warehouse.path.parent.exists()
    with warehouse.write() as con:
        assert con.execute("SELECT max(version) FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    assert warehouse.path.exists()


def test_connections_are_closed_on_exit(created: Warehouse) -> None:
    with created.write() as con:
        pass
    with pytest.raises(duckdb.ConnectionException):
        con.execute("SELECT 1")
    # Closed means released: a read-only open in this same process works now.
    with created.read() as ro:
        assert count(ro, "mentions") == 1


def test_read_without_a_file_tells_the_user_what_to_run(warehouse: Warehouse) -> None:
    with pytest.raises(FatalError, match=r"brandpulse run.*brandpulse import"), warehouse.read():
        pass
    assert not warehouse.path.exists()


def test_read_only_connection_refuses_writes(created: Warehouse) -> None:
    with created.read() as con:
        assert con.execute("SELECT count(*) FROM mentions_scored").fetchall() == [(1,)]
        assert con.execute("SELECT current_setting('TimeZone')").fetchall() == [("UTC",)]
        with pytest.raises(duckdb.Error, match="read-only"):
            con.execute("INSERT INTO cursors VALUES ('x', 'q', '1', now(), NULL)")
        with pytest.raises(duckdb.Error, match="read-only"):
            load_mentions(con, [mention("x", "2")])
    with created.write() as con:
        assert count(con, "mentions") == 1 and count(con, "cursors") == 0


def test_read_refuses_an_out_of_date_schema(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    migrate(con, target=1)
    con.close()
    with pytest.raises(FatalError, match="schema version 1"), Warehouse(path).read():
        pass


def test_lock_messages_are_recognised() -> None:
    message = (
        'IO Error: Could not set lock on file "/d/b.duckdb": Conflicting lock is held in /usr/bin/python3 '
        "(PID 4471). See also https://duckdb.org/docs/current/connect/concurrency"
    )
    assert is_lock_conflict(duckdb.IOException(message))
    assert not is_lock_conflict(duckdb.IOException("IO Error: disk full"))
    assert lock_holder_pid(message) == 4471
    assert lock_holder_pid("no pid here") is None


def test_writer_waits_for_another_process_then_succeeds(created: Warehouse) -> None:
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        time.sleep(seconds)

    waiting = Warehouse(created.path, lock_timeout_s=30.0, sleep=sleep)
    with held(created.path, hold_s=1.0):
        started = time.monotonic()
        with waiting.write() as con:
            load_mentions(con, [mention("x", "2")])
        waited = time.monotonic() - started
    assert waited >= 0.5, waited  # the holder let go after about a second, and not before we started waiting
    assert len(sleeps) >= 3
    assert all(s <= 2.0 for s in sleeps)
    with created.read() as con:
        assert count(con, "mentions") == 2


def test_writer_gives_up_with_warehouse_locked(created: Warehouse) -> None:
    impatient = Warehouse(created.path, lock_timeout_s=0.6)
    with held(created.path) as holder:
        started = time.monotonic()
        with pytest.raises(WarehouseLocked) as caught, impatient.write():
            pass
        waited = time.monotonic() - started
    error = caught.value
    assert isinstance(error, RetryableError)
    assert 0.6 <= waited < 5.0
    assert error.pid == holder.pid  # type: ignore[attr-defined]
    assert error.path == created.path  # type: ignore[attr-defined]
    assert str(created.path) in str(error) and f"PID {holder.pid}" in str(error)
    assert isinstance(error.__cause__, duckdb.IOException)


def test_reader_waits_briefly_too(created: Warehouse) -> None:
    with held(created.path) as holder:
        with (
            pytest.raises(WarehouseLocked, match=f"PID {holder.pid}"),
            Warehouse(created.path, read_lock_timeout_s=0.3).read(),
        ):
            pass
        holder.stdin.write("go\n")  # type: ignore[union-attr]
        holder.stdin.flush()  # type: ignore[union-attr]
        with Warehouse(created.path, read_lock_timeout_s=20.0).read() as con:
            assert count(con, "mentions") == 1


def test_backoff_grows_exponentially_with_jitter_and_stops_at_the_deadline(created: Warehouse) -> None:
    """A fake clock: the schedule is checked without waiting two minutes."""
    now = [0.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    fake = Warehouse(created.path, lock_timeout_s=10.0, sleep=sleep, clock=lambda: now[0], rng=random.Random(7))
    with held(created.path), pytest.raises(WarehouseLocked), fake.write():
        pass
    assert sum(sleeps) == pytest.approx(10.0)
    # Each wait is the capped doubling step scaled by a jitter in [0.5, 1]; only the last is cut to the deadline.
    for attempt, slept in enumerate(sleeps[:-1]):
        step = min(2.0, 0.05 * 2**attempt)
        assert 0.5 * step <= slept <= step
    assert len(set(sleeps[:5])) == 5
    assert max(sleeps) <= 2.0


def test_mixing_modes_in_one_process_says_what_to_do(created: Warehouse) -> None:
    with created.write(), pytest.raises(RuntimeError, match="holds a write"), created.read():
        pass
    with created.read(), pytest.raises(RuntimeError, match="holds a read"), created.write():
        pass
    # Two writers (or two readers) in one process share the database and are fine.
    with created.write() as a, created.write() as b:
        assert count(a, "mentions") == count(b, "mentions") == 1
