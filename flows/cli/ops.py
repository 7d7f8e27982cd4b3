"""`brandpulse rescore`, `retention`, `backfill`, `backup` and `restore`: operations on stored data (see cli.py)."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from flows.cli.common import EXIT_PARTIAL, ConfigOption, day_option, fail, out, resources, say
from flows.runtime.config import load_config
from flows.runtime.temporary_api import prefect_api
from models.errors import BrandpulseError, ConfigError


def rescore(
    model: Annotated[str | None, typer.Option(help="Model: 'bundled', a local folder or a HF id.")] = None,
    config: ConfigOption = None,
) -> None:
    """Score stored mentions with a model (default: the configured one); older models' scores are kept."""
    with prefect_api() as api:
        from flows.rescore import rescore as rescore_flow

        try:
            # Checked before the flow starts: a damaged, read-only or locked file is one line, not a flow traceback.
            resources(load_config(config)).warehouse.check()
            api.ready()
            result = rescore_flow(config_path=str(config) if config else None, model=model)
        except BrandpulseError as exc:
            raise fail(exc) from None
    sys.stdout.write(json.dumps(result) + "\n")


def retention(
    days: Annotated[int | None, typer.Option(min=1, help="Keep text this many days (default [warehouse] "
                                             "retention_days).")] = None,
    config: ConfigOption = None,
) -> None:
    """Drop mention text and raw payloads older than N days; counts, sentiment and alerts are kept."""
    with prefect_api() as api:
        from flows.retention import retention as retention_flow

        try:
            cfg = load_config(config)
            if days is None and cfg.warehouse.retention_days is None:
                raise ConfigError("give --days N or set [warehouse] retention_days", key="warehouse.retention_days")
            resources(cfg).warehouse.check()
            api.ready()
            result = retention_flow(config_path=str(config) if config else None, days=days)
        except BrandpulseError as exc:
            raise fail(exc) from None
    sys.stdout.write(json.dumps(result) + "\n")


def backfill(
    start: Annotated[datetime, day_option("--from", "First UTC day to load, YYYY-MM-DD.")],
    end: Annotated[datetime, day_option("--to", "Last UTC day to load (included), YYYY-MM-DD.")],
    channel: Annotated[list[str] | None, typer.Option("--channel", help="Only this channel (repeatable).")] = None,
    config: ConfigOption = None,
) -> None:
    """Load a past date range from the channels whose APIs allow history (X, Hacker News, Reddit search), score it."""
    with prefect_api() as api:
        from flows.backfill import backfill_flow, day_range

        try:
            first, last = start.date(), end.date()
            day_range(first, last)
            cfg = load_config(config)
            cfg.require_brands("brandpulse backfill")
            resources(cfg).warehouse.check()
            api.ready()
            result = backfill_flow(
                config_path=str(config) if config else None, start=first.isoformat(), end=last.isoformat(),
                channels=list(channel) if channel else None,
            )
        except BrandpulseError as exc:
            raise fail(exc) from None
    table = Table(title=f"Backfill {first} .. {last} (UTC)")
    table.add_column("channel")
    table.add_column("status")
    failed = []
    for name, status in result["channels"].items():
        style = "red" if status.startswith("failed") else ("" if status.startswith("ok") else "yellow")
        table.add_row(Text(name), Text(status, style=style))
        if status.startswith("failed"):
            failed.append(name)
    out.print(table)
    out.print(f"scored {result['scored']} mentions with {result['model']}", markup=False)
    if failed:
        # Like `run`: what loaded is kept and scored; the failed channels are named, and a rerun retries them.
        say(f"partial backfill: {', '.join(failed)} failed; the rest was loaded and scored")
        raise typer.Exit(EXIT_PARTIAL)


