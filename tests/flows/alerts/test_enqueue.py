"""Alerting over a real warehouse: runs while an episode grows and ends, then delivery to a local fake Slack."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers.alerts import FakeSlack, fill_warehouse

from flows.alerts.delivery import deliver_due
from flows.alerts.enqueue import detect_and_enqueue, simple_top_terms
from flows.alerts.slack import SlackWebhookSender
from flows.runtime.config import parse_config
from warehouse import Warehouse
from warehouse.alerts import episodes as alert_episodes
from warehouse.alerts import outbox

START = datetime(2024, 4, 1, tzinfo=UTC)
H = timedelta(hours=1)
SPIKE = START + timedelta(days=15, hours=9)


def quiet_then_spike() -> list[tuple[int, int]]:
    hours = [(1 if h % 3 == 0 else 0, 4) for h in range(16 * 24)]
    at = int((SPIKE - START) / H)
    for offset, negatives in enumerate([12, 30, 45, 20]):
        hours[at + offset] = (negatives, 6)
    return hours


AT = int((SPIKE - START) / H)
REACH = {AT + 1: 400_000}


def config_for(db: Path) -> object:
    return parse_config({"warehouse": {"path": str(db)}, "brands": [{"name": "Acme", "terms": ["acme"]}]})


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Warehouse, object]:
    db = tmp_path / "wh.duckdb"
    fill_warehouse(db, quiet_then_spike(), start=START, reach=REACH)
    return Warehouse(db), config_for(db)


def test_a_growing_episode_gets_one_alert_updates_and_a_resolved_note(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    db = tmp_path / "wh.duckdb"
    hours = quiet_then_spike()
    fill_warehouse(db, hours[:AT], start=START)
    warehouse, config = Warehouse(db), config_for(db)
    results = []
    for offset in range(12):
        # Mentions arrive as time passes: each run sees the hour that just ended.
        hour = SPIKE + offset * H
        reach = {0: REACH[AT + offset]} if AT + offset in REACH else None
        fill_warehouse(db, [hours[AT + offset]], start=hour, reach=reach)
        now = hour + H + timedelta(minutes=5)
        outcome = detect_and_enqueue(warehouse, config, run_id=f"run-{offset}", now=now)  # type: ignore[arg-type]
        with warehouse.write() as con:
            sent = deliver_due(con, SlackWebhookSender(fake_slack.url), now=now, destination="slack").sent
        results.append({"new": outcome.new, "updates": outcome.updates, "resolved": outcome.resolved, "sent": sent})
    assert [r["new"] for r in results] == [1] + [0] * 11
    assert sum(r["updates"] for r in results) >= 1
    assert [r["resolved"] for r in results].count(1) == 1
    assert sum(r["sent"] for r in results) == len(fake_slack.requests) == 1 + sum(r["updates"] for r in results) + 1
    first, *follow_ups = [request["json"] for request in fake_slack.requests]
    assert first["text"].startswith("Negative spike: Acme")
    assert "Ongoing" in first["text"] and "app down again" in first["text"]
    assert follow_ups[0]["text"].startswith("Update — Negative spike: Acme")
    assert follow_ups[-1]["text"].startswith("Resolved — Negative spike: Acme")
    with warehouse.write() as con:
        [(key, status, episode_status, updates, follow)] = con.execute(
            "SELECT alert_key, status, episode_status, updates, follow_ups FROM alerts"
        ).fetchall()
        stored = alert_episodes.get(con, key)
        kinds = [row[0] for row in con.execute("SELECT kind FROM alert_outbox ORDER BY created_at").fetchall()]
    assert key == f"Acme|negative_volume|{SPIKE:%Y-%m-%dT%H}"
    assert (status, episode_status) == ("sent", "resolved")
    assert updates == len(follow) - 1 and all(s == "sent" for s in follow)
    assert kinds[0] == "alert" and kinds[-1] == "resolved"
    assert stored is not None and stored.window_end == SPIKE + 4 * H


def test_a_backfilled_past_episode_is_one_alert_marked_over_and_reruns_add_nothing(
    setup: tuple[Warehouse, object],
) -> None:
    warehouse, config = setup
    now = SPIKE + timedelta(hours=30)
    first = detect_and_enqueue(warehouse, config, run_id="r1", now=now)  # type: ignore[arg-type]
    again = detect_and_enqueue(warehouse, config, run_id="r2", now=now + H)  # type: ignore[arg-type]
    assert (first.new, first.resolved, again.new, again.updates, again.resolved) == (1, 0, 0, 0, 0)
    with warehouse.write() as con:
        [row] = outbox.due(con, now)
    assert "Already over" in row.text and "high-reach post" in row.text
    assert "400.0k followers" in row.text  # the representative posts lead with the widest reach
    assert row.blocks is not None and row.kind == "alert"


def test_simple_top_terms_rank_what_is_new_in_the_window() -> None:
    selection = ["Acme app crash, refund please", "app crash again #acme", "refund not received", "love it"]
    baseline = ["acme app is nice", "great app", "refund was fast"]
    terms = simple_top_terms(selection, baseline, ["acme", "#acme"])
    assert terms[0] == "crash" and "acme" not in terms and "app" in terms
    # The shared stop-word list applies, contractions included: "don't" is "dont" there.
    assert simple_top_terms(["don't again", "don't again"], [], []) == []


def test_the_report_and_slack_quote_the_same_posts_for_an_alert(tmp_path: Path) -> None:
    """One query picks an alert's example posts for both: one per author, the widest reach first."""
    from flows.alerts.enqueue import build_context
    from flows.report.render import ReportScope, collect
    from models.alerts.episodes import Episode
    from models.mention import BrandMatch, Mention
    from models.scores import Sentiment
    from warehouse import load_mentions
    from warehouse.queries.report import Period

    db = tmp_path / "wh.duckdb"
    fill_warehouse(db, quiet_then_spike(), start=START, reach=REACH)
    # One loud author posts three times in the spike: quoted once, not three times.
    loud = [
        Mention(channel="x", id=f"loud-{n}", text=f"acme lost my order again #{n}", created_at=SPIKE + n * H,
                url=f"https://x.com/loud/status/{n}", author_id="loud", author_handle="loud",
                author_followers=900_000)
        for n in range(3)
    ]  # fmt: skip
    negative = Sentiment("negative", -0.9, {"negative": 0.95, "neutral": 0.04, "positive": 0.01}, "test-model", "v1")
    warehouse, config = Warehouse(db), config_for(db)
    with warehouse.write() as con:
        load_mentions(con, loud, {m.key: [BrandMatch(brand="Acme", terms=("acme",))] for m in loud}, run_id="loud",
                      scores=[(m.key, negative) for m in loud])  # fmt: skip
    detect_and_enqueue(warehouse, config, run_id="run", now=SPIKE + 12 * H)  # type: ignore[arg-type]
    with warehouse.read() as con:
        [alert] = collect(con, ReportScope("Acme", ()), Period(SPIKE.date(), SPIKE.date()))["alerts"]
        episode = Episode(brand="Acme", signal=alert["signal"], start=alert["window_start"], end=alert["window_end"],
                          observed=int(alert["observed"]), expected=alert["expected"], lift=alert["lift"],
                          p_value=alert["p_value"], peak_hour=alert["window_start"])  # fmt: skip
        slack = build_context(con, config.brands[0], episode).examples  # type: ignore[attr-defined]
    report = alert["examples"]
    assert [(p["url"], p["author_handle"]) for p in report] == [(p.url, p.author_handle) for p in slack]
    assert len(report) == 3 and [p["author_handle"] for p in report].count("loud") == 1
    assert report[0]["author_handle"] == "loud" and report[1]["author_followers"] == 400_000
