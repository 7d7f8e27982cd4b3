"""The Prefect flow `retention`: drop mention text older than `[warehouse] retention_days`, keep the numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.resources import build_resources
from flows.runtime.config import load_config
from flows.runtime.read_snapshot import refresh_read_snapshot
from flows.runtime.retries import transient_retries
from flows.runtime.run_lock import writer_lock
from warehouse import Warehouse
from warehouse.retention import RetentionResult, drop_text_before


def retention_cutoff(days: int, now: datetime) -> datetime:
    """The instant before which text is dropped: `days` whole days before now, at midnight UTC."""
    # Midnight keeps a day either fully kept or fully dropped, so a daily run never leaves a half-redacted day.
    day = (now.astimezone(UTC) - timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def apply_retention(warehouse: Warehouse, days: int, now: datetime) -> RetentionResult:
    """Drop text and raw payloads of mentions (and reject payloads) older than `days` days."""
    with warehouse.write() as con:
        return drop_text_before(con, retention_cutoff(days, now))


@task(name="drop-old-text", cache_policy=NO_CACHE, **transient_retries())
def drop_old_text_task(warehouse: Warehouse, days: int, now: datetime) -> RetentionResult:
    """Apply retention to the warehouse."""
    return apply_retention(warehouse, days, now)


@flow(name="retention", log_prints=True)
def retention(config_path: str | None = None, days: int | None = None, as_of: datetime | None = None) -> dict[str, Any]:
    """Drop mention text older than `days` (default `[warehouse] retention_days`); without a setting, do nothing."""
    config = load_config(Path(config_path) if config_path else None)
    logger = get_run_logger()
    keep_days = days or config.warehouse.retention_days
    if keep_days is None:
        logger.info("[warehouse] retention_days is not set: all mention text is kept")
        return {"days": None, "cutoff": None, "mentions": 0, "rejects": 0}
    warehouse = build_resources(config).warehouse
    with writer_lock(config.warehouse.path, timeout_s=config.warehouse.run_lock_timeout_s):
        result = drop_old_text_task(warehouse, keep_days, as_of or datetime.now(UTC))
        # The snapshot must not keep text that retention just dropped from the live file.
        refresh_read_snapshot(warehouse, config, changed=bool(result.mentions or result.rejects))
    logger.info("dropped the text of %d mentions and %d reject payloads from before %s",
                result.mentions, result.rejects, result.cutoff.isoformat())
    return {"days": keep_days, "cutoff": result.cutoff.isoformat(), "mentions": result.mentions,
            "rejects": result.rejects}
