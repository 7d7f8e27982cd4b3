"""Topic and term storage (mention_topics, topic_scans, mention_terms) and the reads behind drivers and themes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from warehouse.arrow import registered
from warehouse.connection import committed
from warehouse.upsert import insert_new

_TS = pa.timestamp("us", tz="UTC")
_TOPIC_SCHEMA = pa.schema(
    [
        ("channel", pa.string()),
        ("id", pa.string()),
        ("model_version", pa.string()),
        ("topic", pa.string()),
        ("score", pa.float64()),
        ("sentiment_label", pa.string()),
        ("sentiment_score", pa.float64()),
        ("scored_at", _TS),
    ]
)
_SCAN_SCHEMA = pa.schema(
    [
        ("channel", pa.string()),
        ("id", pa.string()),
        ("model_version", pa.string()),
        ("topics", pa.int32()),
        ("best_score", pa.float64()),
        ("scored_at", _TS),
    ]
)
_TERM_SCHEMA = pa.schema([("channel", pa.string()), ("id", pa.string()), ("lang", pa.string()), ("term", pa.string())])


@dataclass(frozen=True)
class TopicRow:
    """One passing topic of one mention, for `mention_topics`."""

    channel: str
    id: str
    topic: str
    score: float
    sentiment_label: str | None
    sentiment_score: float | None


@dataclass(frozen=True)
class ScanRow:
    """That a topic model version looked at a mention: how many topics passed, the best calibrated score."""

    channel: str
    id: str
    topics: int
    best_score: float


@dataclass(frozen=True)
class PendingMention:
    """A stored mention no topic model version has scored yet, with what scoring needs."""

    channel: str
    id: str
    text: str
    lang: str | None
    label: str | None
    score: float | None
    probs: tuple[float | None, float | None, float | None]
    brand_terms: tuple[str, ...]


def pending_topic_mentions(
    con: duckdb.DuckDBPyConnection, model_version: str, limit: int | None = None
) -> list[PendingMention]:
    """Mentions without a `topic_scans` row for this version, oldest first, with their newest sentiment."""
    sql = """WITH latest AS (
            SELECT * FROM scores
            QUALIFY row_number() OVER (PARTITION BY channel, id ORDER BY scored_at DESC, model_version DESC) = 1
        ),
        brand_terms AS (
            SELECT channel, id, flatten(list(coalesce(terms, []))) AS terms FROM mention_brands GROUP BY channel, id
        )
        SELECT m.channel, m.id, m.text, m.lang, s.label, s.score, s.p_negative, s.p_neutral, s.p_positive, b.terms
        FROM mentions m
        LEFT JOIN latest s ON s.channel = m.channel AND s.id = m.id
        LEFT JOIN brand_terms b ON b.channel = m.channel AND b.id = m.id
        WHERE NOT EXISTS (
            SELECT 1 FROM topic_scans t WHERE t.channel = m.channel AND t.id = m.id AND t.model_version = ?
        )
        ORDER BY m.created_at, m.channel, m.id"""
    params: list[Any] = [model_version]
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    return [
        PendingMention(c, i, t, lang, label, score, (pn, pu, pp), tuple(terms or ()))
        for c, i, t, lang, label, score, pn, pu, pp, terms in con.execute(sql, params).fetchall()
    ]


# What identifies a row of each table (the primary keys of a file warehouse; DuckLake has none).
_KEYS: dict[str, tuple[str, ...]] = {
    "mention_topics": ("channel", "id", "model_version", "topic"),
    "mention_terms": ("channel", "id", "term"),
    "topic_scans": ("channel", "id", "model_version"),
}


def load_topic_results(
    con: duckdb.DuckDBPyConnection,
    model_version: str,
    topics: Sequence[TopicRow],
    scans: Sequence[ScanRow],
    terms: Sequence[tuple[str, str, str | None, str]] = (),
    *,
    scored_at: datetime | None = None,
) -> int:
    """Store topics, scans and terms in one transaction (existing rows are kept); return how many scans were new."""
    now = scored_at or datetime.now(UTC)
    topic_rows = [
        {**{k: getattr(r, k) for k in ("channel", "id", "topic", "score", "sentiment_label", "sentiment_score")},
         "model_version": model_version, "scored_at": now}
        for r in topics
    ]
    scan_rows = [
        {"channel": r.channel, "id": r.id, "model_version": model_version, "topics": r.topics,
         "best_score": r.best_score, "scored_at": now}
        for r in scans
    ]
    term_rows = [{"channel": c, "id": i, "lang": lang, "term": term} for c, i, lang, term in terms]

    def store() -> int:
        new_scans = 0
        for rows, schema, table in (
            (topic_rows, _TOPIC_SCHEMA, "mention_topics"),
            (term_rows, _TERM_SCHEMA, "mention_terms"),
            (scan_rows, _SCAN_SCHEMA, "topic_scans"),  # last: a scan row means "done", so it follows the results
        ):
            if not rows:
                continue
            with registered(con, pa.Table.from_pylist(rows, schema=schema)) as batch:
                added = insert_new(con, table, schema.names, _KEYS[table], batch)
            if table == "topic_scans":
                new_scans = added
        return new_scans

    return committed(con, store)


def topic_breakdown(
    con: duckdb.DuckDBPyConnection, brand: str, start: datetime, end: datetime, *, label: str = "negative"
) -> list[tuple[str, int, float]]:
    """(topic, mentions in [start, end) with that topic's sentiment = label, share of such mentions) largest first."""
    rows = con.execute(
        """WITH latest_version AS (
            SELECT channel, id, arg_max(model_version, scored_at) AS model_version
            FROM (SELECT channel, id, model_version, scored_at FROM mention_topics
                  UNION ALL SELECT channel, id, model_version, scored_at FROM topic_scans)
            GROUP BY channel, id
        ),
        window_mentions AS (
            SELECT channel, id, label FROM mentions_scored WHERE brand = ? AND created_at >= ? AND created_at < ?
        ),
        hits AS (
            SELECT t.topic, count(*) AS n
            FROM mention_topics t
            JOIN latest_version v USING (channel, id, model_version)
            JOIN window_mentions w ON w.channel = t.channel AND w.id = t.id
            WHERE coalesce(t.sentiment_label, w.label) = ?
            GROUP BY t.topic
        )
        SELECT topic, n, CAST(n AS DOUBLE) / greatest(1, (SELECT count(*) FROM window_mentions WHERE label = ?))
        FROM hits ORDER BY n DESC, topic""",
        [brand, start, end, label, label],
    ).fetchall()
    return [(str(t), int(n), float(share)) for t, n, share in rows]


def term_lists(
    con: duckdb.DuckDBPyConnection,
    brand: str,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    label: str | None = None,
) -> list[list[str]]:
    """The stored terms of each of a brand's mentions (optionally in [start, end) and with a sentiment label)."""
    clauses, params = ["ms.brand = ?"], [brand]
    if start is not None:
        clauses.append("ms.created_at >= ?")
        params.append(start)
    if end is not None:
        clauses.append("ms.created_at < ?")
        params.append(end)
    if label is not None:
        clauses.append("ms.label = ?")
        params.append(label)
    rows = con.execute(
        f"""SELECT list(t.term ORDER BY t.term) FROM mentions_scored ms
        JOIN mention_terms t ON t.channel = ms.channel AND t.id = ms.id
        WHERE {" AND ".join(clauses)}
        GROUP BY ms.channel, ms.id""",
        params,
    ).fetchall()
    return [list(terms) for (terms,) in rows]


def unexplained_negatives(
    con: duckdb.DuckDBPyConnection, brand: str, start: datetime, end: datetime, *, max_best_score: float = 0.5
) -> list[tuple[str, str, str, str | None, list[str]]]:
    """(channel, id, text, lang, terms) of negative mentions in [start, end) that no topic explains well."""
    rows = con.execute(
        """WITH latest_scan AS (
            SELECT channel, id, arg_max(best_score, scored_at) AS best_score FROM topic_scans GROUP BY channel, id
        ),
        terms AS (SELECT channel, id, list(term ORDER BY term) AS terms FROM mention_terms GROUP BY channel, id)
        SELECT ms.channel, ms.id, ms.text, ms.lang, coalesce(t.terms, [])
        FROM mentions_scored ms
        JOIN latest_scan s ON s.channel = ms.channel AND s.id = ms.id
        LEFT JOIN terms t ON t.channel = ms.channel AND t.id = ms.id
        WHERE ms.brand = ? AND ms.label = 'negative' AND ms.created_at >= ? AND ms.created_at < ?
            AND s.best_score < ?
        ORDER BY ms.created_at""",
        [brand, start, end, max_best_score],
    ).fetchall()
    return [(str(c), str(i), str(t), lang, list(terms)) for c, i, t, lang, terms in rows]
