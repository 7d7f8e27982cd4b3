"""Scoring through a swappable task runner: the Dask runner on a local cluster scores exactly like the default."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.prefect_flows import load_sample, rows
from helpers.sample import write_sample
from prefect.task_runners import ThreadPoolTaskRunner
from prefect_dask import DaskTaskRunner

from flows.runtime.config import RunnerSettings, default_config
from flows.steps.imports import import_file
from flows.steps.score import (
    ModelPrefetch,
    build_task_runner,
    cached_model,
    chunked,
    score_mentions,
    score_pending,
)
from flows.steps.topics import reuses_scoring_pass
from models.brands import Brand, BrandMatcher
from models.errors import ModelUnavailable
from models.scores import Sentiment, sentiment_from_probs
from warehouse import Warehouse

SCORES = "SELECT channel, id, model_version, label, round(score, 6) FROM scores ORDER BY channel, id"


def test_runner_setting_picks_the_task_runner() -> None:
    assert isinstance(build_task_runner(RunnerSettings()), ThreadPoolTaskRunner)
    local = build_task_runner(RunnerSettings(kind="dask", workers=2))
    assert isinstance(local, DaskTaskRunner) and local.cluster_kwargs["n_workers"] == 2
    remote = build_task_runner(RunnerSettings(kind="dask", address="tcp://10.0.0.5:8786"))
    assert isinstance(remote, DaskTaskRunner) and remote.address == "tcp://10.0.0.5:8786"


def test_chunked_keeps_order_and_remainder() -> None:
    assert chunked(list(range(5)), 2) == [[0, 1], [2, 3], [4]]
    assert chunked([], 3) == []


def test_dask_runner_scores_the_same_as_the_thread_runner(
    prefect_harness: None, tmp_path: Path, tiny_model_dir: Path
) -> None:
    results = {}
    for kind in ("thread", "dask"):
        folder = tmp_path / kind
        folder.mkdir()
        config, warehouse = load_sample(write_sample(folder, tiny_model_dir))
        # Small chunks so the Dask cluster really gets many tasks, spread over two in-process workers.
        outcome = score_mentions(
            warehouse, config.model.sentiment, 16, RunnerSettings(kind=kind, workers=2), chunk=100
        )
        results[kind] = (outcome, rows(warehouse.path, SCORES))
    (thread_outcome, thread_scores), (dask_outcome, dask_scores) = results["thread"], results["dask"]
    assert thread_outcome["scored"] == len(thread_scores) > 100
    assert dask_outcome == thread_outcome
    assert dask_scores == thread_scores
    assert {label for *_, label, _ in thread_scores} >= {"negative", "positive"}


def test_dask_without_the_extra_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from models.errors import ConfigError

    monkeypatch.setitem(sys.modules, "prefect_dask", None)  # what an install without the extra looks like
    with pytest.raises(ConfigError, match=r"brandpulse\[dask\]"):
        build_task_runner(RunnerSettings(kind="dask"))


def test_the_scoring_pass_keeps_embeddings_only_when_topics_use_the_bundled_encoder() -> None:
    config = default_config()
    assert reuses_scoring_pass(config)
    config.model.encoder = "/models/my-encoder"
    assert not reuses_scoring_pass(config)  # another encoder: nothing of the scoring pass is reusable
    config.model.encoder, config.model.taxonomy = "bundled", "none"
    assert not reuses_scoring_pass(config)  # no topics: the e5 upper layers would be wasted work


def test_pending_mentions_are_scored_in_length_order_with_progress(tmp_path: Path) -> None:
    texts = ["acme " + "word " * n for n in (9, 1, 5, 3, 7, 0, 2)]
    path = tmp_path / "m.jsonl"
    path.write_text(
        "".join(
            json.dumps({"channel": "x", "id": str(i), "text": t, "created_at": f"2026-11-20T10:0{i}:00Z"}) + "\n"
            for i, t in enumerate(texts)
        ),
        encoding="utf-8",
    )
    warehouse = Warehouse(tmp_path / "wh.duckdb")
    import_file(warehouse, path, BrandMatcher.from_brands([Brand(name="Acme", terms=["acme"])]), run_id="r1")
    seen: list[list[str]] = []
    reports: list[tuple[int, int]] = []

    def predict(parts: list[list[str]]) -> Iterator[list[Sentiment]]:
        for part in parts:
            seen.append(part)
            yield [sentiment_from_probs({"negative": 0.1, "neutral": 0.8, "positive": 0.1}, "m", "v1") for _ in part]

    result = score_pending(warehouse, "v1", predict, chunk=3, progress=lambda done, n: reports.append((done, n)))
    assert result["scored"] == result["stored"] == 7
    lengths = [len(text) for part in seen for text in part]
    assert lengths == sorted(lengths)  # chunks of similar length, so batches pad least
    assert reports == [(0, 7), (3, 7), (6, 7), (7, 7)]
    assert score_pending(warehouse, "v1", predict)["scored"] == 0  # stored once, whatever the order


@pytest.fixture
def counted_loads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """`models.load_sentiment` replaced by a slow fake that records the thread of each load; the cache emptied."""
    import threading
    import time

    import models
    from flows.steps import score

    loads: list[str] = []

    def slow_load(name: str | None, **_: object) -> object:
        loads.append(threading.current_thread().name)
        time.sleep(0.3)
        if name == "broken":
            raise ModelUnavailable("cannot load the model in broken (set by [model] sentiment)")
        return object()

    score._load_model.cache_clear()
    monkeypatch.setattr(models, "load_sentiment", slow_load)
    yield loads
    score._load_model.cache_clear()


def wait_for_a_load(loads: list[str]) -> None:
    """Return once a load has begun (the prefetch thread holds the loading lock by then)."""
    import time

    deadline = time.monotonic() + 30
    while not loads and time.monotonic() < deadline:
        time.sleep(0.01)


def test_a_prefetch_and_the_score_step_load_the_model_once(counted_loads: list[str]) -> None:
    prefetch = ModelPrefetch(lambda: cached_model("tiny", 16))
    prefetch.start()
    prefetch.start()  # a second source with new mentions: still one load
    wait_for_a_load(counted_loads)

    model = cached_model("tiny", 16)  # the score step waits for the load under way

    assert cached_model("tiny", 16) is model
    assert counted_loads == ["model-prefetch"]


def test_a_failed_prefetch_leaves_the_error_to_the_score_step(counted_loads: list[str]) -> None:
    prefetch = ModelPrefetch(lambda: cached_model("broken", 16))
    prefetch.start()
    wait_for_a_load(counted_loads)

    with pytest.raises(ModelUnavailable, match="broken"):
        cached_model("broken", 16)
    assert counted_loads == ["model-prefetch", "MainThread"]  # not cached: the score step tried again itself
