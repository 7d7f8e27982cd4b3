"""Read queries behind alerting: hourly counts per channel and topic, high-reach posts, top-term texts, responses."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from models.mention import as_utc
from warehouse.arrow import registered
from warehouse.queries.scored import (
    SCORED_WINDOW,
    envelope,
    scored_window,
    stored_versions,
    window_params,
    window_topics,
    windows_table,
)
from warehouse.views import answered_cte, owned_posts_select


def hourly_counts_by(
    con: duckdb.DuckDBPyConnection, brand: str, start: datetime, end: datetime, *, by: str
) -> dict[str, list[tuple[datetime, int, int]]]:
    """{channel or topic: [(hour, total, negative), …]} for hours in [start, end) that had mentions.

    `by` is "channel" or "topic". A topic counts a mention as negative by the topic's own (aspect) sentiment
    when the topic model gave one, else by the mention's; the newest topic model version per mention is used.
    Empty when no topics are stored (the topic signal is then silent).
    """
    versions = stored_versions(con)
    if by == "channel":
        sql = f"""WITH {scored_window(versions, counting=True)}
            SELECT channel AS name, hour, count(*) AS total, count(*) FILTER (WHERE label = 'negative')
            FROM scored
            GROUP BY ALL"""
    elif by == "topic":
        sql = f"""WITH {scored_window(versions, counting=True)}, {window_topics(versions)}
            SELECT t.topic AS name, ms.hour, count(*) AS total,
                count(*) FILTER (WHERE coalesce(t.sentiment_label, ms.label) = 'negative')
            FROM window_topics t
            JOIN scored ms ON ms.channel = t.channel AND ms.id = t.id
            GROUP BY ALL"""
    else:
        raise ValueError(f"by must be 'channel' or 'topic', not {by!r}")
    out: dict[str, list[tuple[datetime, int, int]]] = {}
    rows = con.execute(sql + " ORDER BY name, hour", window_params(brand, start, end)).fetchall()
    for name, hour, total, negative in rows:
        out.setdefault(str(name), []).append((as_utc(hour), int(total), int(negative)))
    return out


@dataclass(frozen=True)
class WindowSeries:
    """What detection reads about a brand's window: hourly counts per channel and per topic, high-reach negatives."""

    channels: dict[str, list[tuple[datetime, int, int]]]
    topics: dict[str, list[tuple[datetime, int, int]]]
    reach_posts: list[tuple[datetime, int, str, str]]


def window_series(
    con: duckdb.DuckDBPyConnection, brand: str, start: datetime, end: datetime, *, min_followers: int
) -> WindowSeries:
    """`hourly_counts_by` channel and topic and `negative_reach_posts` in one statement: the window is read once."""
    versions = stored_versions(con)
    rows = con.execute(
        f"""WITH {scored_window(versions, counting=True)}, {window_topics(versions)}
        SELECT 'channel' AS kind, channel AS name, hour, count(*) AS total,
            count(*) FILTER (WHERE label = 'negative') AS negative, NULL::BIGINT AS followers, NULL AS id
        FROM scored GROUP BY channel, hour
        UNION ALL
        SELECT 'topic', t.topic, ms.hour, count(*),
            count(*) FILTER (WHERE coalesce(t.sentiment_label, ms.label) = 'negative'), NULL, NULL
        FROM window_topics t JOIN scored ms ON ms.channel = t.channel AND ms.id = t.id
        GROUP BY t.topic, ms.hour
        UNION ALL
        SELECT 'reach', channel, created_at, NULL, NULL, author_followers, id
        FROM scored WHERE label = 'negative' AND author_followers >= $min_followers
        ORDER BY kind, name, hour, id""",
        window_params(brand, start, end, min_followers=int(min_followers)),
    ).fetchall()
    series = WindowSeries({}, {}, [])
    for kind, name, hour, total, negative, followers, mid in rows:
        if kind == "reach":
            series.reach_posts.append((as_utc(hour), int(followers), str(name), str(mid)))
        else:
            counts = series.channels if kind == "channel" else series.topics
            counts.setdefault(str(name), []).append((as_utc(hour), int(total), int(negative)))
    series.reach_posts.sort(key=lambda post: (post[0], post[2], post[3]))
    return series


def negative_reach_posts(
    con: duckdb.DuckDBPyConnection, brand: str, start: datetime, end: datetime, *, min_followers: int
) -> list[tuple[datetime, int, str, str]]:
    """(created_at, followers, channel, id) of negative posts in [start, end) from accounts this large or larger."""
    rows = con.execute(
        f"""WITH {SCORED_WINDOW}
        SELECT created_at, author_followers, channel, id FROM scored
        WHERE label = 'negative' AND author_followers >= $min_followers
        ORDER BY created_at, channel, id""",
        window_params(brand, start, end, min_followers=int(min_followers)),
    ).fetchall()
    return [(as_utc(at), int(followers), str(channel), str(mid)) for at, followers, channel, mid in rows]


