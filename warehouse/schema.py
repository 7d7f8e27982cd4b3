"""The warehouse schema in one place: its version, the forward migrations, and `migrate`."""

from __future__ import annotations

import hashlib

import duckdb

from models.errors import FatalError
from models.text.stopwords import STOPWORDS_EN, STOPWORDS_KO
from warehouse.connection import LAKE_CONNECTIONS, committed, first_row
from warehouse.lake_sql import for_lake
from warehouse.upsert import upsert_row
from warehouse.views import VIEW_NAMES, create_views, view_statements

# The stop words version 2 seeded, kept exactly as shipped (a shipped migration never changes). The live list is
# models/text/stopwords.py, which version 7 seeds on top of these.
_V2_EN_WORDS = """
about after again all also am an and any are aren as at be because been before being but by can could couldn
did didn do does doesn doing don down each even ever for from get gets got had has hasn have haven having he
her here hers him his how if im in into is isn it its just ll me more most much my no nor not now of off on
once one only or other our ours out over own re really same she should so some still such than that the their
them then there these they this those through to too up us ve very was wasn we were weren what when where
which while who why will with won would wouldn you your yours amp rt via http https www com lol
"""
_V2_KO_WORDS = """
그리고 그런데 근데 하지만 그래서 그러나 그럼 또는 또한 그냥 정말 진짜 너무 아주 매우 완전 많이
조금 이거 그거 저거 이것 그것 저것 여기 거기 저기 우리 저희 저는 제가 저도 나는 내가 나도
있다 없다 있어요 없어요 있습니다 없습니다 했어요 했는데 하는 하고 해서 하면 합니다 입니다 이에요
예요 에요 인데 는데 아니 어떻게 때문에 위해 통해 대한 대해 같은 같아요 같이 다시 계속 이번
오늘 지금 이제 항상 모두 다른 어떤 무슨 그래도 에서 으로 까지 부터 에게 한테 이랑 하다 했다
되다 된다 되는 하면서 해요 했습니다
"""

_V2_STOPWORDS_EN: tuple[str, ...] = tuple(_V2_EN_WORDS.split())
_V2_STOPWORDS_KO: tuple[str, ...] = tuple(_V2_KO_WORDS.split())


def _stopword_rows(lang: str, words: tuple[str, ...]) -> str:
    # Built from constants, never from user input; the assert keeps them safe to inline as literals.
    assert all("'" not in word for word in words)
    return ", ".join(f"('{lang}', '{word}')" for word in dict.fromkeys(words))


