"""Topic, term and embedding storage (mention_topics, topic_scans, mention_terms, mention_embeddings) and the reads
behind drivers and themes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from models.text.terms import TermTally
from models.text.vector_codec import decode_all, encode
from warehouse.arrow import registered
from warehouse.connection import committed
from warehouse.queries.scored import (
    SCORED_WINDOW,
    envelope,
    newest_topic_scans,
    stored_versions,
    window_params,
    window_topics,
    windows_table,
)
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
_EMBEDDING_SCHEMA = pa.schema(
    [("channel", pa.string()), ("id", pa.string()), ("embedder", pa.string()), ("vec", pa.binary())]
)
_KEY_SCHEMA = pa.schema([("channel", pa.string()), ("id", pa.string())])


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
    "mention_embeddings": ("channel", "id", "embedder"),
}


def load_topic_results(
    con: duckdb.DuckDBPyConnection,
    model_version: str,
    topics: Sequence[TopicRow],
    scans: Sequence[ScanRow],
    terms: Sequence[tuple[str, str, str | None, str]] = (),
    *,
    scored_at: datetime | None = None,
    embeddings: Sequence[tuple[str, str, np.ndarray]] = (),
    embedder: str | None = None,
) -> int:
    """Store topics, scans, terms and (with `embedder`, their tag) whole-text embeddings in one transaction.

    Existing rows are kept; returns how many scans were new.
    """
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
    embedding_rows = _embedding_rows(embeddings, embedder) if embedder else []

    def store() -> int:
        new_scans = 0
        for rows, schema, table in (
            (topic_rows, _TOPIC_SCHEMA, "mention_topics"),
            (term_rows, _TERM_SCHEMA, "mention_terms"),
            (embedding_rows, _EMBEDDING_SCHEMA, "mention_embeddings"),
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


def _embedding_rows(embeddings: Sequence[tuple[str, str, np.ndarray]], embedder: str) -> list[dict[str, Any]]:
    """Rows of `mention_embeddings` (float16 bytes); a vector with a NaN is left out (themes encode it again)."""
    if not embeddings:
        return []
    encoded = encode(np.stack([np.asarray(vector, dtype=np.float32) for _, _, vector in embeddings]))
    return [
        {"channel": c, "id": i, "embedder": embedder, "vec": data}
        for (c, i, _), data in zip(embeddings, encoded, strict=True)
        if data is not None
    ]


def stored_embeddings(
    con: duckdb.DuckDBPyConnection, keys: Sequence[tuple[str, str]], embedder: str
) -> dict[tuple[str, str], np.ndarray]:
    """The stored embeddings of these mentions with this tag, decoded; mentions without one (or a damaged one) are
    left out."""
    if not keys:
        return {}
    wanted = pa.Table.from_pylist([{"channel": c, "id": i} for c, i in keys], schema=_KEY_SCHEMA)
    with registered(con, wanted) as batch:
        rows = con.execute(
            f"""SELECT e.channel, e.id, e.vec FROM mention_embeddings e
            SEMI JOIN {batch} k ON k.channel = e.channel AND k.id = e.id
            WHERE e.embedder = ?""",
            [embedder],
        ).fetchall()
    vectors = decode_all([bytes(vec) for _, _, vec in rows])
    return {(str(c), str(i)): v for (c, i, _), v in zip(rows, vectors, strict=True) if v is not None}


def topic_breakdown(
    con: duckdb.DuckDBPyConnection,
    brand: str,
    start: datetime,
    end: datetime,
    *,
    label: str = "negative",
    window: str = SCORED_WINDOW,
) -> list[tuple[str, int, float]]:
    """(topic, mentions in [start, end) with that topic's sentiment = label, share of such mentions) largest first."""
    rows = con.execute(
        f"""WITH {window}, {window_topics(stored_versions(con))},
        hits AS (
            SELECT t.topic, count(*) AS n
            FROM window_topics t
            JOIN scored w ON w.channel = t.channel AND w.id = t.id
            WHERE coalesce(t.sentiment_label, w.label) = $label
            GROUP BY t.topic
        )
        SELECT topic, n, CAST(n AS DOUBLE) / greatest(1, (SELECT count(*) FROM scored WHERE label = $label))
        FROM hits ORDER BY n DESC, topic""",
        window_params(brand, start, end, label=label),
    ).fetchall()
    return [(str(t), int(n), float(share)) for t, n, share in rows]


def term_counts(
    con: duckdb.DuckDBPyConnection,
    brand: str,
    start: datetime,
    end: datetime,
    *,
    label: str | None = None,
    min_count: int = 1,
) -> TermTally:
    """Stored terms of a brand's mentions in [start, end) (optionally of one sentiment label), counted in SQL."""
    return term_counts_in(con, brand, [(start, end)], label=label, min_count=min_count)[0]


def term_counts_in(
    con: duckdb.DuckDBPyConnection,
    brand: str,
    windows: Sequence[tuple[datetime, datetime]],
    *,
    label: str | Sequence[str | None] | None = None,
    min_count: int | Sequence[int] = 1,
    only: Sequence[Sequence[str] | None] | None = None,
    window: str = SCORED_WINDOW,
) -> list[TermTally]:
    """`term_counts` of several windows of one brand in one scan of the stored terms (one tally per window).

    `label` and `min_count` are one value for every window or one per window; `only` optionally keeps, per window,
    just the counts of the terms a caller will look up (the number of mentions counted is unchanged). `window`: the
    CTEs of a window resolved once for several queries (warehouse/queries/scored.py `resolved_window`).
    """
    if not windows:
        return []
    labels = [label] * len(windows) if label is None or isinstance(label, str) else list(label)
    minimums = [min_count] * len(windows) if isinstance(min_count, int) else list(min_count)
    wanted = list(only) if only is not None else [None] * len(windows)
    frame = windows_table(
        windows,
        label=pa.array(labels, pa.string()),
        min_count=[int(n) for n in minimums],
        only=pa.array([None if terms is None else list(terms) for terms in wanted], pa.list_(pa.string())),
    )
    with registered(con, frame) as frames:
        # Windows overlap (an episode, the week before it, four weeks of theme baselines), so terms are counted once
        # per stretch between consecutive window edges and the stretches are added up per window: each stored term
        # is read and grouped once, however many windows hold it. One row per (mention, term) is the table's key, so
        # count(*) counts each mention once per term, and a mention lies in one stretch, so the sums are exact.
        rows = con.execute(
            f"""WITH {window},
            edges AS (SELECT start_at AS edge_at FROM {frames} UNION SELECT end_at FROM {frames}),
            -- Each stretch as [edge, next edge): a range join against a few dozen rows, where an ASOF join sorted
            -- the brand's weeks of mentions (most of this query's time at a million mentions).
            stretches AS (
                SELECT edge_at, coalesce(lead(edge_at) OVER (ORDER BY edge_at), 'infinity') AS next_at FROM edges
            ),
            stretched AS (
                SELECT s.channel, s.id, s.label, e.edge_at AS stretch
                FROM scored s JOIN stretches e ON s.created_at >= e.edge_at AND s.created_at < e.next_at
            ),
            doc_terms AS (
                SELECT d.stretch, d.label, d.channel, d.id, t.term
                FROM mention_terms t JOIN stretched d ON d.channel = t.channel AND d.id = t.id
            ),
            stretch_docs AS (
                -- Mentions with at least one stored term, per stretch and label.
                SELECT stretch, label, count(DISTINCT (channel, id)) AS n FROM doc_terms GROUP BY stretch, label
            ),
            stretch_terms AS (SELECT stretch, label, term, count(*) AS n FROM doc_terms GROUP BY stretch, label, term)
            SELECT w.k, NULL AS term, sum(d.n) AS n
            FROM {frames} w JOIN stretch_docs d ON d.stretch >= w.start_at AND d.stretch < w.end_at
            WHERE w.label IS NULL OR d.label = w.label
            GROUP BY w.k
            UNION ALL
            SELECT w.k, s.term, sum(s.n) AS n
            FROM {frames} w JOIN stretch_terms s ON s.stretch >= w.start_at AND s.stretch < w.end_at
            WHERE (w.label IS NULL OR s.label = w.label) AND (w.only IS NULL OR list_contains(w.only, s.term))
            GROUP BY w.k, s.term, w.min_count HAVING sum(s.n) >= w.min_count""",
            window_params(brand, *envelope(windows)),
        ).fetchall()
    counts: list[dict[str, int]] = [{} for _ in windows]
    docs = [0] * len(windows)
    for k, term, n in rows:
        if term is None:
            docs[k] = int(n)
        else:
            counts[k][str(term)] = int(n)
    return [TermTally(c, d) for c, d in zip(counts, docs, strict=True)]


def term_lists(
    con: duckdb.DuckDBPyConnection,
    brand: str,
    start: datetime,
    end: datetime,
    *,
    label: str | None = None,
    limit: int | None = None,
) -> list[list[str]]:
    """The stored terms of each of a brand's mentions in [start, end) (optionally of one label), newest first."""
    label_clause = "WHERE label = $label" if label is not None else ""
    extra: dict[str, Any] = {"label": label} if label is not None else {}
    limit_clause = ""
    if limit is not None:
        limit_clause, extra["limit"] = "LIMIT $limit", int(limit)
    rows = con.execute(
        f"""WITH {SCORED_WINDOW}, chosen AS (SELECT channel, id, created_at FROM scored {label_clause})
        SELECT list(t.term ORDER BY t.term) FROM chosen c
        JOIN mention_terms t ON t.channel = c.channel AND t.id = c.id
        GROUP BY c.channel, c.id, c.created_at
        ORDER BY c.created_at DESC, c.channel, c.id {limit_clause}""",
        window_params(brand, start, end, **extra),
    ).fetchall()
    return [list(terms) for (terms,) in rows]


def unexplained_negatives(
    con: duckdb.DuckDBPyConnection,
    brand: str,
    start: datetime,
    end: datetime,
    *,
    max_best_score: float = 0.5,
    limit: int | None = None,
    window: str = SCORED_WINDOW,
) -> list[tuple[str, str, str, str | None, list[str]]]:
    """(channel, id, text, lang, terms) of negative mentions in [start, end) that no topic explains well, oldest first.

    With `limit`, only the newest `limit` of them (still oldest first): a bounded sample for clustering.
    """
    return unexplained_negatives_in(
        con, brand, [(start, end)], max_best_score=max_best_score, limit=limit, window=window
    )[0]


def unexplained_negatives_in(
    con: duckdb.DuckDBPyConnection,
    brand: str,
    windows: Sequence[tuple[datetime, datetime]],
    *,
    max_best_score: float = 0.5,
    limit: int | None = None,
    window: str = SCORED_WINDOW,
) -> list[list[tuple[str, str, str, str | None, list[str]]]]:
    """`unexplained_negatives` of several windows of one brand from one query (a list of rows per window)."""
    if not windows:
        return []
    extra: dict[str, Any] = {"max_best_score": max_best_score}
    newest = ""
    if limit is not None:
        order = "c.created_at DESC, c.channel DESC, c.id DESC"
        newest = f"QUALIFY row_number() OVER (PARTITION BY w.k ORDER BY {order}) <= $limit"
        extra["limit"] = int(limit)
    with registered(con, windows_table(windows)) as frames:
        rows = con.execute(
            f"""WITH {window},
            latest_scan AS (
                {newest_topic_scans(stored_versions(con))}
            ),
            candidates AS (
                SELECT ms.channel, ms.id, ms.text, ms.lang, ms.created_at
                FROM scored ms
                JOIN latest_scan s ON s.channel = ms.channel AND s.id = ms.id
                WHERE ms.label = 'negative' AND s.best_score < $max_best_score
            ),
            chosen AS (
                SELECT w.k, c.* FROM candidates c
                JOIN {frames} w ON c.created_at >= w.start_at AND c.created_at < w.end_at
                {newest}
            ),
            terms AS (
                SELECT channel, id, list(term ORDER BY term) AS terms
                FROM mention_terms SEMI JOIN chosen USING (channel, id)
                GROUP BY channel, id
            )
            SELECT c.k, c.channel, c.id, c.text, c.lang, coalesce(t.terms, [])
            FROM chosen c
            LEFT JOIN terms t ON t.channel = c.channel AND t.id = c.id
            ORDER BY c.k, c.created_at, c.channel, c.id""",
            window_params(brand, *envelope(windows), **extra),
        ).fetchall()
    out: list[list[tuple[str, str, str, str | None, list[str]]]] = [[] for _ in windows]
    for k, c, i, t, lang, terms in rows:
        out[k].append((str(c), str(i), str(t), lang, list(terms)))
    return out
