"""Owned accounts: their posts are flagged and kept out of customer counts; `brand_responses` measures replies."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

import duckdb
import pytest
from helpers.warehouse import brand, count, mention, sentiment

from models.brands import Brand
from warehouse import Warehouse, hourly_counts, load_mentions, load_scores
from warehouse.owned import sync_owned_accounts
from warehouse.queries.alerts import example_posts, response_care, response_care_in
from warehouse.queries.report import Period
from warehouse.queries.report import response_care as report_response_care


def at(hour: int, minute: int = 0, day: int = 1) -> datetime:
    """A UTC time on 2024-01-`day`."""
    return datetime(2024, 1, day, hour, minute, tzinfo=UTC)


ACME = Brand(name="Acme", terms=["acme"], owned=["@acmehelp", "reddit:acme_support"])
GLOBEX = Brand(name="Globex", terms=["globex"], owned=["youtube:UC" + "g" * 22])
YT_GLOBEX = "UC" + "g" * 22


def build(warehouse: Warehouse) -> None:
    """The fixture: Acme complaints on X and Reddit, answers from its own accounts, one Globex YouTube thread.

    Acme negative customer mentions on X, 2024-01-01:
      c1 10:00 answered directly by @acmehelp at 10:14 (14 min)
      c2 10:30 never answered
      c3 11:00 a customer replied (r1, 11:05), @acmehelp answered r1 at 11:20: c3 answered after 20 min
      c4 12:00 @acmehelp answered in c4's conversation (parent not stored) at 12:30 (30 min)
      c5 13:00 an "answer" stamped 12:50, before it: not an answer
    → 3 of 5 answered, median 20 min. Reddit: t3_a answered by u/acme_support (a handle) after 60 min → 1 of 1.
    @acmehelp's own outage notice is negative and names Acme: flagged as owned, counted nowhere.
    Globex: one negative YouTube comment answered by its channel (author id) after 5 min.
    """
    posts = [
        mention("x", "c1", "acme app broken", at(10), author_handle="kim", author_followers=10),
        mention("x", "c2", "acme still broken", at(10, 30), author_handle="lee"),
        mention("x", "c3", "acme lost my order", at(11), author_handle="park"),
        mention("x", "r1", "same here with acme", at(11, 5), kind="reply", parent_id="c3", author_handle="choi"),
        mention("x", "c4", "acme refund please", at(12), author_handle="jung"),
        mention("x", "c5", "acme worst", at(13), author_handle="kang"),
        mention("x", "o1", "Sorry! Please DM us", at(10, 14), kind="reply", parent_id="c1",
                author_handle="AcmeHelp", author_id="111"),
        mention("x", "o2", "We're on it", at(11, 20), kind="reply", parent_id="r1", author_handle="acmehelp"),
        mention("x", "o3", "Refund sent", at(12, 30), kind="reply", parent_id="unknown",
                author_handle="@acmehelp", raw={"conversation_id": "c4"}),
        mention("x", "o4", "Checking", at(12, 50), kind="reply", parent_id="c5", author_handle="acmehelp"),
        mention("x", "o5", "acme app outage: login and payment errors, sorry", at(10, 40),
                author_handle="acmehelp", author_followers=50_000),
        mention("reddit", "t3_a", "acme charged me twice", at(9), author_handle="Seoul-Dan"),
        mention("reddit", "t1_b", "Sorry, sending a refund", at(10), kind="comment", parent_id="t3_a",
                author_handle="Acme_Support", author_id="t2_zz"),
        mention("youtube", "y1", "globex app keeps crashing", at(14), author_handle="viewer"),
        mention("youtube", "y2", "Sorry, fixed in 2.1", at(14, 5), kind="reply", parent_id="y1",
                author_handle="Globex Official", author_id=YT_GLOBEX),
    ]
    matches = {p.key: brand("Acme") for p in posts if p.channel != "youtube"}
    matches[("youtube", "y1")] = brand("Globex")
    matches[("youtube", "y2")] = brand("Globex")
    negative = {"c1", "c2", "c3", "c4", "c5", "o5", "t3_a", "y1"}
    scores = [(p.key, sentiment("negative", -0.8) if p.id in negative else sentiment("neutral", 0.0)) for p in posts]
    with warehouse.write() as con:
        load_mentions(con, posts, matches, run_id="r1")
        load_scores(con, scores)
        assert sync_owned_accounts(con, [ACME, GLOBEX]) is True


@pytest.fixture
def con(warehouse: Warehouse) -> duckdb.DuckDBPyConnection:
    build(warehouse)
    with warehouse.write() as connection:
        yield connection


def test_owned_posts_are_flagged_and_left_out_of_customer_views(con: duckdb.DuckDBPyConnection) -> None:
    owned = con.execute("SELECT channel, id, brand FROM owned_posts ORDER BY channel, id").fetchall()
    assert owned == [
        ("reddit", "t1_b", "Acme"),
        ("x", "o1", "Acme"), ("x", "o2", "Acme"), ("x", "o3", "Acme"), ("x", "o4", "Acme"), ("x", "o5", "Acme"),
        ("youtube", "y2", "Globex"),
    ]
    assert count(con, "mentions") == 15  # nothing is dropped: the flag is computed when read
    assert con.execute("SELECT count(*) FILTER (WHERE owned), count(*) FROM mentions_all").fetchone() == (7, 15)
    assert count(con, "mentions_scored") == 8
    assert "owned" not in [d[0] for d in con.execute("SELECT * FROM mentions_scored LIMIT 0").description]
    # The outage notice (negative, names Acme, 50k followers) is in no customer count.
    day = con.execute(
        "SELECT sum(mentions), sum(negative) FROM sentiment_daily WHERE brand = 'Acme' AND channel = 'x'"
    ).fetchone()
    assert day == (6, 5)
    assert con.execute("SELECT mentions FROM share_of_voice WHERE brand = 'Acme'").fetchone() == (7,)
    hour = {h: (t, n) for h, t, n in hourly_counts(con, "Acme", at(10), at(11))}
    assert hour[at(10)] == (2, 2)  # c1 and c2 (and Reddit's nothing): o1 and the notice o5 are left out
    examples = example_posts(con, "Acme", at(9), at(14))
    assert "acmehelp" not in {e["author_handle"] for e in examples}


def test_brand_responses_counts_answered_negatives_and_median_time(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        """SELECT brand, channel, day, negative, responded, round(response_rate, 4), median_response_minutes,
            fastest_response_minutes, has_owned_accounts
        FROM brand_responses ORDER BY brand, channel"""
    ).fetchall()
    assert rows == [
        ("Acme", "reddit", date(2024, 1, 1), 1, 1, 1.0, 60.0, 60.0, True),
        ("Acme", "x", date(2024, 1, 1), 5, 3, 0.6, 20.0, 14.0, True),
        ("Globex", "youtube", date(2024, 1, 1), 1, 1, 1.0, 5.0, 5.0, True),
    ]
    first = dict(
        con.execute("SELECT id, responder FROM mention_responses WHERE responded ORDER BY id").fetchall()
    )
    # Every customer mention is in `mention_responses` (r1 is neutral: answered, but not in the negative counts).
    # The configured @handle names the responder; an account configured by id shows the post's handle.
    assert first == {
        "c1": "@acmehelp", "c3": "@acmehelp", "r1": "@acmehelp", "c4": "@acmehelp", "t3_a": "@Acme_Support",
        "y1": "@Globex Official",
    }


def test_a_config_change_applies_to_history_and_syncing_again_changes_nothing(con: duckdb.DuckDBPyConnection) -> None:
    assert sync_owned_accounts(con, [ACME, GLOBEX]) is False
    assert count(con, "owned_accounts") == 3
    # Acme drops its X handle: @acmehelp's stored posts count as customer talk again, with no data rewritten.
    assert sync_owned_accounts(con, [ACME.model_copy(update={"owned": ["reddit:acme_support"]}), GLOBEX]) is True
    assert count(con, "mentions_scored") == 13
    assert con.execute(
        "SELECT responded FROM brand_responses WHERE brand = 'Acme' AND channel = 'x'"
    ).fetchone() == (0,)
    assert sync_owned_accounts(con, []) is True
    assert count(con, "owned_accounts") == 0 and count(con, "owned_posts") == 0
    assert con.execute("SELECT bool_or(has_owned_accounts) FROM brand_responses").fetchone() == (False,)


def test_a_failed_sync_leaves_the_old_list(warehouse: Warehouse) -> None:
    build(warehouse)

    class Broken(Brand):
        def owned_accounts(self):  # type: ignore[no-untyped-def]
            raise RuntimeError("killed mid-sync")

    with warehouse.write() as con, pytest.raises(RuntimeError):
        sync_owned_accounts(con, [Broken(name="Acme", terms=["acme"])])
    with warehouse.read() as con:
        assert count(con, "owned_accounts") == 3


def test_response_care_for_an_alert_window(con: duckdb.DuckDBPyConnection) -> None:
    care = response_care(con, "Acme", at(10), at(13, 30))
    assert care == {"negative": 5, "responded": 3, "median_minutes": 20.0, "responders": ["@acmehelp"]}
    none = response_care(con, "Acme", at(20), at(21))
    assert none == {"negative": 0, "responded": 0, "median_minutes": None, "responders": []}


def view_response_care(con: duckdb.DuckDBPyConnection, brand: str, start: datetime, end: datetime) -> dict:
    """What an alert's response line said before windows were read alone: the whole-history view, filtered."""
    negative, responded, minutes, responders = con.execute(
        """SELECT count(*), count(*) FILTER (WHERE responded), median(response_minutes),
            list(responder ORDER BY first_response_at) FILTER (WHERE responded)
        FROM mention_responses WHERE brand = ? AND label = 'negative' AND created_at >= ? AND created_at < ?""",
        [brand, start, end],
    ).fetchone()
    ranked = sorted(Counter(responders or []).items(), key=lambda item: -item[1])
    return {"negative": negative, "responded": responded, "median_minutes": minutes,
            "responders": [name for name, _ in ranked]}  # fmt: skip


