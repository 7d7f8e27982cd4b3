"""The schema's DDL as DuckLake takes it: no PRIMARY KEY / UNIQUE, sequences or non-literal defaults."""

from __future__ import annotations

import re

_TABLE_KEY = re.compile(r",\s*PRIMARY KEY\s*\([^)]*\)", re.IGNORECASE)
_INLINE_KEY = re.compile(r"\s+PRIMARY KEY\b", re.IGNORECASE)
# DuckLake takes only literal defaults; every insert of these columns gives the value itself.
_CALL_DEFAULT = re.compile(r"\s+DEFAULT\s+(nextval\('[^']*'\)|current_timestamp)", re.IGNORECASE)
_SEEDED_INSERT = re.compile(
    r"^\s*INSERT INTO (?P<table>\w+) VALUES (?P<rows>.*) ON CONFLICT DO NOTHING\s*$", re.IGNORECASE | re.DOTALL
)
# The key of each table a migration seeds with `INSERT … ON CONFLICT DO NOTHING` (only `stopwords` so far).
SEEDED_KEYS: dict[str, tuple[str, ...]] = {"stopwords": ("lang", "word")}


def for_lake(statement: str) -> str | None:
    """The statement DuckLake runs for this migration statement, or None to skip it (a sequence)."""
    if re.match(r"^\s*CREATE SEQUENCE\b", statement, re.IGNORECASE):
        return None  # numbers are given by the inserts (warehouse/load.py: rejects)
    seeded = _SEEDED_INSERT.match(statement)
    if seeded and seeded["table"] in SEEDED_KEYS:
        table = seeded["table"]
        keys = SEEDED_KEYS[table]
        match = " AND ".join(f"t.{key} = v.{key}" for key in keys)
        return (
            f"INSERT INTO {table} SELECT DISTINCT v.* FROM (VALUES {seeded['rows']}) AS v({', '.join(keys)}) "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} AS t WHERE {match})"
        )
    if "ON CONFLICT" in statement.upper():
        raise ValueError(f"no DuckLake form for this migration statement: {statement[:120]}")
    return _CALL_DEFAULT.sub("", _INLINE_KEY.sub("", _TABLE_KEY.sub("", statement)))
