"""`brandpulse migrate --to ducklake`: copy a file warehouse into a DuckLake warehouse, idempotently, in one go."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from models.errors import FatalError
from warehouse.connection import WRITE_TOKEN, Warehouse, committed, first_row
from warehouse.lake import LakeWarehouse
from warehouse.upsert import insert_new

SOURCE = "file_warehouse"
# Kept by each warehouse itself: its own migrations and view fingerprint, and the lake's write token.
_NOT_COPIED = frozenset({"schema_version", "warehouse_meta", WRITE_TOKEN})


@dataclass
class CopyResult:
    """Rows added to the lake per table (0 for a table already copied), and the rows the file holds."""

    added: dict[str, int] = field(default_factory=dict)
    in_file: dict[str, int] = field(default_factory=dict)


def _keys(con: duckdb.DuckDBPyConnection, table: str, columns: list[str]) -> tuple[list[str], bool]:
    """The file's primary key of `table`, or every column (compared null-safely) for a table without one."""
    row = first_row(
        con.execute(
            "SELECT constraint_column_names FROM duckdb_constraints() WHERE database_name = ? AND table_name = ? "
            "AND constraint_type = 'PRIMARY KEY'",
            [SOURCE, table],
        )
    )
    return (list(row[0]), False) if row else (columns, True)


def copy_into_lake(source: Warehouse, lake: LakeWarehouse) -> CopyResult:
    """Copy every table of the file into the lake in one transaction; rows already there (by key) are kept as is."""
    if not source.path.is_file():
        raise FatalError(f"no warehouse file at {source.path} to copy: set [warehouse] path to the file to migrate")
    with source.write():
        pass  # brings the file to this schema version (and checks it) before it is read
    result = CopyResult()
    with lake.write() as con:
        try:
            con.execute(f"ATTACH '{str(source.path).replace(chr(39), chr(39) * 2)}' AS {SOURCE} (READ_ONLY)")
        except duckdb.Error as exc:
            raise FatalError(
                f"cannot read {source.path} to copy it ({' '.join(str(exc).split())[:200]}); stop any run that "
                "writes to it, then run `brandpulse migrate --to ducklake` again"
            ) from None
        try:
            tables = [
                name for (name,) in con.execute(
                    "SELECT table_name FROM duckdb_tables() WHERE database_name = ? ORDER BY table_name", [SOURCE]
                ).fetchall()
                if name not in _NOT_COPIED
            ]

            def copy() -> None:
                for table in tables:
                    columns = [
                        name for (name,) in con.execute(
                            "SELECT column_name FROM duckdb_columns() WHERE database_name = ? AND table_name = ? "
                            "ORDER BY column_index", [SOURCE, table],
                        ).fetchall()
                    ]
                    keys, null_safe = _keys(con, table, columns)
                    result.added[table] = insert_new(
                        con, table, columns, keys, f"{SOURCE}.main.{table}", null_safe=null_safe
                    )
                    counted = first_row(con.execute(f"SELECT count(*) FROM {SOURCE}.main.{table}"))
                    result.in_file[table] = int(counted[0]) if counted else 0

            # All or nothing: a copy killed half-way leaves the lake as it was, and running it again is safe.
            committed(con, copy)
        finally:
            con.execute(f"DETACH {SOURCE}")
    return result
