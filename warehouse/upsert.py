"""Idempotent writes that need no PRIMARY KEY: insert-if-absent (anti-join) and upsert (MERGE).

DuckLake refuses PRIMARY KEY / UNIQUE and so `ON CONFLICT`; these statements keep the same guarantees on both
kinds of warehouse. Under concurrent DuckLake writers they are safe because every write transaction touches the
write token (`warehouse/connection.py: transaction`), so two of them never both commit on the same snapshot.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb

from warehouse.connection import first_row


def _key_match(keys: Sequence[str], left: str, right: str, *, null_safe: bool = False) -> str:
    equals = "IS NOT DISTINCT FROM" if null_safe else "="
    return " AND ".join(f"{left}.{key} {equals} {right}.{key}" for key in keys)


def insert_new(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Sequence[str],
    keys: Sequence[str],
    source: str,
    *,
    null_safe: bool = False,
) -> int:
    """Insert the rows of `source` whose key is not stored yet (one row per key); return how many.

    `null_safe` compares keys with IS NOT DISTINCT FROM, for a key of nullable columns (a table without one).
    """
    # Names come from this package's constants, never from user input; values travel in `source` (a registered
    # Arrow table or a VALUES list), so nothing here is user text.
    cols = ", ".join(columns)
    partition = ", ".join(keys)
    result = con.execute(
        f"""INSERT INTO {table} ({cols})
        SELECT {cols} FROM (SELECT * FROM {source} QUALIFY row_number() OVER (PARTITION BY {partition}) = 1) AS b
        WHERE NOT EXISTS (SELECT 1 FROM {table} AS t WHERE {_key_match(keys, 't', 'b', null_safe=null_safe)})"""
    )
    row = first_row(result)
    return int(row[0]) if row else 0


def upsert_row(
    con: duckdb.DuckDBPyConnection,
    table: str,
    values: dict[str, Any],
    keys: Sequence[str],
    *,
    update: Sequence[str] | None = None,
) -> None:
    """Insert one row, or set `update` (default: every non-key column) of the stored row with the same key."""
    names = list(values)
    select = ", ".join(f"? AS {name}" for name in names)
    changed = [name for name in names if name not in keys] if update is None else list(update)
    updates = ", ".join(f"{name} = s.{name}" for name in changed)
    con.execute(
        f"""MERGE INTO {table} USING (SELECT {select}) AS s ON {_key_match(keys, table, 's')}
        WHEN MATCHED THEN UPDATE SET {updates}
        WHEN NOT MATCHED THEN INSERT ({', '.join(names)}) VALUES ({', '.join(f's.{n}' for n in names)})""",
        list(values.values()),
    ).fetchall()
