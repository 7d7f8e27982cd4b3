"""Map a classifier's own label scheme (LABEL_i, names, 1–5 stars) onto negative/neutral/positive; pure."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from models.errors import ModelUnavailable
from models.scores import LABELS

_NAMES: dict[str, str] = {
    "negative": "negative",
    "neg": "negative",
    "very negative": "negative",
    "neutral": "neutral",
    "neu": "neutral",
    "positive": "positive",
    "pos": "positive",
    "very positive": "positive",
}
_GENERIC = re.compile(r"label[ _]?(\d+)")
_STARS = re.compile(r"(\d+)\s*stars?")
# nlptown's convention for reviews: 1–2 stars negative, 3 neutral, 4–5 positive.
_STAR_LABELS: dict[int, str] = {1: "negative", 2: "negative", 3: "neutral", 4: "positive", 5: "positive"}
# Generic LABEL_i: the usual order of 3-class sentiment heads (cardiffnlp, most fine-tunes), and neg/pos for 2.
_GENERIC_LABELS: dict[int, tuple[str, ...]] = {2: ("negative", "positive"), 3: LABELS}
SUPPORTED = "LABEL_0..LABEL_2 (or LABEL_0/LABEL_1), negative/neutral/positive (or neg/neu/pos), '1 star'..'5 stars'"


@dataclass(frozen=True)
class LabelMap:
    """How one model's outputs fold into (negative, neutral, positive): a 0/1 matrix of shape (n_labels, 3)."""

    scheme: str
    labels: tuple[str, ...]
    targets: tuple[str, ...]
    matrix: np.ndarray

    def __call__(self, probs: np.ndarray) -> np.ndarray:
        """Fold probabilities of shape (n, n_labels) into shape (n, 3), columns in `models.scores.LABELS` order."""
        probs = np.asarray(probs, dtype=np.float64)
        if probs.ndim != 2 or probs.shape[1] != len(self.labels):
            raise ValueError(f"expected probabilities of shape (n, {len(self.labels)}), got {probs.shape}")
        return probs @ self.matrix

    def as_dicts(self, probs: np.ndarray) -> list[dict[str, float]]:
        """Folded probabilities as one {label: p} dict per row."""
        return [dict(zip(LABELS, map(float, row), strict=True)) for row in self(probs)]


def _normalise(name: str) -> str:
    """Lower-case, with '_' and '-' read as spaces, so 'Very_Negative' and 'very-negative' match."""
    return " ".join(name.strip().lower().replace("_", " ").replace("-", " ").split())


def _ordered(id2label: Mapping[int, str] | Mapping[str, str]) -> tuple[str, ...]:
    """The labels in output order; keys must be 0..n-1 (ints, or strings of ints as in JSON configs)."""
    try:
        items = sorted((int(k), str(v)) for k, v in id2label.items())
    except (TypeError, ValueError):
        raise ModelUnavailable(f"model config id2label has non-integer ids: {dict(id2label)!r}") from None
    if [k for k, _ in items] != list(range(len(items))):
        raise ModelUnavailable(f"model config id2label ids are not 0..{len(items) - 1}: {dict(id2label)!r}")
    return tuple(v for _, v in items)


def _targets(labels: tuple[str, ...]) -> tuple[str, tuple[str, ...]] | None:
    """Recognise a scheme and return its name and each label's target, or None if nothing fits."""
    norm = [_normalise(label) for label in labels]
    if all(name in _NAMES for name in norm):
        targets = tuple(_NAMES[name] for name in norm)
        # Both poles are needed for a meaningful score; a repeated name would make the mapping ambiguous.
        if {"negative", "positive"} <= set(targets) and len(set(norm)) == len(norm):
            return "names", targets
        return None
    generic = [_GENERIC.fullmatch(name) for name in norm]
    if all(generic):
        indices = [int(m.group(1)) for m in generic if m]
        if indices == list(range(len(labels))) and len(labels) in _GENERIC_LABELS:
            return "generic", _GENERIC_LABELS[len(labels)]
        return None
    stars = [_STARS.fullmatch(name) for name in norm]
    if all(stars):
        counts = sorted(int(m.group(1)) for m in stars if m)
        if counts == sorted(_STAR_LABELS):
            return "stars", tuple(_STAR_LABELS[int(m.group(1))] for m in stars if m)
    return None


def label_map(id2label: Mapping[int, str] | Mapping[str, str], model: str = "the model") -> LabelMap:
    """Build the LabelMap for a model's `config.id2label`; unknown schemes raise ModelUnavailable."""
    labels = _ordered(id2label)
    found = _targets(labels)
    if found is None:
        raise ModelUnavailable(
            f"cannot map the labels {list(labels)} of {model} onto negative/neutral/positive; "
            f"supported label schemes: {SUPPORTED}"
        )
    scheme, targets = found
    matrix = np.zeros((len(labels), len(LABELS)), dtype=np.float64)
    for row, target in enumerate(targets):
        matrix[row, LABELS.index(target)] = 1.0
    return LabelMap(scheme, labels, targets, matrix)
