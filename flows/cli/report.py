"""`brandpulse report` and `brandpulse export`: the HTML report and view files for BI tools (registered in cli.py)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from flows.cli.common import ConfigOption, LiveOption, RawOption, day_option, fail, out, reading_warehouse
from flows.runtime.config import load_config
from models.errors import BrandpulseError


def report(
    out_path: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="HTML file to write (default reports/brandpulse-<brand>-<to>.html)."),
    ] = None,
    brand: Annotated[str | None, typer.Option(help="The brand the report is about (default: the first one).")] = None,
    start: Annotated[datetime | None, day_option("--from", "First day, YYYY-MM-DD (UTC).")] = None,
    end: Annotated[datetime | None, day_option("--to", "Last day, YYYY-MM-DD (default: the newest mention's day).")]
    = None,
    days: Annotated[int, typer.Option(help="Days covered when --from is not given.", min=1)] = 28,
    live: LiveOption = False,
    config: ConfigOption = None,
) -> None:
    """Write the HTML report (trends, share of voice, topics, terms, feedback, alerts) that opens offline."""
    from flows.report.render import default_report_path, write_report

    try:
        cfg = load_config(config)
        result = write_report(
            reading_warehouse(cfg, live=live),
            cfg,
            out_path or default_report_path,
            brand=brand,
            start=start.date() if start else None,
            end=end.date() if end else None,
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
    raw: RawOption = False,
    live: LiveOption = False,
    config: ConfigOption = None,
) -> None:
    """Export the warehouse views to Parquet or CSV files for BI tools (read-only; a running pipeline waits briefly)."""
    from warehouse.export import check_export_request, export_views

    try:
        cfg = load_config(config)
        check_export_request(fmt, views)  # a typo fails before the warehouse is opened
        with reading_warehouse(cfg, live=live).read() as con:
            files = export_views(con, out_dir, fmt, views, raw=raw)
    except BrandpulseError as exc:
        raise fail(exc) from None
    table = Table("view", "rows", "file")
    for item in files:
        table.add_row(Text(item.view), str(item.rows), Text(str(item.path)))
    out.print(table)
