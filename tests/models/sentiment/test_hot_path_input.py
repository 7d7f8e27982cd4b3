"""Bad input on the hot path: every text is scored (or given a reason), never a crash, and in bounded time."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from helpers.tiny_model import build_tiny_bundled
from helpers.topics import small_taxonomy

from models.sentiment.loader import BundledEncoder, SentimentModel, bundled_model, load_hf
from models.text.safe_text import model_text
from models.text.topics import MAX_CLAUSES, TopicScorer

HOSTILE = {
    "empty": "",
    "white space": " \n\t ",
    "100 kB": ("acme late but the app is great. 배송은 늦는데 품질은 최고예요 " * 2_000)[:100_000],
    "only emoji": "😡😡😡🔥👎",
    "lone surrogates": "acme \ud800 broken \udcff refund",
    "a split surrogate pair": "acme \ud83d\ude00 great",
    "mixed scripts": "Acme 배송 너무 느려요 but the 製品 is отлично 👍 مرحبا",
    "NUL and controls": "acme\x00 late\x1b[31m worst",
}


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> SentimentModel:
    folder, tuned = build_tiny_bundled(tmp_path_factory.mktemp("tiny-bundled-hostile"))
    return bundled_model(BundledEncoder(folder, tuned, memo_size=100), version="tiny")


def test_model_text_repairs_only_what_tokenizers_refuse() -> None:
    assert model_text("acme 😀 배송") == "acme 😀 배송"
    assert model_text("a\ud800b") == "a\ufffdb"
    assert model_text("\ud83d\ude00") == "😀"  # a pair split into two code points is joined, not replaced


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_each_hostile_text_is_scored_by_a_hugging_face_model(tiny_model_dir: Path, kind: str) -> None:
    model = load_hf(str(tiny_model_dir))
    [sentiment] = model.predict([HOSTILE[kind]])
    assert sentiment.label in ("negative", "neutral", "positive") and -1.0 <= sentiment.score <= 1.0
    if kind in ("empty", "white space"):
        # Nothing to read is nothing said, not whatever the model makes of padding.
        assert (sentiment.label, sentiment.score) == ("neutral", 0.0)


def test_hostile_texts_in_one_batch_keep_their_places(bundled: SentimentModel) -> None:
    texts = ["acme great", *HOSTILE.values(), "acme great"]
    started = time.perf_counter()
    sentiments, embeddings = bundled.predict_with_embeddings(texts)
    assert time.perf_counter() - started < 30  # 100 kB is truncated to the model's window, not read whole
    assert len(sentiments) == len(texts) == embeddings.shape[0]
    assert sentiments[0].probs == sentiments[-1].probs
    assert sentiments[1].label == sentiments[2].label == "neutral"
    assert sentiments[5].probs == bundled.predict(["acme \ufffd broken \ufffd refund"])[0].probs


def test_the_topic_scorer_takes_every_hostile_text(bundled: SentimentModel) -> None:
    scorer = TopicScorer(small_taxonomy(), bundled.encoder, bundled, default_threshold=0.02)
    texts = list(HOSTILE.values())
    results = scorer.score(texts, sentiments=[None] * len(texts))
    assert len(results) == len(texts)
    assert results[0].topics == [] or all(m.sentiment == "neutral" for m in results[0].topics)
    big = results[list(HOSTILE).index("100 kB")]
    assert 1 < len(big.clauses) <= MAX_CLAUSES  # thousands of sentences, a bounded number of clauses
    assert all("\ud800" not in clause for r in results for clause in r.clauses)
