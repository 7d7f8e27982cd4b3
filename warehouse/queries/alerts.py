"""Read queries behind alerting: hourly counts per channel and topic, high-reach posts, top-term texts, responses."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import duckdb

from models.mention import as_utc


def hourly_counts_by(
    con: duckdb.DuckDBPyConnection, brand: str, start: datetime, end: datetime, *, by: str
) -> dict[str, list[tuple[datetime, int, int]]]:
    """{channel or topic: [(hour, total, negative), …]} for hours in [start, end) that had mentions.

    `by` is "channel" or "topic". A topic counts a mention as negative by the topic's own (aspect) sentiment
    when the topic model gave one, else by the mention's; the newest topic model version per mention is used.
    Empty when no topics are stored (the topic signal is then silent).
    """
    params = [brand, as_utc(start), as_utc(end)]
    if by == "channel":
        sql = """SELECT channel AS name, hour, count(*) AS total, count(*) FILTER (WHERE label = 'negative')
            FROM mentions_scored
            WHERE brand = ? AND created_at >= ? AND created_at < ?
            GROUP BY ALL"""
    elif by == "topic":
        sql = """WITH latest AS (
                SELECT channel, id, arg_max(model_version, scored_at) AS model_version
                FROM mention_topics GROUP BY channel, id
            )
            SELECT t.topic AS name, ms.hour, count(*) AS total,
                count(*) FILTER (WHERE coalesce(t.sentiment_label, ms.label) = 'negative')
            FROM mention_topics t
            JOIN latest l ON l.channel = t.channel AND l.id = t.id AND l.model_version = t.model_version
            JOIN mentions_scored ms ON ms.channel = t.channel AND ms.id = t.id
            WHERE ms.brand = ? AND ms.created_at >= ? AND ms.created_at < ?
            GROUP BY ALL"""
    else:
        raise ValueError(f"by must be 'channel' or 'topic', not {by!r}")
    out: dict[str, list[tuple[datetime, int, int]]] = {}
    for name, hour, total, negative in con.execute(sql + " ORDER BY name, hour", params).fetchall():
        out.setdefault(str(name), []).append((as_utc(hour), int(total), int(negative)))
    return out


def negative_reach_posts(
    con: duckdb.DuckDBPyConnection, brand: str, start: datetime, end: datetime, *, min_followers: int
) -> list[tuple[datetime, int, str, str]]:
    """(created_at, followers, channel, id) of negative posts in [start, end) from accounts this large or larger."""
    rows = con.execute(
        """SELECT created_at, author_followers, channel, id FROM mentions_scored
        WHERE brand = ? AND label = 'negative' AND created_at >= ? AND created_at < ? AND author_followers >= ?
        ORDER BY created_at, channel, id""",
        [brand, as_utc(start), as_utc(end), int(min_followers)],
    ).fetchall()
    return [(as_utc(at), int(followers), str(channel), str(mid)) for at, followers, channel, mid in rows]


def negative_texts(
    con: duckdb.DuckDBPyConnection, brand: str, start: datetime, end: datetime, *, limit: int = 2000
) -> list[tuple[str, str | None]]:
    """(text, lang) of the brand's negative mentions in [start, end), newest first."""
    rows = con.execute(
        """SELECT text, lang FROM mentions_scored
        WHERE brand = ? AND label = 'negative' AND created_at >= ? AND created_at < ?
        ORDER BY created_at DESC LIMIT ?""",
        [brand, as_utc(start), as_utc(end), int(limit)],
    ).fetchall()
    return [(str(text), lang) for text, lang in rows]


def first_mention_time(con: duckdb.DuckDBPyConnection, brand: str) -> datetime | None:
    """When the brand's oldest stored mention was posted (UTC), or None."""
    row = con.execute(
        """SELECT min(m.created_at) FROM mentions m
        JOIN mention_brands b ON b.channel = m.channel AND b.id = m.id WHERE b.brand = ?""",
        [brand],
    ).fetchone()
    return None if row is None or row[0] is None else as_utc(row[0])


def example_posts(
    con: duckdb.DuckDBPyConnection, brand: str, start: datetime, end: datetime, *, limit: int = 3
) -> list[dict[str, Any]]:
    """Representative negative posts in [start, end): the widest reach first, one per author, then the most negative."""
    cursor = con.execute(
        """SELECT text, url, channel, author_handle, author_followers, score FROM mentions_scored
        WHERE brand = ? AND label = 'negative' AND created_at >= ? AND created_at < ?
        QUALIFY row_number() OVER (
            PARTITION BY coalesce(author_id, author_handle, channel || ':' || id) ORDER BY score, created_at
        ) = 1
        ORDER BY coalesce(author_followers, 0) DESC, score ASC, created_at DESC, channel, id
        LIMIT ?""",
        [brand, as_utc(start), as_utc(end), int(limit)],
    )
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def response_care(con: duckdb.DuckDBPyConnection, brand: str, start: datetime, end: datetime) -> dict[str, Any]:
    """How the brand's own accounts answered its negative mentions posted in [start, end) (`mention_responses`).

    {negative, responded, median_minutes (None without replies), responders: handles, most replies first}.
    """
    row = con.execute(
        """SELECT count(*), count(*) FILTER (WHERE responded), median(response_minutes),
            list(responder ORDER BY first_response_at) FILTER (WHERE responded)
        FROM mention_responses
        WHERE brand = ? AND label = 'negative' AND created_at >= ? AND created_at < ?""",
        [brand, as_utc(start), as_utc(end)],
    ).fetchone()
    negative, responded, median_minutes, responders = row if row is not None else (0, 0, None, None)
    ranked = sorted(Counter(responders or []).items(), key=lambda item: -item[1])  # stable: earliest first on ties
    return {
        "negative": int(negative or 0),
        "responded": int(responded or 0),
        "median_minutes": None if median_minutes is None else float(median_minutes),
        "responders": [str(name) for name, _ in ranked],
    }