def test_alert_windows_read_alone_answer_as_the_whole_history_view(con: duckdb.DuckDBPyConnection) -> None:
    # Overlapping windows, one ending before its answer, one starting after a reply, one empty, one whole day.
    windows = [(at(10), at(13, 30)), (at(9), at(10, 15)), (at(11), at(11, 10)), (at(11, 10), at(14)),
               (at(12, 40), at(14)), (at(20), at(21)), (at(0), at(23, 59))]  # fmt: skip
    for brand_name in ("Acme", "Globex"):
        batched = response_care_in(con, brand_name, windows)
        assert batched == [view_response_care(con, brand_name, *w) for w in windows]
    # Answers count whenever they came, also after the window (c4 at 12:00 answered at 12:30 in the fourth).
    assert [care["responded"] for care in response_care_in(con, "Acme", windows)] == [3, 2, 1, 1, 0, 0, 4]


def test_report_response_care_per_brand_and_channel(con: duckdb.DuckDBPyConnection) -> None:
    period = Period(date(2024, 1, 1), date(2024, 1, 1))
    acme, globex, initech = report_response_care(con, ["Acme", "Globex", "Initech"], period)
    assert acme["accounts"] == ["@acmehelp", "reddit:acme_support"]
    assert (acme["posts"], acme["replies"]) == (6, 5)
    assert (acme["total"]["negative"], acme["total"]["responded"], acme["total"]["median_minutes"]) == (6, 4, 25.0)
    assert [(r["channel"], r["responded"], r["negative"]) for r in acme["channels"]] == [("reddit", 1, 1), ("x", 3, 5)]
    assert globex["accounts"] == ["youtube:" + YT_GLOBEX] and globex["total"]["response_rate"] == 1.0
    assert initech == {
        "brand": "Initech", "accounts": [], "posts": 0, "replies": 0, "channels": [],
        "total": {"negative": 0, "responded": 0, "response_rate": None, "median_minutes": None},
    }
    later = report_response_care(con, ["Acme"], Period(date(2024, 1, 2), date(2024, 1, 8)))[0]
    assert later["total"]["negative"] == 0 and later["posts"] == 0
    assert later["accounts"] == ["@acmehelp", "reddit:acme_support"]


def test_an_answer_chain_longer_than_the_depth_limit_still_ends(warehouse: Warehouse) -> None:
    # A cycle (a → b → a) in stored parent ids must not loop forever.
    posts = [
        mention("x", "a", "acme broken", at(9), parent_id="b", author_handle="u1"),
        mention("x", "b", "acme broken too", at(9, 1), parent_id="a", author_handle="u2"),
        mention("x", "o", "sorry", at(9, 30), parent_id="a", author_handle="acmehelp"),
    ]
    with warehouse.write() as con:
        load_mentions(con, posts, {p.key: brand("Acme") for p in posts}, run_id="r1")
        load_scores(con, [(p.key, sentiment("negative", -0.9)) for p in posts])
        sync_owned_accounts(con, [ACME])
        rows = con.execute("SELECT id, responded, responses FROM mention_responses ORDER BY id").fetchall()
    assert rows == [("a", True, 1), ("b", True, 1)]
