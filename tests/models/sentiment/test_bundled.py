"""The real bundled model: builds the e5 cache on first run (~20 s, 470 MB under ~/.cache/brandpulse)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.scores import LABELS
from models.sentiment.e5 import WEIGHTS_SHA256
from models.sentiment.loader import BUNDLED_DIR, TUNED_FILE
from models.sentiment.ngram import NGRAM_FILE, load_ngram
from models.sentiment.polarity import POLARITY_FILE, load_polarity
from models.sentiment.tuned_e5 import TUNED_FORMAT, read_tuned_metadata
from models.training.evaluate_bundled import read_social_posts, social_metrics

OBVIOUS = {
    "정말 최악이에요 환불해주세요": "negative",
    "배송 빨라서 너무 좋아요 ㅎㅎ": "positive",
    "This is the best purchase ever, love it!": "positive",
    "Terrible service, never again.": "negative",
}


def test_model_files_in_git_are_small_and_match_the_encoder() -> None:
    meta = read_tuned_metadata(BUNDLED_DIR / TUNED_FILE)
    assert meta["format_version"] == TUNED_FORMAT
    assert meta["encoder_weights_sha256"] == WEIGHTS_SHA256
    assert meta["prefix"] == "query: "
    model_bytes = sum(p.stat().st_size for p in Path(BUNDLED_DIR).iterdir() if p.suffix == ".safetensors")
    assert model_bytes < 25 * 1024 * 1024
    # The shipped fusion: the Korean polarity expert takes part, and the n-gram file holds its per-script weights.
    polarity, expert = load_polarity(BUNDLED_DIR / POLARITY_FILE), load_ngram(BUNDLED_DIR / NGRAM_FILE)
    assert polarity.weight > 0 and polarity.with_morphemes
    assert expert.weight_arabic is not None and len(expert.bias) == 3


@pytest.mark.bundled_model
def test_bundled_model_on_obvious_sentences() -> None:
    from models import load_sentiment

    model = load_sentiment(None)
    assert model.name == "bundled"
    assert model.version.startswith(f"{TUNED_FORMAT}+")
    texts = list(OBVIOUS)
    results = model.predict(texts)
    assert [r.label for r in results] == list(OBVIOUS.values())
    for result, expected in zip(results, OBVIOUS.values(), strict=True):
        assert (result.score > 0.5) if expected == "positive" else (result.score < -0.5)
    # "bundled" names the same model; the cache is reused, so this load is quick.
    assert load_sentiment("bundled").version == model.version


@pytest.mark.bundled_model
def test_korean_social_posts_keep_their_polarity_on_the_fast_path_and_in_fp32() -> None:
    """Hand-written posts with ㅋㅋ, ㅠㅠ, slang and spacing errors; the model never saw them in training."""
    from models import load_sentiment

    posts = read_social_posts()
    assert len(posts.texts) >= 50
    probs = {p: load_sentiment(None, precision=p).predict_probs(posts.texts) for p in ("bf16", "fp32")}
    labels = np.asarray(posts.labels)
    for precision, found in probs.items():
        metrics = social_metrics(found, posts)
        assert metrics["ko_social_binary_accuracy"] >= 0.9, (precision, metrics)
        # Neither pole swallows the other: each is predicted for most of its own posts.
        predicted = found.argmax(1)
        for label in (LABELS.index("negative"), LABELS.index("positive")):
            assert (predicted[labels == label] == label).mean() >= 0.8, (precision, LABELS[label])
        # Known limit (model card): Korean training text has no informational posts, so questions and
        # announcements mostly come out polar. They must at least not look as sure as real complaints do.
        neutral = labels == LABELS.index("neutral")
        negative = labels == LABELS.index("negative")
        assert np.median(found[neutral, 0]) < np.median(found[negative, 0])
    agree = (probs["bf16"].argmax(1) == probs["fp32"].argmax(1)).mean()
    assert agree >= 0.95