# Forward migrations: (version, statements). Append new versions; never edit one that has shipped.
MIGRATIONS: list[tuple[int, list[str]]] = [
    (
        1,
        [
            """CREATE TABLE mentions (
                channel VARCHAR NOT NULL,
                id VARCHAR NOT NULL,
                text VARCHAR NOT NULL,
                created_at TIMESTAMPTZ NOT NULL,
                url VARCHAR,
                author_id VARCHAR,
                author_handle VARCHAR,
                author_followers BIGINT,
                lang VARCHAR,
                kind VARCHAR NOT NULL,
                parent_id VARCHAR,
                metrics JSON,
                rating DOUBLE,
                rating_scale VARCHAR,
                raw JSON,
                run_id VARCHAR,
                ingested_at TIMESTAMPTZ NOT NULL,
                PRIMARY KEY (channel, id)
            )""",
            """CREATE TABLE mention_brands (
                channel VARCHAR NOT NULL,
                id VARCHAR NOT NULL,
                brand VARCHAR NOT NULL,
                terms VARCHAR[],
                PRIMARY KEY (channel, id, brand)
            )""",
            """CREATE TABLE scores (
                channel VARCHAR NOT NULL,
                id VARCHAR NOT NULL,
                model VARCHAR NOT NULL,
                model_version VARCHAR NOT NULL,
                label VARCHAR NOT NULL,
                score DOUBLE NOT NULL,
                p_negative DOUBLE,
                p_neutral DOUBLE,
                p_positive DOUBLE,
                scored_at TIMESTAMPTZ NOT NULL,
                PRIMARY KEY (channel, id, model_version)
            )""",
            """CREATE TABLE cursors (
                channel VARCHAR NOT NULL,
                scope VARCHAR NOT NULL,
                value VARCHAR NOT NULL,
                updated_at TIMESTAMPTZ NOT NULL,
                run_id VARCHAR,
                PRIMARY KEY (channel, scope)
            )""",
            """CREATE TABLE runs (
                run_id VARCHAR PRIMARY KEY,
                started_at TIMESTAMPTZ NOT NULL,
                finished_at TIMESTAMPTZ,
                status VARCHAR NOT NULL,
                summary JSON
            )""",
            "CREATE SEQUENCE rejects_seq START 1",
            """CREATE TABLE rejects (
                reject_id BIGINT PRIMARY KEY DEFAULT nextval('rejects_seq'),
                run_id VARCHAR,
                source VARCHAR NOT NULL,
                line BIGINT,
                channel VARCHAR,
                record_id VARCHAR,
                reason VARCHAR NOT NULL,
                payload VARCHAR,
                rejected_at TIMESTAMPTZ NOT NULL
            )""",
        ],
    ),
    (
        2,
        [
            # scored_at picks the newest topic model per mention, as scores.scored_at does for sentiment.
            """CREATE TABLE mention_topics (
                channel VARCHAR NOT NULL,
                id VARCHAR NOT NULL,
                model_version VARCHAR NOT NULL,
                topic VARCHAR NOT NULL,
                score DOUBLE,
                sentiment_label VARCHAR,
                sentiment_score DOUBLE,
                scored_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
                PRIMARY KEY (channel, id, model_version, topic)
            )""",
            """CREATE TABLE alert_outbox (
                alert_key VARCHAR PRIMARY KEY,
                brand VARCHAR NOT NULL,
                signal VARCHAR NOT NULL,
                window_start TIMESTAMPTZ NOT NULL,
                window_end TIMESTAMPTZ NOT NULL,
                observed DOUBLE,
                expected DOUBLE,
                p_value DOUBLE,
                title VARCHAR,
                text VARCHAR NOT NULL,
                blocks JSON,
                status VARCHAR NOT NULL DEFAULT 'pending',
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at TIMESTAMPTZ,
                last_error VARCHAR,
                destination VARCHAR,
                created_at TIMESTAMPTZ NOT NULL,
                sent_at TIMESTAMPTZ,
                run_id VARCHAR
            )""",
            """CREATE TABLE stopwords (
                lang VARCHAR NOT NULL,
                word VARCHAR NOT NULL,
                PRIMARY KEY (lang, word)
            )""",
            f"INSERT INTO stopwords VALUES {_stopword_rows('en', _V2_STOPWORDS_EN)}",
            f"INSERT INTO stopwords VALUES {_stopword_rows('ko', _V2_STOPWORDS_KO)}",
        ],
    ),
    (
        3,
        [
            # Terms per mention (Korean nouns and predicates via kiwipiepy, English words and bigrams), written when
            # topics are scored: the tokeniser runs in Python, so `top_terms` reads them from here.
            """CREATE TABLE mention_terms (
                channel VARCHAR NOT NULL,
                id VARCHAR NOT NULL,
                lang VARCHAR,
                term VARCHAR NOT NULL,
                PRIMARY KEY (channel, id, term)
            )""",
            # Which mentions a topic model version has looked at, including those where no topic passed, so they
            # are not scored again and `topic_daily` knows a newer version found no topic.
            """CREATE TABLE topic_scans (
                channel VARCHAR NOT NULL,
                id VARCHAR NOT NULL,
                model_version VARCHAR NOT NULL,
                topics INTEGER NOT NULL,
                best_score DOUBLE,
                scored_at TIMESTAMPTZ NOT NULL,
                PRIMARY KEY (channel, id, model_version)
            )""",
        ],
    ),
    (
        4,
        [
            # One row per alert episode: its state across runs (open → resolved), so a grown episode gets an update
            # and an ended one a resolved note, never a second alert. `signals` is comma-separated: DuckDB
            # rewrites updates of list columns as delete + insert, which trips the primary key.
            """CREATE TABLE alert_episodes (
                episode_key VARCHAR PRIMARY KEY,
                brand VARCHAR NOT NULL,
                signal VARCHAR NOT NULL,
                signals VARCHAR,
                window_start TIMESTAMPTZ NOT NULL,
                window_end TIMESTAMPTZ NOT NULL,
                status VARCHAR NOT NULL DEFAULT 'open',
                observed DOUBLE,
                expected DOUBLE,
                share DOUBLE,
                usual_share DOUBLE,
                peak_hour TIMESTAMPTZ,
                detected_at TIMESTAMPTZ,
                notified_observed DOUBLE,
                updates INTEGER NOT NULL DEFAULT 0,
                opened_at TIMESTAMPTZ NOT NULL,
                updated_at TIMESTAMPTZ NOT NULL,
                resolved_at TIMESTAMPTZ,
                run_id VARCHAR
            )""",
            # What an outbox message is (the first alert, an update, a resolved note) and which episode it is about.
            "ALTER TABLE alert_outbox ADD COLUMN kind VARCHAR DEFAULT 'alert'",
            "ALTER TABLE alert_outbox ADD COLUMN episode_key VARCHAR",
        ],
    ),
    (
        5,
        [
            # Delivery states beyond pending/sent/failed (sending, blocked, expired, unknown, console) need no DDL:
            # `status` is free text. `sending_at` marks a POST whose outcome is not recorded yet; `requeued_at`
            # restarts the delivery horizon after `alerts resend`; `in_doubt` counts automatic re-sends of a post
            # whose outcome was unknown (at most one); `slack_ts`/`slack_channel` are what chat.postMessage returned;
            # `console_listed_at` is when a console-only alert was listed for the first run with Slack.
            "ALTER TABLE alert_outbox ADD COLUMN sending_at TIMESTAMPTZ",
            "ALTER TABLE alert_outbox ADD COLUMN requeued_at TIMESTAMPTZ",
            "ALTER TABLE alert_outbox ADD COLUMN in_doubt INTEGER DEFAULT 0",
            "ALTER TABLE alert_outbox ADD COLUMN slack_ts VARCHAR",
            "ALTER TABLE alert_outbox ADD COLUMN slack_channel VARCHAR",
            "ALTER TABLE alert_outbox ADD COLUMN console_listed_at TIMESTAMPTZ",
        ],
    ),
    (
        6,
        [
            # A re-imported (channel, id) with different text: the mention keeps the latest text, the old one is
            # kept here with the run that brought the new one (scores, topics and terms of the old text are dropped).
            """CREATE TABLE mention_edits (
                channel VARCHAR NOT NULL,
                id VARCHAR NOT NULL,
                old_text VARCHAR NOT NULL,
                new_text_sha256 VARCHAR NOT NULL,
                edited_at TIMESTAMPTZ NOT NULL,
                run_id VARCHAR
            )""",
            # Why a run ended as it did: the sources that failed in a partial run, or why it was marked abandoned.
            "ALTER TABLE runs ADD COLUMN reason VARCHAR",
        ],
    ),
    (
        7,
        [
            # The one stop-word list (the term extractor's and version 2's, merged) on top of version 2's seed:
            # new and old warehouses end with the same rows. ON CONFLICT keeps words a user added themselves.
            f"INSERT INTO stopwords VALUES {_stopword_rows('en', STOPWORDS_EN)} ON CONFLICT DO NOTHING",
            f"INSERT INTO stopwords VALUES {_stopword_rows('ko', STOPWORDS_KO)} ON CONFLICT DO NOTHING",
        ],
    ),
    (
        8,
        [
            # The brands' own accounts (`[[brands]] owned`), replaced from the config at every run, so the views
            # flag owned posts by their author at read time: a config change applies to all stored history and no
            # stored mention is ever rewritten. `channel` NULL means any channel; `handle` is casefolded, no @.
            # No primary key: a sync replaces the whole list, and DuckDB checks keys of deleted rows eagerly.
            """CREATE TABLE owned_accounts (
                brand VARCHAR NOT NULL,
                entry VARCHAR NOT NULL,
                channel VARCHAR,
                handle VARCHAR,
                author_id VARCHAR,
                synced_at TIMESTAMPTZ NOT NULL
            )""",
        ],
    ),
    (
        9,
        [
            # The whole-text embedding the topic step computed for a mention, as float16 bytes
            # (models/text/vector_codec.py), tagged with the encoder and its weights: emerging themes read these
            # instead of loading the encoder. A missing row only means "encode it when needed".
            """CREATE TABLE mention_embeddings (
                channel VARCHAR NOT NULL,
                id VARCHAR NOT NULL,
                embedder VARCHAR NOT NULL,
                vec BLOB NOT NULL,
                PRIMARY KEY (channel, id, embedder)
            )""",
        ],
    ),
]
SCHEMA_VERSION: int = MIGRATIONS[-1][0]
DESCRIPTIONS: dict[int, str] = {
    1: "mentions, brand matches, scores, cursors, runs, rejects",
    2: "mention topics, alert outbox, stopwords",
    3: "mention terms, topic scans",
    4: "alert episodes; kind and episode of each outbox message",
    5: "outbox delivery states: sending, blocked, expired, console; slack ts",
    6: "mention edits; the reason a run ended as it did",
    7: "stopwords re-seeded from the one list (models/text/stopwords.py)",
    8: "owned accounts of the brands (synced from [[brands]] owned at each run)",
    9: "mention embeddings (float16, per encoder) for emerging themes",
}

