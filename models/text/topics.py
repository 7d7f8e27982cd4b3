"""CX topics per mention: a classifier fitted on the taxonomy's own phrases, calibrated thresholds, aspect sentiment.

Each topic's description, examples and aliases are embedded with the sentence encoder. A one-vs-rest logistic
regression per topic is fitted on those phrase embeddings (centred on their mean; the other topics' phrases and a
few generic brand-chatter phrases are the negatives), so no labelled mentions are needed: ten lines of taxonomy are
enough. A mention is embedded whole and, when it has several clauses, clause by clause; its raw score for a topic
is the best probability over those units. A topic passes when the raw score reaches its threshold (per topic for
the built-in taxonomy, calibrated on held-out labelled mentions; docs/topics.md). A passing topic's own sentiment
is the sentiment of the clause that matched it best, so "delivery was slow but the product is great" is negative
on delivery and positive on quality.

Measured against plain cosine similarity to the phrases (best match, top-3 mean, centroid) on the labelled sets,
the fitted classifier raised micro-F1 from about 0.43 to about 0.70 (docs/benchmarks.md).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from models.scores import Sentiment
from models.text.clauses import split_clauses
from models.text.taxonomy import Taxonomy

VERSION_PREFIX = "topics-e5lr-v1"
# For a taxonomy without thresholds: the median of the per-topic thresholds calibrated for the built-in CX
# taxonomy (docs/benchmarks.md). Probabilities from the fitted classifier transfer across taxonomies far better
# than raw cosine similarities do.
DEFAULT_THRESHOLD = 0.12
KEYWORD_BOOST = 1.0  # a keyword hit scores at least this far (in logits) above the threshold
MAX_TOPICS = 4
# Fitting: phrase vectors are scaled (cosines are small numbers) and the weights lightly L2-regularised.
FIT_SCALE = 8.0
FIT_L2 = 1e-2
FIT_STEPS = 500
FIT_RATE = 0.5
# Generic talk about a brand that belongs to no topic: negatives for every topic, so chatter scores low.
BACKGROUND = (
    "I love this brand", "this company is the worst", "their stock price went up today", "is this company hiring?",
    "the CEO gave an interview", "happy anniversary to them", "which one do you use?", "just saw their logo",
    "이 브랜드 너무 좋아", "이 회사 최악", "오늘 주가 올랐네", "여기 채용하나요?",
    "대표 인터뷰 봤어요", "다들 어디 써요?",
)


class Embedder(Protocol):
    """Anything that maps texts to L2-normalised vectors, one row per text (the e5 encoder, a test fake)."""

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised embeddings, shape (len(texts), dim)."""
        ...


class SentimentLike(Protocol):
    """The part of a sentiment model the topic scorer uses (models.sentiment.loader.SentimentModel has it)."""

    version: str

    def predict(self, texts: Sequence[str]) -> list[Sentiment]:
        """One Sentiment per text."""
        ...


@dataclass(frozen=True)
class TopicMatch:
    """One topic found in one mention: calibrated score (≥ 0.5 passes), the raw similarity, its own sentiment."""

    topic: str
    score: float
    raw: float
    sentiment: str | None
    sentiment_score: float | None
    clause: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The shape `brandpulse score` prints inside `topics`."""
        return {
            "topic": self.topic,
            "score": round(self.score, 3),
            "sentiment": self.sentiment,
            "sentiment_score": None if self.sentiment_score is None else round(self.sentiment_score, 3),
        }


@dataclass(frozen=True)
class MentionTopics:
    """All topic results for one mention: the passing topics, and every topic's raw and calibrated score."""

    topics: list[TopicMatch]
    raw: np.ndarray
    scores: np.ndarray
    clauses: list[str]

    @property
    def best_score(self) -> float:
        """The calibrated score of the best topic, passing or not (low: no topic explains this mention)."""
        return float(self.scores.max()) if self.scores.size else 0.0


def _logit(p: np.ndarray | float) -> np.ndarray:
    q = np.clip(np.asarray(p, dtype=np.float64), 1e-9, 1 - 1e-9)
    return np.log(q / (1 - q))


def calibrated(raw: np.ndarray | float, threshold: np.ndarray | float) -> np.ndarray:
    """Map a raw probability onto (0, 1) with 0.5 exactly at the topic's threshold (a shift in logit space)."""
    z = _logit(raw) - _logit(threshold)
    return 1.0 / (1.0 + np.exp(-np.clip(z, -60, 60)))


def fit_one_vs_rest(vectors: np.ndarray, labels: np.ndarray, n_topics: int) -> tuple[np.ndarray, np.ndarray]:
    """Logistic regression per topic by gradient descent (deterministic, no extra dependency): weights, biases."""
    x = vectors.astype(np.float64) * FIT_SCALE
    weights = np.zeros((n_topics, x.shape[1]))
    biases = np.zeros(n_topics)
    targets = (labels[None, :] == np.arange(n_topics)[:, None]).astype(np.float64)
    for _ in range(FIT_STEPS):
        p = 1.0 / (1.0 + np.exp(-(x @ weights.T + biases)))
        gradient = (p - targets.T) / len(x)
        weights -= FIT_RATE * (gradient.T @ x + FIT_L2 * weights)
        biases -= FIT_RATE * gradient.sum(axis=0)
    return weights, biases


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def keyword_hits(text: str, keywords: Sequence[str]) -> bool:
    """Whether any keyword occurs: on word boundaries for Latin words, as a word start for Korean (particles follow)."""
    folded = _normalise(text)
    for keyword in keywords:
        if re.search(rf"(?<![\w]){re.escape(keyword)}" + (r"(?![a-z0-9])" if keyword.isascii() else ""), folded):
            return True
    return False


