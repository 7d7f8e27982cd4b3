"""The report's aggregations against numbers computed by hand from the tiny fixture (tests/report/report_support.py)."""

from __future__ import annotations

from datetime import date

import pytest

from warehouse import Warehouse
from warehouse.queries import report as rq
from warehouse.queries.report import Period

# The report period of these tests: Nov 10-11; the previous period is Nov 8-9.
PERIOD = Period(date(2026, 11, 10), date(2026, 11, 11))
approx = pytest.approx


def test_period_arithmetic() -> None:
    assert PERIOD.days == 2
    assert PERIOD.previous() == Period(date(2026, 11, 8), date(2026, 11, 9))
    assert Period.ending(date(2026, 11, 22), 28) == Period(date(2026, 10, 26), date(2026, 11, 22))
    assert PERIOD.end_at.isoformat() == "2026-11-12T00:00:00+00:00"
    with pytest.raises(ValueError, match="ends"):
        Period(date(2026, 11, 2), date(2026, 11, 1))


def test_headline_compares_with_the_previous_period(small_warehouse: Warehouse) -> None:
    with small_warehouse.read() as con:
        h = rq.headline(con, "Acme", PERIOD)
    # a3..a7 and s1..s5; negative: a3, a4, s3, s5; scores sum to 0.7.
    assert (h["mentions"], h["scored"], h["negative"]) == (10, 10, 4)
    assert h["negative_share"] == approx(0.4)
    assert h["net_sentiment"] == approx(0.07)
    # a1 (-0.8, negative) and a2 (+0.6).
    assert h["prev_mentions"] == 2
    assert h["prev_negative_share"] == approx(0.5)
    assert h["prev_net_sentiment"] == approx(-0.1)


def test_channel_trend_per_day(small_warehouse: Warehouse) -> None:
    with small_warehouse.read() as con:
        rows = rq.channel_trend(con, "Acme", PERIOD)
    got = [(r["bucket"].day, r["channel"], r["mentions"], r["negative"], r["net_sentiment"]) for r in rows]
    assert got == [
        (10, "reddit", 1, 0, approx(0.7)),
        (10, "x", 3, 2, approx((-0.9 - 0.5 + 0.0) / 3)),
        (11, "survey", 5, 2, approx(0.1)),
        (11, "x", 1, 0, approx(0.9)),
    ]
    with small_warehouse.read() as con:
        weekly = rq.channel_trend(con, "Acme", PERIOD, "week")
    assert {(r["bucket"], r["channel"]): r["mentions"] for r in weekly} == {
        (date(2026, 11, 9), "reddit"): 1,
        (date(2026, 11, 9), "survey"): 5,
        (date(2026, 11, 9), "x"): 4,
    }


def test_share_of_voice_among_the_named_brands(small_warehouse: Warehouse) -> None:
    with small_warehouse.read() as con:
        rows = {r["brand"]: r for r in rq.share_of_voice(con, ["Acme", "Globex"], PERIOD)}
        alone = rq.share_of_voice(con, ["Globex"], PERIOD)
    acme, globex = rows["Acme"], rows["Globex"]
    assert (acme["mentions"], globex["mentions"]) == (10, 3)
    assert acme["share"] == approx(10 / 13) and globex["share"] == approx(3 / 13)
    assert globex["negative_share"] == approx(1 / 3) and globex["net_sentiment"] == approx(-0.1)
    # Previous period (Nov 9): Acme 2 mentions, Globex 3.
    assert acme["prev_share"] == approx(0.4) and globex["prev_share"] == approx(0.6)
    assert globex["prev_net_sentiment"] == approx(0.0)
    assert alone[0]["share"] == approx(1.0)


def test_share_trend_per_day(small_warehouse: Warehouse) -> None:
    with small_warehouse.read() as con:
        rows = rq.share_trend(con, ["Acme", "Globex"], PERIOD)
    assert [(r["bucket"].day, r["brand"], r["mentions"], round(r["share"], 3)) for r in rows] == [
        (10, "Acme", 4, 0.8),
        (10, "Globex", 1, 0.2),
        (11, "Acme", 6, 0.75),
        (11, "Globex", 2, 0.25),
    ]


def test_topic_changes_against_the_previous_period(small_warehouse: Warehouse) -> None:
    with small_warehouse.read() as con:
        rows = {r["topic"]: r for r in rq.topic_changes(con, "Acme", PERIOD)}
    assert set(rows) == {"delivery", "price"}
    delivery, price = rows["delivery"], rows["price"]
    # delivery: a3, a4 now (both negative), a1 before (negative).
    assert (delivery["mentions"], delivery["prev_mentions"], delivery["mentions_change"]) == (2, 1, 1)
    assert delivery["negative_share"] == approx(1.0) and delivery["negative_share_change"] == approx(0.0)
    # price: a6 now (positive), nothing before.
    assert (price["mentions"], price["negative"], price["prev_mentions"]) == (1, 0, 0)
    assert price["prev_negative_share"] is None and price["negative_share_change"] is None


def test_top_terms_of_negative_mentions(small_warehouse: Warehouse) -> None:
    with small_warehouse.read() as con:
        terms = {r["term"]: r["mentions"] for r in rq.top_terms(con, "Acme", PERIOD, "negative")}
    # a3 "Acme delivery late again, 배송 최악" and a4 "acme app down, delivery late".
    assert terms["delivery"] == 2 and terms["late"] == 2 and terms["최악"] == 1
    with small_warehouse.read() as con:
        positive = {r["term"]: r["mentions"] for r in rq.top_terms(con, "Acme", PERIOD, "positive")}
        before = {r["term"]: r["mentions"] for r in rq.top_terms(con, "Acme", PERIOD.previous(), "positive")}
    # top_terms is weekly and a week counts when it overlaps the period: a2 (Mon Nov 9) and a6 (Nov 10) share one,
    # so both periods see both.
    assert positive == before == {"great": 2, "delivery": 1, "fast": 1, "price": 1}


