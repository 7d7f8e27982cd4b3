"""`brandpulse report` and `brandpulse export`: the HTML report and view files for BI tools (registered in cli.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from flows.cli.common import ConfigOption, fail, out
from flows.runtime.config import load_config
from models.errors import BrandpulseError, ConfigError


def parse_day(value: str | None, option: str) -> date | None:
    """A YYYY-MM-DD option as a date, or ConfigError naming the option."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ConfigError(f"{option} must be a date like 2026-11-22, not {value!r}", key=option) from None


def report(
    out_path: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="HTML file to write (default reports/brandpulse-<brand>-<to>.html)."),
    ] = None,
    brand: Annotated[str | None, typer.Option(help="The brand the report is about (default: the first one).")] = None,
    start: Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD (UTC).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD (default: the newest mention's day).")]
    = None,
    days: Annotated[int, typer.Option(help="Days covered when --from is not given.", min=1)] = 28,
    config: ConfigOption = None,
) -> None:
    """Write the HTML report (trends, share of voice, topics, terms, feedback, alerts) that opens offline."""
    from flows.report.render import default_report_path, write_report
    from warehouse import Warehouse

    try:
        cfg = load_config(config)
        result = write_report(
            Warehouse(cfg.warehouse.path),
            cfg,
            out_path or default_report_path,
            brand=brand,
            start=parse_day(start, "--from"),
            end=parse_day(end, "--to"),
            days=days,
        )
    except BrandpulseError as exc:
        raise fail(exc) from None
    out.print(
        f"wrote {result.path}: {result.scope.brand} vs {', '.join(result.scope.competitors) or 'no competitors'}, "
        f"{result.period.start} – {result.period.end}, {result.mentions} mentions, {result.alerts} alert(s), "
        f"{len(result.charts)} charts",
        markup=False,
        highlight=False,
        soft_wrap=True,  # one line, so the path can be copied
    )


def export(
    fmt: Annotated[str, typer.Option("--format", help="parquet | csv")] = "parquet",
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for the files (one per view).")] = Path(
        "exports"
    ),
    views: Annotated[
        list[str] | None, typer.Option("--view", help="A view to export (repeatable; default: every view).")
    ] = None,
    raw: Annotated[
        bool, typer.Option("--raw", help="CSV: keep text cells exactly as stored (no ' before =, +, -, @).")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Export the warehouse views to Parquet or CSV files for BI tools (read-only; a running pipeline waits briefly)."""
    from warehouse import Warehouse
    from warehouse.export import check_export_request, export_views

    try:
        cfg = load_config(config)
        check_export_request(fmt, views)  # a typo fails before the warehouse is opened
        with Warehouse(cfg.warehouse.path).read() as con:
            files = export_views(con, out_dir, fmt, views, raw=raw)
    except BrandpulseError as exc:
        raise fail(exc) from None
    table = Table("view", "rows", "file")
    for item in files:
        table.add_row(Text(item.view), str(item.rows), Text(str(item.path)))
    out.print(table)
