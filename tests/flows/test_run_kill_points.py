"""Issue #14: a real `brandpulse run` SIGKILLed at each stage, then run again: nothing lost, nothing doubled."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from helpers.alerts import FakeSlack
from helpers.runs import brandpulse_run
from helpers.sample import write_sample

from flows.runtime.failpoints import NAMES
from flows.steps.score import SCORE_CHUNK
from flows.steps.topics import TOPIC_CHUNK

# Every table a pass writes to; `runs` is checked on its own (one row per pass, by design).
TABLES = (
    "mentions",
    "mention_brands",
    "scores",
    "mention_topics",
    "topic_scans",
    "mention_terms",
    "cursors",
    "rejects",
    "alert_episodes",
    "alert_outbox",
)
# Where each failpoint sits, as seen in the warehouse and the fake Slack right after the kill: proof that the
# process died at that stage and not earlier or later.
SEEN_AT_KILL: dict[str, str] = {
    "import.committed": "all mentions stored, none scored",
    "score.chunk": "some scores stored, not all",
    "score.done": "all scored, no topics",
    "topics.chunk": "some topic scans stored, not all",
    "alerts.enqueued": "alert pending in the outbox, nothing posted",
    "delivery.sending": "alert `sending`, nothing posted",
    "delivery.posted": "alert `sending`, posted once",
}
# A kill point whose POST may already have reached Slack: the documented webhook window (docs/reliability.md).
IN_DOUBT_AFTER_POST = {"delivery.posted"}


def snapshot(db: Path) -> dict[str, Any]:
    """Row counts, duplicate checks, the outbox and the runs, read from the warehouse file as the run left it."""
    with duckdb.connect(str(db), read_only=True) as con:
        counts = {table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in TABLES}
        duplicates = {
            "mentions": con.execute("SELECT count(*) - count(DISTINCT (channel, id)) FROM mentions").fetchone()[0],
            "scores": con.execute(
                "SELECT count(*) - count(DISTINCT (channel, id, model_version)) FROM scores"
            ).fetchone()[0],
            "topic_scans": con.execute(
                "SELECT count(*) - count(DISTINCT (channel, id, model_version)) FROM topic_scans"
            ).fetchone()[0],
        }
        outbox = con.execute(
            "SELECT alert_key, status, coalesce(in_doubt, 0), text FROM alert_outbox ORDER BY alert_key"
        ).fetchall()
        runs = con.execute("SELECT status, finished_at IS NOT NULL FROM runs ORDER BY started_at").fetchall()
    return {"counts": counts, "duplicates": duplicates, "outbox": outbox, "runs": runs}


@pytest.fixture(scope="module")
def api_url(prefect_harness: None) -> str:
    """The URL of the session's temporary Prefect API, which the child processes share."""
    from prefect.settings import PREFECT_API_URL

    return str(PREFECT_API_URL.value())


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    """A fresh fake Slack webhook on 127.0.0.1 that answers 200 and records every post."""
    fake = FakeSlack()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path, api_url: str) -> dict[str, Any]:
    """One uninterrupted run on the same sample: the state every killed-and-rerun warehouse must end in."""
    folder = tmp_path_factory.mktemp("clean")
    write_sample(folder, tiny_model_dir)
    fake = FakeSlack()
    fake.start()
    try:
        status, output = brandpulse_run(folder, api_url, fake.url)
        assert status == 0, output
        state = snapshot(folder / "wh.duckdb")
        state["posts"] = fake.posts()
    finally:
        fake.stop()
    counts = state["counts"]
    # The sample is what the kill points need: more than one score and topic chunk, one alert to deliver.
    assert counts["mentions"] > max(SCORE_CHUNK, TOPIC_CHUNK) and counts["rejects"] == 0
    assert counts["scores"] == counts["topic_scans"] == counts["mentions"] and counts["mention_topics"] > 0
    assert [(status, in_doubt) for _, status, in_doubt, _ in state["outbox"]] == [("sent", 0)]
    assert sorted(state["posts"].values()) == [1]
    return state


def check_kill_point(point: str, state: dict[str, Any], posts: int, mentions: int) -> None:
    """The warehouse and the fake Slack right after the kill show the process died at `point`."""
    counts, outbox = state["counts"], state["outbox"]
    statuses = [status for _, status, _, _ in outbox]
    stored = {
        "import.committed": counts["mentions"] == mentions and counts["scores"] == 0,
        "score.chunk": 0 < counts["scores"] < mentions,
        "score.done": counts["scores"] == mentions and counts["topic_scans"] == 0,
        "topics.chunk": counts["scores"] == mentions and 0 < counts["topic_scans"] < mentions,
        "alerts.enqueued": counts["topic_scans"] == mentions and statuses == ["pending"] and posts == 0,
        "delivery.sending": statuses == ["sending"] and posts == 0,
        "delivery.posted": statuses == ["sending"] and posts == 1,
    }[point]
    found = f"found {counts}, outbox {statuses}, {posts} post(s)"
    assert stored, f"killed at {point}: expected {SEEN_AT_KILL[point]}, {found}"
    if point in ("import.committed", "score.chunk", "score.done", "topics.chunk"):
        assert counts["alert_outbox"] == 0 and posts == 0


@pytest.mark.parametrize("point", NAMES)
def test_a_run_killed_at_each_stage_is_completed_by_the_next_run_without_loss_or_duplicates(
    point: str, tmp_path: Path, tiny_model_dir: Path, api_url: str, slack: FakeSlack, clean: dict[str, Any]
) -> None:
    write_sample(tmp_path, tiny_model_dir)
    db = tmp_path / "wh.duckdb"

    status, output = brandpulse_run(tmp_path, api_url, slack.url, failpoint=point)
    assert status == -signal.SIGKILL, f"the run was not killed at {point}:\n{output}"
    killed = snapshot(db)
    check_kill_point(point, killed, len(slack.requests), clean["counts"]["mentions"])

    status, output = brandpulse_run(tmp_path, api_url, slack.url)
    assert status == 0, output
    after = snapshot(db)
    assert after["counts"] == clean["counts"]
    assert after["duplicates"] == {"mentions": 0, "scores": 0, "topic_scans": 0}
    # The same alert episode as the clean run, enqueued once, delivered.
    assert [key for key, *_ in after["outbox"]] == [key for key, *_ in clean["outbox"]]
    [(_key, outbox_status, in_doubt, text)] = after["outbox"]
    assert outbox_status == "sent"
    if point in IN_DOUBT_AFTER_POST:
        # The webhook window: Slack took the first POST, the process died before `sent`; a webhook cannot be
        # asked, so the rerun sends it once more and flags it (resend_in_doubt = true): exactly two posts.
        assert (slack.posts()[text], in_doubt) == (2, 1)
    elif point == "delivery.sending":
        # Killed before the POST, but the rerun cannot tell that from a post in flight: it sends it (the
        # first and only POST) and flags it in doubt.
        assert (slack.posts()[text], in_doubt) == (1, 1)
    else:
        assert (slack.posts()[text], in_doubt) == (1, 0)
    assert len(slack.requests) == sum(slack.posts().values())
    # The killed run's row: no code runs after SIGKILL, so the rerun (which finds the run lock free) marks it
    # `abandoned` with a finish time, and is itself recorded as completed.
    assert after["runs"] == [("abandoned", True), ("completed", True)]
