"""Short-lived DuckDB connections: one writer at a time, lock conflicts retried with backoff, never dropped."""

from __future__ import annotations

import json
import logging
import os
import random
import stat
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import duckdb

from models.errors import (
    FatalError,
    WarehouseLocked,
    WarehouseNotWritable,
)
from models.mention import DateLimits
from models.retry import RetryPolicy
from warehouse.failures import (
    folder_error,
    is_lock_conflict,
    is_write_conflict,
    lock_holder,
    translate_error,
)

log = logging.getLogger("brandpulse")
T = TypeVar("T")

_BACKOFF_START_S = 0.05
_BACKOFF_CAP_S = 2.0
# Lock waits back off like every other retry (models/retry.py); attempts are bounded by the timeout instead.
_LOCK_BACKOFF = RetryPolicy(base_delay=_BACKOFF_START_S, max_delay=_BACKOFF_CAP_S, jitter=0.5)
READ_LOCK_TIMEOUT_S = 15.0
# A writer waiting for the lock says so this often, so a run that waits minutes never looks hung.
WAIT_REPORT_EVERY_S = 30.0


def _fingerprint(path: Path) -> tuple[object, ...] | None:
    """What identifies this version of the file (and its .wal): inode, size and modification time."""
    try:
        main = path.stat()
    except OSError:
        return None
    wal = Path(f"{path}.wal")
    wal_stat = wal.stat() if wal.exists() else None
    return (
        main.st_ino, main.st_size, main.st_mtime_ns,
        None if wal_stat is None else (wal_stat.st_size, wal_stat.st_mtime_ns),
    )


# Files this process has verified (or written and closed cleanly) in the version it left them: unchanged since,
# so the full read is not repeated for every short-lived connection of a run.
_VERIFIED: dict[str, tuple[tuple[object, ...], float]] = {}  # path → (fingerprint, when last read whole)
_VERIFIED_LOCK = threading.Lock()
# The same record across processes, beside the file: the next run skips the full read of a file nobody touched since
# (2-3 s at a million mentions). Damage at rest (a failing disk) changes no size or time, so a file is read whole
# again once a stamp is this old anyway.
STAMP_SUFFIX = ".verified"
FULL_CHECK_EVERY_S = 24 * 3600.0


def stamp_path(path: Path) -> Path:
    """The file beside the warehouse that records the version of it last verified or cleanly written."""
    return Path(f"{path}{STAMP_SUFFIX}")


def _as_json(fingerprint: tuple[object, ...]) -> object:
    """The fingerprint as it reads back from JSON (tuples become lists), for comparison with a stamp."""
    return json.loads(json.dumps(fingerprint))


def read_stamp(path: Path, fingerprint: tuple[object, ...]) -> float | None:
    """When this very version of the file was last read whole, if the stamp beside it says so and it is not too old."""
    try:
        stamp = json.loads(stamp_path(path).read_text(encoding="utf-8"))
        verified_at = float(stamp["verified_at"])
        fresh = 0 <= time.time() - verified_at < FULL_CHECK_EVERY_S
        return verified_at if fresh and stamp["fingerprint"] == _as_json(fingerprint) else None
    except (OSError, ValueError, TypeError, KeyError):  # none yet, unreadable or junk: read the file whole
        return None


def write_stamp(path: Path, fingerprint: tuple[object, ...], verified_at: float) -> None:
    """Record `fingerprint` as verified at `verified_at`, atomically; a folder that refuses it only costs a re-check."""
    target = stamp_path(path)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(json.dumps({"fingerprint": fingerprint, "verified_at": verified_at}), encoding="utf-8")
        temporary.replace(target)
    except OSError:
        log.debug("could not write %s", target, exc_info=True)
        temporary.unlink(missing_ok=True)


def verify_integrity(con: duckdb.DuckDBPyConnection) -> None:
    """Read every column of every table once, so DuckDB checks each data block's checksum; raises duckdb.Error."""
    # Opening already fails on a damaged header, a truncated file or damaged catalog blocks; data blocks are only
    # read (and checked) when a query touches them, which is why a corrupt file could take a write and fail later.
    # hash() over COLUMNS(*) forces every column to be read; count(*) or min/max would be answered from metadata.
    tables = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND NOT temporary"
    ).fetchall()
    for schema, table in tables:
        quoted = '"{}"."{}"'.format(schema.replace('"', '""'), table.replace('"', '""'))
        con.execute(f"SELECT bit_xor(hash(COLUMNS(*))) FROM {quoted}").fetchall()


def first_row(con: duckdb.DuckDBPyConnection) -> tuple | None:
    """The first row of the result just executed, reading it to the end."""
    # DuckDB 2.0 refuses register()/unregister() while a result is unfinished, and fetchone() leaves it so.
    rows = con.fetchall()
    return rows[0] if rows else None


