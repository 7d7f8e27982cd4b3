"""Aggregations behind the HTML report: every number is computed here in DuckDB, the browser only draws them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import duckdb

from models.text.terms import TermTally
from warehouse.queries.alerts import FIRST_RESPONSES
from warehouse.queries.scored import SCORED_WINDOW, resolved_window, stored_versions, window_params, window_topics
from warehouse.views import sentiment_rollup_select

# How rating scales are grouped and named when set next to social sentiment (all on rating_norm, -1 … 1).
FEEDBACK_SOURCE_SQL = """CASE
    WHEN rating_scale = 'nps' THEN 'NPS answers'
    WHEN rating_scale = 'csat' THEN 'CSAT answers'
    WHEN rating_scale IN ('ces', 'ces5', 'ces7') THEN 'CES answers'
    WHEN rating_scale IN ('stars', 'stars10') THEN 'Review stars'
    ELSE 'Other ratings'
END"""
SOCIAL_SOURCE = "Social sentiment"
BUCKETS = ("day", "week")
# Emerging themes: the baseline their terms are ranked against, and at most this many candidates embedded.
THEME_BASELINE_DAYS = 28
MAX_THEME_CANDIDATES = 2000


@dataclass(frozen=True)
class Period:
    """A span of whole UTC days, both ends included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"the period ends ({self.end}) before it starts ({self.start})")

    @property
    def days(self) -> int:
        """How many days the period covers."""
        return (self.end - self.start).days + 1

    @property
    def start_at(self) -> datetime:
        """The first instant of the period (UTC)."""
        return datetime.combine(self.start, time(), tzinfo=UTC)

    @property
    def end_at(self) -> datetime:
        """The first instant after the period (UTC): timestamps are compared half-open."""
        return datetime.combine(self.end + timedelta(days=1), time(), tzinfo=UTC)

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    @classmethod
    def ending(cls, end: date, days: int) -> Period:
        """The `days` days up to and including `end`."""
        return cls(end - timedelta(days=days - 1), end)


def _bucket_sql(bucket: str, column: str = "day") -> str:
    """The SQL that buckets a DATE column by day or by (Monday-starting) week."""
    if bucket not in BUCKETS:
        raise ValueError(f"bucket must be one of {BUCKETS}, not {bucket!r}")
    return column if bucket == "day" else f"CAST(date_trunc('week', {column}) AS DATE)"


def _term_weeks(period: Period) -> Period:
    """The whole Monday-to-Sunday weeks the period touches (what `top_terms` counts over)."""
    return Period(period.start - timedelta(days=period.start.weekday()),
                  period.end - timedelta(days=period.end.weekday()) + timedelta(days=6))  # fmt: skip


@contextmanager
def report_window(con: duckdb.DuckDBPyConnection, brands: list[str], period: Period) -> Iterator[str]:
    """Every report query's scored mentions resolved once: from the period before this one (or the themes' baseline)
    to the end of the period's last week."""
    start = min(period.previous().start_at, period.start_at - timedelta(days=THEME_BASELINE_DAYS))
    with resolved_window(con, brands, start, _term_weeks(period).end_at) as window:
        yield window


def _window(brands: str | list[str], first: Period, last: Period | None = None, **extra: Any) -> dict[str, Any]:
    """Parameters of `SCORED_WINDOW` for the days from `first` to `last` (default: `first` alone)."""
    return window_params(brands, first.start_at, (last or first).end_at, **extra)


# The report's period (and the one before) read through the window, never the whole history: per day and channel
# as `sentiment_daily`, per topic and day as `topic_daily`.
def _daily(window: str) -> str:
    """The window's CTEs and `sentiment_daily` over them."""
    return f"{window}, sentiment_daily AS ({sentiment_rollup_select('scored', 'day')})"


def _topic_daily(window: str, topics: str) -> str:
    """The window's CTEs, the topics CTE (`window_topics`) and `topic_daily` over them."""
    return f"""{window}, {topics},
topic_daily AS (
    SELECT ms.brand, t.topic, ms.day,
        count(*) AS mentions,
        count(*) FILTER (WHERE coalesce(t.sentiment_label, ms.label) = 'negative') AS negative,
        count(coalesce(t.sentiment_label, ms.label)) AS scored,
        avg(coalesce(t.sentiment_score, ms.score)) AS net_sentiment
    FROM window_topics t JOIN scored ms ON ms.channel = t.channel AND ms.id = t.id
    GROUP BY ms.brand, t.topic, ms.day
)"""


