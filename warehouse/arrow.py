"""Mentions, matches, scores and rejects as Arrow tables: the column schemas and the cleaning on the way in."""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from models.mention import BrandMatch

MAX_PAYLOAD_CHARS = 64_000
_TS = pa.timestamp("us", tz="UTC")

MENTION_SCHEMA = pa.schema(
    [
        ("channel", pa.string()),
        ("id", pa.string()),
        ("text", pa.string()),
        ("created_at", _TS),
        ("url", pa.string()),
        ("author_id", pa.string()),
        ("author_handle", pa.string()),
        ("author_followers", pa.int64()),
        ("lang", pa.string()),
        ("kind", pa.string()),
        ("parent_id", pa.string()),
        ("metrics", pa.string()),
        ("rating", pa.float64()),
        ("rating_scale", pa.string()),
        ("raw", pa.string()),
        ("run_id", pa.string()),
        ("ingested_at", _TS),
    ]
)
MATCH_SCHEMA = pa.schema(
    [("channel", pa.string()), ("id", pa.string()), ("brand", pa.string()), ("terms", pa.list_(pa.string()))]
)
SCORE_SCHEMA = pa.schema(
    [
        ("channel", pa.string()),
        ("id", pa.string()),
        ("model", pa.string()),
        ("model_version", pa.string()),
        ("label", pa.string()),
        ("score", pa.float64()),
        ("p_negative", pa.float64()),
        ("p_neutral", pa.float64()),
        ("p_positive", pa.float64()),
        ("scored_at", _TS),
    ]
)
REJECT_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("source", pa.string()),
        ("line", pa.int64()),
        ("channel", pa.string()),
        ("record_id", pa.string()),
        ("reason", pa.string()),
        ("payload", pa.string()),
        ("rejected_at", _TS),
    ]
)


def mentions_table(mentions: Any, run_id: str | None, now: datetime) -> pa.Table:
    """The Arrow table of mention rows; metrics and raw become JSON text."""
    return pa.Table.from_pylist(
        [
            {
                "channel": m.channel,
                "id": m.id,
                "text": m.text,
                "created_at": m.created_at,
                "url": m.url,
                "author_id": m.author_id,
                "author_handle": m.author_handle,
                "author_followers": m.author_followers,
                "lang": m.lang,
                "kind": m.kind,
                "parent_id": m.parent_id,
                "metrics": json_text(m.metrics),
                "rating": m.rating,
                "rating_scale": m.rating_scale,
                "raw": None if m.raw is None else json_text(m.raw),
                "run_id": run_id,
                "ingested_at": now,
            }
            for m in mentions
        ],
        schema=MENTION_SCHEMA,
    )


def match_table(matches: Mapping[tuple[str, str], Sequence[BrandMatch]]) -> pa.Table:
    """The Arrow table of (channel, id, brand, terms) rows, one per brand per mention."""
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for (channel, mention_id), brand_matches in matches.items():
        for match in brand_matches:
            rows.setdefault(
                (channel, mention_id, match.brand),
                {"channel": channel, "id": mention_id, "brand": match.brand, "terms": list(match.terms)},
            )
    return pa.Table.from_pylist(list(rows.values()), schema=MATCH_SCHEMA)


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, table: pa.Table) -> Iterator[str]:
    """Expose an Arrow table to SQL under a fresh name for the duration of the block."""
    name = f"_bp_batch_{uuid.uuid4().hex}"
    # A new statement closes whatever result the caller left half-read, which register() would refuse to run after.
    con.execute("SELECT 1").fetchall()
    con.register(name, table)
    try:
        yield name
    finally:
        # If the transaction already failed, its rollback drops the registration and the first error is what matters.
        with suppress(duckdb.TransactionException):
            con.unregister(name)


def columns(schema: pa.Schema) -> str:
    """Comma-separated column names of one of the fixed schemas above."""
    return ", ".join(schema.names)


def json_text(value: Any) -> str:
    """Strict JSON text: non-finite floats become null and lone surrogates are escaped, so DuckDB accepts it."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, default=str)
        text.encode("utf-8")
        return text
    except (ValueError, UnicodeEncodeError):
        return json.dumps(clean(value), ensure_ascii=False, allow_nan=False, default=str)


def clean(value: Any) -> Any:
    """A JSON-safe copy of value: NaN/inf → None, strings made valid UTF-8."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, dict):
        return {safe_text(str(k)): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    return value


def safe_text(value: str | None) -> str | None:
    """Text that encodes as UTF-8: lone surrogates (undecodable input bytes) are kept visibly as \\udcXX."""
    if value is None:
        return None
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        return value.encode("utf-8", "backslashreplace").decode("utf-8")


def truncate(value: str | None) -> str | None:
    """Cap a reject payload: it is kept for audit, and one huge broken record must not bloat the file."""
    if value is None or len(value) <= MAX_PAYLOAD_CHARS:
        return value
    return f"{value[:MAX_PAYLOAD_CHARS]}… [{len(value) - MAX_PAYLOAD_CHARS} more characters cut]"
