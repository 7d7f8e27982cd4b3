"""The real bundled model: builds the e5 cache on first run (~20 s, 470 MB under ~/.cache/brandpulse)."""

from __future__ import annotations

import pytest

from models.e5 import WEIGHTS_SHA256
from models.sentiment import load_head

OBVIOUS = {
    "정말 최악이에요 환불해주세요": "negative",
    "배송 빨라서 너무 좋아요 ㅎㅎ": "positive",
    "This is the best purchase ever, love it!": "positive",
    "Terrible service, never again.": "negative",
}


def test_head_file_is_small_and_matches_the_encoder() -> None:
    weight, bias, meta = load_head()
    assert weight.shape == (3, 384) and bias.shape == (3,)
    assert meta["encoder_weights_sha256"] == WEIGHTS_SHA256
    assert meta["prefix"] == "query: "


@pytest.mark.bundled_model
def test_bundled_model_on_obvious_sentences() -> None:
    from models import load_sentiment

    model = load_sentiment(None)
    assert model.name == "bundled"
    assert model.version.startswith("bundled-e5-head-v1+")
    texts = list(OBVIOUS)
    results = model.predict(texts)
    assert [r.label for r in results] == list(OBVIOUS.values())
    for result, expected in zip(results, OBVIOUS.values(), strict=True):
        assert (result.score > 0.3) if expected == "positive" else (result.score < -0.3)
    # "bundled" names the same model; the cache is reused, so this load is quick.
    assert load_sentiment("bundled").version == model.version
