"""Backup and restore of the warehouse file: a verified, checkpointed byte copy, and its verified way back."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from models.errors import FatalError, WarehouseCorrupt, WarehouseLocked
from warehouse.connection import Warehouse, first_row, is_lock_conflict, translate_error, verify_integrity

BACKUP_DIR_NAME = "backups"


@dataclass(frozen=True)
class BackupResult:
    """One backup written and read back."""

    path: Path
    size: int
    mentions: int
    schema_version: int


@dataclass(frozen=True)
class RestoreResult:
    """The warehouse replaced by a backup; `set_aside` holds the files it replaced (never deleted)."""

    path: Path
    source: Path
    mentions: int
    schema_version: int
    set_aside: list[Path] = field(default_factory=list)


def default_backup_dir(database: Path) -> Path:
    """Where backups go by default: a `backups` folder beside the warehouse file."""
    return database.parent / BACKUP_DIR_NAME


def _stamp(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")


def newest_backup(database: Path) -> Path | None:
    """The newest `<stem>-<UTC time>.duckdb` in the default backup folder, if any."""
    folder = default_backup_dir(database)
    if not folder.is_dir():
        return None
    # The UTC stamp in the name sorts in time order; mtime would change when backups are copied around.
    found = sorted(p for p in folder.glob(f"{database.stem}-*.duckdb") if p.is_file())
    return found[-1] if found else None


def backup_target(database: Path, to: Path | None, now: datetime | None = None) -> Path:
    """The file a backup will be written to: `to` itself, a new file inside the folder `to`, or the default one."""
    name = f"{database.stem}-{_stamp(now)}.duckdb"
    if to is None:
        return default_backup_dir(database) / name
    if to.is_dir() or str(to).endswith(os.sep):
        return to / name
    return to


def read_back(path: Path) -> tuple[int, int]:
    """Open a copy read-only, read every table, and return (schema version, mentions); raises duckdb.Error."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        verify_integrity(con)
        version = first_row(con.execute("SELECT coalesce(max(version), 0) FROM schema_version"))
        mentions = first_row(con.execute("SELECT count(*) FROM mentions"))
        return int(version[0] if version else 0), int(mentions[0] if mentions else 0)
    finally:
        con.close()


def _copy_durably(source: Path, target: Path) -> None:
    """Copy source to target through a temporary file in target's folder, so target appears whole or not at all."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    try:
        with source.open("rb") as src, partial.open("wb") as dst:
            shutil.copyfileobj(src, dst, length=1 << 20)
            dst.flush()
            os.fsync(dst.fileno())
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def checkpointed_copy(warehouse: Warehouse, target: Path, *, verify_all: bool) -> None:
    """CHECKPOINT the warehouse and copy its file to target (whole or not at all) while holding the write lock.

    The one copier behind backups and read snapshots (warehouse/snapshot.py). `verify_all` reads every block
    first even if this process checked the file before; without it, write() checks only a file changed since.
    """
    with warehouse.write(migrate_schema=False) as con:
        if verify_all:
            verify_integrity(con)
        # The WAL folded into the file, so the file alone is the whole database; holding this read-write
        # connection keeps every other process from writing while the bytes are copied.
        con.execute("CHECKPOINT")
        _copy_durably(warehouse.path, target)


def backup(warehouse: Warehouse, to: Path | None = None, *, now: datetime | None = None) -> BackupResult:
    """Check the whole file, CHECKPOINT it, copy it byte for byte while holding the lock, then read the copy back."""
    if warehouse.shared:
        raise FatalError(
            "`brandpulse backup` copies a warehouse file; a DuckLake warehouse is backed up with its catalog "
            "database's tools (pg_dump) and a copy of data_path (docs/warehouse.md, DuckLake)"
        )
    if not warehouse.path.exists():
        raise FatalError(f"no warehouse at {warehouse.path} to back up")
    target = backup_target(warehouse.path, to, now)
    if target.exists():
        raise FatalError(f"{target} already exists; give another --to path (a backup never overwrites a file)")
    # Every block is read here even if this process checked it before: a backup of a damaged file is useless.
    # No migration: a backup is what the file is now, so it can also be taken before an upgrade.
    checkpointed_copy(warehouse, target, verify_all=True)
    try:
        version, mentions = read_back(target)
    except duckdb.Error as exc:
        raise WarehouseCorrupt(
            f"the backup {target} does not read back ({' '.join(str(exc).split())[:200]}); it was kept for "
            "inspection. Check the disk holding it, then run `brandpulse backup` again.",
            path=target,
            cause="backup unreadable",
        ) from exc
    return BackupResult(target, target.stat().st_size, mentions, version)


def _check_not_held(database: Path) -> None:
    """Refuse while another process has the live file open; a damaged live file cannot be held, so it passes."""
    if not database.exists():
        return
    try:
        duckdb.connect(str(database)).close()
    except duckdb.Error as exc:
        if is_lock_conflict(exc):
            locked = translate_error(exc, database)
            assert isinstance(locked, WarehouseLocked)
            raise WarehouseLocked(
                f"{locked} Nothing was restored: stop that process first, then run `brandpulse restore` again.",
                path=database,
                pid=locked.pid,
            ) from exc
        # Damaged, truncated, not DuckDB at all: exactly the files a restore replaces.


def restore(warehouse: Warehouse, source: Path, *, now: datetime | None = None) -> RestoreResult:
    """Replace the warehouse file by a verified backup; the replaced file and its .wal are renamed, never deleted."""
    if warehouse.shared:
        raise FatalError("`brandpulse restore` puts back a warehouse file; to move one into a DuckLake warehouse, "
                         "set [warehouse] path to it and run `brandpulse migrate --to ducklake`")
    database = warehouse.path
    if not source.is_file():
        raise FatalError(f"no backup file at {source}")
    if source.resolve() == database.resolve():
        raise FatalError(f"{source} is the warehouse itself; give a backup file")
    try:
        read_back(source)
    except duckdb.Error as exc:
        raise WarehouseCorrupt(
            f"the backup {source} is damaged or not a brandpulse warehouse ({' '.join(str(exc).split())[:200]}); "
            f"nothing was restored. Pick another backup (ls {source.parent}).",
            path=source,
            cause="backup unreadable",
        ) from exc
    if database.is_dir():
        raise FatalError(f"the warehouse path {database} is a folder; set [warehouse] path to a file first")
    _check_not_held(database)
    stamp = _stamp(now)
    set_aside = []
    # The old .wal must go too: replayed onto the restored file it would write the damaged file's last changes.
    for path in (database, Path(f"{database}.wal")):
        if path.exists():
            kept = path.with_name(f"{path.name}.before-restore-{stamp}")
            path.replace(kept)
            set_aside.append(kept)
    _copy_durably(source, database)
    warehouse.forget_verified()
    try:
        version, mentions = read_back(database)
    except duckdb.Error as exc:
        raise translate_error(exc, database, writing=False) or exc from exc
    return RestoreResult(database, source, mentions, version, set_aside)