def negative_texts(
    con: duckdb.DuckDBPyConnection, brand: str, start: datetime, end: datetime, *, limit: int = 2000
) -> list[tuple[str, str | None]]:
    """(text, lang) of the brand's negative mentions in [start, end), newest first."""
    rows = con.execute(
        f"""WITH {SCORED_WINDOW}
        SELECT text, lang FROM scored WHERE label = 'negative'
        ORDER BY created_at DESC LIMIT $limit""",
        window_params(brand, start, end, limit=int(limit)),
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
    return example_posts_in(con, brand, [(start, end)], limit=limit)[0]


def example_posts_in(
    con: duckdb.DuckDBPyConnection, brand: str, windows: Sequence[tuple[datetime, datetime]], *, limit: int = 3
) -> list[list[dict[str, Any]]]:
    """`example_posts` of several windows of one brand from one scan (a list of posts per window)."""
    if not windows:
        return []
    window = scored_window(stored_versions(con))
    with registered(con, windows_table(windows)) as frames:
        cursor = con.execute(
            f"""WITH {window},
            placed AS (
                SELECT w.k, s.* FROM scored s JOIN {frames} w ON s.created_at >= w.start_at AND s.created_at < w.end_at
                WHERE s.label = 'negative'
                QUALIFY row_number() OVER (
                    PARTITION BY w.k, coalesce(s.author_id, s.author_handle, s.channel || ':' || s.id)
                    ORDER BY s.score, s.created_at
                ) = 1
            )
            SELECT k, text, url, channel, author_handle, author_followers, score FROM placed
            QUALIFY row_number() OVER (
                PARTITION BY k
                ORDER BY coalesce(author_followers, 0) DESC, score ASC, created_at DESC, channel, id
            ) <= $limit
            ORDER BY k, coalesce(author_followers, 0) DESC, score ASC, created_at DESC, channel, id""",
            window_params(brand, *envelope(windows), limit=int(limit)),
        )
        columns = [d[0] for d in cursor.description][1:]
        posts: list[list[dict[str, Any]]] = [[] for _ in windows]
        for k, *row in cursor.fetchall():
            posts[k].append(dict(zip(columns, row, strict=True)))
    return posts


# After `SCORED_WINDOW` (or a resolved window) in a WITH RECURSIVE: the window's negative customer mentions
# (`negatives`: not survey answers, not reposts) and each one's first answer by its brand's owned accounts
# (`first_response`), as `mention_responses` decides them, reading only the owned posts since $start.
FIRST_RESPONSES = f"""window_owned AS (
    SELECT * FROM ({owned_posts_select("m.created_at >= $start")}) WHERE list_contains($brands, brand)
),
{answered_cte("window_owned")},
negatives AS (
    SELECT channel, id, brand, created_at FROM scored
    WHERE label = 'negative' AND kind NOT IN ('survey', 'repost')
),
first_response AS (
    SELECT n.channel, n.id, n.brand, min(a.reply_at) AS first_response_at,
        arg_min(a.responder, a.reply_at) AS responder
    FROM answered a
    JOIN negatives n ON n.channel = a.channel AND n.id = a.id AND n.brand = a.brand
    -- As in the view: a reply stamped before the post (clock skew, a wrong date) answers nothing.
    WHERE a.reply_at >= n.created_at
    GROUP BY n.channel, n.id, n.brand
)"""


def response_care(con: duckdb.DuckDBPyConnection, brand: str, start: datetime, end: datetime) -> dict[str, Any]:
    """How the brand's own accounts answered its negative mentions posted in [start, end) (`mention_responses`).

    {negative, responded, median_minutes (None without replies), responders: handles, most replies first}.
    """
    return response_care_in(con, brand, [(start, end)])[0]


def response_care_in(
    con: duckdb.DuckDBPyConnection, brand: str, windows: Sequence[tuple[datetime, datetime]]
) -> list[dict[str, Any]]:
    """`response_care` of several windows of one brand from one query (a dict per window).

    The same answers as `mention_responses`, but only the windows' mentions and the owned posts since the first
    window's start are read (a reply stamped before the post answers nothing), so the cost follows the windows,
    not the history.
    """
    if not windows:
        return []
    window = scored_window(stored_versions(con))
    with registered(con, windows_table(windows)) as frames:
        rows = con.execute(
            f"""WITH RECURSIVE {window},
            {FIRST_RESPONSES}
            SELECT w.k, count(*), count(f.first_response_at),
                median(date_diff('second', n.created_at, f.first_response_at) / 60.0),
                list(f.responder ORDER BY f.first_response_at) FILTER (WHERE f.first_response_at IS NOT NULL)
            FROM negatives n
            JOIN {frames} w ON n.created_at >= w.start_at AND n.created_at < w.end_at
            LEFT JOIN first_response f ON f.channel = n.channel AND f.id = n.id AND f.brand = n.brand
            GROUP BY w.k""",
            window_params(brand, *envelope(windows)),
        ).fetchall()
    found = {int(k): (negative, responded, minutes, responders) for k, negative, responded, minutes, responders in rows}
    out = []
    for k in range(len(windows)):
        negative, responded, median_minutes, responders = found.get(k, (0, 0, None, None))
        ranked = sorted(Counter(responders or []).items(), key=lambda item: -item[1])  # stable: earliest first on ties
        out.append(
            {
                "negative": int(negative or 0),
                "responded": int(responded or 0),
                "median_minutes": None if median_minutes is None else float(median_minutes),
                "responders": [str(name) for name, _ in ranked],
            }
        )
    return out
