"""CX topics per mention: a classifier fitted on the taxonomy's own phrases, calibrated thresholds, aspect sentiment.

Each topic's description, examples and aliases are embedded with the sentence encoder. A one-vs-rest logistic
regression per topic is fitted on those phrase embeddings (centred on their mean; the other topics' phrases and a
few generic brand-chatter phrases are the negatives), so no labelled mentions are needed: ten lines of taxonomy are
enough. A mention is embedded whole and, when clauses can change the answer (two or more topics on the whole text,
or a contrast marker), clause by clause; its raw score for a topic is the best probability over those units. A
topic passes when the raw score reaches its threshold (per topic for the built-in taxonomy, calibrated on held-out
labelled mentions; docs/topics.md). A passing topic's own sentiment is the sentiment of the clause that matched it
best, so "delivery was slow but the product is great" is negative on delivery and positive on quality; a mention
that was not split gives its topics the whole mention's sentiment.

Measured against plain cosine similarity to the phrases (best match, top-3 mean, centroid) on the labelled sets,
the fitted classifier raised micro-F1 from about 0.43 to about 0.70 (docs/benchmarks.md).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from models.scores import Sentiment
from models.text.clauses import has_contrast, split_clauses_many
from models.text.safe_text import is_blank, model_text
from models.text.taxonomy import Taxonomy

VERSION_PREFIX = "topics-e5lr-v1"
# For a taxonomy without thresholds: the median of the per-topic thresholds calibrated for the built-in CX
# taxonomy (docs/benchmarks.md). Probabilities from the fitted classifier transfer across taxonomies far better
# than raw cosine similarities do.
DEFAULT_THRESHOLD = 0.12
KEYWORD_BOOST = 1.0  # a keyword hit scores at least this far (in logits) above the threshold
MAX_TOPICS = 4
# Clause work reads what the encoder reads (256 tokens is about a thousand characters): a 100 kB post must not
# become thousands of clauses.
CLAUSE_TEXT_CHARS = 2_000
MAX_CLAUSES = 16
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
    # The whole text's embedding the scorer used (stored per mention, so themes need no encoder).
    embedding: np.ndarray | None = None

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
        self.encoder_id = encoder_id
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
        """Topics of each text; `sentiments` (the whole mentions' scores, if known) avoid re-scoring whole texts.

        Whole texts are embedded in one batched pass (after the scoring step they are memoised, so it costs
        nothing); clause work runs only where it can change an answer, a mention with two or more topics or a
        contrast marker, as one more batched pass that gives each clause its embedding and its sentiment together.
        """
        clean = [model_text(text) for text in texts]
        langs = list(langs) if langs is not None else [None] * len(clean)
        known: list[Sentiment | None] = list(sentiments) if sentiments is not None else [None] * len(clean)
        whole, computed = self._whole_texts(clean, known)
        raw_texts = self._with_keywords(self.raw_scores(whole), clean)
        passing_counts = (calibrated(raw_texts, self.thresholds) >= 0.5).sum(axis=1)
        needs = [
            i
            for i, (text, count) in enumerate(zip(clean, passing_counts, strict=True))
            if not is_blank(text) and (count >= 2 or has_contrast(text))
        ]
        split = split_clauses_many([clean[i][:CLAUSE_TEXT_CHARS] for i in needs], [langs[i] for i in needs])
        clause_lists: list[list[str]] = [[] for _ in clean]
        for i, clauses in zip(needs, split, strict=True):
            clause_lists[i] = clauses[:MAX_CLAUSES]
        owners = [i for i, clauses in enumerate(clause_lists) if len(clauses) > 1]
        units = [clause for i in owners for clause in clause_lists[i]]
        unit_raw, unit_sentiments = self._clause_units(units)
        results: list[MentionTopics] = []
        offsets = np.cumsum([0] + [len(clause_lists[i]) for i in owners])
        starts = {i: int(offsets[k]) for k, i in enumerate(owners)}
        pending_whole: list[int] = []
        for i, text in enumerate(clean):
            clause_rows = list(range(starts[i], starts[i] + len(clause_lists[i]))) if i in starts else []
            raw = np.maximum(raw_texts[i], unit_raw[clause_rows].max(axis=0)) if clause_rows else raw_texts[i].copy()
            scores = calibrated(raw, self.thresholds)
            passing = [j for j in np.argsort(-scores) if scores[j] >= 0.5][:MAX_TOPICS]
            matches = []
            for j in passing:
                best = clause_rows[int(np.argmax(unit_raw[clause_rows, j]))] if clause_rows else None
                feeling = unit_sentiments[best] if best is not None else known[i] or computed.get(i)
                matches.append(
                    TopicMatch(
                        topic=self.names[j],
                        score=float(scores[j]),
                        raw=float(raw[j]),
                        sentiment=None if feeling is None else feeling.label,
                        sentiment_score=None if feeling is None else float(feeling.score),
                        clause=None if best is None else units[best],
                    )
                )
            if matches and not clause_rows and known[i] is None and i not in computed and self.sentiment is not None:
                pending_whole.append(i)
            clauses = clause_lists[i] if clause_lists[i] else ([text.strip()] if not is_blank(text) else [])
            results.append(
                MentionTopics(topics=matches, raw=raw, scores=scores, clauses=clauses, embedding=whole[i])
            )
        return self._fill_whole_sentiments(results, clean, pending_whole)

    def _whole_texts(
        self, texts: Sequence[str], known: Sequence[Sentiment | None]
    ) -> tuple[np.ndarray, dict[int, Sentiment]]:
        """Whole-text embeddings, and the sentiments computed on the way (texts scored in the same pass)."""
        if not texts:
            return np.zeros((0, 1), dtype=np.float32), {}
        unknown = [i for i, feeling in enumerate(known) if feeling is None]
        if not unknown or not self._joint:
            return np.asarray(self.embedder.embed(texts), dtype=np.float32), {}
        # Mentions with no stored sentiment (the `score` command, evaluations): one pass gives both.
        feelings, embedded = self.sentiment.predict_with_embeddings([texts[i] for i in unknown])  # type: ignore[union-attr]
        scored = set(unknown)
        rest = [i for i in range(len(texts)) if i not in scored]
        whole = np.zeros((len(texts), embedded.shape[1]), dtype=np.float32)
        whole[unknown] = embedded
        if rest:
            whole[rest] = np.asarray(self.embedder.embed([texts[i] for i in rest]), dtype=np.float32)
        return whole, dict(zip(unknown, feelings, strict=True))

    def _with_keywords(self, raw: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        """Raw scores raised to just above the threshold for topics whose keywords occur in the text."""
        out = raw.copy()
        for j, topic in enumerate(self.taxonomy.topics):
            if not topic.keywords:
                continue
            boosted = float(1.0 / (1.0 + np.exp(-(_logit(self.thresholds[j]) + KEYWORD_BOOST))))
            hits = [i for i, text in enumerate(texts) if keyword_hits(text, topic.keywords)]
            out[hits, j] = np.maximum(out[hits, j], boosted)
        return out

    def _clause_units(self, units: Sequence[str]) -> tuple[np.ndarray, list[Sentiment | None]]:
        """Raw topic scores and sentiments of clauses: one shared encoder pass when the model allows it."""
        if not units:
            return np.zeros((0, len(self.names))), []
        if self._joint:
            feelings, embedded = self.sentiment.predict_with_embeddings(units)  # type: ignore[union-attr]
            return self.raw_scores(np.asarray(embedded, dtype=np.float32)), list(feelings)
        embedded = np.asarray(self.embedder.embed(units), dtype=np.float32)
        feelings = list(self.sentiment.predict(units)) if self.sentiment is not None else [None] * len(units)
        return self.raw_scores(embedded), feelings

    def _fill_whole_sentiments(
        self, results: list[MentionTopics], texts: Sequence[str], pending: Sequence[int]
    ) -> list[MentionTopics]:
        """Give topics of unsplit mentions with no known sentiment the whole text's, scored in one batch."""
        if not pending or self.sentiment is None:
            return results
        for i, feeling in zip(pending, self.sentiment.predict([texts[i] for i in pending]), strict=True):
            topics = [
                dataclasses.replace(match, sentiment=feeling.label, sentiment_score=float(feeling.score))
                for match in results[i].topics
            ]
            results[i] = dataclasses.replace(results[i], topics=topics)
        return results

    @property
    def _joint(self) -> bool:
        """Whether the sentiment model gives embeddings and sentiments from one encoder pass."""
        shares = getattr(self.sentiment, "shares_pass_with", None)
        return bool(shares is not None and shares(self.embedder))
