"""The pipeline as Prefect runs it: artifacts, a failing channel, overlapping runs, retry policy on its tasks."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from helpers.prefect_flows import count, load_sample, rows
from helpers.sample import write_sample
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

from flows.pipeline import alert_task, import_file_task, model_settings_fingerprint, nothing_to_score, pipeline
from flows.runtime.artifacts import CHANNELS_KEY, SUMMARY_KEY, WARNINGS_KEY
from flows.runtime.retries import is_retryable_state
from flows.steps.score import _load_model, cached_model
from warehouse import load_scores, unscored_mentions
from warehouse.queries.pipeline import record_scored_with


@pytest.fixture
def sample_config(tmp_path: Path, tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("BRANDPULSE_SLACK_WEBHOOK_URL", raising=False)
    monkeypatch.delenv("BRANDPULSE_X_BEARER_TOKEN", raising=False)
    return write_sample(tmp_path, tiny_model_dir)


def artifacts_of(flow_run_id: UUID) -> dict[str, Any]:
    """The artifacts one flow run created, by key."""
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )
    return {artifact.key: artifact for artifact in found}


def test_a_failing_channel_leaves_the_run_completed_with_a_warning_artifact(
    prefect_harness: None, sample_config: Path
) -> None:
    # X is enabled but its token is not set: that channel fails, the imports and everything after still run.
    sample_config.write_text(sample_config.read_text() + "\n[channels.x]\nenabled = true\n", encoding="utf-8")

    state = pipeline(config_path=str(sample_config), return_state=True)

    assert state.is_completed()
    summary = state.result()
    assert summary["channels"]["x"].startswith("failed:") and "BRANDPULSE_X_BEARER_TOKEN" in summary["channels"]["x"]
    assert summary["scored"] == count(sample_config.parent / "wh.duckdb", "mentions") > 0
    rates = summary["steps"]  # mentions/s per step, for the runs table
    assert rates["score"]["mentions"] == summary["scored"] and rates["score"]["per_s"] > 0
    assert rates["topics"]["mentions"] == summary["topics_scored"] > 0
    artifacts = artifacts_of(state.state_details.flow_run_id)
    assert set(artifacts) == {SUMMARY_KEY, CHANNELS_KEY, WARNINGS_KEY}
    markdown = artifacts[SUMMARY_KEY].data
    assert "Mentions by channel and brand" in markdown and "| Acme | x |" in markdown
    assert "Sentiment split" in markdown and "1 new episode(s)" in markdown
    assert "BRANDPULSE_X_BEARER_TOKEN" in artifacts[WARNINGS_KEY].data
    table = artifacts[CHANNELS_KEY].data
    assert '"channel": "x"' in table and '"health": "warning"' in table and '"health": "ok"' in table


def test_two_overlapping_runs_queue_and_store_everything_once(prefect_harness: None, sample_config: Path) -> None:
    states: list[Any] = []
    start = threading.Barrier(2)

    def run() -> None:
        start.wait()
        states.append(pipeline(config_path=str(sample_config), return_state=True))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)

    assert len(states) == 2 and all(state.is_completed() for state in states)
    summaries = [state.result() for state in states]
    db = sample_config.parent / "wh.duckdb"
    mentions_in_files = sum(1 for _ in (sample_config.parent / "mentions.jsonl").open()) + 20
    assert count(db, "mentions") == mentions_in_files
    assert count(db, "scores") == mentions_in_files
    assert count(db, "alert_outbox") == 1
    # One run did the work, the other found it done: they ran one after the other, not interleaved.
    assert sorted(s["scored"] for s in summaries) == [0, mentions_in_files]
    assert sorted(s["alerts_new"] for s in summaries) == [0, 1]
    assert rows(db, "SELECT status, count(*) FROM runs GROUP BY ALL") == [("completed", 2)]


def test_pipeline_tasks_retry_only_retryable_errors() -> None:
    for task in (import_file_task, alert_task):
        assert task.retries == 3
        assert task.retry_condition_fn is is_retryable_state


def test_a_run_applies_owned_accounts_to_stored_history_and_a_rerun_changes_nothing(
    prefect_harness: None, sample_config: Path
) -> None:
    db = sample_config.parent / "wh.duckdb"
    first = pipeline(config_path=str(sample_config))
    assert first["owned_accounts_changed"] is False  # none configured, none stored
    before = rows(db, "SELECT count(*) FROM mentions_scored WHERE brand = 'Acme'")[0][0]
    # user0 writes the sample's X posts; listing it as Acme's own account takes its posts out of customer talk.
    text = sample_config.read_text(encoding="utf-8")
    sample_config.write_text(text.replace('name = "Acme"\n', 'name = "Acme"\nowned = ["x:@user0"]\n', 1), "utf-8")
    second = pipeline(config_path=str(sample_config))
    assert second["owned_accounts_changed"] is True
    assert second["read_snapshot_note"] != "unchanged: nothing new in this run"  # readers see the new flags
    stored = count(db, "mentions")
    owned = rows(db, "SELECT count(*) FROM owned_posts WHERE brand = 'Acme'")[0][0]
    acme_by_user0 = rows(
        db, "SELECT count(*) FROM mentions_all WHERE brand = 'Acme' AND author_handle = 'user0' AND channel = 'x'"
    )[0][0]
    assert owned > 0 and acme_by_user0 > 0
    assert rows(db, "SELECT count(*) FROM mentions_scored WHERE brand = 'Acme'")[0][0] == before - acme_by_user0
    third = pipeline(config_path=str(sample_config))
    assert third["owned_accounts_changed"] is False and count(db, "mentions") == stored  # nothing lost or added
    assert rows(db, "SELECT brand, entry, channel, handle FROM owned_accounts") == [("Acme", "x:@user0", "x", "user0")]


def test_a_run_with_nothing_new_loads_no_model_and_times_its_steps(prefect_harness: None, sample_config: Path) -> None:
    first = pipeline(config_path=str(sample_config))
    assert first["scored"] > 0 and first["models_loaded"] is True
    assert first["steps"]["score"]["mentions"] == first["scored"] and first["steps"]["score"]["per_s"] > 0
    assert {"sources", "score", "topics", "detect_alert", "summary"} <= set(first["steps"])
    before = _load_model.cache_info()

    idle = pipeline(config_path=str(sample_config))

    # No lookup at all of the model cache: the score sub-flow and the topic step never ran.
    assert _load_model.cache_info() == before
    assert idle["models_loaded"] is False and idle["scored"] == 0 and idle["topics_scored"] == 0
    assert (idle["model"], idle["topic_model"]) == (first["model"], first["topic_model"])
    assert "score" not in idle["steps"] and idle["steps"]["detect_alert"]["seconds"] >= 0


def test_a_run_that_stores_new_mentions_loads_its_model_while_the_sources_are_read(
    prefect_harness: None, sample_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.steps import score

    asked_by: list[str] = []
    load = score._load_model
    load.cache_clear()

    def recording(*args: Any) -> Any:
        asked_by.append(threading.current_thread().name)
        return load(*args)

    monkeypatch.setattr(score, "_load_model", recording)
    summary = pipeline(config_path=str(sample_config))

    assert summary["scored"] > 0 and summary["models_loaded"] is True
    # The first file's new mentions started the load; the score step, topics and alerts then found it loaded.
    assert asked_by[0] == "model-prefetch" and asked_by.count("model-prefetch") == 1 and len(asked_by) > 1
    assert load.cache_info().misses == 1  # loaded once, by the prefetch: the score step waited for it


def test_a_model_that_cannot_load_fails_the_run_with_its_folder_and_keeps_the_new_mentions(
    prefect_harness: None, sample_config: Path
) -> None:
    broken = sample_config.parent / "broken-model"
    broken.mkdir()
    (broken / "config.json").write_text("{not json", encoding="utf-8")
    text = re.sub(r"(?m)^sentiment = .*$", f"sentiment = {json.dumps(str(broken))}", sample_config.read_text("utf-8"))
    sample_config.write_text(text, encoding="utf-8")

    state = pipeline(config_path=str(sample_config), return_state=True)

    # The load started in the background failed there, silently; the score step's own load says what is wrong.
    assert state.is_failed() and str(broken) in str(state.message) + repr(state.result(raise_on_failure=False))
    db = sample_config.parent / "wh.duckdb"
    assert count(db, "mentions") > 0 and count(db, "scores") == 0  # imported before the model was needed


def test_new_mentions_or_new_model_settings_make_the_next_run_load_the_model(sample_config: Path) -> None:
    config, warehouse = load_sample(sample_config)
    assert nothing_to_score(warehouse, config) is None  # never scored: no record yet
    model = cached_model(str(config.model.sentiment), config.model.batch_size)
    with warehouse.write() as con:
        pending = [(c, i) for c, i, _ in unscored_mentions(con, model.version)]
        load_scores(con, [(key, s) for key, s in zip(pending, model.predict(["x"] * len(pending)), strict=True)])
        record_scored_with(
            con, {"settings": model_settings_fingerprint(config), "sentiment": model.version, "topics": ""}
        )
    assert nothing_to_score(warehouse, config) == {
        "settings": model_settings_fingerprint(config), "sentiment": model.version, "topics": ""
    }

    with warehouse.write() as con:
        con.execute(
            "INSERT INTO mentions (channel, id, text, created_at, kind, ingested_at) "
            "VALUES ('x', 'late-1', 'acme is late', now(), 'post', now())"
        )
    assert nothing_to_score(warehouse, config) is None  # a new mention needs the model

    with warehouse.write() as con:
        con.execute("DELETE FROM mentions WHERE id = 'late-1'")
    changed = config.model_copy(update={"model": config.model.model_copy(update={"precision": "fp32"})})
    assert nothing_to_score(warehouse, config) is not None
    assert nothing_to_score(warehouse, changed) is None  # other settings may mean other versions