def test_feedback_summary_uses_the_feedback_scores_definitions(small_warehouse: Warehouse) -> None:
    with small_warehouse.read() as con:
        fb = rq.feedback_summary(con, "Acme", PERIOD)
    # NPS answers 10, 9, 3: 2 promoters, 1 detractor. CSAT answers 5, 2: one satisfied of two.
    assert fb["nps_responses"] == 3 and fb["nps"] == approx(100 / 3)
    assert fb["csat_responses"] == 2 and fb["csat"] == approx(50.0)
    assert fb["ces_responses"] == 0 and fb["ces"] is None


def test_comparable_scores_put_ratings_and_sentiment_on_one_scale(small_warehouse: Warehouse) -> None:
    with small_warehouse.read() as con:
        rows = rq.comparable_scores(con, "Acme", PERIOD, "day")
        # How a rating maps onto -1 … 1 is the warehouse's rating_norm; this test checks what the report does with it.
        norm = dict(con.execute("SELECT id, rating_norm FROM mentions_scored WHERE rating IS NOT NULL").fetchall())
    got = {(r["bucket"].day, r["source"]): (r["value"], r["responses"]) for r in rows}
    assert got == {
        (10, "Social sentiment"): (approx(-0.175), 4),  # a3..a6: (-0.9 - 0.5 + 0 + 0.7) / 4
        (11, "Social sentiment"): (approx(0.9), 1),  # a7; survey answers are not social talk
        (11, "NPS answers"): (approx((norm["s1"] + norm["s2"] + norm["s3"]) / 3), 3),
        (11, "CSAT answers"): (approx((norm["s4"] + norm["s5"]) / 2), 2),
    }
    assert norm["s1"] == approx(1.0) and norm["s4"] == approx(1.0)  # the top of a scale is +1 on any mapping


def test_alerts_overlapping_the_period(small_warehouse: Warehouse) -> None:
    with small_warehouse.read() as con:
        alerts = rq.alerts_in(con, ["Acme", "Globex"], PERIOD)
        before = rq.alerts_in(con, ["Acme"], Period(date(2026, 11, 9), date(2026, 11, 9)))
        others = rq.alerts_in(con, ["Globex"], PERIOD)
    assert [(a["brand"], a["observed"], a["lift"]) for a in alerts] == [("Acme", 2.0, approx(10.0))]
    assert before == [] and others == []


def test_example_mentions_widest_reach_first(small_warehouse: Warehouse) -> None:
    with small_warehouse.read() as con:
        negative = rq.example_mentions(con, "Acme", PERIOD, "negative")
        positive = rq.example_mentions(con, "Acme", PERIOD, "positive")
    assert [m["id"] for m in negative] == ["a3", "a4", "s5", "s3"]
    assert [m["id"] for m in positive] == ["a6", "a7", "s4", "s1", "s2"]
    assert negative[0]["text"] == "Acme delivery late again, 배송 최악" and negative[0]["lang"] == "ko"


def test_newest_day(small_warehouse: Warehouse) -> None:
    with small_warehouse.read() as con:
        assert rq.newest_day(con) == date(2026, 11, 11)
        assert rq.newest_day(con, ["Globex"]) == date(2026, 11, 11)
        assert rq.newest_day(con, ["Nobody"]) is None


def test_an_unknown_bucket_is_refused(small_warehouse: Warehouse) -> None:
    with small_warehouse.read() as con, pytest.raises(ValueError, match="bucket"):
        rq.channel_trend(con, "Acme", PERIOD, "month")


@pytest.mark.parametrize(
    "period", [PERIOD, Period(date(2026, 11, 11), date(2026, 11, 11)), Period(date(2026, 11, 1), date(2026, 11, 14))]
)
def test_queries_over_the_resolved_window_answer_as_each_resolving_its_own(
    small_warehouse: Warehouse, period: Period
) -> None:
    brands = ["Acme", "Globex", "Initech"]

    def answers(**window: str) -> list[object]:
        return [
            rq.headline(con, "Acme", period, **window),
            *(rq.channel_trend(con, "Acme", period, bucket, **window) for bucket in rq.BUCKETS),
            rq.share_of_voice(con, brands, period, **window),
            *(rq.share_trend(con, brands, period, bucket, **window) for bucket in rq.BUCKETS),
            rq.topic_changes(con, "Acme", period, **window),
            *(rq.top_terms(con, "Acme", period, label, **window) for label in ("negative", "positive")),
            rq.feedback_summary(con, "Acme", period, **window),
            rq.comparable_scores(con, "Acme", period, **window),
            *(rq.example_mentions(con, "Acme", period, label, **window) for label in ("negative", "positive")),
            rq.response_care(con, brands, period, **window),
            rq.theme_candidates(con, "Acme", period, **window),
        ]

    with small_warehouse.read() as con:
        own = answers()
        with rq.report_window(con, brands, period) as window:
            shared = answers(window=window)
        # The temporary table is gone with the block: nothing is left on the connection.
        assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchall() == [(0,)]
    # Row order may change the last bits of a float sum, nothing else.
    assert _rounded(shared) == _rounded(own)
    assert own[0]["mentions"] > 0  # rows to compare, not two empty answers


def _rounded(value: object) -> object:
    """Floats to 9 places, inside any lists, tuples and dicts."""
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return value
