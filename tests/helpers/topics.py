"""Fakes for the topic tests: a keyword embedder and a keyword sentiment model (no transformer, no network)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from models.scores import Sentiment, sentiment_from_probs
from models.text.taxonomy import Taxonomy, parse_taxonomy

# Each group is one axis of the fake embedding space: texts sharing a group point the same way.
GROUPS: dict[str, tuple[str, ...]] = {
    "delivery": ("delivery", "delivered", "late", "package", "parcel", "courier", "shipping", "배송", "택배"),
    "quality": ("quality", "broke", "broken", "product", "defective", "품질", "고장", "제품"),
    "price": ("price", "expensive", "cheap", "cost", "가격", "비싸"),
    "login": ("login", "loop", "sign", "로그인"),
}
NEGATIVE = ("slow", "late", "broke", "broken", "terrible", "expensive", "loop", "늦", "최악", "고장", "비싸")
POSITIVE = ("great", "love", "fast", "excellent", "좋", "최고", "빠르")
DIM = 64


def _word_vector(word: str) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256(word.encode()).digest()[:4], "little")
    return np.random.default_rng(seed).normal(size=DIM)


class KeywordEmbedder:
    """Texts → normalised vectors: a strong axis per keyword group found, plus a little hashed noise per word."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(len(texts))
        rows = []
        for text in texts:
            folded = text.casefold()
            vector = np.zeros(DIM)
            for axis, words in enumerate(GROUPS.values()):
                if any(w in folded for w in words):
                    vector[axis] += 3.0
            for word in re.findall(r"\w+", folded):
                vector += 0.15 * _word_vector(word)
            rows.append(vector / (np.linalg.norm(vector) or 1.0))
        return np.array(rows)


class KeywordSentiment:
    """Negative/positive by keywords; no head, so the scorer must call predict on clauses."""

    version = "keyword-sentiment-1"

    def __init__(self) -> None:
        self.predicted: list[str] = []
        self.batches: list[int] = []

    def predict(self, texts: Sequence[str]) -> list[Sentiment]:
        self.predicted += list(texts)
        self.batches.append(len(texts))
        out = []
        for text in texts:
            folded = text.casefold()
            neg = sum(w in folded for w in NEGATIVE)
            pos = sum(w in folded for w in POSITIVE)
            probs = {"negative": 0.8, "neutral": 0.1, "positive": 0.1} if neg > pos else (
                {"negative": 0.1, "neutral": 0.1, "positive": 0.8} if pos > neg else
                {"negative": 0.1, "neutral": 0.8, "positive": 0.1})
            out.append(sentiment_from_probs(probs, "keyword", self.version))
        return out


SMALL_TAXONOMY = {
    "topic": [
        {"name": "delivery", "description": "delivery", "examples": ["late package", "courier", "배송 늦어요"]},
        {"name": "quality", "description": "product quality", "examples": ["broken product", "defective", "품질 별로"]},
        {"name": "price", "description": "price", "examples": ["too expensive", "cheap price", "가격 비싸요"]},
    ]
}


def small_taxonomy() -> Taxonomy:
    """Three topics the keyword embedder separates cleanly."""
    return parse_taxonomy(SMALL_TAXONOMY, source="small.toml", digest="small-v1")
