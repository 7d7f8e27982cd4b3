"""`brandpulse rescore`, `retention` and `backfill`: operations on stored data (registered in cli.py)."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from flows.cli_common import ConfigOption, fail, out
from flows.config import load_config
from models.errors import BrandpulseError, ConfigError


def rescore(
    model: Annotated[str | None, typer.Option(help="Model: 'bundled', a local folder or a HF id.")] = None,
    config: ConfigOption = None,
) -> None:
    """Score stored mentions with a model (default: the configured one); older models' scores are kept."""
    from flows.rescore import rescore as rescore_flow

    try:
        load_config(config)
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
    from flows.retention import retention as retention_flow

    try:
        cfg = load_config(config)
        if days is None and cfg.warehouse.retention_days is None:
            raise ConfigError("give --days N or set [warehouse] retention_days", key="warehouse.retention_days")
        result = retention_flow(config_path=str(config) if config else None, days=days)
    except BrandpulseError as exc:
        raise fail(exc) from None
    sys.stdout.write(json.dumps(result) + "\n")


def _day(value: str, option: str) -> datetime:
    try:
        return datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        raise ConfigError(f"{option} must be a date as YYYY-MM-DD (UTC), got {value!r}", key=option) from None


def backfill(
    start: Annotated[str, typer.Option("--from", help="First UTC day to load, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--to", help="Last UTC day to load (included), YYYY-MM-DD.")],
    channel: Annotated[list[str] | None, typer.Option("--channel", help="Only this channel (repeatable).")] = None,
    config: ConfigOption = None,
) -> None:
    """Load a past date range from the channels whose APIs allow history (X, Hacker News, Reddit search), score it."""
    from flows.backfill import backfill_flow, day_range

    try:
        first, last = _day(start, "--from").date(), _day(end, "--to").date()
        day_range(first, last)
        load_config(config).require_brands("brandpulse backfill")
        result = backfill_flow(
            config_path=str(config) if config else None, start=first.isoformat(), end=last.isoformat(),
            channels=list(channel) if channel else None,
        )
    except BrandpulseError as exc:
        raise fail(exc) from None
    table = Table(title=f"Backfill {first} .. {last} (UTC)")
    table.add_column("channel")
    table.add_column("status")
    for name, status in result["channels"].items():
        style = "red" if status.startswith("failed") else ("" if status.startswith("ok") else "yellow")
        table.add_row(Text(name), Text(status, style=style))
        out.print(table)
    out.print(f"scored {result['scored']} mentions with {result['model']}", markup=False)
