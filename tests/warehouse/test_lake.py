"""A DuckLake warehouse (file catalog): same migrations, views and idempotent loads, safe with concurrent writers."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from models.errors import ConfigError, FatalError
from models.mention import BrandMatch, CursorUpdate, Mention, Reject
from warehouse import SCHEMA_VERSION, VIEW_NAMES, current_version, get_cursor, load_mentions
from warehouse.alerts import episodes, outbox
from warehouse.connection import WRITE_TOKEN, committed
from warehouse.lake import LakeWarehouse, catalog_kind, extension_file
from warehouse.lake_sql import for_lake
from warehouse.runs import abandon_runs, finish_run, start_run

T0 = datetime(2026, 11, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Message:
    title: str
    text: str
    blocks: list[dict[str, str]]


def mention(n: int, text: str = "acme") -> Mention:
    return Mention(channel="x", id=str(n), text=f"{text} {n}", created_at=T0 + timedelta(minutes=n), kind="post")


@pytest.fixture
def lake(tmp_path: Path) -> LakeWarehouse:
    return LakeWarehouse(str(tmp_path / "meta.ducklake"), tmp_path / "lake-data", path=tmp_path / "local.duckdb")


def test_the_ddl_drops_only_what_ducklake_refuses() -> None:
    table = for_lake("CREATE TABLE t (a VARCHAR NOT NULL,\n b INTEGER DEFAULT 0,\n PRIMARY KEY (a, b)\n)")
    assert table == "CREATE TABLE t (a VARCHAR NOT NULL,\n b INTEGER DEFAULT 0\n)"
    assert for_lake("CREATE TABLE r (id BIGINT PRIMARY KEY DEFAULT nextval('s'), at TIMESTAMPTZ NOT NULL "
                    "DEFAULT current_timestamp)") == "CREATE TABLE r (id BIGINT, at TIMESTAMPTZ NOT NULL)"
    assert for_lake("CREATE SEQUENCE s START 1") is None
    seeded = for_lake("INSERT INTO stopwords VALUES ('en', 'a'), ('en', 'a') ON CONFLICT DO NOTHING")
    assert seeded is not None and "ON CONFLICT" not in seeded and "NOT EXISTS" in seeded
    with pytest.raises(ValueError, match="no DuckLake form"):
        for_lake("INSERT INTO other VALUES (1) ON CONFLICT DO NOTHING")


def test_catalogs_are_postgres_or_a_file() -> None:
    assert catalog_kind("postgres:dbname=lake host=127.0.0.1") == "postgres"
    assert catalog_kind("data/lake.ducklake") == "file"
    with pytest.raises(ConfigError, match="only 'postgres:"):
        catalog_kind("mysql:db=lake")


def test_extensions_come_from_the_installed_wheels() -> None:
    for name in ("ducklake", "postgres"):
        found = extension_file(name)
        assert found.is_file() and f"v{duckdb.__version__}" in str(found) and "duckdb_ext" in str(found)


def test_a_new_lake_gets_the_schema_every_view_and_the_same_stopwords_as_a_file(
    lake: LakeWarehouse, tmp_path: Path
) -> None:
    from warehouse import Warehouse

    with lake.write() as con:
        assert current_version(con) == SCHEMA_VERSION
    with Warehouse(tmp_path / "file.duckdb").write() as con:
        file_words = con.execute("SELECT lang, word FROM stopwords ORDER BY ALL").fetchall()
    with lake.read(sandboxed=True) as con:
        for view in VIEW_NAMES:
            con.execute(f"SELECT * FROM {view} LIMIT 1").fetchall()
        assert con.execute("SELECT lang, word FROM stopwords ORDER BY ALL").fetchall() == file_words
        # The sandbox still reads the lake's own Parquet files, and nothing else.
        with pytest.raises(duckdb.PermissionException):
            con.execute("SELECT * FROM read_csv('/etc/hostname')").fetchall()


def test_loads_are_idempotent_and_the_cursor_moves_with_the_data(lake: LakeWarehouse) -> None:
    batch = [mention(1), mention(2), mention(2)]
    matches = {m.key: [BrandMatch(brand="Acme", terms=["acme"])] for m in batch}
    bad = Reject(source="x", reason="junk body", channel="x", record_id="9")
    with lake.write() as con:
        first = load_mentions(con, batch, matches, run_id="r1", rejects=[bad],
                              cursor=CursorUpdate(channel="x", scope="acme", value="2"))
        again = load_mentions(con, batch, matches, run_id="r2", rejects=[bad],
                              cursor=CursorUpdate(channel="x", scope="acme", value="3"))
        assert (first.inserted, first.duplicates, first.matches) == (2, 1, 2)
        assert (again.inserted, again.duplicates, again.matches) == (0, 3, 0)
        assert get_cursor(con, "x", "acme") == "3"
        assert con.execute("SELECT reject_id FROM rejects ORDER BY 1").fetchall() == [(1,), (2,)]
        edited = load_mentions(con, [mention(1, "acme changed")], run_id="r3")
        assert edited.edited == 1
        assert con.execute("SELECT count(*), count(DISTINCT (channel, id)) FROM mentions").fetchall() == [(2, 2)]


def test_runs_outbox_and_episodes_keep_one_row_per_key(lake: LakeWarehouse) -> None:
    window = (T0, T0 + timedelta(hours=3))
    message = Message("spike", "Acme negative spike", [])
    with lake.write() as con:
        start_run(con, "r1", T0)
        start_run(con, "r1", T0)
        start_run(con, "r2", T0)
        finish_run(con, "r2", "completed", {"n": 1})
        assert abandon_runs(con, except_run="r2", now=T0, reason="died") == ["r1"]
        assert con.execute("SELECT run_id, status FROM runs ORDER BY 1").fetchall() == [
            ("r1", "abandoned"), ("r2", "completed")
        ]
        args = ("Acme|neg|1", "Acme", "negative_share", *window, 30.0, 5.0, 0.001, message)
        assert outbox.enqueue(con, *args, run_id="r2", now=T0) is True
        assert outbox.enqueue(con, *args, run_id="r3", now=T0) is False
        assert con.execute("SELECT count(*) FROM alert_outbox").fetchall() == [(1,)]
        stored = episodes.StoredEpisode(
            episode_key="Acme|neg|1", brand="Acme", signal="negative_share", signals=("negative_share",),
            window_start=window[0], window_end=window[1], status=episodes.OPEN, observed=30.0, expected=5.0,
            share=0.5, usual_share=0.1, peak_hour=None, detected_at=T0, notified_observed=30.0, updates=0,
            opened_at=T0, updated_at=T0, resolved_at=None, run_id="r2",
        )
        episodes.save(con, stored)
        episodes.save(con, stored.__class__(**{**stored.__dict__, "status": episodes.RESOLVED, "run_id": "r9"}))
        assert con.execute("SELECT status, run_id FROM alert_episodes").fetchall() == [("resolved", "r2")]


def test_concurrent_writers_never_double_a_row_and_both_cursors_land(lake: LakeWarehouse) -> None:
    with lake.write():
        pass
    errors: list[BaseException] = []

    def worker(brand: str) -> None:
        try:
            for step in range(8):
                # Overlapping windows: both brands see the same posts, like two workers on one busy channel.
                batch = [mention(n) for n in range(step * 5, step * 5 + 15)]
                with lake.write() as con:
                    load_mentions(con, batch, {m.key: [BrandMatch(brand=brand, terms=["acme"])] for m in batch},
                                  run_id=brand, cursor=CursorUpdate(channel="x", scope=brand, value=str(step)))
        except BaseException as exc:  # reported below: a thread's exception would otherwise vanish
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(brand,)) for brand in ("Acme", "Globex")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with lake.read() as con:
        assert con.execute("SELECT count(*), count(DISTINCT (channel, id)) FROM mentions").fetchall() == [(50, 50)]
        assert con.execute("SELECT brand, count(*) FROM mention_brands GROUP BY ALL ORDER BY ALL").fetchall() == [
            ("Acme", 50), ("Globex", 50)
        ]
        assert con.execute("SELECT scope, value FROM cursors ORDER BY ALL").fetchall() == [("Acme", "7"),
                                                                                          ("Globex", "7")]
        # Every load took the write token once, so their commits were serialised; opening a writer on a
        # migrated lake takes none (it writes nothing).
        assert con.execute(f"SELECT n FROM {WRITE_TOKEN}").fetchall() == [(17,)]  # the migration + 16 loads


def test_a_lost_commit_is_rerun_on_the_winners_data(lake: LakeWarehouse) -> None:
    with lake.write() as first, lake.write() as second:
        runs: list[int] = []

        def body() -> None:
            runs.append(1)
            if len(runs) == 1:
                # The other writer commits while this transaction is open: this COMMIT loses and reruns.
                load_mentions(second, [mention(1)], run_id="other")
            first.execute("INSERT INTO mention_edits VALUES ('x', '1', 'old', 'sha', now(), 'me')")

        committed(first, body, sleep=lambda _: None)
        assert len(runs) == 2
        assert first.execute("SELECT count(*) FROM mention_edits").fetchall() == [(1,)]


def test_a_lake_at_an_older_schema_or_missing_extension_is_a_clear_error(tmp_path: Path) -> None:
    empty = LakeWarehouse(str(tmp_path / "m.ducklake"), tmp_path / "d", path=tmp_path / "l.duckdb")
    with pytest.raises(FatalError, match="schema version 0"), empty.read():
        pass


def test_a_lost_commit_outside_a_rerun_is_a_retryable_conflict(lake: LakeWarehouse) -> None:
    from models.errors import RetryableError, WarehouseConflict
    from warehouse.connection import transaction

    with (
        pytest.raises(WarehouseConflict, match="another worker") as caught,
        lake.write() as first,
        lake.write() as second,
        transaction(first),
    ):
        first.execute("INSERT INTO mention_edits VALUES ('x', '1', 'old', 'sha', now(), 'me')")
        load_mentions(second, [mention(1)], run_id="other")  # commits first: this transaction loses
    assert isinstance(caught.value, RetryableError)
    with lake.read() as con:
        assert con.execute("SELECT count(*) FROM mention_edits").fetchall() == [(0,)]
        assert con.execute("SELECT count(*) FROM mentions").fetchall() == [(1,)]


def test_the_idle_check_owned_accounts_and_window_queries_work_on_a_lake(lake: LakeWarehouse) -> None:
    from helpers.report import sentiment_record

    from models.brands import Brand
    from models.text.terms import TermTally
    from warehouse.load import load_scores
    from warehouse.owned import sync_owned_accounts
    from warehouse.queries import pipeline as queries
    from warehouse.queries.alerts import example_posts, response_care
    from warehouse.queries.scored import resolved_window, window_params
    from warehouse.topics import ScanRow, load_topic_results, term_counts_in

    acme = Brand(name="Acme", terms=["acme"], owned=["@acmehelp"])
    customer = Mention(channel="x", id="1", text="acme broke my order", created_at=T0, kind="post",
                       author_handle="kim")
    answer = Mention(channel="x", id="2", text="acme here, sorry", created_at=T0 + timedelta(minutes=14),
                     kind="reply", parent_id="1", author_handle="acmehelp")
    matches = {m.key: [BrandMatch(brand="Acme", terms=["acme"])] for m in (customer, answer)}
    with lake.write() as con:
        load_mentions(con, [customer, answer], matches, run_id="r1")
        assert sync_owned_accounts(con, [acme]) is True
        token = con.execute(f"SELECT n FROM {WRITE_TOKEN}").fetchall()
        assert sync_owned_accounts(con, [acme]) is False  # the same list writes nothing
        assert con.execute(f"SELECT n FROM {WRITE_TOKEN}").fetchall() == token  # not even the write token
        load_scores(con, [(m.key, sentiment_record("negative", -0.9)) for m in (customer, answer)])
        # The idle check's record is a MERGE on a lake (no primary key there): twice is one row, the newest value.
        queries.record_scored_with(con, {"settings": "s1", "sentiment": "v1"})
        queries.record_scored_with(con, {"settings": "s2", "sentiment": "v1"})
        assert queries.scored_with(con)["settings"] == "s2"
        assert con.execute("SELECT count(*) FROM warehouse_meta WHERE key = 'scored_with'").fetchall() == [(1,)]
        window = (T0 - timedelta(hours=1), T0 + timedelta(hours=1))
        # Owned posts stay out of the scored window; the customer's complaint was answered after 14 minutes.
        assert [p["text"] for p in example_posts(con, "Acme", *window)] == ["acme broke my order"]
        care = response_care(con, "Acme", *window)
        assert (care["negative"], care["responded"], care["median_minutes"]) == (1, 1, 14.0)
        # Term tallies cut overlapping windows at their edges (an ASOF join) and add the stretches up.
        terms = [("x", "1", "en", "order"), ("x", "1", "en", "broke"), ("x", "2", "en", "sorry")]
        load_topic_results(con, "t1", [], [ScanRow("x", "1", 0, 0.1), ScanRow("x", "2", 0, 0.1)], terms)
        later = (T0 + timedelta(minutes=30), T0 + timedelta(hours=2))
        tallies = term_counts_in(con, "Acme", [window, later], label=["negative", None])
        assert tallies == [TermTally({"order": 1, "broke": 1}, 1), TermTally({}, 0)]
    # A report resolves its window once into a temporary table: that works on a lake's read-only connection too.
    with lake.read() as con, resolved_window(con, ["Acme"], *window) as resolved:
        rows = con.execute(f"WITH {resolved} SELECT id, label FROM scored", window_params("Acme", *window)).fetchall()
        assert rows == [("1", "negative")]


def test_stored_embeddings_are_written_once_read_back_and_copied_into_a_lake(
    lake: LakeWarehouse, tmp_path: Path
) -> None:
    import numpy as np

    from warehouse import Warehouse
    from warehouse.lake_copy import copy_into_lake
    from warehouse.topics import ScanRow, load_topic_results, stored_embeddings

    vectors = np.eye(3, 8, dtype=np.float32)
    rows = [("x", str(n), vectors[n]) for n in range(3)]
    scans = [ScanRow("x", str(n), 0, 0.1) for n in range(3)]
    with lake.write() as con:
        for _ in range(2):  # a re-run of the topic step doubles nothing
            load_topic_results(con, "t1", [], scans, embeddings=rows, embedder="e5:abc")
        assert con.execute("SELECT count(*) FROM mention_embeddings").fetchall() == [(3,)]
        found = stored_embeddings(con, [("x", "0"), ("x", "2"), ("x", "9")], "e5:abc")
    assert sorted(found) == [("x", "0"), ("x", "2")]
    assert np.allclose(found[("x", "2")], vectors[2], atol=1e-3)
    file = Warehouse(tmp_path / "file.duckdb")
    with file.write() as con:
        load_topic_results(con, "t1", [], [ScanRow("x", "5", 0, 0.1)], embeddings=[("x", "5", vectors[1])],
                           embedder="e5:abc")  # fmt: skip
    assert copy_into_lake(file, lake).added["mention_embeddings"] == 1  # `migrate --to ducklake` carries them
    assert copy_into_lake(file, lake).added["mention_embeddings"] == 0
    with lake.read() as con:
        assert con.execute("SELECT count(*) FROM mention_embeddings").fetchall() == [(4,)]
