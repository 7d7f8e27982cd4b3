"""Read queries the pipeline needs: hourly counts for spike detection, alert context, the run summary, ad-hoc SQL."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import duckdb

from models.errors import FatalError
from models.mention import as_utc
from warehouse.connection import committed, first_row
from warehouse.queries.scored import SCORED_WINDOW, newest_scores, stored_versions, window_params
from warehouse.upsert import upsert_row
from warehouse.views import OWNED_AUTHOR_MATCH


class SqlRefused(FatalError):
    """`brandpulse sql` got something other than one read-only query."""


def hourly_counts(
    con: duckdb.DuckDBPyConnection,
    brand: str,
    start: datetime,
    end: datetime,
    *,
    channel: str | None = None,
) -> list[tuple[datetime, int, int]]:
    """(hour, total, negative) for every UTC hour from start's hour until end, zero-count hours included."""
    # Mentions count when start <= created_at < end; negative means the newest score's label is negative.
    channel_clause = "WHERE channel = $channel" if channel is not None else ""
    # Truncated here, not with SQL date_trunc, which would follow the session's time zone (not always whole hours).
    first_hour = as_utc(start).replace(minute=0, second=0, microsecond=0)
    params = window_params(brand, start, end, first_hour=first_hour)
    if channel is not None:
        params["channel"] = channel
    rows = con.execute(
        f"""WITH {SCORED_WINDOW},
        hours AS (
            SELECT hour FROM range($first_hour::TIMESTAMPTZ, $end::TIMESTAMPTZ, INTERVAL 1 HOUR) AS r(hour)
        ),
        counts AS (
            SELECT hour, count(*) AS total, count(*) FILTER (WHERE label = 'negative') AS negative
            FROM scored {channel_clause}
            GROUP BY hour
        )
        SELECT h.hour, coalesce(c.total, 0), coalesce(c.negative, 0)
        FROM hours h LEFT JOIN counts c ON c.hour = h.hour
        ORDER BY h.hour""",
        params,
    ).fetchall()
    return [(as_utc(hour), int(total), int(negative)) for hour, total, negative in rows]


def newest_mention_time(con: duckdb.DuckDBPyConnection, brand: str) -> datetime | None:
    """When the newest stored mention of a brand was posted (UTC), or None if there is none."""
    row = first_row(
        con.execute(
            """SELECT max(m.created_at) FROM mentions m
        JOIN mention_brands b ON b.channel = m.channel AND b.id = m.id
        WHERE b.brand = ?""",
            [brand],
        )
    )
    return None if row is None or row[0] is None else as_utc(row[0])


def brand_spans(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[datetime, datetime]]:
    """{brand: (oldest, newest) mention time (UTC)} for every brand with mentions, in one scan."""
    rows = con.execute(
        """SELECT b.brand, min(m.created_at), max(m.created_at) FROM mentions m
        JOIN mention_brands b ON b.channel = m.channel AND b.id = m.id
        GROUP BY b.brand"""
    ).fetchall()
    return {str(brand): (as_utc(first), as_utc(newest)) for brand, first, newest in rows}


def negative_by_channel(
    con: duckdb.DuckDBPyConnection, brand: str, start: datetime, end: datetime
) -> list[tuple[str, int]]:
    """(channel, negative mentions) in [start, end) for a brand, the largest first; channels with none left out."""
    rows = con.execute(
        f"""WITH {SCORED_WINDOW}
        SELECT channel, count(*) AS negative FROM scored WHERE label = 'negative'
        GROUP BY channel
        ORDER BY negative DESC, channel""",
        window_params(brand, start, end),
    ).fetchall()
    return [(str(channel), int(count)) for channel, count in rows]


