"""Loads: idempotent, one transaction with the cursor, scores keyed by model version, rejects and runs."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime, timedelta

import duckdb
import pytest
from helpers.warehouse import brand, count, mention, sentiment

from models.mention import CursorUpdate, Mention, Reject
from warehouse import (
    finish_run,
    get_cursor,
    load_mentions,
    load_scores,
    save_rejects,
    start_run,
    transaction,
    unscored_mentions,
)
from warehouse.load import MAX_PAYLOAD_CHARS

T0 = datetime(2024, 1, 1, 12, tzinfo=UTC)


def _batch(n: int = 3) -> list[Mention]:
    return [mention("x", str(i), f"acme post {i}", T0 + timedelta(minutes=i)) for i in range(n)]


def test_same_batch_twice_adds_nothing(con: duckdb.DuckDBPyConnection) -> None:
    batch = _batch()
    matches = {m.key: brand("Acme") for m in batch}
    first = load_mentions(con, batch, matches, run_id="r1")
    assert (first.inserted, first.duplicates, first.matches) == (3, 0, 3)
    second = load_mentions(con, batch, matches, run_id="r2")
    assert (second.inserted, second.duplicates, second.matches, second.scores) == (0, 3, 0, 0)
    assert count(con, "mentions") == 3 and count(con, "mention_brands") == 3
    # The run that first stored a mention keeps the credit.
    assert con.execute("SELECT DISTINCT run_id FROM mentions").fetchall() == [("r1",)]


def test_duplicates_inside_one_batch_collapse_onto_the_first(con: duckdb.DuckDBPyConnection) -> None:
    a = mention("x", "1", "first text")
    b = mention("x", "1", "second text")
    result = load_mentions(con, [a, b, mention("reddit", "1")])
    assert (result.inserted, result.duplicates) == (2, 1)
    assert con.execute("SELECT text FROM mentions WHERE channel = 'x'").fetchall() == [("first text",)]


def test_new_brand_match_on_a_stored_mention_is_added(con: duckdb.DuckDBPyConnection) -> None:
    m = mention("x", "1", "acme vs globex")
    load_mentions(con, [m], {m.key: brand("Acme")})
    result = load_mentions(con, [m], {m.key: brand("Acme") + brand("Globex")})
    assert (result.inserted, result.matches) == (0, 1)
    assert con.execute("SELECT brand FROM mention_brands ORDER BY brand").fetchall() == [("Acme",), ("Globex",)]


def test_matches_for_mentions_outside_the_batch_are_refused(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(ValueError, match="not in this batch"):
        load_mentions(con, [mention("x", "1")], {("x", "2"): brand("Acme")})
    assert count(con, "mentions") == 0


def test_fields_are_stored_with_json_metrics_and_raw(con: duckdb.DuckDBPyConnection) -> None:
    m = mention(
        "x",
        "1",
        "애크미 배송 최고",
        url="https://x.com/a/status/1",
        author_id="u1",
        author_handle="a",
        author_followers=12_000_000_000,
        lang="ko",
        kind="reply",
        parent_id="0",
        metrics={"likes": 3, "reposts": 1.5},
        raw={"id": "1", "nested": {"bad": float("nan"), "text": "\udcff broken"}, "when": T0},
    )
    load_mentions(con, [m], run_id="r1")
    row = con.execute(
        """SELECT text, created_at, author_followers, lang, kind, parent_id, metrics->>'$.likes',
        CAST(metrics->'$.reposts' AS DOUBLE), raw->>'$.id', raw->'$.nested.bad', raw->>'$.nested.text',
        json_type(raw), run_id FROM mentions"""
    ).fetchone()
    assert row == (
        "애크미 배송 최고",
        T0,
        12_000_000_000,
        "ko",
        "reply",
        "0",
        "3.0",
        1.5,
        "1",
        "null",
        "\\udcff broken",
        "OBJECT",
        "r1",
    )


def test_cursor_is_saved_with_the_data(con: duckdb.DuckDBPyConnection) -> None:
    assert get_cursor(con, "x", "search:acme") is None
    load_mentions(con, _batch(2), cursor=CursorUpdate(channel="x", scope="search:acme", value="100"), run_id="r1")
    assert get_cursor(con, "x", "search:acme") == "100"
    load_mentions(con, [], cursor=CursorUpdate(channel="x", scope="search:acme", value="200"), run_id="r2")
    assert get_cursor(con, "x", "search:acme") == "200"
    assert con.execute("SELECT run_id FROM cursors").fetchall() == [("r2",)]
    assert get_cursor(con, "x", "other") is None


def test_cursor_does_not_advance_when_a_score_has_no_mention(con: duckdb.DuckDBPyConnection) -> None:
    load_mentions(con, [], cursor=CursorUpdate(channel="x", scope="q", value="old"))
    batch = _batch(2)
    with pytest.raises(ValueError, match="not stored"):
        load_mentions(
            con,
            batch,
            {m.key: brand("Acme") for m in batch},
            cursor=CursorUpdate(channel="x", scope="q", value="new"),
            scores=[(("x", "0"), sentiment("positive", 0.5)), (("x", "nope"), sentiment("negative", -0.5))],
            rejects=[Reject(source="f.csv", reason="bad row", line=3)],
        )
    assert get_cursor(con, "x", "q") == "old"
    for table in ("mentions", "mention_brands", "scores", "rejects"):
        assert count(con, table) == 0, table


def test_cursor_does_not_advance_when_a_mention_breaks_a_constraint(con: duckdb.DuckDBPyConnection) -> None:
    # model_construct skips validation: the database's NOT NULL is the last line of defence.
    broken = Mention.model_construct(
        channel="x",
        id="bad",
        text=None,
        created_at=T0,
        kind="post",
        metrics={},
        raw=None,
        url=None,
        author_id=None,
        author_handle=None,
        author_followers=None,
        lang=None,
        parent_id=None,
        rating=None,
        rating_scale=None,
    )
    with pytest.raises(duckdb.ConstraintException):
        load_mentions(con, [*_batch(2), broken], cursor=CursorUpdate(channel="x", scope="q", value="new"))
    assert get_cursor(con, "x", "q") is None
    assert count(con, "mentions") == 0
    # The connection is usable afterwards: the failed transaction was rolled back.
    assert load_mentions(con, _batch(2)).inserted == 2


def test_scores_with_mentions_in_one_load(con: duckdb.DuckDBPyConnection) -> None:
    batch = _batch(2)
    result = load_mentions(con, batch, scores=[(batch[0].key, sentiment("negative", -0.75))])
    assert result.scores == 1
    assert con.execute("SELECT label, score, p_negative, p_positive, model FROM scores").fetchall() == [
        ("negative", -0.75, 0.75, 0.0, "test-model")
    ]


def test_rescore_with_new_version_keeps_the_old(con: duckdb.DuckDBPyConnection) -> None:
    batch = _batch(2)
    load_mentions(con, batch)
    key = batch[0].key
    assert load_scores(con, [(key, sentiment("negative", -0.5, "v1"))], scored_at=T0) == 1
    # The same version again (even with another verdict) is a duplicate, not an overwrite.
    assert load_scores(con, [(key, sentiment("positive", 0.9, "v1"))], scored_at=T0 + timedelta(hours=1)) == 0
    assert load_scores(con, [(key, sentiment("positive", 0.4, "v2"))], scored_at=T0 + timedelta(hours=2)) == 1
    assert con.execute("SELECT model_version, label FROM scores ORDER BY model_version").fetchall() == [
        ("v1", "negative"),
        ("v2", "positive"),
    ]
    # Views show the newest score per mention.
    assert con.execute("SELECT label, model_version FROM mentions_scored WHERE id = '0'").fetchone() == (
        "positive",
        "v2",
    )


def test_load_scores_refuses_unknown_mentions_atomically(con: duckdb.DuckDBPyConnection) -> None:
    load_mentions(con, _batch(1))
    with pytest.raises(ValueError, match="not stored"):
        load_scores(con, [(("x", "0"), sentiment("neutral", 0.0)), (("x", "ghost"), sentiment("neutral", 0.0))])
    assert count(con, "scores") == 0
    assert load_scores(con, []) == 0


def test_unscored_mentions_per_model_version(con: duckdb.DuckDBPyConnection) -> None:
    batch = _batch(3)
    load_mentions(con, batch)
    load_scores(con, [(batch[1].key, sentiment("neutral", 0.0, "v1"))])
    assert unscored_mentions(con, "v1") == [("x", "0", "acme post 0"), ("x", "2", "acme post 2")]
    assert unscored_mentions(con, "v1", limit=1) == [("x", "0", "acme post 0")]
    assert len(unscored_mentions(con, "v2")) == 3


def test_rejects_are_saved_with_reason_and_payload(con: duckdb.DuckDBPyConnection) -> None:
    rejects = [
        Reject(source="feedback.csv", reason="text is empty", line=4, payload='"",5'),
        Reject(source="feedback.csv", reason="invalid UTF-8", line=7, payload="caf\udce9"),
        Reject(source="x", reason="huge", channel="x", record_id="9", payload="y" * (MAX_PAYLOAD_CHARS + 10)),
        Reject(source="feedback.csv", reason="NUL byte", line=9, payload="a\x00b"),
    ]
    assert save_rejects(con, rejects, "r1") == 4
    rows = con.execute(
        "SELECT reject_id, run_id, source, line, channel, record_id, reason, payload FROM rejects ORDER BY reject_id"
    ).fetchall()
    assert [r[0] for r in rows] == sorted({r[0] for r in rows})
    assert rows[0][1:] == ("r1", "feedback.csv", 4, None, None, "text is empty", '"",5')
    assert rows[1][7] == "caf\\udce9"
    assert rows[2][4:6] == ("x", "9") and rows[2][7].endswith("[10 more characters cut]")
    assert rows[3][7] == "a\x00b"
    assert save_rejects(con, [], "r1") == 0


def test_rejects_ride_along_with_a_load(con: duckdb.DuckDBPyConnection) -> None:
    result = load_mentions(con, _batch(1), rejects=[Reject(source="f.jsonl", reason="bad", line=2)], run_id="r9")
    assert result.rejects == 1
    assert con.execute("SELECT run_id, line FROM rejects").fetchall() == [("r9", 2)]


def test_runs_are_started_and_finished(con: duckdb.DuckDBPyConnection) -> None:
    start_run(con, "r1", T0)
    start_run(con, "r1", T0 + timedelta(hours=1))  # a repeat changes nothing
    assert con.execute("SELECT started_at, status, finished_at FROM runs").fetchall() == [(T0, "running", None)]
    finish_run(con, "r1", "ok", {"inserted": 3, "when": T0}, finished_at=T0 + timedelta(minutes=5))
    started, finished, status, summary = con.execute(
        "SELECT started_at, finished_at, status, summary FROM runs"
    ).fetchone()
    assert (started, finished, status) == (T0, T0 + timedelta(minutes=5), "ok")
    assert json.loads(summary) == {"inserted": 3, "when": str(T0)}
    finish_run(con, "never-started", "failed", {})
    assert con.execute("SELECT status FROM runs WHERE run_id = 'never-started'").fetchone() == ("failed",)


def test_transaction_rolls_back_and_joins_an_outer_one(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(RuntimeError), transaction(con):
        load_mentions(con, _batch(1))
        raise RuntimeError("boom")
    assert count(con, "mentions") == 0
    # load_mentions joins the caller's transaction, so the caller's rollback undoes it too.
    con.execute("BEGIN")
    load_mentions(con, _batch(2), cursor=CursorUpdate(channel="x", scope="q", value="1"))
    con.execute("ROLLBACK")
    assert count(con, "mentions") == 0 and get_cursor(con, "x", "q") is None


def test_bulk_load_is_fast(con: duckdb.DuckDBPyConnection) -> None:
    n = 20_000
    batch = [mention("x", str(i), f"acme post {i}", T0 + timedelta(seconds=i)) for i in range(n)]
    matches = {m.key: brand("Acme") for m in batch}
    scores = [(m.key, sentiment("neutral", 0.0)) for m in batch]
    started = time.perf_counter()
    result = load_mentions(con, batch, matches, scores=scores)
    elapsed = time.perf_counter() - started
    assert (result.inserted, result.matches, result.scores) == (n, n, n)
    # Row-by-row inserts manage a few thousand rows a second here; Arrow does this in well under a second.
    assert elapsed < 5.0, elapsed


@pytest.mark.parametrize(
    ("when", "reason"),
    [
        (datetime(9999, 12, 31, tzinfo=UTC), "in the future ([warehouse] future_tolerance_hours)"),
        (datetime(2126, 1, 1, tzinfo=UTC), "in the future"),
        (datetime(1, 1, 1, tzinfo=UTC), "before 2006-01-01, the earliest accepted date ([warehouse] earliest_date)"),
        (datetime(2005, 12, 31, 23, 59, tzinfo=UTC), "before 2006-01-01"),
    ],
)
def test_mentions_dated_out_of_range_are_rejected_with_the_reason(
    con: duckdb.DuckDBPyConnection, when: datetime, reason: str
) -> None:
    bad = mention("x", "bad", "acme from another age", when, raw={"_line": 7})
    result = load_mentions(con, [*_batch(2), bad], {bad.key: brand("Acme")}, run_id="r1", source="old.jsonl")
    assert (result.inserted, result.duplicates, result.rejects) == (2, 0, 1)
    assert [r.record_id for r in result.refused] == ["bad"]
    row = con.execute("SELECT source, line, channel, record_id, reason FROM rejects").fetchone()
    assert row is not None and row[:4] == ("old.jsonl", 7, "x", "bad") and reason in row[4]
    assert count(con, "mention_brands") == 0  # its brand match went with it


def test_date_limits_are_configurable_and_a_day_ahead_is_tolerated(con: duckdb.DuckDBPyConnection) -> None:
    from models.mention import DateLimits

    soon = datetime.now(UTC) + timedelta(hours=20)
    assert load_mentions(con, [mention("x", "soon", when=soon)]).inserted == 1
    strict = DateLimits(earliest=datetime(2020, 1, 1).date(), future_tolerance_hours=1)
    result = load_mentions(con, [mention("x", "later", when=soon), mention("x", "2019", when=T0.replace(year=2019))],
                           dates=strict)
    assert (result.inserted, result.rejects) == (0, 2)


def test_reimport_with_edited_text_is_stored_as_an_edit(con: duckdb.DuckDBPyConnection) -> None:
    old = mention("x", "1", "acme delivery was fine", T0, lang="en")
    load_mentions(con, [old], {old.key: brand("Acme")}, run_id="r1")
    load_scores(con, [(old.key, sentiment("positive", 0.8))])
    con.execute("INSERT INTO mention_terms VALUES ('x', '1', 'en', 'delivery')")
    con.execute("INSERT INTO topic_scans VALUES ('x', '1', 't1', 0, NULL, now())")
    new = mention("x", "1", "acme delivery was late, globex was faster", T0, lang="en")
    result = load_mentions(con, [new], {new.key: brand("Acme") + brand("Globex")}, run_id="r2")
    assert (result.inserted, result.edited, result.duplicates) == (0, 1, 0)
    assert con.execute("SELECT text, run_id FROM mentions").fetchall() == [(new.text, "r2")]
    edit = con.execute("SELECT channel, id, old_text, new_text_sha256, run_id FROM mention_edits").fetchall()
    assert edit == [("x", "1", old.text, hashlib.sha256(new.text.encode()).hexdigest(), "r2")]
    # The old text's score, terms and topic scan are gone: the mention is pending for scoring again.
    assert unscored_mentions(con, "v1") == [("x", "1", new.text)]
    assert count(con, "mention_terms") == count(con, "topic_scans") == 0
    assert sorted(b for (b,) in con.execute("SELECT brand FROM mention_brands").fetchall()) == ["Acme", "Globex"]
    # The same text again is "already stored": nothing written.
    again = load_mentions(con, [new], {new.key: brand("Acme")}, run_id="r3")
    assert (again.inserted, again.edited, again.duplicates) == (0, 0, 1)
    assert count(con, "mention_edits") == 1
    assert con.execute("SELECT run_id FROM mentions").fetchall() == [("r2",)]


def test_text_dropped_by_retention_is_not_brought_back_as_an_edit(con: duckdb.DuckDBPyConnection) -> None:
    load_mentions(con, [mention("x", "1", "acme old words", T0)])
    con.execute("UPDATE mentions SET text = ''")
    result = load_mentions(con, [mention("x", "1", "acme old words", T0)])
    assert (result.edited, result.duplicates) == (0, 1)
    assert con.execute("SELECT text FROM mentions").fetchall() == [("",)]
