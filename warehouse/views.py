"""The views marketing queries by name; docs/warehouse.md documents each one with example questions."""

from __future__ import annotations

from itertools import pairwise

import duckdb

from models.ratings import SCALE_KNOTS

# Dependency order: later views read `mentions_scored` (customer mentions) or `mentions_all` (everything).
VIEW_NAMES: tuple[str, ...] = (
    "owned_posts",
    "mentions_all",
    "mentions_scored",
    "sentiment_daily",
    "sentiment_hourly",
    "share_of_voice",
    "topic_daily",
    "top_terms",
    "feedback_scores",
    "alerts",
    "mention_responses",
    "brand_responses",
)
# (channel, id, brand, account) of every mention written by an owned account. One join with OR over the tiny
# `owned_accounts` table (an account belongs to one brand; min() only makes the row unique): measured faster at
# 1M mentions than two equi-joins, and `mentions_all` pays it on every query.
_OWNED_BY_AUTHOR = """(o.channel IS NULL OR o.channel = m.channel)
        AND (o.handle = lower(ltrim(trim(m.author_handle), '@')) OR o.author_id = m.author_id)"""


def owned_authors_sql(where: str = "") -> str:
    """(channel, id, brand, account) of the mentions written by an owned account; `where` narrows the mentions `m`."""
    # `where` is SQL written by our own queries (a time filter with named parameters), never input.
    return f"""SELECT m.channel, m.id, min(o.brand) AS brand, arg_min(o.entry, o.brand) AS account
    FROM mentions m
    JOIN owned_accounts o
        ON {_OWNED_BY_AUTHOR}
    {f"WHERE {where}" if where else ""}
    GROUP BY m.channel, m.id"""


OWNED_AUTHORS_SQL = owned_authors_sql()
# A correlated test for one mention `m`: is it written by an owned account (for queries that read `mentions`).
OWNED_AUTHOR_MATCH = f"SELECT 1 FROM owned_accounts o WHERE {_OWNED_BY_AUTHOR}"
# How far up a reply chain an owned reply still answers the post at the top (a reply to a reply to the complaint).
RESPONSE_DEPTH = 10

# The newest score of each mention: the one with the newest scored_at. An aggregate, not a window over all scores
# (half the cost at a million mentions); two model versions never score a mention in the same microsecond, since
# each version scores in its own run.
_SCORE_COLUMNS = ("model", "model_version", "label", "score", "p_negative", "p_neutral", "p_positive", "scored_at")
# arg_max_null: a NULL probability of the newest score stays NULL rather than falling back to an older score's.
NEWEST_SCORES = (
    "SELECT channel, id,\n                "
    + ",\n                ".join(f"arg_max_null({column}, scored_at) AS {column}" for column in _SCORE_COLUMNS)
    + "\n            FROM scores GROUP BY channel, id"
)
_HOUR_US = 3_600_000_000


def utc_hour_sql(column: str) -> str:
    """The UTC hour of a TIMESTAMPTZ column, by integer maths on microseconds (whatever the session time zone)."""
    # Ten times cheaper than the time zone functions at a million rows; UTC has no leap hours.
    return f"make_timestamptz(epoch_us({column}) - ((epoch_us({column}) % {_HOUR_US}) + {_HOUR_US}) % {_HOUR_US})"


def utc_day_sql(column: str) -> str:
    """The UTC calendar day of a TIMESTAMPTZ column (whatever the session time zone)."""
    return f"(DATE '1970-01-01' + CAST(floor(epoch_us({column}) / {24 * _HOUR_US}) AS INTEGER))"


def owned_posts_select(where: str = "") -> str:
    """The SELECT of `owned_posts`; `where` (on mentions `m`) narrows the posts read before they are matched."""
    return f"""WITH owned AS ({owned_authors_sql(where)})
        SELECT
            o.brand,
            o.account,
            m.channel,
            m.id,
            m.created_at,
            CAST(timezone('UTC', m.created_at) AS DATE) AS day,
            m.author_id,
            m.author_handle,
            m.kind,
            m.parent_id,
            m.raw->>'conversation_id' AS conversation_id,
            -- Who answered, as the alert names it: the configured @handle, else the post's own handle.
            CASE WHEN o.account LIKE '@%' THEN o.account
                ELSE coalesce('@' || ltrim(m.author_handle, '@'), o.account) END AS responder,
            m.text,
            m.url
        FROM owned o
        JOIN mentions m USING (channel, id)
        {f"WHERE {where}" if where else ""}"""


