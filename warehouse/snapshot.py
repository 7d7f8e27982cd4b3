"""The read snapshot: a checkpointed copy of the warehouse, published atomically, that readers open instead."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from models.errors import WarehouseCorrupt
from warehouse.backup import checkpointed_copy, read_back
from warehouse.connection import Warehouse, first_row

SNAPSHOT_SUFFIX = ".read"
INFO_TABLE = "snapshot_info"


@dataclass(frozen=True)
class SnapshotInfo:
    """What a published snapshot holds: when it was taken, of which file, at which schema, how many mentions."""

    path: Path
    published_at: datetime
    source_path: str
    schema_version: int
    mentions: int


def default_snapshot_path(database: Path) -> Path:
    """`data/brandpulse.duckdb` → `data/brandpulse.read.duckdb`: beside the warehouse, so the rename stays atomic."""
    return database.with_name(f"{database.stem}{SNAPSHOT_SUFFIX}{database.suffix or '.duckdb'}")


def _staging_path(snapshot: Path) -> Path:
    # Same folder as the snapshot: os.replace is only atomic within one file system.
    return snapshot.with_name(f".{snapshot.name}.publishing")


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable, so a crash cannot leave the folder pointing at the old snapshot's inode."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # some file systems do not open folders; the rename is still atomic, only its durability waits
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def publish_snapshot(warehouse: Warehouse, snapshot: Path, *, now: datetime | None = None) -> SnapshotInfo:
    """Copy the warehouse to a staging file, stamp it with `snapshot_info`, read it back, rename it over snapshot.

    Readers that still hold the old snapshot keep reading it (POSIX keeps a renamed-over file alive while it is
    open); the snapshot path is never opened for writing, so readers never block this, and it never blocks them.
    """
    staging = _staging_path(snapshot)
    published_at = now or datetime.now(UTC)
    try:
        # The run's own write connections already checked the file; a full read every run would double its I/O.
        checkpointed_copy(warehouse, staging, verify_all=False)
        con = duckdb.connect(str(staging))
        try:
            version_row = first_row(con.execute("SELECT coalesce(max(version), 0) FROM schema_version"))
            mentions_row = first_row(con.execute("SELECT count(*) FROM mentions"))
            version = int(version_row[0]) if version_row else 0
            mentions = int(mentions_row[0]) if mentions_row else 0
            # A table rather than a view: the numbers are those of the moment of publishing, frozen with the copy.
            con.execute(
                f"CREATE OR REPLACE TABLE {INFO_TABLE} (published_at TIMESTAMPTZ, source_path VARCHAR, "
                "schema_version INTEGER, mentions BIGINT)"
            )
            con.execute(
                f"INSERT INTO {INFO_TABLE} VALUES (?, ?, ?, ?)",
                [published_at, str(warehouse.path), version, mentions],
            )
            # Folded into the file, so no .wal travels beside the snapshot and read-only readers need none.
            con.execute("CHECKPOINT")
        finally:
            con.close()
        try:
            schema_version, count = read_back(staging)
        except duckdb.Error as exc:
            raise WarehouseCorrupt(
                f"the read snapshot {staging} does not read back ({' '.join(str(exc).split())[:200]}); the previous "
                "snapshot was kept. Check the disk, then run again.",
                path=staging,
                cause="snapshot unreadable",
            ) from exc
        # A .wal left by someone who opened the snapshot read-write would be replayed onto the new copy.
        Path(f"{snapshot}.wal").unlink(missing_ok=True)
        os.replace(staging, snapshot)
        _fsync_folder(snapshot.parent)
    finally:
        staging.unlink(missing_ok=True)
        Path(f"{staging}.wal").unlink(missing_ok=True)
    return SnapshotInfo(snapshot, published_at, str(warehouse.path), schema_version, count)


def snapshot_info(snapshot: Path) -> SnapshotInfo | None:
    """The `snapshot_info` row of a published snapshot, or None when there is none (yet) or it cannot be read."""
    if not snapshot.is_file():
        return None
    try:
        con = duckdb.connect(str(snapshot), read_only=True)
    except duckdb.Error:
        return None
    try:
        row = first_row(
            con.execute(f"SELECT published_at, source_path, schema_version, mentions FROM {INFO_TABLE}")
        )
    except duckdb.Error:
        return None
    finally:
        con.close()
    if row is None:
        return None
    return SnapshotInfo(snapshot, row[0], row[1], int(row[2]), int(row[3]))
