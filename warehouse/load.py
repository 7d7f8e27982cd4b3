"""Idempotent bulk loads: mentions with their brand matches, edits, scores, cursor and rejects in one transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from models.mention import BrandMatch, CursorUpdate, DateLimits, Mention, Reject
from models.scores import Sentiment
from warehouse.arrow import (
    MATCH_SCHEMA,
    MAX_PAYLOAD_CHARS,
    MENTION_SCHEMA,
    REJECT_SCHEMA,
    SCORE_SCHEMA,
    columns,
    json_text,
    match_table,
    mentions_table,
    registered,
    safe_text,
    truncate,
)
from warehouse.connection import committed, first_row
from warehouse.runs import abandon_runs, finish_run, recent_runs, start_run
from warehouse.upsert import insert_new, upsert_row

ScoreItem = tuple[tuple[str, str], Sentiment]
# What was derived from a mention's text: an edit drops these so the new text is scored again by the usual
# "no score / no scan for this model version" queries (there is no second path for edited mentions).
DERIVED_TABLES = ("scores", "mention_topics", "mention_terms", "topic_scans", "mention_embeddings")
MENTION_KEY = ("channel", "id")


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

    def store() -> tuple[int, int, int, int, int]:
        inserted = matched = scored = rejected = edited = 0
        if unique:
            with registered(con, mentions_table(unique.values(), run_id, now)) as batch:
                edited = _apply_edits(con, batch, unique, matches, run_id, now)
                inserted = insert_new(con, "mentions", MENTION_SCHEMA.names, MENTION_KEY, batch)
        match_rows = match_table(matches)
        if match_rows.num_rows:
            with registered(con, match_rows) as batch:
                matched = insert_new(con, "mention_brands", MATCH_SCHEMA.names, (*MENTION_KEY, "brand"), batch)
        if scores:
            scored = _insert_scores(con, scores, now)
        if rejects or refused:
            rejected = _insert_rejects(con, [*rejects, *refused], run_id, now)
        if cursor is not None:
            # Saved last and in the same transaction: if anything above failed, the cursor stays where it was.
            upsert_row(
                con,
                "cursors",
                {"channel": cursor.channel, "scope": cursor.scope, "value": cursor.value, "updated_at": now,
                 "run_id": run_id},
                ("channel", "scope"),
            )
        return inserted, matched, scored, rejected, edited

    # One transaction; rerun whole when another DuckLake writer committed first (its rows are then seen as stored).
    inserted, matched, scored, rejected, edited = committed(con, store)
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
        payload=json_text(mention.raw) if mention.raw is not None else mention.text,
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
            [new.text, new.lang, None if new.raw is None else json_text(new.raw), run_id, channel, mention_id],
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
    return committed(con, lambda: _insert_scores(con, items, scored_at or datetime.now(UTC)))


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
    return committed(con, lambda: _insert_rejects(con, rejects, run_id, datetime.now(UTC)))


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
    table = pa.Table.from_pylist(list(rows.values()), schema=SCORE_SCHEMA)
    with registered(con, table) as batch:
        # No foreign keys in the schema (DuckDB's block updates), so orphan scores are caught here instead.
        missing = con.execute(
            f"""SELECT b.channel, b.id FROM {batch} b
            WHERE NOT EXISTS (SELECT 1 FROM mentions m WHERE m.channel = b.channel AND m.id = b.id)
            LIMIT 5"""
        ).fetchall()
        if missing:
            raise ValueError(f"scores given for mentions that are not stored: {missing}")
        return insert_new(con, "scores", SCORE_SCHEMA.names, (*MENTION_KEY, "model_version"), batch)


def _insert_rejects(
    con: duckdb.DuckDBPyConnection, rejects: Sequence[Reject], run_id: str | None, now: datetime
) -> int:
    """Insert reject rows (inside the caller's transaction); reject_id comes from the sequence."""
    table = pa.Table.from_pylist(
        [
            {
                "run_id": run_id,
                "source": safe_text(reject.source),
                "line": reject.line,
                "channel": safe_text(reject.channel),
                "record_id": safe_text(reject.record_id),
                "reason": safe_text(reject.reason),
                "payload": truncate(safe_text(reject.payload)),
                "rejected_at": now,
            }
            for reject in rejects
        ],
        schema=REJECT_SCHEMA,
    )
    with registered(con, table) as batch:
        # Numbered here, not by the file's sequence: DuckLake has no sequences, and the write token keeps two
        # writers from taking the same numbers (warehouse/connection.py: transaction).
        return _count(
            con.execute(
                f"""INSERT INTO rejects (reject_id, {columns(REJECT_SCHEMA)})
                SELECT (SELECT coalesce(max(reject_id), 0) FROM rejects) + row_number() OVER (),
                       {columns(REJECT_SCHEMA)} FROM {batch}"""
            )
        )


def _count(result: duckdb.DuckDBPyConnection) -> int:
    """The row count an INSERT reports (rows actually written, conflicts excluded)."""
    row = first_row(result)
    return int(row[0]) if row else 0


__all__ = [
    "MAX_PAYLOAD_CHARS",
    "LoadResult",
    "abandon_runs",
    "finish_run",
    "get_cursor",
    "load_mentions",
    "load_scores",
    "recent_runs",
    "save_rejects",
    "start_run",
    "unscored_mentions",
]
