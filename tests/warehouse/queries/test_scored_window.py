"""Window queries give what the whole-history view gives, batched queries what one window at a time gives."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers.history import ACME, DAY, NEG, scored_history

from flows.alerts.enqueue import sum_hours, top_terms_in, top_terms_of_texts
from models.mention import BrandMatch, Mention
from models.scores import sentiment_from_probs
from models.text.terms import TermTally
from warehouse import Warehouse, load_mentions, load_scores
from warehouse.queries import alerts as alert_queries
from warehouse.queries import pipeline as queries
from warehouse.queries.scored import (
    SCORED_WINDOW,
    WINDOW_TOPICS,
    StoredVersions,
    scored_window,
    stored_versions,
    window_params,
    window_topics,
)
from warehouse.topics import (
    term_counts,
    term_counts_in,
    term_lists,
    unexplained_negatives,
    unexplained_negatives_in,
)


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    return scored_history(tmp_path)


WINDOWS = [
    (DAY, DAY + timedelta(hours=20)),
    (DAY - timedelta(days=3), DAY),
    (DAY + timedelta(days=2), DAY + timedelta(days=5)),
]


def test_the_window_has_the_views_rows_with_the_newest_score(warehouse: Warehouse) -> None:
    start, end = DAY - timedelta(days=2), DAY + timedelta(days=3)
    columns = "channel, id, created_at, hour, label, score, author_followers"
    with warehouse.read() as con:
        view = con.execute(
            f"SELECT {columns} FROM mentions_scored WHERE brand = 'Acme' AND created_at >= ? AND created_at < ? "
            "ORDER BY ALL",
            [start, end],
        ).fetchall()
        window = con.execute(f"WITH {SCORED_WINDOW} SELECT {columns} FROM scored ORDER BY ALL",
                             window_params("Acme", start, end)).fetchall()  # fmt: skip
        versions = con.execute("SELECT count(DISTINCT model_version) FROM mentions_scored").fetchone()
    assert window == view and len(view) > 30
    assert versions == (2,)  # the fixture really has re-scored mentions


def test_term_counts_match_the_per_mention_lists_and_batches_match_single_windows(warehouse: Warehouse) -> None:
    with warehouse.read() as con:
        for start, end in WINDOWS:
            for label in (None, "negative"):
                tally = term_counts(con, "Acme", start, end, label=label)
                assert tally == TermTally.of(term_lists(con, "Acme", start, end, label=label))
        batched = term_counts_in(con, "Acme", WINDOWS, label="negative", min_count=2)
        single = [term_counts(con, "Acme", s, e, label="negative", min_count=2) for s, e in WINDOWS]
    assert batched == single and all(t.docs > 0 for t in batched)
    assert all(n >= 2 for t in batched for n in t.counts.values())


def test_overlapping_windows_counted_once_per_stretch_equal_each_mentions_own_terms(warehouse: Warehouse) -> None:
    # Windows that nest, overlap, share edges and start off the hour, each with its own label, minimum and terms.
    odd = timedelta(minutes=17)
    windows = [(DAY - timedelta(days=7), DAY + timedelta(days=1)), (DAY, DAY + timedelta(hours=5)),
               (DAY + odd, DAY + timedelta(days=3) - odd), (DAY - timedelta(days=2), DAY),
               (DAY + timedelta(days=9), DAY + timedelta(days=10))]  # fmt: skip
    labels = [None, "negative", "negative", "positive", None]
    minimums = [1, 2, 1, 1, 1]
    only = [["login", "courier", "nowhere"], None, None, ["cheap"], None]
    with warehouse.read() as con:
        counted = term_counts_in(con, "Acme", windows, label=labels, min_count=minimums, only=only)
        expected = []
        for (start, end), label, least, terms in zip(windows, labels, minimums, only, strict=True):
            lists = term_lists(con, "Acme", start, end, label=label)
            tally = TermTally.of(lists)
            kept = {t: n for t, n in tally.counts.items() if n >= least and (terms is None or t in terms)}
            expected.append(TermTally(kept, tally.docs))
    assert counted == expected
    assert counted[0].counts.keys() == {"login", "courier"} and counted[0].docs > counted[3].docs > 0
    assert counted[4] == TermTally({}, 0)  # after the last mention


@pytest.mark.parametrize("rescored", [True, False])  # the newest of two versions, or the one version joined
def test_example_posts_batched_equal_the_old_query_on_the_view(tmp_path: Path, rescored: bool) -> None:
    warehouse = scored_history(tmp_path, rescored=rescored)
    old_sql = """SELECT text, url, channel, author_handle, author_followers, score FROM mentions_scored
        WHERE brand = ? AND label = 'negative' AND created_at >= ? AND created_at < ?
        QUALIFY row_number() OVER (
            PARTITION BY coalesce(author_id, author_handle, channel || ':' || id) ORDER BY score, created_at
        ) = 1
        ORDER BY coalesce(author_followers, 0) DESC, score ASC, created_at DESC, channel, id
        LIMIT 3"""
    with warehouse.read() as con:
        expected = []
        for start, end in WINDOWS:
            cursor = con.execute(old_sql, ["Acme", start, end])
            names = [d[0] for d in cursor.description]
            expected.append([dict(zip(names, row, strict=True)) for row in cursor.fetchall()])
        batched = alert_queries.example_posts_in(con, "Acme", WINDOWS)
    assert batched == expected and all(expected)


@pytest.mark.parametrize("rescored", [True, False])
def test_detection_reads_the_window_once_with_the_same_counts(tmp_path: Path, rescored: bool) -> None:
    warehouse = scored_history(tmp_path, rescored=rescored)
    start, end = DAY - timedelta(days=7), DAY + timedelta(days=7)
    with warehouse.read() as con:
        series = alert_queries.window_series(con, "Acme", start, end, min_followers=3000)
        channels = alert_queries.hourly_counts_by(con, "Acme", start, end, by="channel")
        topics = alert_queries.hourly_counts_by(con, "Acme", start, end, by="topic")
        reach = alert_queries.negative_reach_posts(con, "Acme", start, end, min_followers=3000)
        hours = queries.hourly_counts(con, "Acme", start, end)
    assert (series.channels, series.topics, series.reach_posts) == (channels, topics, reach)
    assert topics and reach
    assert sum_hours(series.channels.values(), start, end) == hours


@pytest.mark.parametrize("rescored", [True, False])
def test_theme_candidates_are_a_bounded_sample_of_the_newest(tmp_path: Path, rescored: bool) -> None:
    warehouse = scored_history(tmp_path, rescored=rescored)
    start, end = DAY - timedelta(days=7), DAY + timedelta(days=7)
    with warehouse.read() as con:
        every = unexplained_negatives(con, "Acme", start, end)
        # By definition: the negatives (as the view scores them) whose newest topic scan explains them poorly.
        defined = con.execute(
            """SELECT ms.channel, ms.id FROM mentions_scored ms
            JOIN (SELECT channel, id, arg_max(best_score, scored_at) AS best FROM topic_scans GROUP BY ALL) s
                USING (channel, id)
            WHERE ms.brand = 'Acme' AND ms.label = 'negative' AND s.best < 0.5
                AND ms.created_at >= ? AND ms.created_at < ?
            ORDER BY ms.created_at, ms.channel, ms.id""",
            [start, end],
        ).fetchall()
        assert [(c, i) for c, i, *_ in every] == defined
        sample = unexplained_negatives(con, "Acme", start, end, limit=4)
        batched = unexplained_negatives_in(con, "Acme", WINDOWS, limit=3)
        single = [unexplained_negatives(con, "Acme", s, e, limit=3) for s, e in WINDOWS]
    assert len(every) > 4 and sample == every[-4:]
    assert batched == single and any(batched)


def test_top_terms_from_stored_terms_equal_terms_extracted_from_the_texts(warehouse: Warehouse) -> None:
    with warehouse.read() as con:
        stored = top_terms_in(con, ACME, WINDOWS)
        extracted = [top_terms_of_texts(con, ACME, start, end) for start, end in WINDOWS]
    assert stored == extracted and any(stored)


def test_the_views_newest_score_keeps_its_own_missing_probabilities(warehouse: Warehouse) -> None:
    with warehouse.write() as con:
        con.execute(
            "INSERT INTO scores (channel, id, model, model_version, label, score, scored_at) "
            "VALUES ('x', 'm1', 'other', 'v3', 'neutral', 0.0, now() + INTERVAL 1 DAY)"
        )
    with warehouse.read() as con:
        row = con.execute(
            "SELECT model_version, label, p_negative, p_neutral, p_positive FROM mentions_scored WHERE id = 'm1'"
        ).fetchone()
    assert row == ("v3", "neutral", None, None, None)


def test_report_theme_candidates_from_the_resolved_window_equal_their_own(warehouse: Warehouse) -> None:
    from warehouse.queries import report as rq

    period = rq.Period(DAY.date() - timedelta(days=3), DAY.date() + timedelta(days=3))
    with warehouse.read() as con:
        rows, baseline = rq.theme_candidates(con, "Acme", period)
        with rq.report_window(con, ["Acme"], period) as window:
            assert rq.theme_candidates(con, "Acme", period, window=window) == (rows, baseline)
        full = term_counts(con, "Acme", period.start_at - timedelta(days=rq.THEME_BASELINE_DAYS), period.end_at)
    assert rows and baseline.counts
    # The baseline counts the candidates' terms only, each as the full count does, over the same mentions.
    candidate_terms = {term for *_, terms in rows for term in terms}
    assert baseline == TermTally({t: n for t, n in full.counts.items() if t in candidate_terms}, full.docs)


# With one stored model version, windows join scores and topics directly instead of grouping them: the same rows.
SCORED_COLUMNS = "brand, channel, id, created_at, day, hour, author_followers, label, score"
TOPIC_COLUMNS = "channel, id, model_version, topic, score, sentiment_label, sentiment_score"


def _window_rows(con: Any, scored: str, topics: str, start: datetime, end: datetime) -> tuple[list, list]:
    """The window's scored rows and topic rows through these CTEs, sorted."""
    params = window_params("Acme", start, end)
    rows = con.execute(f"WITH {scored} SELECT {SCORED_COLUMNS} FROM scored ORDER BY ALL", params).fetchall()
    topic_sql = f"WITH {scored}, {topics} SELECT {TOPIC_COLUMNS} FROM window_topics ORDER BY ALL"
    return rows, con.execute(topic_sql, params).fetchall()


