"""Every SQL block in docs/queries.md runs read-only, as `brandpulse sql` runs it, and answers on a small warehouse."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from warehouse import Warehouse, run_readonly_sql

COOKBOOK = Path(__file__).resolve().parents[2] / "docs" / "queries.md"
# The tiny fixture's data is Nov 9-11 2026: "today" is pinned to the next day so "this week/month" has data.
TODAY = "DATE '2026-11-12'"
NOW = "TIMESTAMPTZ '2026-11-12 12:00:00+00'"


def cookbook_queries() -> list[tuple[str, str]]:
    """(question, sql) for every ```sql block, the question being the heading above it."""
    text = COOKBOOK.read_text(encoding="utf-8")
    found = []
    for match in re.finditer(r"^### (.+?)\n(?:.*?\n)*?```sql\n(.*?)```", text, re.MULTILINE | re.DOTALL):
        found.append((match.group(1).strip(), match.group(2)))
    return found


def pinned(sql: str) -> str:
    """The query with today's date replaced by the fixture's."""
    return sql.replace("current_date", TODAY).replace("now()", NOW)


def test_the_cookbook_has_a_query_under_every_question() -> None:
    text = COOKBOOK.read_text(encoding="utf-8")
    assert len(cookbook_queries()) == text.count("```sql") >= 20
    assert len(cookbook_queries()) == len(re.findall(r"^### ", text, re.MULTILINE))


@pytest.mark.parametrize(("question", "sql"), cookbook_queries(), ids=[q for q, _ in cookbook_queries()])
def test_every_cookbook_query_answers_on_the_fixture(small_warehouse: Warehouse, question: str, sql: str) -> None:
    with small_warehouse.read() as con:
        columns, rows = run_readonly_sql(con, pinned(sql))
    assert columns, question
    assert rows, f"{question}: no rows on the fixture"


def _answer(small_warehouse: Warehouse, heading: str) -> list[dict]:
    sql = dict(cookbook_queries())[heading]
    with small_warehouse.read() as con:
        columns, rows = run_readonly_sql(con, pinned(sql))
    return [dict(zip(columns, row, strict=True)) for row in rows]


def test_share_of_voice_answer_matches_hand_counts(small_warehouse: Warehouse) -> None:
    rows = _answer(small_warehouse, "What is our share of voice against competitors this month?")
    # November: Acme a1..a7 + s1..s5 = 12 mentions, Globex g1..g6 = 6.
    assert [(r["brand"], r["mentions"], r["share_of_voice"]) for r in rows] == [
        ("Acme", 12, 0.667),
        ("Globex", 6, 0.333),
    ]


def test_this_week_answer_matches_hand_counts(small_warehouse: Warehouse) -> None:
    (row,) = _answer(small_warehouse, "How much did people talk about us this week, and how did they feel?")
    # Week of Mon Nov 9: 12 Acme mentions; negative a1, a3, a4, s3, s5; scores sum to 0.5.
    assert (row["mentions"], row["negative"], row["positive"], row["neutral"]) == (12, 5, 6, 1)
    assert row["negative_share"] == 0.417 and row["net_sentiment"] == 0.042


def test_repeat_complainers_answer(small_warehouse: Warehouse) -> None:
    rows = _answer(small_warehouse, "Who complains about us again and again?")
    assert [(r["author_handle"], r["negative_mentions"]) for r in rows] == [("angry_kim", 2)]


def test_competitor_out_talked_us_answer(small_warehouse: Warehouse) -> None:
    rows = _answer(small_warehouse, "On which days did a competitor out-talk us?")
    assert [(str(r["day"]), r["acme"], r["globex"]) for r in rows] == [("2026-11-09", 2, 3)]
