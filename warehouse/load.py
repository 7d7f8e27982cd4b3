"""Idempotent bulk loads through Arrow: mentions with their brand matches, scores and cursor in one transaction."""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from models.mention import BrandMatch, CursorUpdate, DateLimits, Mention, Reject
from models.scores import Sentiment
from warehouse.connection import first_row, transaction

MAX_PAYLOAD_CHARS = 64_000
_TS = pa.timestamp("us", tz="UTC")

_MENTION_SCHEMA = pa.schema(
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
_MATCH_SCHEMA = pa.schema(
    [("channel", pa.string()), ("id", pa.string()), ("brand", pa.string()), ("terms", pa.list_(pa.string()))]
)
_SCORE_SCHEMA = pa.schema(
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
_REJECT_SCHEMA = pa.schema(
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

ScoreItem = tuple[tuple[str, str], Sentiment]
# What was derived from a mention's text: an edit drops these so the new text is scored again by the usual
# "no score / no scan for this model version" queries (there is no second path for edited mentions).
DERIVED_TABLES = ("scores", "mention_topics", "mention_terms", "topic_scans")


@dataclass(frozen=True)
class LoadResult:
    """What one load stored: new mentions, ones already there (or repeated in the batch), matches, scores, rejects.

    `edited` counts stored mentions whose text changed (kept in `mention_edits`); `refused` holds the Rejects made
    here for mentions dated outside the accepted range (they are in `rejects` too).
    """

    inserted: int
    duplicates: int
    matches: int
    scores: int
    rejects: int = 0
    edited: int = 0
    refused: tuple[Reject, ...] = ()


def load_mentions(
    con: duckdb.DuckDBPyConnection,
    mentions: Sequence[Mention],
    matches: Mapping[tuple[str, str], Sequence[BrandMatch]] | None = None,
    *,
    run_id: str | None = None,
    cursor: CursorUpdate | None = None,
    scores: Sequence[ScoreItem] = (),
    rejects: Sequence[Reject] = (),
    dates: DateLimits | None = None,
    source: str | None = None,
) -> LoadResult:
    """Store mentions, their brand matches, optional scores and rejects, and advance the cursor, in ONE transaction.

    Every channel's mentions pass here, so this is where `created_at` is checked against `dates`: a mention outside
    the range becomes a reject (from `source`, default its channel) instead of a row. A stored mention that comes
    back with different text is an edit: the new text replaces the old, which is kept in `mention_edits`.
    """
    now = datetime.now(UTC)
    limits = dates or DateLimits()
    unique: dict[tuple[str, str], Mention] = {}
    for mention in mentions:
        # Duplicates inside one batch collapse onto the first occurrence, like ones already stored.
        unique.setdefault(mention.key, mention)
    unknown = [key for key in (matches or {}) if key not in unique]
    if unknown:
        raise ValueError(f"brand matches given for mentions not in this batch: {unknown[:5]}")
    refused = tuple(
        _date_reject(mention, reason, source)
        for mention in unique.values()
        if (reason := limits.problem(mention.created_at, now)) is not None
    )
    refused_keys = {(str(reject.channel), str(reject.record_id)) for reject in refused}
    for key in refused_keys:
        del unique[key]
    matches = {key: found for key, found in (matches or {}).items() if key not in refused_keys}
    scores = [item for item in scores if item[0] not in refused_keys]
    inserted = matched = scored = rejected = edited = 0
    with transaction(con):
        if unique:
            with _registered(con, _mentions_table(unique.values(), run_id, now)) as batch:
                edited = _apply_edits(con, batch, unique, matches, run_id, now)
                inserted = _count(
                    con.execute(
                        f"""INSERT INTO mentions ({_columns(_MENTION_SCHEMA)})
                        SELECT {_columns(_MENTION_SCHEMA)} FROM {batch}
                        ON CONFLICT DO NOTHING"""
                    )
                )
        match_rows = _match_table(matches)
        if match_rows.num_rows:
            with _registered(con, match_rows) as batch:
                matched = _count(
                    con.execute(
                        f"""INSERT INTO mention_brands ({_columns(_MATCH_SCHEMA)})
                        SELECT {_columns(_MATCH_SCHEMA)} FROM {batch}
                        ON CONFLICT DO NOTHING"""
                    )
                )
        if scores:
            scored = _insert_scores(con, scores, now)
        if rejects or refused:
            rejected = _insert_rejects(con, [*rejects, *refused], run_id, now)
        if cursor is not None:
            # Saved last and in the same transaction: if anything above failed, the cursor stays where it was.
            con.execute(
                """INSERT INTO cursors (channel, scope, value, updated_at, run_id) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (channel, scope) DO UPDATE
                SET value = excluded.value, updated_at = excluded.updated_at, run_id = excluded.run_id""",
                [cursor.channel, cursor.scope, cursor.value, now, run_id],
            )
    duplicates = len(mentions) - len(refused) - inserted - edited
    return LoadResult(inserted, duplicates, matched, scored, rejected, edited, refused)


def _date_reject(mention: Mention, reason: str, source: str | None) -> Reject:
    """A Reject for a mention dated outside the accepted range, with its file line when it came from a file."""
    line = (mention.raw or {}).get("_line")
    return Reject(
        source=source or mention.channel,
        reason=reason,
        line=line if isinstance(line, int) and not isinstance(line, bool) else None,
        channel=mention.channel,
        record_id=mention.id,
        payload=_json(mention.raw) if mention.raw is not None else mention.text,
    )


def _apply_edits(
    con: duckdb.DuckDBPyConnection,
    batch: str,
    unique: Mapping[tuple[str, str], Mention],
    matches: Mapping[tuple[str, str], Sequence[BrandMatch]],
    run_id: str | None,
    now: datetime,
) -> int:
    """Turn stored mentions that came back with new text into edits (in the caller's transaction); return how many."""
    # Text blanked by retention ('') is not an edit: re-importing an old file must not bring dropped words back.
    changed = con.execute(
        f"""SELECT m.channel, m.id, m.text FROM {batch} b JOIN mentions m ON m.channel = b.channel AND m.id = b.id
        WHERE m.text <> b.text AND m.text <> ''"""
    ).fetchall()
    for channel, mention_id, old_text in changed:
        new = unique[(channel, mention_id)]
        digest = hashlib.sha256(new.text.encode("utf-8")).hexdigest()
        con.execute(
            "INSERT INTO mention_edits VALUES (?, ?, ?, ?, ?, ?)", [channel, mention_id, old_text, digest, now, run_id]
        )
        con.execute(
            "UPDATE mentions SET text = ?, lang = ?, raw = ?, run_id = ? WHERE channel = ? AND id = ?",
            [new.text, new.lang, None if new.raw is None else _json(new.raw), run_id, channel, mention_id],
        )
        # Scores, topics and terms of the old text must not stand for the new one: dropped, the mention is
        # pending again. Its brand matches are replaced when the caller gives the new text's matches.
        for table in (*DERIVED_TABLES, *(("mention_brands",) if (channel, mention_id) in matches else ())):
            con.execute(f"DELETE FROM {table} WHERE channel = ? AND id = ?", [channel, mention_id])
    return len(changed)


def load_scores(
    con: duckdb.DuckDBPyConnection, items: Sequence[ScoreItem], *, scored_at: datetime | None = None
) -> int:
    """Store sentiments keyed by (mention, model_version), keeping any existing one; return how many were new."""
    if not items:
        return 0
    with transaction(con):
        return _insert_scores(con, items, scored_at or datetime.now(UTC))


def unscored_mentions(
    con: duckdb.DuckDBPyConnection, model_version: str, limit: int | None = None
) -> list[tuple[str, str, str]]:
    """(channel, id, text) of stored mentions with no score from this model version, oldest first."""
    # Empty text was dropped by retention: scoring it would overwrite a real score with noise.
    sql = """SELECT m.channel, m.id, m.text FROM mentions m
        WHERE m.text <> '' AND NOT EXISTS (
            SELECT 1 FROM scores s WHERE s.channel = m.channel AND s.id = m.id AND s.model_version = ?
        )
        ORDER BY m.created_at, m.channel, m.id"""
    params: list[Any] = [model_version]
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    return [(str(c), str(i), str(t)) for c, i, t in con.execute(sql, params).fetchall()]


def get_cursor(con: duckdb.DuckDBPyConnection, channel: str, scope: str) -> str | None:
    """The saved cursor value for (channel, scope), or None before the first load."""
    row = first_row(con.execute("SELECT value FROM cursors WHERE channel = ? AND scope = ?", [channel, scope]))
    return None if row is None else str(row[0])


def save_rejects(con: duckdb.DuckDBPyConnection, rejects: Sequence[Reject], run_id: str | None) -> int:
    """Record rejected input records with their reason and payload; return how many were stored."""
    if not rejects:
        return 0
    with transaction(con):
        return _insert_rejects(con, rejects, run_id, datetime.now(UTC))


def start_run(con: duckdb.DuckDBPyConnection, run_id: str, started_at: datetime) -> None:
    """Record that a run began (status 'running'); starting the same run twice changes nothing."""
    con.execute(
        "INSERT INTO runs (run_id, started_at, status) VALUES (?, ?, 'running') ON CONFLICT DO NOTHING",
        [run_id, started_at],
    )


def finish_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    status: str,
    summary: dict[str, Any],
    *,
    finished_at: datetime | None = None,
    reason: str | None = None,
) -> None:
    """Record a run's outcome, why (partial, failed), and its summary (as JSON); a run never started is recorded too."""
    finished = finished_at or datetime.now(UTC)
    con.execute(
        """INSERT INTO runs (run_id, started_at, finished_at, status, summary, reason) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (run_id) DO UPDATE SET finished_at = excluded.finished_at, status = excluded.status,
        summary = excluded.summary, reason = excluded.reason""",
        [run_id, finished, finished, status, _json(summary), reason],
    )


def abandon_runs(con: duckdb.DuckDBPyConnection, *, except_run: str, now: datetime, reason: str) -> list[str]:
    """Mark every other `running` run `abandoned` with finished_at and reason; the caller knows they are dead."""
    rows = con.execute(
        """UPDATE runs SET status = 'abandoned', finished_at = ?, reason = ?
        WHERE status = 'running' AND run_id <> ? RETURNING run_id""",
        [now, reason, except_run],
    ).fetchall()
    return sorted(str(run_id) for (run_id,) in rows)


def recent_runs(con: duckdb.DuckDBPyConnection, limit: int = 20) -> list[dict[str, Any]]:
    """The newest runs, newest first: id, status, start, finish and reason."""
    cursor = con.execute(
        "SELECT run_id, status, started_at, finished_at, reason FROM runs ORDER BY started_at DESC LIMIT ?",
        [int(limit)],
    )
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _insert_scores(con: duckdb.DuckDBPyConnection, items: Sequence[ScoreItem], scored_at: datetime) -> int:
    """Insert score rows for stored mentions (inside the caller's transaction); unknown mentions raise ValueError."""
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for (channel, mention_id), sentiment in items:
        rows.setdefault(
            (channel, mention_id, sentiment.model_version),
            {
                "channel": channel,
                "id": mention_id,
                "model": sentiment.model,
                "model_version": sentiment.model_version,
                "label": sentiment.label,
                "score": float(sentiment.score),
                "p_negative": sentiment.probs.get("negative"),
                "p_neutral": sentiment.probs.get("neutral"),
                "p_positive": sentiment.probs.get("positive"),
                "scored_at": scored_at,
            },
        )
    table = pa.Table.from_pylist(list(rows.values()), schema=_SCORE_SCHEMA)
    with _registered(con, table) as batch:
        # No foreign keys in the schema (DuckDB's block updates), so orphan scores are caught here instead.
        missing = con.execute(
            f"""SELECT b.channel, b.id FROM {batch} b
            WHERE NOT EXISTS (SELECT 1 FROM mentions m WHERE m.channel = b.channel AND m.id = b.id)
            LIMIT 5"""
        ).fetchall()
        if missing:
            raise ValueError(f"scores given for mentions that are not stored: {missing}")
        return _count(
            con.execute(
                f"""INSERT INTO scores ({_columns(_SCORE_SCHEMA)})
                SELECT {_columns(_SCORE_SCHEMA)} FROM {batch}
                ON CONFLICT DO NOTHING"""
            )
        )


def _insert_rejects(
    con: duckdb.DuckDBPyConnection, rejects: Sequence[Reject], run_id: str | None, now: datetime
) -> int:
    """Insert reject rows (inside the caller's transaction); reject_id comes from the sequence."""
    table = pa.Table.from_pylist(
        [
            {
                "run_id": run_id,
                "source": _safe_text(reject.source),
                "line": reject.line,
                "channel": _safe_text(reject.channel),
                "record_id": _safe_text(reject.record_id),
                "reason": _safe_text(reject.reason),
                "payload": _truncate(_safe_text(reject.payload)),
                "rejected_at": now,
            }
            for reject in rejects
        ],
        schema=_REJECT_SCHEMA,
    )
    with _registered(con, table) as batch:
        return _count(
            con.execute(
                f"INSERT INTO rejects ({_columns(_REJECT_SCHEMA)}) SELECT {_columns(_REJECT_SCHEMA)} FROM {batch}"
            )
        )


def _mentions_table(mentions: Any, run_id: str | None, now: datetime) -> pa.Table:
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
                "metrics": _json(m.metrics),
                "rating": m.rating,
                "rating_scale": m.rating_scale,
                "raw": None if m.raw is None else _json(m.raw),
                "run_id": run_id,
                "ingested_at": now,
            }
            for m in mentions
        ],
        schema=_MENTION_SCHEMA,
    )