def answered_cte(owned: str) -> str:
    """The recursive CTE `answered`: which posts each reply in `owned` (rows shaped like `owned_posts`) answers."""
    # `owned` is `owned_posts` or a CTE over it named by our own queries, never input.
    return f"""answered(channel, id, brand, reply_id, reply_at, responder, depth) AS (
            -- Each owned reply answers its parent, its X conversation's first post, and every post above them.
            SELECT channel, parent_id, brand, id, created_at, responder, 1
            FROM {owned} WHERE parent_id IS NOT NULL
            UNION ALL
            SELECT channel, conversation_id, brand, id, created_at, responder, 1
            FROM {owned}
            WHERE conversation_id IS NOT NULL AND conversation_id <> id AND conversation_id <> coalesce(parent_id, '')
            UNION ALL
            SELECT a.channel, m.parent_id, a.brand, a.reply_id, a.reply_at, a.responder, a.depth + 1
            FROM answered a
            JOIN mentions m ON m.channel = a.channel AND m.id = a.id
            WHERE m.parent_id IS NOT NULL AND a.depth < {RESPONSE_DEPTH}
        )"""


def rating_norm_sql() -> str:
    """CASE expression mapping `rating` on its scale onto [-1, 1], built from models.ratings.SCALE_KNOTS."""
    # The scale names and knots are code constants, not user input, so they are inlined as literals. Each scale is
    # piecewise linear (NPS has its detractor / passive / promoter bands), the same maths as normalise_rating.
    arms = []
    for name, knots in SCALE_KNOTS.items():
        assert name.isidentifier()
        pieces = " ".join(
            f"WHEN m.rating <= {x1!r} THEN {y0!r} + (m.rating - {x0!r}) * {(y1 - y0) / (x1 - x0)!r}"
            for (x0, y0), (x1, y1) in pairwise(knots)
        )
        arms.append(f"WHEN '{name}' THEN CASE {pieces} END")
    return f"CASE m.rating_scale {' '.join(arms)} END"


