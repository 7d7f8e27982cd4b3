"""What a DuckDB error means here: a lock conflict and who holds it, a corrupt, read-only or full warehouse file."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from models.errors import (
    BrandpulseError,
    WarehouseConflict,
    WarehouseCorrupt,
    WarehouseDiskFull,
    WarehouseError,
    WarehouseLocked,
    WarehouseNotWritable,
)

# DuckDB's message when another process holds the file: 'Could not set lock on file "…": Conflicting lock is held
# in /usr/bin/python3 (PID 1234)'. Matched on text because DuckDB raises a plain IOException for it.
_LOCK_MARKERS = ("Could not set lock", "Conflicting lock")
_PID = re.compile(r"\(PID (\d+)\)")
_HOLDER = re.compile(r"Conflicting lock is held in (.+?) \(PID (\d+)\)")

# DuckDB raises IOException or plain Error with these texts; matched on text since the classes are too coarse.
_CORRUPT = {
    "Could not read enough bytes": "the file is truncated",
    "not a valid DuckDB database file": "the file is not a DuckDB database (its header is damaged or missing)",
    "Corrupt database file": "a block fails its checksum (overwritten or random bytes)",
    "checksum": "a block fails its checksum (overwritten or random bytes)",
    "replaying WAL": "its write-ahead log (.wal) cannot be replayed",
}
_NOT_WRITABLE = ("Permission denied", "Operation not permitted", "Read-only file system", "read-only mode")
_DISK_FULL = ("No space left on device", "Disk quota exceeded")


# DuckLake's message when another writer's commit won: "Failed to commit DuckLake transaction … Transaction conflict".
_WRITE_CONFLICT_MARKERS = ("Transaction conflict", "Failed to commit DuckLake transaction")


def is_write_conflict(exc: BaseException) -> bool:
    """Whether a DuckDB error is a DuckLake commit that lost to another writer (the transaction can be run again)."""
    return isinstance(exc, duckdb.TransactionException) and any(m in str(exc) for m in _WRITE_CONFLICT_MARKERS)


def is_lock_conflict(exc: BaseException) -> bool:
    """Whether a DuckDB error means another process holds the database file."""
    return isinstance(exc, duckdb.IOException) and any(marker in str(exc) for marker in _LOCK_MARKERS)


def lock_holder_pid(message: str) -> int | None:
    """The PID DuckDB names as holding the lock, if it names one."""
    match = _PID.search(message)
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class LockHolder:
    """Who holds the DuckDB file, as far as DuckDB's lock error and /proc tell."""

    pid: int | None
    program: str | None = None
    since: datetime | None = None

    def describe(self) -> str:
        """'PID 4471 (/usr/bin/python3, running since 2026-12-03 08:47 UTC)', or 'another process'."""
        if self.pid is None:
            return "another process"
        details = [part for part in (self.program, self.since and f"running since {self.since:%Y-%m-%d %H:%M} UTC")
                   if part]
        return f"PID {self.pid}" + (f" ({', '.join(details)})" if details else "")


def _process_start(pid: int) -> datetime | None:
    """When a local process started, from /proc (Linux); None where that cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        boot = next(
            int(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines() if line.startswith("btime")
        )
        # Field 22 of /proc/PID/stat (the 20th after the command name) is the start time in clock ticks since boot.
        return datetime.fromtimestamp(boot + int(fields[19]) / os.sysconf("SC_CLK_TCK"), UTC)
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def lock_holder(message: str) -> LockHolder:
    """Parse DuckDB's 'Conflicting lock is held in PROGRAM (PID n)' and look up when that process started."""
    match = _HOLDER.search(message)
    if match:
        pid = int(match.group(2))
        return LockHolder(pid, match.group(1), _process_start(pid))
    pid = lock_holder_pid(message)
    return LockHolder(pid, None, _process_start(pid) if pid is not None else None)


def restore_hint(path: Path) -> str:
    """The exact restore command for the newest backup beside `path`, or how to restore one kept elsewhere."""
    from warehouse.backup import default_backup_dir, newest_backup

    newest = newest_backup(path)
    if newest is not None:
        return f"Restore the newest backup: brandpulse restore {newest}"
    return (
        f"No backup found in {default_backup_dir(path)}; restore one kept elsewhere with `brandpulse restore PATH` "
        "(docs/warehouse.md, Backup and restore)"
    )


def translate_error(exc: BaseException, path: Path, *, writing: bool = True) -> BrandpulseError | None:
    """The project error for a DuckDB error about the file itself, or None when it is about the query."""
    if not isinstance(exc, duckdb.Error):
        return None
    message = str(exc)
    if is_lock_conflict(exc):
        holder = lock_holder(message)
        return WarehouseLocked(
            f"the warehouse {path} is locked by {holder.describe()}. Wait for it to finish (or stop it), then run "
            "again.",
            path=path,
            pid=holder.pid,
        )
    if is_write_conflict(exc):
        return WarehouseConflict(
            f"another worker wrote to the warehouse {path} at the same moment; this transaction was rolled back and "
            "is retried"
        )
    if "Is a directory" in message:
        return folder_error(path)
    for marker, cause in _CORRUPT.items():
        if marker in message:
            done = "nothing was written to it" if writing else "it was only read"
            return WarehouseCorrupt(
                f"the warehouse {path} is damaged: {cause}; {done}. {restore_hint(path)}", path=path, cause=cause
            )
    if any(marker in message for marker in _DISK_FULL):
        return WarehouseDiskFull(
            f"the disk holding the warehouse {path} is full; the last transaction was rolled back. Free space on it "
            f"(df -h {path.parent}), then run again.",
            path=path,
            cause="disk full",
        )
    if any(marker in message for marker in _NOT_WRITABLE):
        return WarehouseNotWritable(
            f"cannot write the warehouse {path}: {_short(message)}; nothing was written. Make the file and its folder "
            f"writable by this user (chmod u+w, chown) or set [warehouse] path to a writable copy.",
            path=path,
            cause="not writable",
        )
    if isinstance(exc, duckdb.IOException):
        return WarehouseError(
            f"cannot use the warehouse {path}: {_short(message)}", path=path, cause="I/O error"
        )
    return None


def folder_error(path: Path) -> WarehouseNotWritable:
    """The configured warehouse path names a folder."""
    return WarehouseNotWritable(
        f"the warehouse path {path} is a folder, not a DuckDB file; nothing was written. Set [warehouse] path to "
        f"a file, e.g. {path / 'brandpulse.duckdb'}",
        path=path,
        cause="path is a directory",
    )


def _short(message: str) -> str:
    """DuckDB's message on one line, without its 'IO Error: ' prefix."""
    return " ".join(message.split()).removeprefix("IO Error: ")
