"""One writing run per warehouse: a file lock beside the DuckDB file, so overlapping runs queue instead of failing."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from models.errors import WarehouseLocked

log = logging.getLogger("brandpulse")


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
    try:
        yield
    finally:
        lock.release()
