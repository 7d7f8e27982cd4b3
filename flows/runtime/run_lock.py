"""One writing run per warehouse: a file lock beside the DuckDB file, so overlapping runs queue instead of failing."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from models.errors import WarehouseLocked
from warehouse.connection import WAIT_REPORT_EVERY_S

log = logging.getLogger("brandpulse")
# Run-lock files this process holds now: a run inside `writer_lock` knows no other run is alive.
_HELD: set[Path] = set()


def run_lock_path(database: Path) -> Path:
    """The lock file that guards `database` (`brandpulse.duckdb` → `brandpulse.duckdb.run.lock`)."""
    return database.with_name(database.name + ".run.lock")


@contextmanager
def writer_lock(
    database: Path, *, timeout_s: float, notify: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold the warehouse's run lock for the block; waits up to timeout_s, then raises WarehouseLocked (retryable)."""
    path = run_lock_path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    say = notify or log.warning
    # An OS lock (flock) on its own file: released by the kernel if the holder dies, so a crash never wedges it.
    lock = FileLock(str(path))
    started = time.monotonic()
    slice_s = 0.0  # first a free try, so a run that finds no other run prints nothing
    while True:
        try:
            # Waited in slices so the waiting state is printed as often as the warehouse's own lock wait does.
            lock.acquire(timeout=slice_s)
            break
        except Timeout:
            waited = time.monotonic() - started
            if waited >= timeout_s:
                raise WarehouseLocked(
                    f"another brandpulse run held {database} for more than {timeout_s:g} s "
                    "([warehouse] run_lock_timeout_s); this run will be retried",
                    path=database,
                ) from None
            state = "waiting" if slice_s == 0 else f"still waiting ({waited:.0f} s so far)"
            say(f"another brandpulse run is writing to {database}; {state}, up to {timeout_s:g} s")
            slice_s = min(WAIT_REPORT_EVERY_S, timeout_s - waited)
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