def view_statements() -> list[str]:
    """The CREATE OR REPLACE VIEW statements, in dependency order."""
    return [
        f"""CREATE OR REPLACE VIEW owned_posts AS
        -- Posts by the brands' own accounts (`owned_accounts`, synced from `[[brands]] owned` at each run), matched
        -- by author when read, so a changed list applies to all history.
        {owned_posts_select()}""",
        f"""CREATE OR REPLACE VIEW mentions_all AS
        WITH latest AS (
            -- The newest score per mention, whichever model version produced it; older versions stay in `scores`.
            {NEWEST_SCORES}
        )
        SELECT
            b.brand,
            m.channel,
            m.id,
            m.created_at,
            -- Buckets are computed in UTC whatever the session time zone, so every client sees the same days.
            {utc_day_sql("m.created_at")} AS day,
            {utc_hour_sql("m.created_at")} AS hour,
            m.text,
            m.url,
            m.author_id,
            m.author_handle,
            m.author_followers,
            m.lang,
            m.kind,
            m.parent_id,
            m.metrics,
            m.rating,
            m.rating_scale,
            {rating_norm_sql()} AS rating_norm,
            s.label,
            s.score,
            s.p_negative,
            s.p_neutral,
            s.p_positive,
            s.model,
            s.model_version,
            s.scored_at,
            b.terms AS matched_terms,
            m.run_id,
            m.ingested_at,
            -- Written by one of the brands' own accounts (`owned_posts`): the brand's voice, not customer talk.
            o.brand IS NOT NULL AS owned,
            o.brand AS owned_by
        FROM mentions m
        LEFT JOIN mention_brands b ON b.channel = m.channel AND b.id = m.id
        LEFT JOIN latest s ON s.channel = m.channel AND s.id = m.id
        LEFT JOIN ({OWNED_AUTHORS_SQL}) o ON o.channel = m.channel AND o.id = m.id""",
        # Customer talk only: every view and query below reads this, so owned posts stay out of trends, share of
        # voice, topics, terms and spike counts by default (`mentions_all` has them, flagged).
        """CREATE OR REPLACE VIEW mentions_scored AS
        SELECT * EXCLUDE (owned, owned_by) FROM mentions_all WHERE NOT owned""",
        _sentiment_rollup("sentiment_daily", "day"),
        _sentiment_rollup("sentiment_hourly", "hour"),
        """CREATE OR REPLACE VIEW share_of_voice AS
        WITH per_brand AS (
            SELECT
                day,
                brand,
                count(*) AS mentions,
                count(*) FILTER (WHERE label = 'negative') AS negative,
                count(label) AS scored,
                avg(score) AS net_sentiment
            FROM mentions_scored
            WHERE brand IS NOT NULL
            GROUP BY day, brand
        )
        SELECT
            day,
            brand,
            mentions,
            -- A mention naming two brands counts for both, so the shares of one day add up to 1.
            CAST(mentions AS DOUBLE) / sum(mentions) OVER (PARTITION BY day) AS share,
            negative,
            scored,
            CAST(negative AS DOUBLE) / nullif(scored, 0) AS negative_share,
            net_sentiment
        FROM per_brand""",
        """CREATE OR REPLACE VIEW topic_daily AS
        WITH latest_version AS (
            -- The newest topic model that looked at the mention; `topic_scans` also records versions that found no
            -- topic, so a newer model's "none" hides an older model's topics.
            SELECT channel, id, arg_max(model_version, scored_at) AS model_version
            FROM (
                SELECT channel, id, model_version, scored_at FROM mention_topics
                UNION ALL
                SELECT channel, id, model_version, scored_at FROM topic_scans
            )
            GROUP BY channel, id
        ),
        topics AS (
            SELECT t.*
            FROM mention_topics t
            JOIN latest_version v USING (channel, id, model_version)
        ),
        topic_rows AS (
            -- A topic's own (aspect) sentiment wins over the whole mention's when the topic model gives one.
            SELECT
                ms.brand,
                t.topic,
                ms.day,
                coalesce(t.sentiment_label, ms.label) AS label,
                coalesce(t.sentiment_score, ms.score) AS score
            FROM topics t
            JOIN mentions_scored ms ON ms.channel = t.channel AND ms.id = t.id
        )
        SELECT
            brand,
            topic,
            day,
            count(*) AS mentions,
            count(*) FILTER (WHERE label = 'negative') AS negative,
            count(label) AS scored,
            CAST(count(*) FILTER (WHERE label = 'negative') AS DOUBLE) / nullif(count(label), 0) AS negative_share,
            avg(score) AS net_sentiment
        FROM topic_rows
        GROUP BY brand, topic, day""",
        """CREATE OR REPLACE VIEW top_terms AS
        WITH docs AS (
            -- Terms come from `mention_terms` (kiwipiepy for Korean, written when topics are scored).
            SELECT
                ms.brand,
                CAST(date_trunc('week', ms.day) AS DATE) AS week,
                ms.label,
                ms.channel,
                ms.id,
                list_transform(coalesce(ms.matched_terms, []), lambda t: regexp_replace(lower(t), '^[#@]+', ''))
                    AS brand_terms
            FROM mentions_scored ms
            WHERE ms.brand IS NOT NULL
                AND EXISTS (SELECT 1 FROM mention_terms mt WHERE mt.channel = ms.channel AND mt.id = ms.id)
        ),
        doc_terms AS (
            SELECT d.brand, d.week, d.label, d.channel, d.id, t.term
            FROM docs d
            JOIN mention_terms t ON t.channel = d.channel AND t.id = d.id
            -- The words that made the mention match its brand are in every row, so they are no signal.
            WHERE NOT list_contains(d.brand_terms, lower(t.term))
                AND t.term NOT IN (SELECT word FROM stopwords)
        ),
        selection AS (
            SELECT brand, week, label, term, count(*) AS mentions FROM doc_terms GROUP BY brand, week, label, term
        ),
        selection_size AS (
            SELECT brand, week, label, count(*) AS docs FROM docs GROUP BY brand, week, label
        ),
        baseline AS (
            -- The brand's usual vocabulary: all its mentions with terms, every week and label.
            SELECT brand, term, count(*) AS baseline_mentions FROM doc_terms GROUP BY brand, term
        ),
        baseline_size AS (
            SELECT brand, count(*) AS baseline_docs FROM docs GROUP BY brand
        ),
        ranked AS (
            SELECT
                s.brand,
                s.week,
                s.label,
                s.term,
                s.mentions,
                z.docs,
                CAST(s.mentions AS DOUBLE) / z.docs AS share,
                b.baseline_mentions,
                bz.baseline_docs,
                CAST(b.baseline_mentions AS DOUBLE) / bz.baseline_docs AS baseline_share,
                -- Share here ÷ share in the baseline, the baseline smoothed by one mention (models.text.terms.lift).
                (CAST(s.mentions AS DOUBLE) / z.docs)
                    / ((b.baseline_mentions + 1.0) / (bz.baseline_docs + 1.0)) AS lift
            FROM selection s
            JOIN selection_size z USING (brand, week, label)
            JOIN baseline b USING (brand, term)
            JOIN baseline_size bz USING (brand)
        )
        SELECT
            *,
            -- Rank by lift among terms used by at least two mentions (a one-off word would otherwise top every list).
            CASE WHEN mentions >= 2 THEN
                row_number() OVER (
                    PARTITION BY brand, week, label, mentions >= 2 ORDER BY lift DESC, mentions DESC, term
                )
            END AS rank
        FROM ranked""",
        """CREATE OR REPLACE VIEW feedback_scores AS
        SELECT
            brand,
            channel,
            CAST(date_trunc('month', day) AS DATE) AS month,
            count(*) AS responses,
            count(*) FILTER (WHERE rating_scale = 'nps') AS nps_responses,
            100.0 * (
                count(*) FILTER (WHERE rating_scale = 'nps' AND rating >= 9)
                - count(*) FILTER (WHERE rating_scale = 'nps' AND rating <= 6)
            ) / nullif(count(*) FILTER (WHERE rating_scale = 'nps'), 0) AS nps,
            count(*) FILTER (WHERE rating_scale = 'csat') AS csat_responses,
            100.0 * count(*) FILTER (WHERE rating_scale = 'csat' AND rating >= 4)
                / nullif(count(*) FILTER (WHERE rating_scale = 'csat'), 0) AS csat,
            count(*) FILTER (WHERE rating_scale IN ('ces', 'ces5', 'ces7')) AS ces_responses,
            -- CES is reported on the 1-7 scale; 1-5 answers are stretched onto it so the mean stays comparable.
            avg(CASE
                WHEN rating_scale IN ('ces', 'ces7') THEN rating
                WHEN rating_scale = 'ces5' THEN 1 + (rating - 1) * 6.0 / 4.0
            END) AS ces,
            avg(rating_norm) AS avg_rating_norm
        FROM mentions_scored
        WHERE rating IS NOT NULL
        GROUP BY brand, channel, month""",
        """CREATE OR REPLACE VIEW alerts AS
        -- One row per alert episode: its first message's delivery, the episode's current window and counts.
        SELECT
            o.alert_key,
            o.brand,
            o.signal,
            coalesce(e.window_start, o.window_start) AS window_start,
            coalesce(e.window_end, o.window_end) AS window_end,
            coalesce(e.observed, o.observed) AS observed,
            coalesce(e.expected, o.expected) AS expected,
            o.p_value,
            o.status,
            o.attempts,
            o.next_attempt_at,
            o.last_error,
            o.destination,
            o.created_at,
            o.sent_at,
            o.run_id,
            o.text,
            e.signals,
            e.share,
            e.usual_share,
            e.status AS episode_status,
            e.updates,
            e.resolved_at,
            (SELECT list(u.status ORDER BY u.created_at) FROM alert_outbox u
             WHERE u.episode_key = o.alert_key AND u.kind <> 'alert') AS follow_ups
        FROM alert_outbox o
        LEFT JOIN alert_episodes e ON e.episode_key = o.alert_key
        WHERE coalesce(o.kind, 'alert') = 'alert'""",
        f"""CREATE OR REPLACE VIEW mention_responses AS
        WITH RECURSIVE {answered_cte("owned_posts")},
        first_response AS (
            SELECT ms.channel, ms.id, ms.brand,
                count(DISTINCT a.reply_id) AS responses,
                min(a.reply_at) AS first_response_at,
                arg_min(a.responder, a.reply_at) AS responder
            FROM answered a
            JOIN mentions_scored ms ON ms.channel = a.channel AND ms.id = a.id AND ms.brand = a.brand
            -- A reply stamped before the post (clock skew, a wrong date) answers nothing.
            WHERE a.reply_at >= ms.created_at
            GROUP BY ALL
        )
        -- One row per customer mention of a brand that its own accounts could answer (not survey answers, not
        -- reposts): whether, when and by whom it was first answered.
        SELECT
            ms.brand,
            ms.channel,
            ms.id,
            ms.created_at,
            ms.day,
            ms.label,
            ms.author_handle,
            ms.text,
            ms.url,
            f.first_response_at IS NOT NULL AS responded,
            coalesce(f.responses, 0) AS responses,
            f.first_response_at,
            f.responder,
            date_diff('second', ms.created_at, f.first_response_at) / 60.0 AS response_minutes
        FROM mentions_scored ms
        LEFT JOIN first_response f ON f.channel = ms.channel AND f.id = ms.id AND f.brand = ms.brand
        WHERE ms.brand IS NOT NULL AND ms.kind NOT IN ('survey', 'repost')""",
        """CREATE OR REPLACE VIEW brand_responses AS
        -- Response care per brand, channel and day: how many negative customer mentions an owned account answered
        -- and how fast. `owned_accounts` says whether the brand has any (no accounts: a rate would mean nothing).
        SELECT
            r.brand,
            r.channel,
            r.day,
            count(*) AS negative,
            count(*) FILTER (WHERE r.responded) AS responded,
            CAST(count(*) FILTER (WHERE r.responded) AS DOUBLE) / count(*) AS response_rate,
            median(r.response_minutes) AS median_response_minutes,
            min(r.response_minutes) AS fastest_response_minutes,
            EXISTS (SELECT 1 FROM owned_accounts o WHERE o.brand = r.brand) AS has_owned_accounts
        FROM mention_responses r
        WHERE r.label = 'negative'
        GROUP BY r.brand, r.channel, r.day""",
    ]