# Connections to a DuckLake warehouse, by id while they are open (warehouse/lake.py registers them): txid_current()
# does not work there, and every write transaction on them takes the write token.
LAKE_CONNECTIONS: set[int] = set()
_LAKE_OPEN: set[int] = set()  # lake connections inside transaction()
# A one-row table every DuckLake write transaction updates: two transactions that both changed it conflict at
# COMMIT, so the second reruns on the first's data and anti-join inserts never double a row (warehouse/upsert.py).
WRITE_TOKEN = "lake_write_token"
_CONFLICT_ATTEMPTS = 30
_CONFLICT_BACKOFF = RetryPolicy(base_delay=0.05, max_delay=2.0, jitter=0.5)


def in_transaction(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether an explicit transaction is open on this connection."""
    if id(con) in LAKE_CONNECTIONS:
        return id(con) in _LAKE_OPEN
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
    lake = id(con) in LAKE_CONNECTIONS
    con.execute("BEGIN TRANSACTION")
    if lake:
        _LAKE_OPEN.add(id(con))
    try:
        if lake:
            con.execute(f"UPDATE {WRITE_TOKEN} SET n = n + 1")
        yield con
    except BaseException:
        _LAKE_OPEN.discard(id(con))
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:
            # A closed or broken connection cannot roll back; the original error is the one worth seeing.
            log.debug("rollback failed", exc_info=True)
        raise
    _LAKE_OPEN.discard(id(con))
    con.execute("COMMIT")


def committed(
    con: duckdb.DuckDBPyConnection,
    body: Callable[[], T],
    *,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> T:
    """Run `body` in one transaction; when another DuckLake writer committed first, roll back and run it again."""
    attempt = 0
    while True:
        nested = in_transaction(con)
        try:
            with transaction(con):
                return body()
        except duckdb.TransactionException as exc:
            # Inside a caller's transaction the conflict belongs to the caller, who must rerun all of it.
            if nested or not is_write_conflict(exc) or attempt >= _CONFLICT_ATTEMPTS:
                raise
        attempt += 1
        sleep(_CONFLICT_BACKOFF.backoff(attempt, rng or random.Random()))


class Warehouse:
    """The DuckDB file: `write()` and `read()` hand out short-lived connections, waiting out other writers."""

    # Whether writers on other hosts share it (DuckLake): then the run lock here cannot tell that no run is alive.
    shared = False

    def __init__(
        self,
        path: Path | str,
        *,
        lock_timeout_s: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        read_lock_timeout_s: float | None = None,
        rng: random.Random | None = None,
        notify: Callable[[str], None] | None = None,
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
        # Warnings reach the console through logging's last-resort handler (or Prefect's) without any setup.
        self._notify = notify or log.warning

    def __repr__(self) -> str:
        return f"Warehouse({str(self.path)!r})"

    @contextmanager
    def write(self, *, migrate_schema: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
        """A verified, migrated read-write connection, closed on exit; waits up to lock_timeout_s for the lock."""
        from warehouse.schema import migrate  # schema imports `transaction` from here

        self._check_writable()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = self._connect(read_only=False, timeout_s=self.lock_timeout_s)
        clean = False
        try:
            with self._translated(writing=True):
                # Before migrate(), the first statement that could write: a file that fails is never written.
                self._verify(con)
                con.execute("SET TimeZone = 'UTC'")
                if migrate_schema:
                    migrate(con)
                yield con
            clean = True
        finally:
            con.close()
            if clean:
                self._remember_verified()

    @contextmanager
    def read(self, *, sandboxed: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection, closed on exit; `sandboxed` also cuts off files, network and extensions."""
        from warehouse.schema import SCHEMA_VERSION, current_version

        if not self.path.exists():
            raise FatalError(
                f"no warehouse at {self.path}: run `brandpulse run` or `brandpulse import` first to create it"
            )
        con = self._connect(read_only=True, timeout_s=self.read_lock_timeout_s)
        try:
            with self._translated(writing=False):
                # A sandboxed connection in this process locks the shared instance's settings; it is UTC already.
                if first_row(con.execute("SELECT current_setting('TimeZone')")) != ("UTC",):
                    con.execute("SET TimeZone = 'UTC'")
                version = current_version(con)
                if version < SCHEMA_VERSION:
                    raise FatalError(
                        f"the warehouse {self.path} is at schema version {version}, this brandpulse needs "
                        f"{SCHEMA_VERSION}: run `brandpulse run` (or any command that writes) once to upgrade it"
                    )
                if sandboxed:
                    sandbox(con)
                yield con
        finally:
            con.close()

    def check(self, *, writing: bool = True) -> None:
        """What write() checks first, writing nothing: the path is a writable file that reads back whole."""
        if writing or self.path.is_dir():
            self._check_writable()
        if not self.path.exists():
            if writing:
                return  # write() creates it
            raise FatalError(f"no warehouse at {self.path}")
        con = self._connect(read_only=True, timeout_s=self.lock_timeout_s if writing else self.read_lock_timeout_s)
        try:
            with self._translated(writing=False):
                self._verify(con)
        finally:
            con.close()
        self._remember_verified()

    def _check_writable(self) -> None:
        """Refuse before DuckDB opens the file: a folder, a file marked read-only, or a folder we cannot write."""
        if self.path.is_dir():
            raise folder_error(self.path)
        if self.path.exists():
            mode = self.path.stat().st_mode
            # No write bit at all means someone marked it read-only on purpose; root would write it anyway.
            if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(self.path, os.W_OK):
                raise WarehouseNotWritable(
                    f"the warehouse {self.path} is read-only (mode {stat.filemode(mode)}); nothing was written. "
                    f"Make it writable (chmod u+w {self.path}) or set [warehouse] path to a writable copy.",
                    path=self.path,
                    cause="read-only file",
                )
        folder = next((p for p in (self.path.parent, *self.path.parent.parents) if p.exists()), None)
        if folder is not None and not os.access(folder, os.W_OK):
            # DuckDB writes a .wal beside the file: a read-only folder fails the first commit, not the open.
            raise WarehouseNotWritable(
                f"the folder {folder} of the warehouse {self.path} is not writable by this user; nothing was "
                "written. Make it writable or set [warehouse] path to a writable folder.",
                path=self.path,
                cause="read-only folder",
            )

    def _verify(self, con: duckdb.DuckDBPyConnection) -> None:
        """Read the whole file, unless this process or the stamp beside it saw this version whole (see STAMP_SUFFIX)."""
        key = str(self.path.resolve())
        current = _fingerprint(self.path)
        if current is not None:
            with _VERIFIED_LOCK:
                if key in _VERIFIED and _VERIFIED[key][0] == current:
                    return
            verified_at = read_stamp(self.path, current)
            if verified_at is not None:
                with _VERIFIED_LOCK:
                    _VERIFIED[key] = (current, verified_at)
                return
        verify_integrity(con)
        with _VERIFIED_LOCK:
            # Not yet the fingerprint: migrate() and the caller's writes come first (see _remember_verified).
            _VERIFIED[key] = ((), time.time())

    def forget_verified(self) -> None:
        """Make the next write() read the whole file again (after it was replaced, e.g. by a restore)."""
        with _VERIFIED_LOCK:
            _VERIFIED.pop(str(self.path.resolve()), None)
        stamp_path(self.path).unlink(missing_ok=True)

    def _remember_verified(self) -> None:
        """Record the file as this process verified or left it, here and in the stamp beside it.

        The time kept is that of the last full read, never of the write: a file written every hour is still read
        whole once every FULL_CHECK_EVERY_S.
        """
        key = str(self.path.resolve())
        current = _fingerprint(self.path)
        with _VERIFIED_LOCK:
            verified_at = _VERIFIED[key][1] if key in _VERIFIED else None
            if current is None or verified_at is None:
                return
            _VERIFIED[key] = (current, verified_at)
        write_stamp(self.path, current, verified_at)

    @contextmanager
    def _translated(self, *, writing: bool) -> Iterator[None]:
        """Re-raise DuckDB errors about the file (damage, disk full, permissions) as one-line project errors."""
        try:
            yield
        except duckdb.Error as exc:
            translated = translate_error(exc, self.path, writing=writing)
            if translated is None or isinstance(translated, WarehouseLocked):
                raise
            raise translated from exc

    def _connect(self, *, read_only: bool, timeout_s: float) -> duckdb.DuckDBPyConnection:
        """Open the file, retrying lock conflicts with exponential backoff and jitter until timeout_s."""
        started = self._clock()
        deadline = started + timeout_s
        next_report = started
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
            except duckdb.Error as exc:
                if not is_lock_conflict(exc):
                    translated = translate_error(exc, self.path, writing=not read_only)
                    raise (translated or exc) from exc
                holder = lock_holder(str(exc))
                now = self._clock()
                remaining = deadline - now
                if remaining <= 0:
                    raise WarehouseLocked(
                        f"the warehouse {self.path} is locked by {holder.describe()}; gave up after {timeout_s:g} s. "
                        "Wait for that process to finish (or stop it), then run again.",
                        path=self.path,
                        pid=holder.pid,
                    ) from exc
                if now >= next_report:
                    waited = now - started
                    state = "waiting" if attempt == 0 else f"still waiting ({waited:.0f} s so far)"
                    self._notify(
                        f"warehouse {self.path} is locked by {holder.describe()}; {state}, up to {timeout_s:g} s"
                    )
                    next_report += WAIT_REPORT_EVERY_S
                delay = _LOCK_BACKOFF.backoff(attempt + 1, self._rng)
                self._sleep(min(delay, remaining))
                attempt += 1


# Set on connections that run a user's SQL: no file or network access, no extension downloads, and locked so the
# query itself cannot turn them back on (DuckDB applies them to the whole database instance of this process).
SANDBOX_SETTINGS = (
    "SET enable_external_access = false",
    "SET autoinstall_known_extensions = false",
    "SET autoload_known_extensions = false",
    "SET lock_configuration = true",
)


def sandbox(con: duckdb.DuckDBPyConnection) -> None:
    """Cut a connection off from files, the network and extension downloads, for running a user's SQL."""
    for statement in SANDBOX_SETTINGS:
        con.execute(statement)
