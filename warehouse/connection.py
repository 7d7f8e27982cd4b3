"""Short-lived DuckDB connections: one writer at a time, lock conflicts retried with backoff, never dropped."""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from models.errors import FatalError, WarehouseLocked
from models.mention import DateLimits

log = logging.getLogger("brandpulse")

# DuckDB's message when another process holds the file: 'Could not set lock on file "…": Conflicting lock is held
# in /usr/bin/python3 (PID 1234)'. Matched on text because DuckDB raises a plain IOException for it.
_LOCK_MARKERS = ("Could not set lock", "Conflicting lock")
_PID = re.compile(r"\(PID (\d+)\)")
_BACKOFF_START_S = 0.05
_BACKOFF_CAP_S = 2.0
READ_LOCK_TIMEOUT_S = 15.0


def is_lock_conflict(exc: BaseException) -> bool:
    """Whether a DuckDB error means another process holds the database file."""
    return isinstance(exc, duckdb.IOException) and any(marker in str(exc) for marker in _LOCK_MARKERS)


def lock_holder_pid(message: str) -> int | None:
    """The PID DuckDB names as holding the lock, if it names one."""
    match = _PID.search(message)
    return int(match.group(1)) if match else None


def first_row(con: duckdb.DuckDBPyConnection) -> tuple | None:
    """The first row of the result just executed, reading it to the end."""
    # DuckDB 2.0 refuses register()/unregister() while a result is unfinished, and fetchone() leaves it so.
    rows = con.fetchall()
    return rows[0] if rows else None


def in_transaction(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether an explicit transaction is open on this connection."""
    # In autocommit mode every statement gets a fresh transaction id; inside BEGIN … COMMIT the id stays put.
    # (Probing with a second BEGIN would abort the open transaction, so it cannot be used as the test.)
    first = first_row(con.execute("SELECT txid_current()"))
    second = first_row(con.execute("SELECT txid_current()"))
    return first == second


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN … COMMIT, or ROLLBACK and re-raise; inside an open transaction it joins that one instead."""
    if in_transaction(con):
        # DuckDB has no savepoints: the caller's own COMMIT or ROLLBACK decides for everything inside.
        yield con
        return
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:
            # A closed or broken connection cannot roll back; the original error is the one worth seeing.
            log.debug("rollback failed", exc_info=True)
        raise
    con.execute("COMMIT")


class Warehouse:
    """The DuckDB file: `write()` and `read()` hand out short-lived connections, waiting out other writers."""

    def __init__(
        self,
        path: Path | str,
        *,
        lock_timeout_s: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        read_lock_timeout_s: float | None = None,
        rng: random.Random | None = None,
        dates: DateLimits | None = None,
    ) -> None:
        self.path = Path(path)
        # The `[warehouse]` created_at range that loads through this warehouse enforce (`load_mentions(dates=...)`).
        self.dates = dates or DateLimits()
        self.lock_timeout_s = lock_timeout_s
        # Readers wait briefly: a writer's connection lasts seconds, and a person at a prompt should not hang.
        self.read_lock_timeout_s = (
            min(lock_timeout_s, READ_LOCK_TIMEOUT_S) if read_lock_timeout_s is None else read_lock_timeout_s
        )
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()

    def __repr__(self) -> str:
        return f"Warehouse({str(self.path)!r})"

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection on a migrated database, closed on exit; waits up to lock_timeout_s for the lock."""
        from warehouse.schema import migrate  # schema imports `transaction` from here

        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = self._connect(read_only=False, timeout_s=self.lock_timeout_s)
        try:
            con.execute("SET TimeZone = 'UTC'")
            migrate(con)
            yield con
        finally:
            con.close()

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection, closed on exit; a missing file or an out-of-date schema is a FatalError."""
        from warehouse.schema import SCHEMA_VERSION, current_version

        if not self.path.exists():
            raise FatalError(
                f"no warehouse at {self.path}: run `brandpulse run` or `brandpulse import` first to create it"
            )
        con = self._connect(read_only=True, timeout_s=self.read_lock_timeout_s)
        try:
            con.execute("SET TimeZone = 'UTC'")
            version = current_version(con)
            if version < SCHEMA_VERSION:
                raise FatalError(
                    f"the warehouse {self.path} is at schema version {version}, this brandpulse needs "
                    f"{SCHEMA_VERSION}: run `brandpulse run` (or any command that writes) once to upgrade it"
                )
            yield con
        finally:
            con.close()

    def _connect(self, *, read_only: bool, timeout_s: float) -> duckdb.DuckDBPyConnection:
        """Open the file, retrying lock conflicts with exponential backoff and jitter until timeout_s."""
        deadline = self._clock() + timeout_s
        attempt = 0
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=read_only)
            except duckdb.ConnectionException as exc:
                if "different configuration" not in str(exc):
                    raise
                # Same process, other mode: waiting cannot help, the caller must use or close its connection.
                mode, other = ("read-only", "write()") if read_only else ("read-write", "read()")
                raise RuntimeError(
                    f"cannot open {self.path} {mode} while this process holds a {other} connection to it; "
                    "use that connection or close it first"
                ) from exc
            except duckdb.IOException as exc:
                if not is_lock_conflict(exc):
                    raise
                pid = lock_holder_pid(str(exc))
                remaining = deadline - self._clock()
                if remaining <= 0:
                    locked = WarehouseLocked(
                        f"the warehouse {self.path} is locked by another process"
                        f"{f' (PID {pid})' if pid is not None else ''}; gave up after {timeout_s:g} s. "
                        "Wait for that process to finish (or stop it), then run again."
                    )
                    locked.path = self.path  # type: ignore[attr-defined]
                    locked.pid = pid  # type: ignore[attr-defined]
                    raise locked from exc
                if attempt == 0:
                    log.info("warehouse %s is locked by PID %s; waiting up to %g s", self.path, pid, timeout_s)
                delay = min(_BACKOFF_CAP_S, _BACKOFF_START_S * 2**attempt) * self._rng.uniform(0.5, 1.0)
                self._sleep(min(delay, remaining))
                attempt += 1
