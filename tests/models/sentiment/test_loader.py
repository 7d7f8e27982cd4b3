"""load_sentiment on tiny random BERT classifiers built in the test (no network, no hub)."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

import models
from models.errors import ModelUnavailable
from models.scores import LABELS, Sentiment
from models.sentiment.cpu_share import usable_cores
from models.sentiment.loader import SentimentModel, load_sentiment

SCHEMES = {
    "label3": {0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"},
    "label2": {0: "LABEL_0", 1: "LABEL_1"},
    "names": {0: "negative", 1: "neutral", 2: "positive"},
    "short": {0: "NEG", 1: "NEU", 2: "POS"},
    "stars": {0: "1 star", 1: "2 stars", 2: "3 stars", 3: "4 stars", 4: "5 stars"},
}
TEXTS = [
    "the service was very good",
    "bad",
    "this product is the worst, never again!",
    "ok",
    "the service was very good",
    "",
    "love it love it love it love it love it love it",
]


class CountingScorer:
    """Wraps a model's `score_batch` to record what each forward pass saw."""

    def __init__(self, model: SentimentModel) -> None:
        self.inner = model.score_batch
        self.batches: list[torch.Tensor] = []
        model.score_batch = self

    def __call__(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        self.batches.append(batch["input_ids"].clone())
        return self.inner(batch)

    @property
    def rows(self) -> int:
        """How many texts went through the model."""
        return sum(len(b) for b in self.batches)


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_predict_for_each_label_scheme(scheme: str, tiny_classifier: Callable[..., Path]) -> None:
    folder = tiny_classifier(SCHEMES[scheme])
    model = load_sentiment(str(folder), batch_size=3)
    results = model.predict(TEXTS)
    assert len(results) == len(TEXTS)
    for result in results:
        assert isinstance(result, Sentiment)
        assert result.label in LABELS
        assert set(result.probs) == set(LABELS)
        assert math.isclose(sum(result.probs.values()), 1.0, abs_tol=1e-5)
        assert -1.0 <= result.score <= 1.0
        assert math.isclose(result.score, result.probs["positive"] - result.probs["negative"], abs_tol=1e-9)
        assert result.label == max(LABELS, key=lambda name: result.probs[name])
        assert result.model == str(folder)
        assert result.model_version == model.version
    assert results[0] == results[4]  # the duplicate gets the identical record
    if scheme == "label2":
        assert all(r.probs["neutral"] == 0.0 for r in results)


def test_order_preserved_and_independent_of_batching(tiny_classifier: Callable[..., Path]) -> None:
    folder = tiny_classifier(SCHEMES["names"])
    batched = load_sentiment(str(folder), batch_size=2).predict(TEXTS)
    for text, result in zip(TEXTS, batched, strict=True):
        alone = load_sentiment(str(folder), batch_size=1).predict([text])[0]
        for label in LABELS:
            # Padding is masked, so a text's score must not depend on its batch neighbours.
            assert alone.probs[label] == pytest.approx(result.probs[label], abs=1e-5)


def test_duplicates_scored_once_and_batches_sorted_by_length(tiny_classifier: Callable[..., Path]) -> None:
    model = load_sentiment(str(tiny_classifier(SCHEMES["names"])), batch_size=2)
    counter = CountingScorer(model)
    texts = ["good", "the service was very good", "good", "bad bad", "good", "the service was very good"]
    results = model.predict(texts)
    assert counter.rows == 3  # three distinct texts
    assert [len(b) for b in counter.batches] == [2, 1]
    lengths = [int((row != 0).sum()) for batch in counter.batches for row in batch]
    assert lengths == sorted(lengths)  # shortest first, so each batch pads only to its own longest text
    assert counter.batches[0].shape[1] < counter.batches[1].shape[1]  # dynamic padding, not a fixed width
    assert results[0] == results[2] == results[4]
    assert results[1] == results[5]


def test_truncation_to_max_length(tiny_classifier: Callable[..., Path]) -> None:
    model = load_sentiment(str(tiny_classifier(SCHEMES["names"])), max_length=8)
    counter = CountingScorer(model)
    model.predict(["good " * 200])
    assert counter.batches[0].shape[1] == 8


def test_version_changes_with_weights(tiny_classifier: Callable[..., Path]) -> None:
    first = load_sentiment(str(tiny_classifier(SCHEMES["names"], seed=1, name="m")))
    same = load_sentiment(str(tiny_classifier(SCHEMES["names"], seed=1, name="m")))
    other = load_sentiment(str(tiny_classifier(SCHEMES["names"], seed=2, name="m")))
    assert first.version == same.version
    assert first.version != other.version
    assert first.version.startswith("sha256:")


def test_package_entry_point_and_empty_input(tiny_classifier: Callable[..., Path]) -> None:
    model = models.load_sentiment(str(tiny_classifier(SCHEMES["stars"])), batch_size=4)
    assert model.predict([]) == []
    assert model.predict_probs([]).shape == (0, 3)
    probs = model.predict_probs(["good", "bad"])
    assert probs.shape == (2, 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-6)
    with pytest.raises(TypeError, match="text 1"):
        model.predict(["good", None])  # type: ignore[list-item]


def test_hub_id_not_cached_offline_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelUnavailable) as info:
        load_sentiment("brandpulse-tests/no-such-model-xyz")
    message = str(info.value)
    assert "[model] sentiment" in message
    assert "brandpulse-tests/no-such-model-xyz" in message
    assert "local folder" in message


def test_folder_with_unknown_labels(tiny_classifier: Callable[..., Path]) -> None:
    folder = tiny_classifier({0: "joy", 1: "anger", 2: "fear"})
    with pytest.raises(ModelUnavailable, match="'joy'"):
        load_sentiment(str(folder))


def test_broken_folder(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelUnavailable, match=r"\[model\] sentiment"):
        load_sentiment(str(tmp_path))


def test_missing_folder_path_is_not_mistaken_for_a_hub_id(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="does not exist") as info:
        load_sentiment(str(tmp_path / "nowhere" / "model"))
    assert "[model] sentiment" in str(info.value)


def test_threads_follow_the_cores_the_process_may_use() -> None:
    assert 1 <= usable_cores() <= len(os.sched_getaffinity(0))
    # A process pinned to one CPU (taskset -c 0, a cpuset) sizes torch to one thread, whatever the machine has.
    code = (
        "from models.sentiment.cpu_share import usable_cores as u; "
        "from models.sentiment.loader import set_torch_threads as s; print(u(), s())"
    )
    pinned = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True, text=True, check=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])},
        preexec_fn=lambda: os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}),
    )  # fmt: skip
    assert pinned.stdout.split() == ["1", "1"]