def _sentiment_rollup(name: str, bucket: str) -> str:
    """sentiment_daily / sentiment_hourly: counts per label and mean score per brand, channel and bucket."""
    # `name` and `bucket` come from the two call sites above, never from input.
    return f"CREATE OR REPLACE VIEW {name} AS\n        {sentiment_rollup_select('mentions_scored', bucket)}"


def sentiment_rollup_select(source: str, bucket: str) -> str:
    """The SELECT of `sentiment_daily` / `sentiment_hourly` over `source` (the view, or a window's `scored` rows)."""
    return f"""SELECT
            brand,
            channel,
            {bucket},
            count(*) AS mentions,
            count(*) FILTER (WHERE label = 'negative') AS negative,
            count(*) FILTER (WHERE label = 'neutral') AS neutral,
            count(*) FILTER (WHERE label = 'positive') AS positive,
            count(label) AS scored,
            -- Shares are of scored mentions, so a backlog of unscored ones does not dilute them.
            CAST(count(*) FILTER (WHERE label = 'negative') AS DOUBLE) / nullif(count(label), 0) AS negative_share,
            avg(score) AS net_sentiment
        FROM {source}
        GROUP BY brand, channel, {bucket}"""


def create_views(con: duckdb.DuckDBPyConnection) -> None:
    """Create or replace every view (migrate calls this once the tables are current)."""
    for statement in view_statements():
        con.execute(statement)