def _match_table(matches: Mapping[tuple[str, str], Sequence[BrandMatch]]) -> pa.Table:
    """The Arrow table of (channel, id, brand, terms) rows, one per brand per mention."""
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for (channel, mention_id), brand_matches in matches.items():
        for match in brand_matches:
            rows.setdefault(
                (channel, mention_id, match.brand),
                {"channel": channel, "id": mention_id, "brand": match.brand, "terms": list(match.terms)},
            )
    return pa.Table.from_pylist(list(rows.values()), schema=_MATCH_SCHEMA)


@contextmanager
def _registered(con: duckdb.DuckDBPyConnection, table: pa.Table) -> Iterator[str]:
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


def _columns(schema: pa.Schema) -> str:
    """Comma-separated column names of one of the fixed schemas above."""
    return ", ".join(schema.names)


def _count(result: duckdb.DuckDBPyConnection) -> int:
    """The row count an INSERT reports (rows actually written, conflicts excluded)."""
    row = first_row(result)
    return int(row[0]) if row else 0


def _json(value: Any) -> str:
    """Strict JSON text: non-finite floats become null and lone surrogates are escaped, so DuckDB accepts it."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, default=str)
        text.encode("utf-8")
        return text
    except (ValueError, UnicodeEncodeError):
        return json.dumps(_clean(value), ensure_ascii=False, allow_nan=False, default=str)


def _clean(value: Any) -> Any:
    """A JSON-safe copy of value: NaN/inf → None, strings made valid UTF-8."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return _safe_text(value)
    if isinstance(value, dict):
        return {_safe_text(str(k)): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def _safe_text(value: str | None) -> str | None:
    """Text that encodes as UTF-8: lone surrogates (undecodable input bytes) are kept visibly as \\udcXX."""
    if value is None:
        return None
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        return value.encode("utf-8", "backslashreplace").decode("utf-8")


def _truncate(value: str | None) -> str | None:
    """Cap a reject payload: it is kept for audit, and one huge broken record must not bloat the file."""
    if value is None or len(value) <= MAX_PAYLOAD_CHARS:
        return value
    return f"{value[:MAX_PAYLOAD_CHARS]}… [{len(value) - MAX_PAYLOAD_CHARS} more characters cut]"
