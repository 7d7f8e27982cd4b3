"""One writing run per warehouse: a file lock beside the DuckDB file, so overlapping runs queue instead of failing."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from models.errors import WarehouseLocked

log = logging.getLogger("brandpulse")
# Run-lock files this process holds now: a run inside `writer_lock` knows no other run is alive.
_HELD: set[Path] = set()


def run_lock_path(database: Path) -> Path:
    """The lock file that guards `database` (`brandpulse.duckdb` → `brandpulse.duckdb.run.lock`)."""
    return database.with_name(database.name + ".run.lock")


@contextmanager
def writer_lock(database: Path, *, timeout_s: float) -> Iterator[None]:
    """Hold the warehouse's run lock for the block; waits up to timeout_s, then raises WarehouseLocked (retryable)."""
    path = run_lock_path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    # An OS lock (flock) on its own file: released by the kernel if the holder dies, so a crash never wedges it.
    lock = FileLock(str(path))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        log.info("another run is writing to %s; waiting up to %g s for it to finish", database, timeout_s)
        try:
            lock.acquire(timeout=timeout_s)
        except Timeout:
            raise WarehouseLocked(
                f"another brandpulse run held {database} for more than {timeout_s:g} s "
                "([warehouse] run_lock_timeout_s); this run will be retried"
            ) from None
    _HELD.add(path.resolve())
    try:
        yield
    finally:
        _HELD.discard(path.resolve())
        lock.release()


@contextmanager
def no_other_run(database: Path) -> Iterator[bool]:
    """True for the block when no other run can be alive: this process holds the run lock, or it was free."""
    path = run_lock_path(database)
    if path.resolve() in _HELD:
        yield True
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        yield False  # a live process holds it: its `running` row is real
        return
    try:
        yield True  # held for the block, so no run can start while its caller tidies up
    finally:
        lock.release()
