"""The views marketing queries by name; docs/warehouse.md documents each one with example questions."""

from __future__ import annotations

import duckdb

from models.mention import RATING_SCALES

# Dependency order: later views read `mentions_scored`.
VIEW_NAMES: tuple[str, ...] = (
    "mentions_scored",
    "sentiment_daily",
    "sentiment_hourly",
    "share_of_voice",
    "topic_daily",
    "top_terms",
    "feedback_scores",
    "alerts",
)

# Korean particles glued to the end of a word ("배송이" → "배송"); stripped only when two or more syllables remain.
KOREAN_PARTICLES: tuple[str, ...] = (
    "에서",
    "에게",
    "한테",
    "으로",
    "까지",
    "부터",
    "이랑",
    "은",
    "는",
    "을",
    "를",
    "이",
    "가",
    "와",
    "과",
    "도",
    "의",
    "에",
    "로",
    "랑",
    "만",
)


def _rating_norm_sql() -> str:
    """CASE expression mapping `rating` on its scale onto [-1, 1], built from models.mention.RATING_SCALES."""
    # The scale names and bounds are code constants, not user input, so they are inlined as literals.
    arms = []
    for name, (low, high) in RATING_SCALES.items():
        assert name.isidentifier()
        arms.append(f"WHEN '{name}' THEN (m.rating - {float(low)!r}) / {float(high - low)!r} * 2 - 1")
    return f"CASE m.rating_scale {' '.join(arms)} END"


def view_statements() -> list[str]:
    """The CREATE OR REPLACE VIEW statements, in dependency order."""
    particles = "|".join(KOREAN_PARTICLES)
    return [
        f"""CREATE OR REPLACE VIEW mentions_scored AS
        WITH latest AS (
            -- The newest score per mention, whichever model version produced it; older versions stay in `scores`.
            SELECT * FROM scores
            QUALIFY row_number() OVER (PARTITION BY channel, id ORDER BY scored_at DESC, model_version DESC) = 1
        )
        SELECT
            b.brand,
            m.channel,
            m.id,
            m.created_at,
            -- Buckets are computed in UTC whatever the session time zone, so every client sees the same days.
            CAST(timezone('UTC', m.created_at) AS DATE) AS day,
            timezone('UTC', date_trunc('hour', timezone('UTC', m.created_at))) AS hour,
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
            {_rating_norm_sql()} AS rating_norm,
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
            m.ingested_at
        FROM mentions m
        LEFT JOIN mention_brands b ON b.channel = m.channel AND b.id = m.id
        LEFT JOIN latest s ON s.channel = m.channel AND s.id = m.id""",
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
            SELECT channel, id, arg_max(model_version, scored_at) AS model_version
            FROM mention_topics
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
        f"""CREATE OR REPLACE VIEW top_terms AS
        WITH docs AS (
            SELECT
                brand,
                CAST(date_trunc('week', day) AS DATE) AS week,
                label,
                channel,
                id,
                -- The words that made the mention match its brand are in every row, so they are no signal.
                list_transform(coalesce(matched_terms, []), lambda t: regexp_replace(lower(t), '^[#@]+', ''))
                    AS brand_terms,
                -- Links are dropped first: their pieces (https, t, co…) are not terms.
                regexp_extract_all(
                    lower(regexp_replace(text, '(https?://|www\\.)\\S+', ' ', 'g')),
                    '[\\p{{L}}\\p{{M}}\\p{{N}}_]+'
                ) AS tokens
            FROM mentions_scored
        ),
        tokens AS (
            SELECT brand, week, label, channel, id, brand_terms, unnest(tokens) AS token FROM docs
        ),
        terms AS (
            SELECT DISTINCT
                brand,
                week,
                label,
                channel,
                id,
                brand_terms,
                regexp_replace(token, '^(\\p{{Hangul}}{{2,}}?)({particles})$', '\\1') AS term
            FROM tokens
        )
        SELECT brand, week, label, term, count(*) AS mentions
        FROM terms
        WHERE length(term) >= 2
            AND regexp_matches(term, '\\p{{L}}')
            -- Runs of bare jamo (ㅋㅋㅋ, ㅠㅠ) are laughter and tears, not terms.
            AND NOT regexp_matches(term, '^[ㄱ-ㅎㅏ-ㅣ]+$')
            AND term NOT IN (SELECT word FROM stopwords)
            AND NOT list_contains(brand_terms, term)
        GROUP BY brand, week, label, term""",
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
        SELECT
            alert_key,
            brand,
            signal,
            window_start,
            window_end,
            observed,
            expected,
            p_value,
            status,
            attempts,
            next_attempt_at,
            last_error,
            destination,
            created_at,
            sent_at,
            run_id,
            text
        FROM alert_outbox""",
    ]


def _sentiment_rollup(name: str, bucket: str) -> str:
    """sentiment_daily / sentiment_hourly: counts per label and mean score per brand, channel and bucket."""
    # `name` and `bucket` come from the two call sites above, never from input.
    return f"""CREATE OR REPLACE VIEW {name} AS
        SELECT
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
        FROM mentions_scored
        GROUP BY brand, channel, {bucket}"""


def create_views(con: duckdb.DuckDBPyConnection) -> None:
    """Create or replace every view (migrate calls this once the tables are current)."""
    for statement in view_statements():
        con.execute(statement)
