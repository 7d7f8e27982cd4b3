"""Schema and migrations: a fresh file reaches SCHEMA_VERSION, old files move forward with their rows, reruns no-op."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from helpers.warehouse import brand, count, mention

from models.errors import FatalError
from warehouse import SCHEMA_VERSION, VIEW_NAMES, Warehouse, current_version, load_mentions, migrate, transaction
from warehouse.schema import DESCRIPTIONS, MIGRATIONS

TABLES = {
    "mentions",
    "mention_brands",
    "scores",
    "mention_topics",
    "mention_terms",
    "mention_edits",
    "topic_scans",
    "cursors",
    "runs",
    "rejects",
    "alert_outbox",
    "alert_episodes",
    "stopwords",
    "owned_accounts",
    "mention_embeddings",
    "schema_version",
    "warehouse_meta",
}


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {name for (name,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}


def _views(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {name for (name,) in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}


def test_fresh_database_reaches_schema_version(warehouse: Warehouse) -> None:
    with warehouse.write() as con:
        assert current_version(con) == SCHEMA_VERSION
        assert _tables(con) == TABLES
        assert _views(con) == set(VIEW_NAMES)
        versions = [v for (v,) in con.execute("SELECT version FROM schema_version ORDER BY version").fetchall()]
        assert versions == [v for v, _ in MIGRATIONS]
        assert con.execute("SELECT current_setting('TimeZone')").fetchone() == ("UTC",)
    assert warehouse.path.exists()


def test_migrations_are_numbered_upwards() -> None:
    versions = [v for v, _ in MIGRATIONS]
    assert versions == sorted(set(versions)) and versions[0] == 1 and versions[-1] == SCHEMA_VERSION


def test_older_database_migrates_forward_keeping_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    assert migrate(con, target=1) == 1
    assert "alert_outbox" not in _tables(con) and not _views(con)
    load_mentions(con, [mention("x", "1", "acme was late")], {("x", "1"): brand("Acme")}, run_id="old-run")
    con.close()

    with Warehouse(path).write() as con:
        assert current_version(con) == SCHEMA_VERSION
        assert con.execute("SELECT brand, text, run_id FROM mentions_scored").fetchall() == [
            ("Acme", "acme was late", "old-run")
        ]
        assert "alert_outbox" in _tables(con)


def test_migrate_twice_is_a_no_op(con: duckdb.DuckDBPyConnection) -> None:
    before = con.execute("SELECT * FROM schema_version ORDER BY version").fetchall()
    meta = con.execute("SELECT * FROM warehouse_meta").fetchall()
    stopwords = count(con, "stopwords")
    assert migrate(con) == SCHEMA_VERSION
    assert migrate(con) == SCHEMA_VERSION
    assert con.execute("SELECT * FROM schema_version ORDER BY version").fetchall() == before
    assert con.execute("SELECT * FROM warehouse_meta").fetchall() == meta
    assert count(con, "stopwords") == stopwords


def test_reopening_keeps_data_and_version(warehouse: Warehouse) -> None:
    with warehouse.write() as con:
        load_mentions(con, [mention("x", "1")])
    with warehouse.write() as con:
        assert count(con, "mentions") == 1
        assert count(con, "schema_version") == len(MIGRATIONS)


def test_missing_or_stale_views_are_recreated(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DROP VIEW alerts")
    migrate(con)
    assert "alerts" in _views(con)
    con.execute("UPDATE warehouse_meta SET value = 'old definitions' WHERE key = 'views'")
    migrate(con)
    assert con.execute("SELECT value FROM warehouse_meta WHERE key = 'views'").fetchone() != ("old definitions",)


def test_newer_database_is_refused(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("INSERT INTO schema_version VALUES (?, 'from the future', now())", [SCHEMA_VERSION + 1])
    with pytest.raises(FatalError, match="newer than this brandpulse"):
        migrate(con)


def test_failed_migration_rolls_back(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "bad.duckdb"))
    broken = [(1, ["CREATE TABLE a (x INTEGER)"]), (2, ["CREATE TABLE b (y INTEGER)", "THIS IS NOT SQL"])]
    with pytest.raises(duckdb.Error):
        migrate(con, migrations=broken)
    # One transaction: neither version 1 nor 2 is half-applied.
    assert current_version(con) == 0
    assert "a" not in _tables(con)
    con.close()


def test_stopwords_are_seeded_for_english_and_korean(con: duckdb.DuckDBPyConnection) -> None:
    langs = dict(con.execute("SELECT lang, count(*) FROM stopwords GROUP BY lang").fetchall())
    assert langs["en"] > 50 and langs["ko"] > 30
    assert con.execute("SELECT count(*) FROM stopwords WHERE word IN ('the', '그리고')").fetchone() == (2,)


def test_alert_outbox_has_exactly_the_agreed_columns(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        """SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns
        WHERE table_name = 'alert_outbox' ORDER BY ordinal_position"""
    ).fetchall()
    assert [(name, kind, nullable) for name, kind, nullable, _ in rows] == [
        ("alert_key", "VARCHAR", "NO"),
        ("brand", "VARCHAR", "NO"),
        ("signal", "VARCHAR", "NO"),
        ("window_start", "TIMESTAMP WITH TIME ZONE", "NO"),
        ("window_end", "TIMESTAMP WITH TIME ZONE", "NO"),
        ("observed", "DOUBLE", "YES"),
        ("expected", "DOUBLE", "YES"),
        ("p_value", "DOUBLE", "YES"),
        ("title", "VARCHAR", "YES"),
        ("text", "VARCHAR", "NO"),
        ("blocks", "JSON", "YES"),
        ("status", "VARCHAR", "NO"),
        ("attempts", "INTEGER", "NO"),
        ("next_attempt_at", "TIMESTAMP WITH TIME ZONE", "YES"),
        ("last_error", "VARCHAR", "YES"),
        ("destination", "VARCHAR", "YES"),
        ("created_at", "TIMESTAMP WITH TIME ZONE", "NO"),
        ("sent_at", "TIMESTAMP WITH TIME ZONE", "YES"),
        ("run_id", "VARCHAR", "YES"),
        ("kind", "VARCHAR", "YES"),
        ("episode_key", "VARCHAR", "YES"),
        ("sending_at", "TIMESTAMP WITH TIME ZONE", "YES"),
        ("requeued_at", "TIMESTAMP WITH TIME ZONE", "YES"),
        ("in_doubt", "INTEGER", "YES"),
        ("slack_ts", "VARCHAR", "YES"),
        ("slack_channel", "VARCHAR", "YES"),
        ("console_listed_at", "TIMESTAMP WITH TIME ZONE", "YES"),
    ]
    defaults = {name: default for name, _, _, default in rows if default is not None}
    assert defaults == {"status": "'pending'", "attempts": "0", "kind": "'alert'", "in_doubt": "0"}


def test_alert_outbox_non_key_columns_can_be_updated(con: duckdb.DuckDBPyConnection) -> None:
    """DuckDB 2.0 updates non-key columns of a primary-keyed table in place, also in the inserting transaction."""
    now = datetime(2024, 3, 1, 9, tzinfo=UTC)
    insert = """INSERT INTO alert_outbox (alert_key, brand, signal, window_start, window_end, observed, expected,
        p_value, title, text, blocks, created_at, run_id)
        VALUES (?, 'Acme', 'negative_spike', ?, ?, 12, 3, 0.001, 'Spike', 'plain text', ?, ?, 'r1')
        ON CONFLICT DO NOTHING"""
    con.execute(insert, ["acme:1", now - timedelta(hours=2), now, '[{"type": "section"}]', now])
    assert con.execute(insert, ["acme:1", now, now, None, now]).fetchone() == (0,)  # the unique key holds
    assert con.execute("SELECT status, attempts FROM alert_outbox").fetchone() == ("pending", 0)

    # A failed attempt, then a retry that succeeds: the shape outbox delivery uses.
    con.execute(
        """UPDATE alert_outbox SET attempts = attempts + 1, status = 'retry', last_error = ?, next_attempt_at = ?,
        destination = 'slack' WHERE alert_key = ?""",
        ["HTTP 500", now + timedelta(minutes=1), "acme:1"],
    )
    con.execute(
        "UPDATE alert_outbox SET attempts = attempts + 1, status = 'sent', sent_at = ?, last_error = NULL, "
        "blocks = ? WHERE alert_key = ? AND status <> 'sent'",
        [now + timedelta(minutes=2), '{"blocks": []}', "acme:1"],
    )
    assert con.execute(
        "SELECT status, attempts, last_error, sent_at, destination, blocks FROM alert_outbox"
    ).fetchone() == ("sent", 2, None, now + timedelta(minutes=2), "slack", '{"blocks": []}')

    # Insert and several updates of the same row inside one transaction.
    with transaction(con):
        con.execute(insert, ["acme:2", now, now, None, now])
        con.execute("UPDATE alert_outbox SET status = 'sending', attempts = attempts + 1 WHERE alert_key = 'acme:2'")
        con.execute("UPDATE alert_outbox SET status = 'sent', sent_at = ? WHERE alert_key = 'acme:2'", [now])
    assert con.execute("SELECT status, attempts FROM alert_outbox WHERE alert_key = 'acme:2'").fetchone() == (
        "sent",
        1,
    )
    assert count(con, "alert_outbox") == 2


def test_days_are_utc_whatever_the_session_time_zone(con: duckdb.DuckDBPyConnection) -> None:
    load_mentions(con, [mention("x", "1", when=datetime(2024, 1, 1, 23, 30, tzinfo=UTC))])
    con.execute("SET TimeZone = 'Asia/Seoul'")
    day, hour = con.execute("SELECT day, hour FROM mentions_scored").fetchone()
    assert str(day) == "2024-01-01"
    assert hour == datetime(2024, 1, 1, 23, tzinfo=UTC)


def test_a_gap_in_the_versions_is_skipped_and_filled_later(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "gap.duckdb"))
    first = [(1, ["CREATE TABLE a (x INTEGER)"]), (3, ["CREATE TABLE c (z INTEGER)"])]
    assert migrate(con, migrations=first) == 3
    # Version 2 written on another branch arrives after 3 was applied: it is still applied, once.
    both = [first[0], (2, ["CREATE TABLE b (y INTEGER)"]), first[1]]
    assert migrate(con, migrations=both) == 3
    assert migrate(con, migrations=both) == 3
    assert {"a", "b", "c"} <= _tables(con)
    assert [v for (v,) in con.execute("SELECT version FROM schema_version ORDER BY version").fetchall()] == [1, 2, 3]
    con.close()


def test_version_6_adds_mention_edits_and_run_reasons(con: duckdb.DuckDBPyConnection) -> None:
    assert 6 in DESCRIPTIONS and "mention edits" in DESCRIPTIONS[6]
    columns = {name for (name,) in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = 'runs'")
               .fetchall()}
    assert "reason" in columns


def test_version_7_seeds_the_one_stopword_list_into_old_and_new_files(tmp_path: Path) -> None:
    from models.text.stopwords import STOPWORDS_EN, STOPWORDS_KO

    expected = {("en", w) for w in STOPWORDS_EN} | {("ko", w) for w in STOPWORDS_KO}
    old = duckdb.connect(str(tmp_path / "old.duckdb"))
    assert migrate(old, target=6) == 6
    old.execute("INSERT INTO stopwords VALUES ('en', 'blackfriday')")  # a word the user added stays
    assert migrate(old) == SCHEMA_VERSION
    new = duckdb.connect(str(tmp_path / "new.duckdb"))
    migrate(new)
    rows_old = set(old.execute("SELECT lang, word FROM stopwords").fetchall())
    rows_new = set(new.execute("SELECT lang, word FROM stopwords").fetchall())
    assert rows_new == expected and rows_old == expected | {("en", "blackfriday")}
    old.close()
    new.close()