@pytest.mark.parametrize("version", ["v1", "it's v1"])  # a quote in a version is data, not SQL
def test_one_stored_version_gives_the_grouped_windows_rows(tmp_path: Path, version: str) -> None:
    warehouse = scored_history(tmp_path, rescored=False, version=version)
    start, end = DAY - timedelta(days=7), DAY + timedelta(days=7)
    with warehouse.read() as con:
        versions = stored_versions(con)
        direct = _window_rows(con, scored_window(versions), window_topics(versions), start, end)
        grouped = _window_rows(con, SCORED_WINDOW, WINDOW_TOPICS, start, end)
        counted = _window_rows(con, scored_window(versions, counting=True), window_topics(versions), start, end)
        view = con.execute(
            f"SELECT {SCORED_COLUMNS} FROM mentions_scored WHERE brand = 'Acme' AND created_at >= ? "
            "AND created_at < ? ORDER BY ALL",
            [start, end],
        ).fetchall()
    assert versions.score == version and versions.topic is not None
    assert scored_window(versions) != SCORED_WINDOW and window_topics(versions) != WINDOW_TOPICS
    assert direct == grouped == counted and direct[0] == view
    assert len(direct[0]) > 30 and direct[1]


def test_detection_counts_with_one_version_equal_the_grouped_counts(tmp_path: Path) -> None:
    warehouse = scored_history(tmp_path, rescored=False)
    start, end = DAY - timedelta(days=7), DAY + timedelta(days=7)
    with warehouse.read() as con:
        series = alert_queries.window_series(con, "Acme", start, end, min_followers=3000)
        params = window_params("Acme", start, end)
        channels = con.execute(
            f"""WITH {SCORED_WINDOW} SELECT channel, hour, count(*), count(*) FILTER (WHERE label = 'negative')
            FROM scored GROUP BY ALL ORDER BY ALL""",
            params,
        ).fetchall()
        topics = con.execute(
            f"""WITH {SCORED_WINDOW}, {WINDOW_TOPICS} SELECT t.topic, s.hour, count(*),
                count(*) FILTER (WHERE coalesce(t.sentiment_label, s.label) = 'negative')
            FROM window_topics t JOIN scored s USING (channel, id) GROUP BY ALL ORDER BY ALL""",
            params,
        ).fetchall()
    assert [(c, h, t, n) for c, rows in series.channels.items() for h, t, n in rows] == channels
    assert [(c, h, t, n) for c, rows in series.topics.items() for h, t, n in rows] == topics
    assert channels and topics and series.reach_posts


