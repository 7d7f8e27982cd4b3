"""Every view and query on a small fixture whose numbers are worked out by hand in the comments."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from helpers.warehouse import brand, mention, sentiment

from models.mention import Reject
from models.scores import Sentiment
from warehouse import (
    SqlRefused,
    Warehouse,
    hourly_counts,
    load_mentions,
    load_scores,
    negative_by_channel,
    newest_mention_time,
    run_readonly_sql,
    save_rejects,
    summary,
)
from warehouse.queries.alerts import example_posts
from warehouse.queries.scored import stored_versions


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A UTC time in January 2024 (the 1st is a Monday)."""
    return datetime(2024, 1, day, hour, minute, tzinfo=UTC)


S1, S2 = at(20, 0), at(21, 0)  # two scoring passes; S2 is newer


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    """The fixture warehouse, opened read-only as marketing would."""
    warehouse = Warehouse(tmp_path_factory.mktemp("views") / "views.duckdb")
    posts = [
        mention("x", "1", "Acme delivery was late again, so late", at(1, 10, 15), author_followers=1000),
        mention("x", "2", "Acme support was great", at(1, 10, 45), author_followers=50),
        mention("reddit", "3", "Acme price is ok", at(1, 11, 5)),
        mention("reddit", "4", "Globex delivery late, Acme faster", at(1, 12)),
        mention("x", "5", "Globex app crashes", at(2, 9), author_followers=10),
        mention("x", "6", "random unrelated words", at(2, 9, 30)),
        mention("x", "7", "애크미 배송이 너무 늦어요 ㅠㅠ https://t.co/abc", at(3, 8), lang="ko"),
    ]
    matches = {
        ("x", "1"): brand("Acme"),
        ("x", "2"): brand("Acme"),
        ("reddit", "3"): brand("Acme"),
        ("reddit", "4"): brand("Acme") + brand("Globex"),
        ("x", "5"): brand("Globex"),
        ("x", "7"): brand("Acme", "애크미"),
    }
    first: list[tuple[tuple[str, str], Sentiment]] = [
        (("x", "1"), sentiment("negative", -0.8)),
        (("x", "2"), sentiment("neutral", 0.1)),
        (("reddit", "3"), sentiment("neutral", 0.0)),
        (("reddit", "4"), sentiment("negative", -0.4)),
        (("x", "5"), sentiment("negative", -0.9)),
        (("x", "7"), sentiment("negative", -0.6)),
    ]
    # Survey answers: NPS 10, 7, 3, 9 (2 promoters, 1 detractor of 4 → NPS 25); CSAT 5 and 3 (1 of 2 → 50 %);
    # CES 2 on 1-7 and 5 on 1-5 (= 7 on 1-7) → mean 4.5.
    ratings = [("nps", 10), ("nps", 7), ("nps", 3), ("nps", 9), ("csat", 5), ("csat", 3), ("ces7", 2), ("ces5", 5)]
    surveys = [
        mention("survey", f"s{i}", "survey answer", at(15, 9), kind="survey", rating=r, rating_scale=scale)
        for i, (scale, r) in enumerate(ratings)
    ]
    with warehouse.write() as w:
        load_mentions(w, posts, matches, run_id="r1")
        load_scores(w, first, scored_at=S1)
        # x/2 is re-scored by a newer model: the views use the newest score, positive 0.6.
        load_scores(w, [(("x", "2"), sentiment("positive", 0.6, "v2"))], scored_at=S2)
        load_mentions(w, surveys, {m.key: brand("Acme") for m in surveys}, run_id="r2")
        save_rejects(w, [Reject(source="feedback.csv", reason="text is empty", line=3)], "r2")
        w.execute(
            "INSERT INTO mention_topics VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            ["x", "1", "tm0", "price", 0.5, "neutral", 0.0, S1],  # an older topic model: ignored
        )
        for row in [
            ["x", "1", "tm1", "delivery", 0.9, "negative", -0.7, S2],
            ["reddit", "4", "tm1", "delivery", 0.8, None, None, S2],  # no aspect sentiment: the mention's counts
            ["x", "2", "tm1", "support", 0.9, "positive", 0.9, S2],
        ]:
            w.execute("INSERT INTO mention_topics VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)
        w.execute(
            """INSERT INTO alert_outbox (alert_key, brand, signal, window_start, window_end, observed, expected,
            p_value, text, created_at, run_id) VALUES ('acme:1', 'Acme', 'negative_spike', ?, ?, 3, 0.5, 0.01,
            'Negative spike for Acme', ?, 'r2')""",
            [at(1, 10), at(1, 13), at(1, 14)],
        )
    with warehouse.read() as connection:
        yield connection


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> list[tuple]:
    """Fetch all rows, rounding floats so hand-computed numbers compare exactly."""
    return [
        tuple(round(v, 4) if isinstance(v, float) else v for v in row)
        for row in con.execute(sql, params or []).fetchall()
    ]


def test_mentions_scored_has_one_row_per_mention_and_brand_with_the_newest_score(
    con: duckdb.DuckDBPyConnection,
) -> None:
    # 7 posts, one of them naming two brands, plus 8 survey answers.
    assert rows(con, "SELECT count(*), count(DISTINCT (channel, id)) FROM mentions_scored") == [(16, 15)]
    assert rows(
        con,
        """SELECT brand, label, score, model_version, p_positive, day, hour FROM mentions_scored
        WHERE channel = 'x' AND id = '2'""",
    ) == [("Acme", "positive", 0.6, "v2", 0.6, date(2024, 1, 1), at(1, 10))]
    assert rows(con, "SELECT brand, label FROM mentions_scored WHERE id = '6'") == [(None, None)]
    assert rows(con, "SELECT brand FROM mentions_scored WHERE id = '4' ORDER BY brand") == [("Acme",), ("Globex",)]
    assert rows(con, "SELECT matched_terms FROM mentions_scored WHERE id = '7'") == [(["애크미"],)]


def test_rating_norm_maps_each_scale_onto_minus_one_to_one(con: duckdb.DuckDBPyConnection) -> None:
    assert rows(
        con, "SELECT rating_scale, rating, rating_norm FROM mentions_scored WHERE rating IS NOT NULL ORDER BY id"
    ) == [
        ("nps", 10.0, 1.0),  # NPS by its bands (models/ratings.py): promoters > 0, passives ~0, detractors < 0
        ("nps", 7.0, 0.0),
        ("nps", 3.0, -0.625),  # -1 + 3 * 0.75 / 6
        ("nps", 9.0, 0.75),
        ("csat", 5.0, 1.0),
        ("csat", 3.0, 0.0),
        ("ces7", 2.0, -0.6667),  # (2 - 1) / 6 * 2 - 1
        ("ces5", 5.0, 1.0),
    ]
    assert rows(con, "SELECT count(*) FROM mentions_scored WHERE rating IS NULL AND rating_norm IS NOT NULL") == [(0,)]


def test_sentiment_daily(con: duckdb.DuckDBPyConnection) -> None:
    assert rows(
        con,
        """SELECT brand, channel, day, mentions, negative, neutral, positive, scored, negative_share, net_sentiment
        FROM sentiment_daily ORDER BY day, brand NULLS LAST, channel""",
    ) == [
        # x/1 negative -0.8 and x/2 positive 0.6 (its newest score): share 1/2, net (-0.8 + 0.6) / 2.
        ("Acme", "reddit", date(2024, 1, 1), 2, 1, 1, 0, 2, 0.5, -0.2),
        ("Acme", "x", date(2024, 1, 1), 2, 1, 0, 1, 2, 0.5, -0.1),
        ("Globex", "reddit", date(2024, 1, 1), 1, 1, 0, 0, 1, 1.0, -0.4),
        ("Globex", "x", date(2024, 1, 2), 1, 1, 0, 0, 1, 1.0, -0.9),
        (None, "x", date(2024, 1, 2), 1, 0, 0, 0, 0, None, None),  # unscored, matched no brand
        ("Acme", "x", date(2024, 1, 3), 1, 1, 0, 0, 1, 1.0, -0.6),
        ("Acme", "survey", date(2024, 1, 15), 8, 0, 0, 0, 0, None, None),
    ]


def test_sentiment_hourly(con: duckdb.DuckDBPyConnection) -> None:
    assert rows(
        con,
        """SELECT channel, hour, mentions, negative, positive, negative_share, net_sentiment FROM sentiment_hourly
        WHERE brand = 'Acme' AND hour < '2024-01-02' ORDER BY hour, channel""",
    ) == [
        ("x", at(1, 10), 2, 1, 1, 0.5, -0.1),
        ("reddit", at(1, 11), 1, 0, 0, 0.0, 0.0),
        ("reddit", at(1, 12), 1, 1, 0, 1.0, -0.4),
    ]


def test_share_of_voice(con: duckdb.DuckDBPyConnection) -> None:
    assert rows(
        con,
        "SELECT day, brand, mentions, share, negative_share, net_sentiment FROM share_of_voice ORDER BY day, brand",
    ) == [
        # Jan 1: Acme in 4 mentions, Globex in 1 (reddit/4 names both) → 4/5 and 1/5.
        # Acme: 2 of 4 negative, net (-0.8 + 0.6 + 0.0 - 0.4) / 4 = -0.15.
        (date(2024, 1, 1), "Acme", 4, 0.8, 0.5, -0.15),
        (date(2024, 1, 1), "Globex", 1, 0.2, 1.0, -0.4),
        (date(2024, 1, 2), "Globex", 1, 1.0, 1.0, -0.9),  # x/6 matched no brand: not a voice
        (date(2024, 1, 3), "Acme", 1, 1.0, 1.0, -0.6),
        (date(2024, 1, 15), "Acme", 8, 1.0, None, None),
    ]


def test_topic_daily(con: duckdb.DuckDBPyConnection) -> None:
    assert rows(
        con, "SELECT brand, topic, day, mentions, negative_share, net_sentiment FROM topic_daily ORDER BY brand, topic"
    ) == [
        # Delivery for Acme: x/1's aspect score -0.7 and reddit/4's mention score -0.4 → mean -0.55.
        ("Acme", "delivery", date(2024, 1, 1), 2, 1.0, -0.55),
        ("Acme", "support", date(2024, 1, 1), 1, 0.0, 0.9),
        ("Globex", "delivery", date(2024, 1, 1), 1, 1.0, -0.4),
        # No "price": that came from the older topic model tm0.
    ]


def test_top_terms_reads_terms_stored_by_the_topic_step(con: duckdb.DuckDBPyConnection) -> None:
    # Terms come from `mention_terms`, written with the topics (kiwipiepy for Korean); this fixture stores none.
    # Lift ranking against the brand's baseline is tested in tests/topics/test_topics_store.py.
    assert rows(con, "SELECT count(*) FROM top_terms") == [(0,)]


def test_feedback_scores(con: duckdb.DuckDBPyConnection) -> None:
    assert rows(
        con,
        """SELECT brand, channel, month, responses, nps_responses, nps, csat_responses, csat, ces_responses, ces,
        avg_rating_norm FROM feedback_scores""",
    ) == [
        # avg_rating_norm: (1 + 0 - 0.625 + 0.75 + 1 + 0 - 2/3 + 1) / 8
        ("Acme", "survey", date(2024, 1, 1), 8, 4, 25.0, 2, 50.0, 2, 4.5, 0.3073),
    ]


def test_alerts(con: duckdb.DuckDBPyConnection) -> None:
    assert rows(
        con,
        """SELECT alert_key, brand, signal, window_start, window_end, observed, expected, status, attempts,
        last_error, destination, sent_at, text FROM alerts""",
    ) == [
        (
            "acme:1",
            "Acme",
            "negative_spike",
            at(1, 10),
            at(1, 13),
            3.0,
            0.5,
            "pending",
            0,
            None,
            None,
            None,
            "Negative spike for Acme",
        )
    ]


def test_hourly_counts_fill_empty_hours(con: duckdb.DuckDBPyConnection) -> None:
    assert hourly_counts(con, "Acme", at(1, 9), at(1, 13)) == [
        (at(1, 9), 0, 0),
        (at(1, 10), 2, 1),
        (at(1, 11), 1, 0),
        (at(1, 12), 1, 1),
    ]
    assert hourly_counts(con, "Acme", at(1, 9), at(1, 13), channel="x") == [
        (at(1, 9), 0, 0),
        (at(1, 10), 2, 1),
        (at(1, 11), 0, 0),
        (at(1, 12), 0, 0),
    ]
    # Only mentions at or after `start` count, even inside its first hour; a naive datetime is UTC.
    assert hourly_counts(con, "Acme", datetime(2024, 1, 1, 10, 30), at(1, 11)) == [(at(1, 10), 1, 0)]
    assert hourly_counts(con, "Nobody", at(1, 9), at(1, 11)) == [(at(1, 9), 0, 0), (at(1, 10), 0, 0)]
    assert hourly_counts(con, "Acme", at(1, 9), at(1, 9)) == []
    assert all(hour.tzinfo is not None for hour, _, _ in hourly_counts(con, "Acme", at(1, 0), at(2, 0)))
    assert len(hourly_counts(con, "Acme", at(1, 0), at(8, 0))) == 7 * 24
    # Hours stay UTC hours on a connection set to a half-hour time zone.
    con.execute("SET TimeZone = 'Asia/Kolkata'")
    try:
        assert hourly_counts(con, "Acme", at(1, 9, 45), at(1, 11)) == [(at(1, 9), 0, 0), (at(1, 10), 2, 1)]
    finally:
        con.execute("SET TimeZone = 'UTC'")


def test_newest_mention_time(con: duckdb.DuckDBPyConnection) -> None:
    assert newest_mention_time(con, "Acme") == at(15, 9)
    assert newest_mention_time(con, "Globex") == at(2, 9)
    assert newest_mention_time(con, "Nobody") is None


def test_negative_by_channel(con: duckdb.DuckDBPyConnection) -> None:
    assert negative_by_channel(con, "Acme", at(1, 0), at(4, 0)) == [("x", 2), ("reddit", 1)]
    assert negative_by_channel(con, "Acme", at(1, 12), at(1, 13)) == [("reddit", 1)]
    assert negative_by_channel(con, "Acme", at(15, 0), at(16, 0)) == []


def test_example_posts_widest_reach_first(con: duckdb.DuckDBPyConnection) -> None:
    posts = example_posts(con, "Acme", at(1, 0), at(4, 0))
    assert [(p["channel"], p["author_followers"], round(p["score"], 4)) for p in posts] == [
        ("x", 1000, -0.8),  # most reach
        ("x", None, -0.6),  # no reach known: the more negative first
        ("reddit", None, -0.4),
    ]
    assert set(posts[0]) == {"text", "url", "channel", "author_handle", "author_followers", "score"}
    assert len(example_posts(con, "Acme", at(1, 0), at(4, 0), limit=1)) == 1


def test_summary_of_everything_and_of_one_run(con: duckdb.DuckDBPyConnection) -> None:
    everything = summary(con)
    assert everything["mentions"] == 15
    assert everything["mentions_by_channel"] == {"survey": 8, "x": 5, "reddit": 2}
    assert everything["mentions_by_brand"] == {"Acme": 13, "Globex": 2}
    assert everything["unmatched"] == 1
    assert everything["by_channel_brand"][0] == {"brand": "Acme", "channel": "survey", "mentions": 8}
    acme = next(row for row in everything["sentiment_by_brand"] if row["brand"] == "Acme")
    # Acme's scored mentions: x/1 -0.8, x/2 0.6, reddit/3 0.0, reddit/4 -0.4, x/7 -0.6 → 3 of 5 negative.
    assert (acme["scored"], acme["negative"], acme["neutral"], acme["positive"]) == (5, 3, 1, 1)
    assert acme["negative_share"] == pytest.approx(0.6)
    assert acme["net_sentiment"] == pytest.approx(-0.24)
    assert everything["alerts_by_status"] == {"pending": 1} and everything["alerts_total"] == 1
    assert everything["rejects"] == 1

    second = summary(con, run_id="r2")
    assert second["run_id"] == "r2"
    assert second["mentions_by_channel"] == {"survey": 8}
    assert second["sentiment_by_brand"] == []  # the survey answers are not scored yet
    assert (second["alerts_total"], second["rejects"]) == (1, 1)
    assert summary(con, run_id="r1")["rejects"] == 0


@pytest.mark.parametrize("rescored", [False, True])
@pytest.mark.parametrize("run_id", [None, "r1", "r2"])
def test_summary_in_one_pass_equals_the_two_queries_on_the_view(
    con: duckdb.DuckDBPyConnection, run_id: str | None, rescored: bool, tmp_path: Path
) -> None:
    # Re-scored (x/2 by v2): the newest score per mention is chosen as the view chooses it; else one version, joined.
    if not rescored:
        this = "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
        [(path,)] = con.execute(this).fetchall()
        shutil.copyfile(path, tmp_path / "one.duckdb")
        con = duckdb.connect(str(tmp_path / "one.duckdb"))
        con.execute("DELETE FROM scores WHERE model_version <> 'v1'")
    assert (stored_versions(con).score is None) == rescored
    where, params = ("WHERE run_id = ?", [run_id]) if run_id else ("", [])
    per_channel = con.execute(
        f"""SELECT brand, channel, count(*) AS n FROM mentions_scored {where}
        GROUP BY brand, channel ORDER BY brand NULLS LAST, n DESC, channel""",
        params,
    ).fetchall()
    per_brand = con.execute(
        f"""SELECT brand, count(label), count(*) FILTER (WHERE label = 'negative'),
            count(*) FILTER (WHERE label = 'neutral'), count(*) FILTER (WHERE label = 'positive'), avg(score)
        FROM mentions_scored {where or "WHERE TRUE"} AND brand IS NOT NULL
        GROUP BY brand HAVING count(label) > 0 ORDER BY brand""",
        params,
    ).fetchall()
    got = summary(con, run_id=run_id)
    assert [(r["brand"], r["channel"], r["mentions"]) for r in got["by_channel_brand"]] == per_channel
    sentiment = [(r["brand"], r["scored"], r["negative"], r["neutral"], r["positive"], r["net_sentiment"])
                 for r in got["sentiment_by_brand"]]  # fmt: skip
    assert sentiment == [pytest.approx(row) for row in per_brand]
    assert per_channel and (per_brand or run_id == "r2")


def test_run_readonly_sql(con: duckdb.DuckDBPyConnection) -> None:
    columns, result = run_readonly_sql(
        con, "SELECT brand, sum(mentions) AS n FROM share_of_voice GROUP BY 1 ORDER BY 1"
    )
    assert columns == ["brand", "n"] and result == [("Acme", 13), ("Globex", 2)]
    assert run_readonly_sql(con, "FROM alerts SELECT alert_key")[1] == [("acme:1",)]
    assert run_readonly_sql(con, "SELECT * FROM range(10)", max_rows=3)[1] == [(0,), (1,), (2,)]
    assert "mentions" in [r[0] for r in run_readonly_sql(con, "SHOW TABLES")[1]]


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM mentions",
        "/* SELECT */ INSERT INTO stopwords VALUES ('en', 'x')",
        "SELECT 1; DROP TABLE mentions",
        "COPY mentions TO 'out.csv'",
        "ATTACH 'other.duckdb'",
        "SET threads = 1",
        "CALL pragma_version()",
    ],
)
def test_run_readonly_sql_refuses_anything_else(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    with pytest.raises(SqlRefused):
        run_readonly_sql(con, sql)


def test_views_use_the_newest_score_even_after_another_rescore(tmp_path_factory: pytest.TempPathFactory) -> None:
    """A third model version scored later takes over; the older ones stay queryable in `scores`."""
    warehouse = Warehouse(tmp_path_factory.mktemp("rescore") / "r.duckdb")
    with warehouse.write() as w:
        load_mentions(w, [mention("x", "1", "acme", at(1, 1))], {("x", "1"): brand("Acme")})
        for n, (label, score) in enumerate([("negative", -0.5), ("neutral", 0.0), ("positive", 0.7)]):
            load_scores(w, [(("x", "1"), sentiment(label, score, f"v{n}"))], scored_at=S1 + timedelta(hours=n))
        assert rows(w, "SELECT label, model_version FROM mentions_scored") == [("positive", "v2")]
        assert rows(w, "SELECT positive, net_sentiment FROM sentiment_daily") == [(1, 0.7)]
        assert rows(w, "SELECT count(*) FROM scores") == [(3,)]


DOC = Path(__file__).resolve().parents[2] / "docs" / "warehouse.md"


def test_every_sql_example_in_the_docs_runs(con: duckdb.DuckDBPyConnection) -> None:
    """The examples marketing copies from docs/warehouse.md parse, bind and run on a real warehouse."""
    examples = re.findall(r"```sql\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    assert len(examples) >= 20
    for sql in examples:
        columns, _ = run_readonly_sql(con, sql)
        assert columns, sql
