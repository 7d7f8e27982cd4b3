"""`brandpulse sql`, `trends` and `runs`: read-only looks at the warehouse from the terminal."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from flows.cli.common import (
    ConfigOption,
    LiveOption,
    RawOption,
    err,
    fail,
    out,
    reading_warehouse,
    resources,
    safe_text,
)
from flows.runtime.config import load_config
from models.errors import BrandpulseError, ConfigError, FatalError
from warehouse.safe_output import neutralise_cell, terminal_safe


def runs(
    limit: Annotated[int, typer.Option(help="How many of the newest runs to show.", min=1)] = 20,
    config: ConfigOption = None,
) -> None:
    """The newest runs with their status (completed, partial, failed, abandoned, running) and why."""
    from flows.runtime.run_lock import no_other_run
    from warehouse import recent_runs

    try:
        cfg = load_config(config)
        with resources(cfg).warehouse.read() as con:
            rows = recent_runs(con, limit)
    except BrandpulseError as exc:
        raise fail(exc) from None
    with no_other_run(cfg.warehouse.path) as alone:
        pass
    table = Table("run", "status", "started", "finished", "reason")
    for row in rows:
        status, reason = str(row["status"]), row["reason"] or ""
        if status == "running" and alone:
            # Nothing holds the run lock, so this run's process is gone; the next run marks it abandoned.
            status, reason = "running?", "no live process holds the run lock: the next run marks it abandoned"
        style = {"failed": "red", "abandoned": "red", "partial": "yellow", "running?": "yellow"}.get(status, "")
        table.add_row(
            safe_text(row["run_id"]),
            safe_text(status, style=style),
            _when(row["started_at"]),
            _when(row["finished_at"]),
            safe_text(reason),
        )
    out.print(table)


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else ""


def sql(
    query: Annotated[str, typer.Argument(help="A read-only SQL query over the warehouse views and tables.")],
    fmt: Annotated[str, typer.Option("--format", help="table | csv | json")] = "table",
    raw: RawOption = False,
    live: LiveOption = False,
    config: ConfigOption = None,
) -> None:
    """Run a read-only SQL query against the warehouse (no files, network or extensions) and print the result."""
    from warehouse import run_readonly_sql

    try:
        cfg = load_config(config)
        # Sandboxed: the query sees the warehouse only; read_csv('http://…'), INSTALL or ATTACH are refused.
        with reading_warehouse(cfg, live=live).read(sandboxed=True) as con:
            columns, rows = run_readonly_sql(con, query)
    except BrandpulseError as exc:
        raise fail(exc) from None
    except Exception as exc:  # a DuckDB parser/binder/permission error: the user's SQL, not our bug
        message = " ".join(terminal_safe(str(exc)).split())
        err.print(f"[bold red]SQL error:[/] {escape(message)}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    _print_rows(columns, rows, fmt, raw=raw)


def _print_rows(columns: list[str], rows: list[tuple[Any, ...]], fmt: str, *, raw: bool = False) -> None:
    if fmt == "json":
        # json.dumps writes control characters as \u001b escapes: nothing reaches the terminal raw.
        for row in rows:
            sys.stdout.write(json.dumps(dict(zip(columns, row, strict=True)), default=str, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        import csv

        # CSV is opened in spreadsheets: text cells that would run as formulas get a leading ' unless --raw.
        cells = (row if raw else [neutralise_cell(value) for value in row] for row in rows)
        if sys.stdout.isatty():  # a person reads it: the same control-character stripping as the table
            cells = ([terminal_safe(v) if isinstance(v, str) else v for v in row] for row in cells)
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(cells)
    else:
        table = Table()
        for column in columns:
            table.add_column(safe_text(column))
        for row in rows:
            # Text cells: mention text is data; no rich markup and no terminal escape sequences from it.
            table.add_row(*(safe_text(value) for value in row))
        out.print(table)
        out.print(f"{len(rows)} row(s)")


# Every query takes (since, until, brand, brand): a NULL brand means every brand. Shares are of scored mentions.
_TREND_MEASURES = (
    "sum(mentions) AS mentions, round(sum(negative) / nullif(sum(scored), 0), 3) AS negative_share, "
    "round(sum(net_sentiment * scored) / nullif(sum(scored), 0), 3) AS net_sentiment"
)
_TREND_FILTER = "WHERE day BETWEEN ? AND ? AND (CAST(? AS VARCHAR) IS NULL OR brand = ?)"
TREND_QUERIES = {
    "channel": f"SELECT brand, channel, {_TREND_MEASURES} FROM sentiment_daily {_TREND_FILTER} "
    "GROUP BY ALL ORDER BY brand, mentions DESC",
    "day": f"SELECT day, brand, {_TREND_MEASURES} FROM sentiment_daily {_TREND_FILTER} "
    "GROUP BY ALL ORDER BY day, brand",
    "week": f"SELECT CAST(date_trunc('week', day) AS DATE) AS week, brand, {_TREND_MEASURES} FROM sentiment_daily "
    f"{_TREND_FILTER} GROUP BY ALL ORDER BY week, brand",
    # Share of voice is taken among all brands first, then --brand picks one row.
    "brand": "SELECT * FROM (SELECT brand, sum(mentions) AS mentions, "
    "round(sum(mentions) / sum(sum(mentions)) OVER (), 3) AS share_of_voice, "
    "round(sum(negative) / nullif(sum(scored), 0), 3) AS negative_share, "
    "round(sum(net_sentiment * scored) / nullif(sum(scored), 0), 3) AS net_sentiment FROM share_of_voice "
    "WHERE day BETWEEN ? AND ? GROUP BY brand) WHERE (CAST(? AS VARCHAR) IS NULL OR brand = ?) ORDER BY mentions DESC",
    "topic": f"SELECT brand, topic, {_TREND_MEASURES} FROM topic_daily {_TREND_FILTER} "
    "GROUP BY ALL ORDER BY brand, mentions DESC, topic",
}


def trends(
    by: Annotated[str, typer.Option(help="channel | day | week | brand | topic")] = "channel",
    days: Annotated[int, typer.Option(help="How many days back from the newest mention.")] = 28,
    brand: Annotated[str | None, typer.Option(help="Only this brand (default: every brand).")] = None,
    live: LiveOption = False,
    config: ConfigOption = None,
) -> None:
    """Sentiment trends as a terminal table, over the last N days of stored data."""
    from datetime import date, timedelta

    from warehouse.queries.report import latest_plausible_day

    if by not in TREND_QUERIES:
        err.print(f"[red]--by must be one of {', '.join(TREND_QUERIES)}[/]")
        raise typer.Exit(2)
    try:
        cfg = load_config(config)
        brand_name = cfg.brand(brand).name if brand is not None else None
        with reading_warehouse(cfg, live=live).read() as con:
            # Days after tomorrow are broken dates (stored before the load-time check): never the window's end.
            newest = con.execute(
                "SELECT max(day) FROM sentiment_daily WHERE day <= ?", [latest_plausible_day()]
            ).fetchone()[0]
            if newest is None:
                raise FatalError("the warehouse has no scored mentions yet: run `brandpulse run` first")
            if days < 1:
                raise ConfigError(f"--days must be at least 1, got {days}", key="--days")
            since = newest - timedelta(days=min(days, (newest - date.min).days + 1) - 1)
            cursor = con.execute(TREND_QUERIES[by], [since, newest, brand_name, brand_name])
            columns = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
    except BrandpulseError as exc:
        raise fail(exc) from None
    if by == "topic" and not rows:
        out.print("no topic scores in this window yet: topics appear once topic scoring has run")
        return
    _print_rows(columns, rows, "table")