def test_stored_versions_name_the_only_version_or_none(tmp_path: Path, warehouse: Warehouse) -> None:
    empty = Warehouse(tmp_path / "empty.duckdb")
    with empty.write() as con:
        assert stored_versions(con) == StoredVersions(None, None)  # nothing scored: the grouped path
    with warehouse.read() as con:
        versions = stored_versions(con)
    assert versions.score is None and versions.topic is not None  # re-scored by v2: two score versions
    assert scored_window(versions) == SCORED_WINDOW


def test_a_version_stored_after_the_check_is_left_out_not_counted_twice(tmp_path: Path) -> None:
    warehouse = scored_history(tmp_path, rescored=False)
    start, end = DAY - timedelta(days=7), DAY + timedelta(days=7)
    with warehouse.write() as con:
        versions = stored_versions(con)
        before = _window_rows(con, scored_window(versions), window_topics(versions), start, end)
        # A re-score (another process on a lake) and a second topic model land between the check and the query.
        con.execute("INSERT INTO scores SELECT * REPLACE ('v2' AS model_version, now() AS scored_at) FROM scores")
        con.execute("INSERT INTO mention_topics SELECT * REPLACE ('t2' AS model_version) FROM mention_topics")
        after = _window_rows(con, scored_window(versions), window_topics(versions), start, end)
        assert stored_versions(con) == StoredVersions(None, None)
    assert after == before


def test_topics_off_leave_the_topic_path_grouped_and_empty(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path / "wh.duckdb")
    mention = Mention(channel="x", id="1", text="acme late", created_at=DAY, author_handle="u")
    with warehouse.write() as con:
        load_mentions(con, [mention], {mention.key: [BrandMatch(brand="Acme", terms=("acme",))]}, run_id="r")
        load_scores(con, [(mention.key, sentiment_from_probs(NEG, "m", "v1"))])
        versions = stored_versions(con)
        series = alert_queries.window_series(con, "Acme", DAY, DAY + timedelta(hours=1), min_followers=1)
    assert versions == StoredVersions("v1", None) and window_topics(versions) == WINDOW_TOPICS
    assert series.channels == {"x": [(DAY.replace(minute=0), 1, 1)]} and series.topics == {}