_BOOKKEEPING = [
    """CREATE TABLE IF NOT EXISTS schema_version (
        version INTEGER PRIMARY KEY,
        description VARCHAR,
        applied_at TIMESTAMPTZ NOT NULL
    )""",
    # Remembers which view definitions are installed, so opening a writer does not rewrite the catalog each time.
    "CREATE TABLE IF NOT EXISTS warehouse_meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
]


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    """The schema version recorded in the file (0 for an empty database)."""
    exists = first_row(
        con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'schema_version' AND schema_name = 'main'")
    )
    if not exists or not exists[0]:
        return 0
    row = first_row(con.execute("SELECT coalesce(max(version), 0) FROM schema_version"))
    return int(row[0]) if row else 0


def views_fingerprint() -> str:
    """A hash of the view definitions this code would install."""
    return hashlib.sha256("\n;\n".join(view_statements()).encode("utf-8")).hexdigest()


def migrate(
    con: duckdb.DuckDBPyConnection,
    *,
    target: int | None = None,
    migrations: list[tuple[int, list[str]]] | None = None,
) -> int:
    """Apply pending migrations (up to `target`) in one transaction, then (re)create the views; return the version."""
    steps = MIGRATIONS if migrations is None else migrations
    latest = steps[-1][0] if steps else 0
    goal = latest if target is None else target
    lake = id(con) in LAKE_CONNECTIONS
    if lake and goal == latest == current_version(con) and _views_current(con):
        # On a lake every write transaction is a snapshot and takes the write token: none when nothing is due.
        return latest

    def apply() -> int:
        for statement in _BOOKKEEPING:
            con.execute(for_lake(statement) if lake else statement)
        version = current_version(con)
        if version > latest:
            raise FatalError(
                f"the warehouse is at schema version {version}, newer than this brandpulse ({latest}): "
                "upgrade brandpulse before writing to it"
            )
        # Every listed version not yet recorded, not only those above the newest: versions written on parallel
        # branches (5 and 6) may reach a file in either order, and a gap in the list is simply skipped.
        applied = {int(v) for (v,) in con.execute("SELECT version FROM schema_version").fetchall()}
        for step_version, statements in steps:
            if step_version not in applied and step_version <= goal:
                for statement in statements:
                    # A DuckLake warehouse gets the same tables without what it refuses (warehouse/lake.py).
                    adapted = for_lake(statement) if lake else statement
                    if adapted:
                        con.execute(adapted)
                con.execute(
                    "INSERT INTO schema_version VALUES (?, ?, current_timestamp)",
                    [step_version, DESCRIPTIONS.get(step_version)],
                )
                version = max(version, step_version)
        # Views read tables of the newest schema, so a partial (targeted) migration leaves them out.
        if version == SCHEMA_VERSION:
            _ensure_views(con)
        return version

    # Two DuckLake workers migrating a new lake at once: the second conflicts, reruns, and finds it done.
    return committed(con, apply)


def _views_current(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the installed views are this code's and none is missing."""
    row = first_row(con.execute("SELECT value FROM warehouse_meta WHERE key = 'views'"))
    present = {name for (name,) in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    return bool(row and row[0] == views_fingerprint() and set(VIEW_NAMES) <= present)


def _ensure_views(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create the views when their definitions changed or one is missing."""
    if _views_current(con):
        return
    create_views(con)
    upsert_row(con, "warehouse_meta", {"key": "views", "value": views_fingerprint()}, ("key",))
