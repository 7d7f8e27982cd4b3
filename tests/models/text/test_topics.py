"""The topic scorer with an injected keyword embedder: multi-label output, aspect sentiment, keywords, versions."""

from __future__ import annotations

import dataclasses

import numpy as np
from helpers.topics import KeywordEmbedder, KeywordSentiment, small_taxonomy

from models.text.topics import TopicScorer, calibrated


def scorer(**options: object) -> TopicScorer:
    return TopicScorer(small_taxonomy(), KeywordEmbedder(), KeywordSentiment(), **options)  # type: ignore[arg-type]


def test_one_topic_per_plain_mention_and_none_for_chatter() -> None:
    results = scorer().score(["my package is late again", "the price is too expensive", "hello world lol"])
    assert [[m.topic for m in r.topics] for r in results] == [["delivery"], ["price"], []]
    assert results[2].best_score < 0.5 <= results[0].best_score
    assert all(0.5 <= m.score <= 1 for r in results for m in r.topics)


def test_multi_label_with_aspect_sentiment_per_clause() -> None:
    sentiment = KeywordSentiment()
    topic_scorer = TopicScorer(small_taxonomy(), KeywordEmbedder(), sentiment)
    [result] = topic_scorer.score(["Delivery was slow but the product quality is great"])
    found = {m.topic: (m.sentiment, m.clause) for m in result.topics}
    assert found == {
        "delivery": ("negative", "Delivery was slow"),
        "quality": ("positive", "but the product quality is great"),
    }
    assert result.clauses == ["Delivery was slow", "but the product quality is great"]
    # Only the clauses went through the sentiment model (the whole text's sentiment is not needed).
    assert sentiment.predicted == result.clauses


def test_korean_contrast_gives_each_topic_its_own_sentiment() -> None:
    [result] = scorer().score(["배송은 늦는데 품질은 최고예요"], ["ko"])
    assert {m.topic: m.sentiment for m in result.topics} == {"delivery": "negative", "quality": "positive"}


def test_known_whole_text_sentiment_is_reused_for_one_clause_mentions() -> None:
    sentiment = KeywordSentiment()
    topic_scorer = TopicScorer(small_taxonomy(), KeywordEmbedder(), sentiment)
    known = sentiment.predict(["great"])[0]
    sentiment.predicted.clear()
    [result] = topic_scorer.score(["the courier lost my package"], sentiments=[known])
    assert [(m.topic, m.sentiment) for m in result.topics] == [("delivery", "positive")]
    assert sentiment.predicted == []


def test_keywords_force_a_topic_and_thresholds_come_from_the_taxonomy() -> None:
    base = small_taxonomy()
    price = dataclasses.replace(base.topic("price"), keywords=("wifi",), threshold=0.3)
    taxonomy = dataclasses.replace(base, topics=(base.topics[0], base.topics[1], price))
    topic_scorer = TopicScorer(taxonomy, KeywordEmbedder(), None)
    [result] = topic_scorer.score(["the WiFi in the lobby"])
    assert [m.topic for m in result.topics] == ["price"] and result.topics[0].sentiment is None
    assert topic_scorer.thresholds.tolist()[2] == 0.3
    assert topic_scorer.score(["wifiless"])[0].topics == []  # word boundary


def test_the_version_changes_with_taxonomy_and_sentiment_model() -> None:
    first, second = scorer(), scorer()
    assert first.version == second.version and first.version.startswith("topics-e5lr-v1:small:")
    other = dataclasses.replace(small_taxonomy(), digest="changed")
    assert TopicScorer(other, KeywordEmbedder(), KeywordSentiment()).version != first.version
    assert TopicScorer(small_taxonomy(), KeywordEmbedder(), None).version != first.version


def test_calibrated_scores_are_one_half_at_the_threshold() -> None:
    assert calibrated(0.2, 0.2) == 0.5
    assert calibrated(0.4, 0.2) > 0.5 > calibrated(0.1, 0.2)
    assert np.all(np.diff(calibrated(np.array([0.01, 0.1, 0.5, 0.99]), 0.2)) > 0)


def test_one_embedding_call_for_texts_and_one_for_the_clauses_that_can_change_an_answer() -> None:
    embedder = KeywordEmbedder()
    sentiment = KeywordSentiment()
    topic_scorer = TopicScorer(small_taxonomy(), embedder, sentiment)
    embedder.calls.clear()
    texts = ["late package but great price", "cheap", "", "my package is late. hello world", "late package. cheap"]
    results = topic_scorer.score(texts)
    # Whole texts in one pass; then only the contrast mention and the two-topic mention are split (2 + 2 clauses).
    assert embedder.calls == [5, 4]
    assert results[3].clauses == ["my package is late. hello world"]  # one topic, no contrast: never split
    assert {m.clause for m in results[4].topics} == {"cheap", "late package."}
    # Sentiment: the four clauses in one batch, then the whole text of the one-topic mentions in another.
    assert sentiment.batches == [4, 2]