def backup(
    to: Annotated[
        Path | None,
        typer.Option("--to", help="Backup file, or a folder for it (default: backups/ beside the warehouse)."),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Copy the warehouse to a backup file: checked block by block, checkpointed, copied, then read back."""
    from warehouse.backup import backup as backup_warehouse

    try:
        cfg = load_config(config)
        wh = resources(cfg).warehouse
        result = backup_warehouse(wh, to)
    except BrandpulseError as exc:
        raise fail(exc) from None
    out.print(
        f"backed up {cfg.warehouse.path} to {result.path} ({result.size / 1e6:.1f} MB, {result.mentions} mentions, "
        f"schema version {result.schema_version}); restore with: brandpulse restore {result.path}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def restore(
    source: Annotated[Path, typer.Argument(help="A backup file written by `brandpulse backup`.")],
    config: ConfigOption = None,
) -> None:
    """Replace the warehouse by a backup; the replaced file (and its .wal) is renamed beside it, never deleted."""
    from flows.runtime.run_lock import writer_lock
    from warehouse.backup import restore as restore_warehouse

    try:
        cfg = load_config(config)
        # The run lock keeps scheduled runs out while the file is swapped; a run that waits resumes on the backup.
        with writer_lock(cfg.warehouse.path, timeout_s=cfg.warehouse.run_lock_timeout_s, notify=say):
            result = restore_warehouse(resources(cfg).warehouse, source)
    except BrandpulseError as exc:
        raise fail(exc) from None
    kept = f"; the replaced file is kept as {', '.join(map(str, result.set_aside))}" if result.set_aside else ""
    out.print(
        f"restored {result.path} from {result.source} ({result.mentions} mentions, schema version "
        f"{result.schema_version}){kept}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def migrate(
    to: Annotated[str, typer.Option("--to", help="The warehouse kind to copy into: ducklake.")],
    config: ConfigOption = None,
) -> None:
    """Copy the file warehouse at [warehouse] path into the configured DuckLake (idempotent: run it again safely)."""
    from flows.resources import build_warehouse
    from flows.runtime.run_lock import writer_lock
    from warehouse import Warehouse
    from warehouse.lake import LakeWarehouse
    from warehouse.lake_copy import copy_into_lake

    try:
        if to != "ducklake":
            raise ConfigError(f"--to {to!r}: the only target is 'ducklake'", key="--to")
        cfg = load_config(config)
        lake = build_warehouse(cfg, notify=say)
        if not isinstance(lake, LakeWarehouse):
            raise ConfigError(
                'set [warehouse] kind = "ducklake", catalog and data_path first; [warehouse] path stays the file '
                "to copy (docs/warehouse.md, DuckLake)",
                key="warehouse.kind",
                file=cfg.source,
            )
        source = Warehouse(cfg.warehouse.path, lock_timeout_s=cfg.warehouse.lock_timeout_s, notify=say)
        # No run may write to the file while it is copied (a run that waits starts on the lake afterwards).
        with writer_lock(cfg.warehouse.path, timeout_s=cfg.warehouse.run_lock_timeout_s, notify=say):
            result = copy_into_lake(source, lake)
    except BrandpulseError as exc:
        raise fail(exc) from None
    table = Table(title=f"{cfg.warehouse.path} → DuckLake ({lake.data_path})")
    for column in ("table", "rows in the file", "added to the lake"):
        table.add_column(column)
    for name, added in result.added.items():
        table.add_row(Text(name), str(result.in_file[name]), str(added))
    out.print(table)
    out.print(f"copied {sum(result.added.values())} rows; running it again adds nothing", markup=False)


def partitions(
    create: Annotated[bool, typer.Option("--create", help="Create a tag concurrency limit of 1 for each on the "
                                         "Prefect server (PREFECT_API_URL).")] = False,
    config: ConfigOption = None,
) -> None:
    """The listen tags of every enabled channel × brand; --create limits each to one running task in the pool."""
    import asyncio

    from flows.runtime.partitions import create_limits, partition_tags

    try:
        tags = partition_tags(load_config(config))
    except BrandpulseError as exc:
        raise fail(exc) from None
    if create:
        asyncio.run(create_limits(tags))
    for tag in tags:
        out.print(f"{tag}{'  limit 1' if create else ''}", markup=False, highlight=False)
