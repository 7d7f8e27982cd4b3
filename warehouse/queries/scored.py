"""A brand's scored mentions in a time window, without resolving the newest score of the whole history.

`mentions_scored` picks each mention's newest score with a window function over every stored score, which costs
seconds at a million mentions however small the window asked for. Queries about a window (an alert's episode, the
hours detection reads, a report's period) start here instead: the window's mentions first, then the newest score
of those mentions only — the same rule as the view (newest `scored_at`, then the highest `model_version`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import uuid4

import duckdb
import pyarrow as pa

from models.mention import as_utc
from warehouse.connection import first_row
from warehouse.views import OWNED_AUTHOR_MATCH, rating_norm_sql, utc_day_sql, utc_hour_sql

_TS = pa.timestamp("us", tz="UTC")

# Named parameters $brands (a list), $start, $end; the CTE `scored` has the columns of `mentions_scored` that
# queries about a window use, days and hours in UTC as in the view.
_COLUMNS = f"""m.text, m.url, m.author_id, m.author_handle,
        m.author_followers, m.lang, m.kind, m.rating, m.rating_scale, {rating_norm_sql()} AS rating_norm,
        b.terms AS matched_terms"""
# Newest scored_at wins, as in the view; two versions never score one mention in the same microsecond (each model
# version scores in its own run), so the view's model_version tie-break is not needed and this stays fast.
_NEWEST_SCORES = """SELECT channel, id, arg_max(label, scored_at) AS label, arg_max(score, scored_at) AS score
    FROM scores
    SEMI JOIN window_mentions USING (channel, id)
    GROUP BY channel, id"""
# The same rows for a span holding most of the history (a report's weeks): one grouping of every score (0.4 s at a
# million) is cheaper than matching a million scores to the window's mentions first (3-5 s, measured).
_NEWEST_SCORES_WIDE = _NEWEST_SCORES.replace("\n    SEMI JOIN window_mentions USING (channel, id)", "")


def _window_sql(columns: str, scores: str) -> str:
    """The CTEs `window_mentions`, `window_scores` and `scored` with these mention columns and this score choice."""
    return f"""window_mentions AS (
    SELECT b.brand, m.channel, m.id, m.created_at, {columns}
    FROM mentions m
    JOIN mention_brands b ON b.channel = m.channel AND b.id = m.id
    WHERE list_contains($brands, b.brand) AND m.created_at >= $start AND m.created_at < $end
        -- Customer talk only, as in `mentions_scored`: posts by the brands' own accounts stay out.
        AND NOT EXISTS ({OWNED_AUTHOR_MATCH})
),
window_scores AS (
    {scores}
),
scored AS (
    SELECT w.*, {utc_day_sql("w.created_at")} AS day, {utc_hour_sql("w.created_at")} AS hour, s.label, s.score
    FROM window_mentions w
    LEFT JOIN window_scores s ON s.channel = w.channel AND s.id = w.id
)"""


SCORED_WINDOW = _window_sql(_COLUMNS, _NEWEST_SCORES)
# What counting per hour needs (detection): no text, URL or rating columns carried through the joins.
_COUNT_COLUMNS = "m.author_followers"


@dataclass(frozen=True)
class StoredVersions:
    """The one score model version and the one topic model version a warehouse holds; None where it holds several."""

    score: str | None
    topic: str | None


def stored_versions(con: duckdb.DuckDBPyConnection) -> StoredVersions:
    """Which model versions the stored scores and topics come from (two scans of a dictionary column, ~50 ms at 1 M).

    With one version of each, a mention's newest score is its only score and its newest topic version the only one,
    so the windows below join the rows directly instead of grouping every score and topic (about half of a window
    query's cost at a million mentions). After a model upgrade the old version's rows stay and the grouping returns.
    """
    row = first_row(
        con.execute(
            """SELECT
            (SELECT CASE WHEN min(model_version) = max(model_version) THEN min(model_version) END FROM scores),
            (SELECT CASE WHEN min(v) = max(v) THEN min(v) END FROM (
                SELECT model_version AS v FROM mention_topics UNION ALL SELECT model_version FROM topic_scans
            ))"""
        )
    )
    return StoredVersions(None, None) if row is None else StoredVersions(row[0], row[1])


def _literal(text: str) -> str:
    """A SQL string literal (a model version read from the warehouse, quoted as data)."""
    return "'" + text.replace("'", "''") + "'"


def _scores_of(versions: StoredVersions, *, wide: bool) -> str:
    """`window_scores`: the one version's rows when there is one, else the newest score per mention."""
    if versions.score is not None:
        # A version that lands while this query runs is left out, not added twice: the query reads one version.
        return f"SELECT channel, id, label, score FROM scores WHERE model_version = {_literal(versions.score)}"
    return _NEWEST_SCORES_WIDE if wide else _NEWEST_SCORES


def newest_scores(versions: StoredVersions) -> str:
    """A query of each mention's newest (channel, id, label, score) over the whole history, for these versions."""
    return _scores_of(versions, wide=True)


def scored_window(versions: StoredVersions, *, counting: bool = False) -> str:
    """`SCORED_WINDOW` for a warehouse holding these versions; `counting` keeps only the columns hourly counts use."""
    return _window_sql(_COUNT_COLUMNS if counting else _COLUMNS, _scores_of(versions, wide=False))


def newest_topic_scans(versions: StoredVersions) -> str:
    """A query of each window mention's newest topic scan (channel, id, best_score), for these versions."""
    if versions.topic is not None:
        return f"SELECT channel, id, best_score FROM topic_scans WHERE model_version = {_literal(versions.topic)}"
    return """SELECT channel, id, arg_max(best_score, scored_at) AS best_score
                FROM topic_scans SEMI JOIN window_mentions USING (channel, id)
                GROUP BY channel, id"""


def window_topics(versions: StoredVersions) -> str:
    """`WINDOW_TOPICS` for a warehouse holding these versions: the CTE `window_topics` of the window's mentions."""
    if versions.topic is None:
        return WINDOW_TOPICS
    return f"""window_topics AS (
    SELECT t.* FROM mention_topics t SEMI JOIN window_mentions USING (channel, id)
    WHERE t.model_version = {_literal(versions.topic)}
)"""


def window_from(table: str) -> str:
    """`SCORED_WINDOW`'s CTEs (`scored`, `window_mentions`) read from a wider window that `resolved_window` stored."""
    return f"""scored AS (
    SELECT * FROM {table} WHERE list_contains($brands, brand) AND created_at >= $start AND created_at < $end
),
window_mentions AS (SELECT * EXCLUDE (day, hour, label, score) FROM scored)"""


@contextmanager
def resolved_window(
    con: duckdb.DuckDBPyConnection, brands: Sequence[str], start: datetime, end: datetime
) -> Iterator[str]:
    """Resolve `SCORED_WINDOW` once into a temporary table; yields the CTEs that read it in its place.

    A command that asks many questions of one span (the report: a dozen queries over its period and the one
    before) pays the newest-score resolution once instead of once per query. Each query still filters the table to
    its own brands and times, so its rows are exactly those `SCORED_WINDOW` gives for any window inside this one.
    A temporary table lives in the connection's memory only: it works on read-only files and lakes, and a killed
    process leaves nothing behind.
    """
    table = f"scored_window_{uuid4().hex}"
    wide = _window_sql(_COLUMNS, _scores_of(stored_versions(con), wide=True))
    con.execute(
        f"CREATE TEMP TABLE {table} AS WITH {wide} SELECT * FROM scored",
        window_params(brands, start, end),
    )
    try:
        yield window_from(table)
    finally:
        con.execute(f"DROP TABLE IF EXISTS {table}")


# The newest topic model version per mention, for the window's mentions only (as `topic_daily` chooses it).
WINDOW_TOPICS = """window_topic_version AS (
    SELECT channel, id, arg_max(model_version, scored_at) AS model_version
    FROM (
        SELECT channel, id, model_version, scored_at FROM mention_topics SEMI JOIN window_mentions USING (channel, id)
        UNION ALL
        SELECT channel, id, model_version, scored_at FROM topic_scans SEMI JOIN window_mentions USING (channel, id)
    )
    GROUP BY channel, id
),
window_topics AS (
    SELECT t.* FROM mention_topics t JOIN window_topic_version v USING (channel, id, model_version)
)"""


def envelope(windows: Sequence[tuple[datetime, datetime]]) -> tuple[datetime, datetime]:
    """The smallest [start, end) holding every window, for one `SCORED_WINDOW` scan that serves them all."""
    if not windows:
        raise ValueError("at least one window is needed")
    return min(start for start, _ in windows), max(end for _, end in windows)


def windows_table(windows: Sequence[tuple[datetime, datetime]], **columns: Sequence[Any]) -> pa.Table:
    """The windows as an Arrow table (k, start_at, end_at, any extra per-window columns) to join rows to them."""
    return pa.table(
        {
            "k": pa.array(range(len(windows)), pa.int32()),
            "start_at": pa.array([as_utc(start) for start, _ in windows], _TS),
            "end_at": pa.array([as_utc(end) for _, end in windows], _TS),
            **{name: v if isinstance(v, pa.Array) else pa.array(list(v)) for name, v in columns.items()},
        }
    )


def window_params(brand: str | Sequence[str], start: datetime, end: datetime, **extra: Any) -> dict[str, Any]:
    """The named parameters of `SCORED_WINDOW` for one brand or several (times in UTC), plus any the query adds."""
    brands = [brand] if isinstance(brand, str) else list(brand)
    return {"brands": brands, "start": as_utc(start), "end": as_utc(end), **extra}
