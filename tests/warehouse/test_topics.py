"""The topic step on a real DuckDB file: stored topics, scans and terms, the views, drivers and emerging themes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from helpers.topics import KeywordEmbedder, KeywordSentiment, small_taxonomy

from flows.steps.topics import drivers_and_themes, find_emerging_themes, negative_drivers, score_topics_pending
from models.mention import BrandMatch, Mention
from models.scores import sentiment_from_probs
from models.text.topics import TopicScorer
from warehouse import Warehouse, load_mentions, load_scores
from warehouse.topics import term_counts

DAY = datetime(2024, 1, 8, 9, tzinfo=UTC)  # a Monday
NEG = {"negative": 0.8, "neutral": 0.1, "positive": 0.1}
POS = {"negative": 0.1, "neutral": 0.1, "positive": 0.8}


def store(warehouse: Warehouse, rows: list[tuple[str, str, datetime, dict[str, float]]]) -> None:
    mentions = [Mention(channel="x", id=i, text=t, created_at=when) for i, t, when, _ in rows]
    matches = {m.key: [BrandMatch(brand="Acme", terms=("acme",))] for m in mentions}
    with warehouse.write() as con:
        load_mentions(con, mentions, matches, run_id="r1")
        load_scores(con, [(("x", i), sentiment_from_probs(p, "m", "s1")) for i, _, _, p in rows])


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    wh = Warehouse(tmp_path / "wh.duckdb", lock_timeout_s=5.0)
    baseline = [
        (f"b{i}", text, DAY - timedelta(days=7 + i % 7), POS)
        for i, text in enumerate(["acme delivery was fast, great courier", "acme price is cheap, love it"] * 10)
    ]
    burst = [
        (f"n{i}", "acme login loop again, stuck on login", DAY + timedelta(hours=i), NEG) for i in range(5)
    ] + [
        ("d1", "Acme delivery was slow but the product quality is great", DAY, NEG),
        ("d2", "acme package late, courier lost it", DAY + timedelta(hours=1), NEG),
        ("d3", "애크미 배송이 너무 늦어요", DAY + timedelta(hours=2), NEG),
    ]
    store(wh, baseline + burst)
    return wh


@pytest.fixture
def scorer() -> TopicScorer:
    return TopicScorer(small_taxonomy(), KeywordEmbedder(), KeywordSentiment())


def test_scoring_stores_topics_scans_and_terms_once(warehouse: Warehouse, scorer: TopicScorer) -> None:
    assert score_topics_pending(warehouse, scorer, brand_terms=["Acme", "애크미"], chunk=7) == 28
    assert score_topics_pending(warehouse, scorer, brand_terms=["Acme"]) == 0  # nothing twice
    with warehouse.read() as con:
        topics = con.execute(
            "SELECT topic, sentiment_label FROM mention_topics WHERE id = 'd1' ORDER BY topic"
        ).fetchall()
        scans = con.execute("SELECT count(*), count(*) FILTER (WHERE topics = 0) FROM topic_scans").fetchone()
        terms = dict(con.execute("SELECT id, list(term ORDER BY term) FROM mention_terms GROUP BY id").fetchall())
        versions = con.execute("SELECT DISTINCT model_version FROM mention_topics").fetchall()
    assert topics == [("delivery", "negative"), ("quality", "positive")]
    assert scans == (28, 5)  # the login complaints match no topic of this taxonomy, and are recorded as seen
    assert terms["d3"] == ["늦다", "배송"]  # kiwipiepy nouns and predicates, the brand removed
    assert "acme" not in terms["n0"] and "login loop" in terms["n0"]
    assert versions == [(scorer.version,)]


def test_topic_daily_uses_aspect_sentiment(warehouse: Warehouse, scorer: TopicScorer) -> None:
    score_topics_pending(warehouse, scorer, brand_terms=["Acme", "애크미"])
    with warehouse.read() as con:
        rows = con.execute(
            "SELECT topic, mentions, negative, round(negative_share, 3) FROM topic_daily "
            "WHERE brand = 'Acme' AND day = ? ORDER BY topic",
            [DAY.date()],
        ).fetchall()
    # d1 is negative overall but positive on quality: the topic's own sentiment counts.
    assert rows == [("delivery", 3, 3, 1.0), ("quality", 1, 0, 0.0)]


def test_a_newer_topic_model_that_finds_nothing_hides_the_older_topics(
    warehouse: Warehouse, scorer: TopicScorer
) -> None:
    score_topics_pending(warehouse, scorer)
    empty = TopicScorer(small_taxonomy(), KeywordEmbedder(), None, default_threshold=0.999)
    empty.thresholds[:] = 0.999999
    assert score_topics_pending(warehouse, empty) == 28
    with warehouse.read() as con:
        assert con.execute("SELECT count(*) FROM topic_daily").fetchone() == (0,)
        assert con.execute("SELECT count(DISTINCT model_version) FROM mention_topics").fetchone() == (1,)


def test_top_terms_ranks_by_lift_against_the_brand_baseline(warehouse: Warehouse, scorer: TopicScorer) -> None:
    score_topics_pending(warehouse, scorer, brand_terms=["Acme", "애크미"])
    week = date(2024, 1, 8)
    with warehouse.read() as con:
        ranked = con.execute(
            "SELECT term, mentions, rank FROM top_terms WHERE brand = 'Acme' AND week = ? AND label = 'negative' "
            "AND rank IS NOT NULL ORDER BY rank",
            [week],
        ).fetchall()
        courier = con.execute(
            "SELECT round(lift, 4), baseline_mentions, docs, baseline_docs FROM top_terms "
            "WHERE term = 'courier' AND week = ? AND label = 'negative'",
            [week],
        ).fetchone()
        brand_terms = con.execute("SELECT count(*) FROM top_terms WHERE term IN ('acme', '애크미')").fetchone()
    # The login complaints never appear in the baseline weeks: they lead; delivery words are usual for Acme.
    assert ranked[0] == ("login", 5, 1)  # equal lifts break alphabetically
    assert {t for t, n, _ in ranked if n == 5} >= {"login", "loop", "login loop", "stuck"}
    assert [r for *_, r in ranked] == list(range(1, len(ranked) + 1))
    assert "delivery" not in [t for t, _, _ in ranked[:5]]
    # courier: 1 of 8 negative mentions this week (d2); 11 of 28 Acme mentions overall → (1/8) / (12/29).
    assert courier == (round((1 / 8) / (12 / 29), 4), 11, 8, 28)
    assert brand_terms == (0,)


def test_drivers_and_emerging_themes_of_a_burst(warehouse: Warehouse, scorer: TopicScorer) -> None:
    score_topics_pending(warehouse, scorer, brand_terms=["Acme", "애크미"])
    start, end = DAY, DAY + timedelta(days=1)
    drivers = negative_drivers(warehouse, "Acme", start, end)
    assert drivers.topics[0][:2] == ("delivery", 3)
    assert drivers.top_terms(3)[0] in ("login", "loop", "login loop", "stuck", "again")
    themes = find_emerging_themes(warehouse, KeywordEmbedder(), "Acme", start, end, threshold=0.8)
    assert len(themes) == 1
    theme, examples = themes[0]
    assert theme.size == 5 and "login loop" in theme.terms
    assert examples[0] == "acme login loop again, stuck on login"
    # The drivers' baseline is the one themes count themselves: `brandpulse themes` counts it once for both.
    with warehouse.read() as con:
        assert drivers.baseline == term_counts(con, "Acme", start - timedelta(days=28), end)
    again = find_emerging_themes(warehouse, KeywordEmbedder(), "Acme", start, end, threshold=0.8,
                                 baseline=drivers.baseline)  # fmt: skip
    assert [(t.label, t.members) for t, _ in again] == [(t.label, t.members) for t, _ in themes]
    # `brandpulse themes` reads both from one connection that resolves the scored mentions once: the same answers.
    both, found = drivers_and_themes(warehouse, KeywordEmbedder(), "Acme", start, end, threshold=0.8)
    assert (both.topics, both.terms, both.baseline) == (drivers.topics, drivers.terms, drivers.baseline)
    assert [(t.label, t.members, ex) for t, ex in found] == [(t.label, t.members, ex) for t, ex in themes]
