"""Publish the read snapshot after a command that changed the warehouse: run, import, backfill, rescore, retention."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC

import duckdb

from flows.runtime.config import Config
from models.errors import BrandpulseError
from warehouse import Warehouse

log = logging.getLogger("brandpulse")


@dataclass(frozen=True)
class SnapshotOutcome:
    """Where the read snapshot is, when the one now in place was published (ISO-8601 UTC), and why not now."""

    path: str | None = None  # None: turned off (`[warehouse] read_snapshot = false`, or a DuckLake warehouse)
    published_at: str | None = None
    note: str | None = None


def refresh_read_snapshot(warehouse: Warehouse, config: Config, *, changed: bool) -> SnapshotOutcome:
    """Publish the snapshot when something changed (or there is none, or it is of an older schema or file)."""
    from warehouse.schema import SCHEMA_VERSION
    from warehouse.snapshot import publish_snapshot, snapshot_info

    target = config.warehouse.read_snapshot_path()
    if target is None:
        return SnapshotOutcome()
    current = snapshot_info(target)
    before = None if current is None else current.published_at.astimezone(UTC).isoformat()
    stale = current is None or current.schema_version < SCHEMA_VERSION or current.source_path != str(warehouse.path)
    if not stale and not changed:
        return SnapshotOutcome(str(target), before, "unchanged: nothing new in this run")
    try:
        published = publish_snapshot(warehouse, target)
    except (BrandpulseError, OSError, duckdb.Error) as exc:
        # The data is committed in the live file; a missing snapshot only delays readers, so it warns.
        log.warning("read snapshot %s not published: %s", target, exc)
        return SnapshotOutcome(str(target), before, f"not published: {exc}")
    return SnapshotOutcome(str(target), published.published_at.astimezone(UTC).isoformat())
