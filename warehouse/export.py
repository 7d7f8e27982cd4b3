"""Export the marketing views to Parquet or CSV files for BI tools, with DuckDB's COPY from a read-only connection."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from models.errors import ConfigError
from warehouse.safe_output import neutralise_sql
from warehouse.views import VIEW_NAMES

FORMATS: dict[str, str] = {
    "parquet": "(FORMAT parquet, COMPRESSION zstd)",
    "csv": "(FORMAT csv, HEADER true, DELIMITER ',')",
}


@dataclass(frozen=True)
class ExportedFile:
    """One view written to one file."""

    view: str
    path: Path
    rows: int


def check_export_request(fmt: str, views: list[str] | None) -> list[str]:
    """The views to export (all documented views when none are named); ConfigError for an unknown format or view."""
    if fmt not in FORMATS:
        raise ConfigError(f"unknown export format {fmt!r}; use one of: {', '.join(FORMATS)}", key="--format")
    chosen = list(dict.fromkeys(views)) if views else list(VIEW_NAMES)
    unknown = [name for name in chosen if name not in VIEW_NAMES]
    if unknown:
        raise ConfigError(
            f"unknown view {unknown[0]!r}; the views are: {', '.join(VIEW_NAMES)}", key="--view"
        )
    return chosen


def csv_select(con: duckdb.DuckDBPyConnection, view: str) -> str:
    """SELECT of a view whose text cells cannot run as spreadsheet formulas; other columns keep their types."""
    columns = con.execute(f"DESCRIBE SELECT * FROM {view}").fetchall()
    parts = []
    for name, column_type, *_ in columns:
        quoted = '"{}"'.format(str(name).replace('"', '""'))
        # Only text can start with '=' etc.; numbers, dates and booleans are written as they are (a negative
        # score stays the number -0.4, not the text "'-0.4"). Lists and structs print from '[' or '{'.
        parts.append(f"{neutralise_sql(quoted)} AS {quoted}" if column_type == "VARCHAR" else quoted)
    return f"SELECT {', '.join(parts)} FROM {view}"


def export_views(
    con: duckdb.DuckDBPyConnection, out_dir: Path, fmt: str, views: list[str] | None = None, *, raw: bool = False
) -> list[ExportedFile]:
    """Write each view to OUT_DIR/<view>.<fmt>; CSV text cells are formula-neutralised unless `raw`."""
    chosen = check_export_request(fmt, views)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for view in chosen:
        target = out_dir / f"{view}.{fmt}"
        tmp = target.with_name(f".{target.name}.tmp")
        # COPY takes no parameters for its file name; the view name is checked against VIEW_NAMES above and the
        # path has its quotes doubled, so neither can end the string literal.
        quoted = str(tmp).replace("'", "''")
        select = csv_select(con, view) if fmt == "csv" and not raw else f"SELECT * FROM {view}"
        rows = con.execute(f"COPY ({select}) TO '{quoted}' {FORMATS[fmt]}").fetchall()
        tmp.replace(target)
        written.append(ExportedFile(view, target, int(rows[0][0]) if rows else 0))
    return written