def summary(con: duckdb.DuckDBPyConnection, run_id: str | None = None) -> dict[str, Any]:
    """Counts for the end-of-run summary: mentions per channel and brand, sentiment per brand, alerts, rejects."""
    # One optional filter, applied the same way to each table: rows a run first stored, or everything.
    where = "WHERE run_id = ?" if run_id is not None else ""
    params: list[Any] = [run_id] if run_id is not None else []

    # The rows of `mentions_scored` with only the columns counted, in one pass for both groupings (per brand and
    # channel: mentions; per brand: sentiment). The view resolves every score column of every mention and matches
    # owned authors for all of them; with one stored model version the scores join directly (`stored_versions`).
    groups = con.execute(
        f"""WITH latest AS ({newest_scores(stored_versions(con))}),
        customer AS (
            SELECT b.brand, m.channel, s.label, s.score
            FROM mentions m
            LEFT JOIN mention_brands b ON b.channel = m.channel AND b.id = m.id
            LEFT JOIN latest s ON s.channel = m.channel AND s.id = m.id
            WHERE NOT EXISTS ({OWNED_AUTHOR_MATCH}) {"AND m.run_id = ?" if run_id is not None else ""}
        )
        SELECT GROUPING(channel) AS per_brand, brand, channel, count(*) AS n,
            count(label),
            count(*) FILTER (WHERE label = 'negative'),
            count(*) FILTER (WHERE label = 'neutral'),
            count(*) FILTER (WHERE label = 'positive'),
            avg(score)
        FROM customer
        GROUP BY GROUPING SETS ((brand, channel), (brand))
        ORDER BY per_brand, brand NULLS LAST, n DESC, channel""",
        params,
    ).fetchall()
    by_channel_brand = [
        {"brand": brand, "channel": channel, "mentions": int(n)}
        for per_brand, brand, channel, n, *_ in groups
        if not per_brand
    ]
    by_channel = {
        str(channel): int(n)
        for channel, n in con.execute(
            f"SELECT channel, count(*) AS n FROM mentions {where} GROUP BY channel ORDER BY n DESC, channel", params
        ).fetchall()
    }
    by_brand: dict[str, int] = {}
    unmatched = 0
    for row in by_channel_brand:
        if row["brand"] is None:
            unmatched += row["mentions"]
        else:
            by_brand[row["brand"]] = by_brand.get(row["brand"], 0) + row["mentions"]

    sentiment = []
    for per_brand, brand, _, _, scored, negative, neutral, positive, net in groups:
        if not per_brand or brand is None or scored == 0:
            continue
        sentiment.append(
            {
                "brand": brand,
                "scored": int(scored),
                "negative": int(negative),
                "neutral": int(neutral),
                "positive": int(positive),
                "negative_share": negative / scored,
                "neutral_share": neutral / scored,
                "positive_share": positive / scored,
                "net_sentiment": float(net),
            }
        )

    alerts_by_status = {
        str(status): int(n)
        for status, n in con.execute(
            f"SELECT status, count(*) FROM alert_outbox {where} GROUP BY status ORDER BY status", params
        ).fetchall()
    }
    rejects_row = first_row(con.execute(f"SELECT count(*) FROM rejects {where}", params))
    return {
        "run_id": run_id,
        "mentions": sum(by_channel.values()),
        "mentions_by_channel": by_channel,
        "mentions_by_brand": by_brand,
        "unmatched": unmatched,
        "by_channel_brand": by_channel_brand,
        "sentiment_by_brand": sentiment,
        "alerts_by_status": alerts_by_status,
        "alerts_total": sum(alerts_by_status.values()),
        "rejects": int(rejects_row[0]) if rejects_row else 0,
    }


SCORED_WITH_KEY = "scored_with"


def scored_with(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """What the last run that loaded the models recorded: its settings fingerprint and the model versions it used."""
    row = first_row(con.execute("SELECT value FROM warehouse_meta WHERE key = ?", [SCORED_WITH_KEY]))
    return json.loads(row[0]) if row is not None and row[0] else {}


def record_scored_with(con: duckdb.DuckDBPyConnection, record: dict[str, str]) -> None:
    """Remember the settings fingerprint and the model versions of this run, for the next run's idle check."""
    # MERGE in a committed transaction, not ON CONFLICT: a DuckLake warehouse has no primary keys and other writers.
    value = json.dumps(record, sort_keys=True)
    committed(con, lambda: upsert_row(con, "warehouse_meta", {"key": SCORED_WITH_KEY, "value": value}, ("key",)))


def has_unscored(con: duckdb.DuckDBPyConnection, model_version: str) -> bool:
    """Whether any stored mention with text lacks a score from this model version (stops at the first one)."""
    # Text dropped by retention is never scored again, as in `unscored_mentions`.
    return _any_mention_without(con, "scores", model_version, "m.text <> ''")


def has_unscanned(con: duckdb.DuckDBPyConnection, topic_version: str) -> bool:
    """Whether any stored mention has no topic scan by this topic model version (stops at the first one)."""
    return _any_mention_without(con, "topic_scans", topic_version, "TRUE")


def _any_mention_without(con: duckdb.DuckDBPyConnection, table: str, version: str, condition: str) -> bool:
    """Whether a mention meeting `condition` has no row of `version` in `table` (both from the two callers above)."""
    row = first_row(
        con.execute(
            f"""SELECT 1 FROM mentions m WHERE {condition} AND NOT EXISTS (
                SELECT 1 FROM {table} t WHERE t.channel = m.channel AND t.id = m.id AND t.model_version = ?
            ) LIMIT 1""",
            [version],
        )
    )
    return row is not None


def run_readonly_sql(
    con: duckdb.DuckDBPyConnection, sql: str, *, max_rows: int | None = None
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run one SELECT-type query (SELECT, WITH, FROM, DESCRIBE, SHOW, SUMMARIZE) and return (columns, rows)."""
    # DuckDB's own parser classifies the statement, so tricks with comments or casing do not slip a write through.
    # Callers should still pass a Warehouse.read() connection: read-only at the file level is the real guarantee.
    statements = duckdb.extract_statements(sql)
    if len(statements) != 1:
        raise SqlRefused(f"give exactly one query (got {len(statements)} statements)")
    if statements[0].type != duckdb.StatementType.SELECT:
        kind = statements[0].type.name
        raise SqlRefused(f"only read-only queries are allowed here (SELECT, WITH, DESCRIBE…), not {kind}")
    cursor = con.execute(sql)
    columns = [d[0] for d in cursor.description] if cursor.description else []
    rows = cursor.fetchall() if max_rows is None else cursor.fetchmany(max_rows)
    return columns, rows
