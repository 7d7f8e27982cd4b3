"""The real bundled encoder and head on constructed sentences (builds the e5 cache on first use, ~20 s)."""

from __future__ import annotations

from models.text.embedders import load_embedder
from models.text.taxonomy import load_taxonomy
from models.text.topics import TopicScorer


def test_builtin_taxonomy_with_the_bundled_model_one_encoder_pass() -> None:
    from models import load_sentiment

    model = load_sentiment(None)
    embedder, encoder_id = load_embedder("bundled", sentiment_model=model)
    assert embedder is model.encoder and encoder_id == "e5"
    scorer = TopicScorer(load_taxonomy("cx"), embedder, model)
    texts = [
        "The delivery was awful and late, but the product quality is excellent.",
        "배송은 최악이었는데 제품 품질은 정말 좋아요",
        "Acme app keeps crashing when I try to log in",
        "환불 신청한 지 3주째인데 아직도 환불이 안 됐어요",
    ]
    sentiments = model.predict(texts)
    results = scorer.score(texts, ["en", "ko", "en", "ko"], sentiments)
    for result in results[:2]:
        found = {m.topic: m.sentiment for m in result.topics}
        assert found.get("delivery") == "negative", found
        assert found.get("product_quality") == "positive", found
    assert "website_app" in {m.topic for m in results[2].topics}
    assert "billing_returns" in {m.topic for m in results[3].topics}
    # The sentiment pass left the whole texts' e5 embeddings in the encoder's memo, and they are the embeddings
    # e5 itself gives (the shared lower layers feed both branches).
    model.encoder.share_embeddings = False
    model.encoder._memo.clear()
    model.predict(texts)
    assert not model.encoder._memo
    model.encoder.share_embeddings = True
    model.predict(texts)
    assert len(model.encoder._memo) == len(texts)
    shared = model.encoder.embed(texts)
    model.encoder._memo.clear()
    fresh = model.encoder.embed(texts)
    assert (shared * fresh).sum(axis=1).min() > 0.999
