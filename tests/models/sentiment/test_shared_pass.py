"""One encoder pass per text on a tiny locally built e5-shaped model: the shared pass equals the separate passes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers.tiny_model import build_tiny_bundled
from helpers.topics import small_taxonomy

from models.sentiment.loader import BundledEncoder, E5Encoder, SentimentModel, bundled_model
from models.text.topics import TopicScorer

TEXTS = [
    "acme is the best app",
    "the order is late but the app is great",
    "globex broken refund worst",
    "애크미 최고 좋아요",
    "acme is the best app",  # an exact duplicate
    "today update store order the app is fast and the store is terrible",
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return build_tiny_bundled(tmp_path_factory.mktemp("tiny-bundled"))


def model_of(tiny: tuple[Path, Path], *, memo_size: int = 100, batch_size: int = 4) -> SentimentModel:
    folder, tuned = tiny
    return bundled_model(BundledEncoder(folder, tuned, memo_size=memo_size), version="tiny", batch_size=batch_size)


class SeparatePasses:
    """The same model seen without its shared pass: the topic scorer must then embed and score separately."""

    def __init__(self, model: SentimentModel) -> None:
        self.model = model
        self.version = model.version

    def predict(self, texts: list[str]) -> list:
        return self.model.predict(texts)


def test_shared_pass_equals_sentiment_and_e5_embeddings_run_separately(tiny: tuple[Path, Path]) -> None:
    model = model_of(tiny)
    sentiments, embeddings = model.predict_with_embeddings(TEXTS)
    separate = model_of(tiny, memo_size=0).predict_probs(TEXTS)
    reference = E5Encoder(tiny[0]).embed(TEXTS)  # e5's full forward pass, nothing shared, nothing memoised
    assert np.allclose([[s.probs[k] for k in ("negative", "neutral", "positive")] for s in sentiments], separate,
                       atol=1e-5)  # fmt: skip
    assert np.allclose(embeddings, reference, atol=1e-5)
    assert np.allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5)


def test_the_scoring_pass_leaves_the_embeddings_the_topic_step_needs(tiny: tuple[Path, Path]) -> None:
    model = model_of(tiny)
    encoder = model.encoder
    assert isinstance(encoder, BundledEncoder)
    model.predict(TEXTS)
    assert not encoder._memo  # not shared: a plain sentiment pass stores nothing
    encoder.share_embeddings = True
    before = model.predict_probs(TEXTS)
    assert len(encoder._memo) == len(set(TEXTS))
    calls: list[int] = []
    forward = encoder._forward
    encoder._forward = lambda batch: calls.append(len(batch["input_ids"])) or forward(batch)  # type: ignore[method-assign]
    memoised = encoder.embed(TEXTS)
    assert calls == []  # every embedding came from the scoring pass
    assert np.allclose(memoised, E5Encoder(tiny[0]).embed(TEXTS), atol=1e-5)
    assert np.allclose(model.predict_probs(TEXTS), before, atol=1e-6)


def test_memo_misses_never_push_out_what_the_scoring_pass_left(tiny: tuple[Path, Path]) -> None:
    model = model_of(tiny, memo_size=3)
    encoder = model.encoder
    assert isinstance(encoder, BundledEncoder)
    encoder.share_embeddings = True
    model.predict(TEXTS[:3])
    kept = set(encoder._memo)
    encoder.embed(["store order", "the app", "acme update"])  # a backlog larger than the memo: misses
    assert set(encoder._memo) == kept
    model.predict(["globex love"])  # the scoring pass itself keeps the newest
    assert len(encoder._memo) == 3 and not set(encoder._memo) >= kept


def test_clauses_through_the_shared_pass_never_push_out_the_scored_mentions(tiny: tuple[Path, Path]) -> None:
    model = model_of(tiny, memo_size=3)
    encoder = model.encoder
    assert isinstance(encoder, BundledEncoder)
    encoder.share_embeddings = True
    model.predict(TEXTS[:3])  # the scoring pass fills the memo with the mentions the topic step will read
    kept = dict(encoder._memo)
    sentiments, embeddings = model.predict_with_embeddings(["the order is late", "the app is great", "store"])
    assert len(sentiments) == 3 and embeddings.shape[0] == 3
    assert encoder._memo.keys() == kept.keys()
    roomy = model_of(tiny, memo_size=10)
    roomy.predict_with_embeddings(["the order is late"])  # with room left, a clause is kept
    assert len(roomy.encoder._memo) == 1  # type: ignore[union-attr]


def test_topics_from_the_shared_pass_match_the_separate_passes(tiny: tuple[Path, Path]) -> None:
    model = model_of(tiny)
    encoder = model.encoder
    texts = [*TEXTS, "the order is late. the app is great", ""]
    shared = TopicScorer(small_taxonomy(), encoder, model, default_threshold=0.02)
    assert shared._joint
    separate = TopicScorer(small_taxonomy(), E5Encoder(tiny[0]), SeparatePasses(model_of(tiny)),  # type: ignore[arg-type]
                           default_threshold=0.02)  # fmt: skip
    assert not separate._joint
    for known in (None, model.predict(texts)):
        one, two = shared.score(texts, sentiments=known), separate.score(texts, sentiments=known)
        for a, b in zip(one, two, strict=True):
            assert np.allclose(a.raw, b.raw, atol=1e-5)
            assert [(m.topic, m.sentiment, m.clause) for m in a.topics] == [
                (m.topic, m.sentiment, m.clause) for m in b.topics
            ]
            assert np.allclose([m.sentiment_score for m in a.topics], [m.sentiment_score for m in b.topics], atol=1e-5)
    assert any(m.clause for r in one for m in r.topics)  # clauses and whole texts were both compared
    assert any(r.topics and r.topics[0].clause is None for r in one)


def test_a_model_without_a_shared_encoder_says_so(tiny_model_dir: Path) -> None:
    from models.sentiment.loader import load_hf

    model = load_hf(str(tiny_model_dir))
    assert not model.shares_pass_with(object())
    with pytest.raises(TypeError, match="no shared encoder"):
        model.predict_with_embeddings(["acme"])


def test_how_the_pass_is_cut_into_batches_changes_no_result(tiny: tuple[Path, Path]) -> None:
    # Wide batches under a token cap (the default cut), and one text at a time: the same sentiments and embeddings.
    texts = [*TEXTS, " ".join(TEXTS), *(text.upper() for text in TEXTS)]
    wide = model_of(tiny, memo_size=0, batch_size=64)
    alone = model_of(tiny, memo_size=0, batch_size=1)
    (wide_feelings, wide_vectors), (alone_feelings, alone_vectors) = (
        model.predict_with_embeddings(texts) for model in (wide, alone)
    )
    assert [s.label for s in wide_feelings] == [s.label for s in alone_feelings]
    assert np.allclose([s.score for s in wide_feelings], [s.score for s in alone_feelings], atol=1e-5)
    assert np.allclose(wide_vectors, alone_vectors, atol=1e-5)