def _dicts(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every row of the result just executed, as dicts keyed by column name."""
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def latest_plausible_day(today: date | None = None) -> date:
    """Tomorrow (UTC): a stored mention dated later is a broken date, never the end of a default period."""
    return (today or datetime.now(UTC).date()) + timedelta(days=1)


def newest_day(
    con: duckdb.DuckDBPyConnection, brands: list[str] | None = None, *, today: date | None = None
) -> date | None:
    """The UTC day of the newest mention of these brands (of any brand if None), ignoring days after tomorrow."""
    # Rows older than the load-time date check (or written by hand) may say 9999-12-31: they must not become the
    # report's last day, whose next day Python cannot even represent. Scores are not needed: read the mentions.
    until = datetime.combine(latest_plausible_day(today) + timedelta(days=1), time(), tzinfo=UTC)
    if brands is None:
        row = con.execute("SELECT max(created_at) FROM mentions WHERE created_at < ?", [until]).fetchall()
    else:
        row = con.execute(
            """SELECT max(m.created_at) FROM mentions m
            JOIN mention_brands b ON b.channel = m.channel AND b.id = m.id
            WHERE list_contains(?, b.brand) AND m.created_at < ?""",
            [brands, until],
        ).fetchall()
    newest = row[0][0] if row else None
    return None if newest is None else newest.astimezone(UTC).date()


def headline(
    con: duckdb.DuckDBPyConnection, brand: str, period: Period, *, window: str = SCORED_WINDOW
) -> dict[str, Any]:
    """Mentions, negative share and net sentiment of a brand in the period and in the one before."""
    prev = period.previous()
    row = con.execute(
        f"""WITH {_daily(window)}
        SELECT
            sum(mentions) FILTER (WHERE day >= $since) AS mentions,
            sum(scored) FILTER (WHERE day >= $since) AS scored,
            sum(negative) FILTER (WHERE day >= $since) AS negative,
            sum(negative) FILTER (WHERE day >= $since) / nullif(sum(scored) FILTER (WHERE day >= $since), 0)
                AS negative_share,
            sum(net_sentiment * scored) FILTER (WHERE day >= $since)
                / nullif(sum(scored) FILTER (WHERE day >= $since), 0) AS net_sentiment,
            sum(mentions) FILTER (WHERE day < $since) AS prev_mentions,
            sum(negative) FILTER (WHERE day < $since) / nullif(sum(scored) FILTER (WHERE day < $since), 0)
                AS prev_negative_share,
            sum(net_sentiment * scored) FILTER (WHERE day < $since)
                / nullif(sum(scored) FILTER (WHERE day < $since), 0) AS prev_net_sentiment
        FROM sentiment_daily""",
        _window(brand, prev, period, since=period.start),
    )
    result = _dicts(row)[0]
    for key in ("mentions", "scored", "negative", "prev_mentions"):
        result[key] = int(result[key] or 0)
    return result


def channel_trend(
    con: duckdb.DuckDBPyConnection, brand: str, period: Period, bucket: str = "day", *, window: str = SCORED_WINDOW
) -> list[dict[str, Any]]:
    """Per channel and day (or week): mentions, negative, scored, negative share and net sentiment of a brand."""
    b = _bucket_sql(bucket)
    return _dicts(
        con.execute(
            f"""WITH {_daily(window)}
            SELECT {b} AS bucket, channel, sum(mentions) AS mentions, sum(negative) AS negative,
                sum(scored) AS scored, sum(negative) / nullif(sum(scored), 0) AS negative_share,
                sum(net_sentiment * scored) / nullif(sum(scored), 0) AS net_sentiment
            FROM sentiment_daily
            GROUP BY ALL
            ORDER BY bucket, channel""",
            _window(brand, period),
        )
    )


def share_of_voice(
    con: duckdb.DuckDBPyConnection, brands: list[str], period: Period, *, window: str = SCORED_WINDOW
) -> list[dict[str, Any]]:
    """Per brand, among the brands named: mentions, share of them, net sentiment, and last period's for comparison."""
    prev = period.previous()
    return _dicts(
        con.execute(
            f"""WITH {_daily(window)},
            per_brand AS (
                -- `share_of_voice` per day and brand, from the window's per-channel rows.
                SELECT brand,
                    coalesce(sum(mentions) FILTER (WHERE day >= $since), 0) AS mentions,
                    coalesce(sum(negative) FILTER (WHERE day >= $since), 0) AS negative,
                    coalesce(sum(scored) FILTER (WHERE day >= $since), 0) AS scored,
                    sum(net_sentiment * scored) FILTER (WHERE day >= $since)
                        / nullif(sum(scored) FILTER (WHERE day >= $since), 0) AS net_sentiment,
                    coalesce(sum(mentions) FILTER (WHERE day < $since), 0) AS prev_mentions,
                    sum(net_sentiment * scored) FILTER (WHERE day < $since)
                        / nullif(sum(scored) FILTER (WHERE day < $since), 0) AS prev_net_sentiment
                FROM sentiment_daily
                GROUP BY brand
            )
            SELECT brand, mentions,
                mentions / nullif(sum(mentions) OVER (), 0) AS share,
                negative, scored,
                negative / nullif(scored, 0) AS negative_share,
                net_sentiment,
                prev_mentions,
                prev_mentions / nullif(sum(prev_mentions) OVER (), 0) AS prev_share,
                prev_net_sentiment
            FROM per_brand
            ORDER BY mentions DESC, brand""",
            _window(brands, prev, period, since=period.start),
        )
    )


def share_trend(
    con: duckdb.DuckDBPyConnection,
    brands: list[str],
    period: Period,
    bucket: str = "day",
    *,
    window: str = SCORED_WINDOW,
) -> list[dict[str, Any]]:
    """Per day (or week) and brand: mentions and share among the brands named."""
    b = _bucket_sql(bucket)
    return _dicts(
        con.execute(
            f"""WITH {_daily(window)},
            per_brand AS (
                SELECT {b} AS bucket, brand, sum(mentions) AS mentions,
                    sum(net_sentiment * scored) / nullif(sum(scored), 0) AS net_sentiment
                FROM sentiment_daily
                GROUP BY ALL
            )
            SELECT bucket, brand, mentions, mentions / sum(mentions) OVER (PARTITION BY bucket) AS share, net_sentiment
            FROM per_brand
            ORDER BY bucket, brand""",
            _window(brands, period),
        )
    )


def topic_changes(
    con: duckdb.DuckDBPyConnection, brand: str, period: Period, *, window: str = SCORED_WINDOW
) -> list[dict[str, Any]]:
    """Per CX topic: mentions and negative share in the period, and the change from the period before."""
    prev = period.previous()
    return _dicts(
        con.execute(
            f"""WITH {_topic_daily(window, window_topics(stored_versions(con)))},
            t AS (
                SELECT topic,
                    coalesce(sum(mentions) FILTER (WHERE day >= $since), 0) AS mentions,
                    coalesce(sum(negative) FILTER (WHERE day >= $since), 0) AS negative,
                    sum(negative) FILTER (WHERE day >= $since) / nullif(sum(scored) FILTER (WHERE day >= $since), 0)
                        AS negative_share,
                    sum(net_sentiment * scored) FILTER (WHERE day >= $since)
                        / nullif(sum(scored) FILTER (WHERE day >= $since), 0) AS net_sentiment,
                    coalesce(sum(mentions) FILTER (WHERE day < $since), 0) AS prev_mentions,
                    sum(negative) FILTER (WHERE day < $since) / nullif(sum(scored) FILTER (WHERE day < $since), 0)
                        AS prev_negative_share
                FROM topic_daily
                GROUP BY topic
            )
            SELECT *, mentions - prev_mentions AS mentions_change,
                negative_share - prev_negative_share AS negative_share_change
            FROM t
            WHERE mentions > 0 OR prev_mentions > 0
            ORDER BY mentions DESC, topic""",
            _window(brand, prev, period, since=period.start),
        )
    )


def top_terms(
    con: duckdb.DuckDBPyConnection,
    brand: str,
    period: Period,
    label: str,
    limit: int = 15,
    *,
    window: str = SCORED_WINDOW,
) -> list[dict[str, Any]]:
    """The terms most used in a brand's mentions with this label, over the weeks the period touches."""
    # As `top_terms` counts them (weekly: a week counts when it overlaps the period), from the window's mentions
    # only: the words that matched the brand and stop words left out.
    weeks = _term_weeks(period)
    return _dicts(
        con.execute(
            f"""WITH {window},
            docs AS (
                SELECT channel, id,
                    list_transform(coalesce(matched_terms, []), lambda t: regexp_replace(lower(t), '^[#@]+', ''))
                        AS brand_terms
                FROM scored WHERE label = $label
            )
            SELECT t.term, count(*) AS mentions
            FROM mention_terms t JOIN docs d ON d.channel = t.channel AND d.id = t.id
            WHERE NOT list_contains(d.brand_terms, lower(t.term)) AND t.term NOT IN (SELECT word FROM stopwords)
            GROUP BY t.term
            ORDER BY mentions DESC, term
            LIMIT $limit""",
            _window(brand, weeks, label=label, limit=int(limit)),
        )
    )


def feedback_summary(
    con: duckdb.DuckDBPyConnection, brand: str, period: Period, *, window: str = SCORED_WINDOW
) -> dict[str, Any]:
    """NPS, CSAT and CES of a brand's rated answers in the period, with the definitions of `feedback_scores`."""
    rows = con.execute(
        f"""WITH {window}
        SELECT
            count(*) FILTER (WHERE rating_scale = 'nps') AS nps_responses,
            100.0 * (count(*) FILTER (WHERE rating_scale = 'nps' AND rating >= 9)
                - count(*) FILTER (WHERE rating_scale = 'nps' AND rating <= 6))
                / nullif(count(*) FILTER (WHERE rating_scale = 'nps'), 0) AS nps,
            count(*) FILTER (WHERE rating_scale = 'csat') AS csat_responses,
            100.0 * count(*) FILTER (WHERE rating_scale = 'csat' AND rating >= 4)
                / nullif(count(*) FILTER (WHERE rating_scale = 'csat'), 0) AS csat,
            count(*) FILTER (WHERE rating_scale IN ('ces', 'ces5', 'ces7')) AS ces_responses,
            avg(CASE WHEN rating_scale IN ('ces', 'ces7') THEN rating
                     WHEN rating_scale = 'ces5' THEN 1 + (rating - 1) * 6.0 / 4.0 END) AS ces,
            count(*) FILTER (WHERE rating_scale IN ('stars', 'stars10')) AS review_responses,
            avg(rating_norm) FILTER (WHERE rating_scale IN ('stars', 'stars10')) AS reviews_norm
        FROM scored
        WHERE rating IS NOT NULL""",
        _window(brand, period),
    )
    return _dicts(rows)[0]


def comparable_scores(
    con: duckdb.DuckDBPyConnection, brand: str, period: Period, bucket: str = "week", *, window: str = SCORED_WINDOW
) -> list[dict[str, Any]]:
    """Per day/week: social sentiment (mean model score) and each kind of rating (mean rating_norm), all -1 … 1."""
    b = _bucket_sql(bucket)
    return _dicts(
        con.execute(
            f"""WITH {window},
            rows AS (
                SELECT {b} AS bucket,
                    CASE WHEN rating IS NULL THEN '{SOCIAL_SOURCE}' ELSE {FEEDBACK_SOURCE_SQL} END AS source,
                    CASE WHEN rating IS NULL THEN score ELSE rating_norm END AS value
                FROM scored
                -- Survey answers without a rating are feedback, not social talk.
                WHERE rating IS NOT NULL OR channel <> 'survey'
            )
            SELECT bucket, source, avg(value) AS value, count(value) AS responses
            FROM rows
            WHERE value IS NOT NULL
            GROUP BY ALL
            ORDER BY bucket, source""",
            _window(brand, period),
        )
    )


def alerts_in(con: duckdb.DuckDBPyConnection, brands: list[str], period: Period) -> list[dict[str, Any]]:
    """Alert episodes of these brands whose window overlaps the period, newest first."""
    return _dicts(
        con.execute(
            """SELECT alert_key, brand, signal, window_start, window_end, observed, expected, p_value,
                observed / nullif(expected, 0) AS lift, status, created_at, sent_at, destination, text
            FROM alerts
            WHERE list_contains(?, brand) AND window_start < ? AND window_end > ?
            ORDER BY window_start DESC, brand""",
            [brands, period.end_at, period.start_at],
        )
    )


def example_mentions(
    con: duckdb.DuckDBPyConnection,
    brand: str,
    period: Period,
    label: str,
    limit: int = 5,
    *,
    window: str = SCORED_WINDOW,
) -> list[dict[str, Any]]:
    """A brand's mentions with this label in the period: the widest reach first, then the strongest score."""
    order = "score ASC" if label == "negative" else "score DESC"
    return _dicts(
        con.execute(
            f"""WITH {window}
            SELECT created_at, channel, id, author_handle, author_followers, lang, kind, label, score, text, url
            FROM scored
            WHERE label = $label
            ORDER BY coalesce(author_followers, 0) DESC, {order}, created_at DESC, channel, id
            LIMIT $limit""",
            _window(brand, period, label=label, limit=int(limit)),
        )
    )


def theme_candidates(
    con: duckdb.DuckDBPyConnection,
    brand: str,
    period: Period,
    *,
    baseline_days: int = THEME_BASELINE_DAYS,
    window: str = SCORED_WINDOW,
) -> tuple[list[tuple[str, str, str, str | None, list[str]]], TermTally]:
    """The period's negative mentions no topic explains (the newest ones) and the term counts of the brand's mentions
    from `baseline_days` before it to its end, for clustering into emerging themes after the connection closes."""
    from warehouse.topics import term_counts_in, unexplained_negatives

    rows = unexplained_negatives(con, brand, period.start_at, period.end_at, limit=MAX_THEME_CANDIDATES, window=window)
    if not rows:
        return [], TermTally({}, 0)
    # A theme's label ranks its own candidates' terms only: the other terms of the baseline are not counted out.
    terms = sorted({term for *_, found in rows for term in found})
    span = (period.start_at - timedelta(days=baseline_days), period.end_at)
    [baseline] = term_counts_in(con, brand, [span], only=[terms], window=window)
    return rows, baseline


def response_care(
    con: duckdb.DuckDBPyConnection, brands: list[str], period: Period, *, window: str = SCORED_WINDOW
) -> list[dict[str, Any]]:
    """Per brand (in the order given): its owned accounts, their posts and replies in the period, and how many of
    the negative customer mentions posted in the period they answered and how fast, overall and per channel."""
    # As `mention_responses` answers, but from the period's mentions and the owned posts since its start only.
    accounts = dict(
        con.execute(
            "SELECT brand, list(DISTINCT entry ORDER BY entry) FROM owned_accounts WHERE list_contains(?, brand) "
            "GROUP BY brand",
            [brands],
        ).fetchall()
    )
    posts = {
        brand: (int(n), int(replies))
        for brand, n, replies in con.execute(
            """SELECT brand, count(*), count(*) FILTER (WHERE parent_id IS NOT NULL) FROM owned_posts
            WHERE list_contains(?, brand) AND day BETWEEN ? AND ? GROUP BY brand""",
            [brands, period.start, period.end],
        ).fetchall()
    }
    rows = _dicts(
        con.execute(
            f"""WITH RECURSIVE {window}, {FIRST_RESPONSES}
            SELECT n.brand, n.channel, count(*) AS negative, count(f.first_response_at) AS responded,
                CAST(count(f.first_response_at) AS DOUBLE) / count(*) AS response_rate,
                median(date_diff('second', n.created_at, f.first_response_at) / 60.0) AS median_minutes
            FROM negatives n
            LEFT JOIN first_response f ON f.channel = n.channel AND f.id = n.id AND f.brand = n.brand
            GROUP BY GROUPING SETS ((n.brand, n.channel), (n.brand))
            ORDER BY n.brand, n.channel NULLS FIRST""",
            _window(brands, period),
        )
    )
    out = []
    for brand in brands:
        mine = [row for row in rows if row["brand"] == brand]
        total = next((row for row in mine if row["channel"] is None), None)
        own_posts, own_replies = posts.get(brand, (0, 0))
        out.append(
            {
                "brand": brand,
                "accounts": list(accounts.get(brand) or []),
                "posts": own_posts,
                "replies": own_replies,
                "total": total or {"negative": 0, "responded": 0, "response_rate": None, "median_minutes": None},
                "channels": [row for row in mine if row["channel"] is not None],
            }
        )
    return out