class TopicScorer:
    """Scores mentions against a taxonomy with an injected embedder and (optionally) a sentiment model."""

    def __init__(
        self,
        taxonomy: Taxonomy,
        embedder: Embedder,
        sentiment: SentimentLike | None = None,
        *,
        encoder_id: str = "e5",
        default_threshold: float = DEFAULT_THRESHOLD,
    ) -> None:
        self.taxonomy = taxonomy
        self.embedder = embedder
        self.sentiment = sentiment
        fallback = taxonomy.threshold if taxonomy.threshold is not None else default_threshold
        self.thresholds = np.array(
            [t.threshold if t.threshold is not None else fallback for t in taxonomy.topics], dtype=np.float64
        )
        phrases = [(i, phrase) for i, topic in enumerate(taxonomy.topics) for phrase in topic.phrases]
        phrases += [(-1, phrase) for phrase in BACKGROUND]
        vectors = np.asarray(embedder.embed([p for _, p in phrases]), dtype=np.float64)
        # Centring on the phrases' mean removes the direction every sentence shares (e5's cosines sit near 0.8).
        self._centre = vectors.mean(axis=0)
        self._weights, self._biases = fit_one_vs_rest(
            self._centred(vectors), np.array([i for i, _ in phrases]), len(taxonomy.topics)
        )
        sentiment_version = getattr(sentiment, "version", "none")
        digest = hashlib.sha256(
            f"{taxonomy.digest}|{encoder_id}|{sentiment_version}|{self.thresholds.tolist()}".encode()
        ).hexdigest()
        self.version = f"{VERSION_PREFIX}:{taxonomy.name}:{digest[:12]}"

    def _centred(self, vectors: np.ndarray) -> np.ndarray:
        shifted = np.asarray(vectors, dtype=np.float64) - self._centre
        return shifted / np.linalg.norm(shifted, axis=1, keepdims=True).clip(min=1e-12)

    @property
    def names(self) -> tuple[str, ...]:
        """Topic names, in the column order of raw scores."""
        return self.taxonomy.names

    def raw_scores(self, embeddings: np.ndarray) -> np.ndarray:
        """(n, topics) probability that each embedded unit is about each topic."""
        if len(embeddings) == 0:
            return np.zeros((0, len(self.names)))
        logits = (self._centred(embeddings) * FIT_SCALE) @ self._weights.T + self._biases
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -60, 60)))

    def score(
        self,
        texts: Sequence[str],
        langs: Sequence[str | None] | None = None,
        sentiments: Sequence[Sentiment | None] | None = None,
    ) -> list[MentionTopics]:
        """Topics of each text; `sentiments` (the whole mentions' scores, if known) avoid re-scoring one-clause ones."""
        langs = list(langs) if langs is not None else [None] * len(texts)
        clause_lists = [split_clauses(text, lang) if text.strip() else [] for text, lang in zip(texts, langs,
                                                                                                 strict=True)]
        units: list[str] = list(texts)
        owners: list[list[int]] = [[i] for i in range(len(texts))]
        for i, clauses in enumerate(clause_lists):
            if len(clauses) > 1:
                owners[i] = owners[i] + list(range(len(units), len(units) + len(clauses)))
                units += clauses
        # One embedding pass over whole texts and clauses; the whole texts are usually memoised already.
        embeddings = np.asarray(self.embedder.embed(units), dtype=np.float32) if units else np.zeros((0, 1))
        raw_units = self.raw_scores(embeddings)
        unit_sentiments = self._unit_sentiments(units, embeddings, owners, clause_lists, sentiments)
        results: list[MentionTopics] = []
        for i, text in enumerate(texts):
            rows = owners[i]
            raw = raw_units[rows].max(axis=0) if rows else np.full(len(self.names), -1.0)
            for j, topic in enumerate(self.taxonomy.topics):
                if topic.keywords and keyword_hits(text, topic.keywords):
                    boosted = 1.0 / (1.0 + np.exp(-(_logit(self.thresholds[j]) + KEYWORD_BOOST)))
                    raw[j] = max(raw[j], float(boosted))
            scores = calibrated(raw, self.thresholds)
            passing = [j for j in np.argsort(-scores) if scores[j] >= 0.5][:MAX_TOPICS]
            matches = []
            for j in passing:
                clause_rows = rows[1:]
                best = clause_rows[int(np.argmax(raw_units[clause_rows, j]))] if clause_rows else rows[0]
                feeling = unit_sentiments.get(best)
                matches.append(
                    TopicMatch(
                        topic=self.names[j],
                        score=float(scores[j]),
                        raw=float(raw[j]),
                        sentiment=None if feeling is None else feeling.label,
                        sentiment_score=None if feeling is None else float(feeling.score),
                        clause=units[best] if clause_rows else None,
                    )
                )
            results.append(MentionTopics(topics=matches, raw=raw, scores=scores, clauses=clause_lists[i]))
        return results

    def _unit_sentiments(
        self,
        units: Sequence[str],
        embeddings: np.ndarray,
        owners: Sequence[Sequence[int]],
        clause_lists: Sequence[Sequence[str]],
        known: Sequence[Sentiment | None] | None,
    ) -> dict[int, Sentiment]:
        """Sentiment per unit that a topic may need: the whole text of one-clause mentions, every clause otherwise."""
        if self.sentiment is None:
            return {}
        out: dict[int, Sentiment] = {}
        needed: list[int] = []
        for i, rows in enumerate(owners):
            if len(rows) > 1:
                needed += rows[1:]
            elif known is not None and known[i] is not None:
                out[rows[0]] = known[i]  # type: ignore[assignment]
            else:
                needed.append(rows[0])
        if not needed:
            return out
        out.update(zip(needed, self.sentiment.predict([units[k] for k in needed]), strict=True))
        return out
