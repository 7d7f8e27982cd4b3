"""The bundled model's second expert: hashed character n-grams, TF-IDF weights and a linear layer.

A character n-gram model errs differently from the transformer (it reads spelling, slang, ㅋㅋ/ㅠㅠ runs and
Hinglish word fragments the 250k-piece vocabulary splits badly), so the bundled model multiplies the two
experts' probabilities: log p = log p_transformer + weight · log p_ngram, renormalised. The weight is chosen on
validation (`models/training/train_ngram.py`); the file can hold a separate one for text with Hangul. Hashing keeps the
file small and needs no vocabulary.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.errors import ModelUnavailable
from models.scores import LABELS
from models.text.hangul import has_hangul

NGRAM_FILE = "ngram.safetensors"
NGRAM_FORMAT = "bundled-char-ngram-v2"
N_FEATURES = 2**18  # the first half for text with Hangul, the second for the rest
NGRAM_RANGE = (1, 4)
ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")


def has_arabic(text: str) -> bool:
    """Whether the text has a letter of the Arabic script."""
    return ARABIC.search(text) is not None


def script_of(text: str) -> str:
    """The script the fusion weighs a text by: "hangul" (any Hangul wins), "arabic" or "other"."""
    return "hangul" if has_hangul(text) else ("arabic" if has_arabic(text) else "other")


def tfidf_rows(counts: object, idf: np.ndarray) -> object:
    """Sublinear TF-IDF rows of raw counts, L2-normalised (a sparse matrix), as TfidfTransformer fitted them."""
    from sklearn.preprocessing import normalize

    counts = counts.astype(np.float32)
    counts.data = 1.0 + np.log(counts.data)
    return normalize(counts.multiply(idf).tocsr())


def ngram_counts(texts: Sequence[str]) -> object:
    """Raw n-gram counts of lower-cased text, characters padded at word edges, hashed into N_FEATURES columns.

    Text with Hangul hashes into the first half and other text into the second, so Korean's millions of distinct
    n-grams never share a bucket with a tweet's (validation scores came out about the same as one shared space).
    """
    from sklearn.feature_extraction.text import HashingVectorizer

    half = N_FEATURES // 2
    hasher = HashingVectorizer(
        analyzer="char_wb", ngram_range=NGRAM_RANGE, n_features=half, alternate_sign=False, norm=None
    )
    from scipy.sparse import csr_matrix

    counts = hasher.transform(list(texts)).tocsr()
    shift = np.array([0 if has_hangul(t) else half for t in texts], dtype=counts.indices.dtype)
    indices = counts.indices + np.repeat(shift, np.diff(counts.indptr))
    return csr_matrix((counts.data, indices, counts.indptr), shape=(len(texts), N_FEATURES))


@dataclass
class NgramExpert:
    """idf (N_FEATURES,), coef (3, N_FEATURES), intercept (3,), the fusion weights by script, and a label bias.

    Text with Hangul takes `weight_hangul`, text in Arabic script `weight_arabic` (where the n-grams help most:
    the subword vocabulary splits Arabic dialect spelling badly), the rest `weight`. `bias` is added to the fused
    log-probabilities of text without Hangul: it corrects the label mix the transformer was trained on, which
    Korean reviews with few neutral ones dominate, for tweets' balanced one. `bias_hangul` does the same for text
    with Hangul, chosen on the Korean social validation posts (reviews are rarely neutral, posts often are).
    """

    idf: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    weight: float
    weight_hangul: float
    weight_arabic: float | None = None  # None: the same as `weight`
    bias: tuple[float, float, float] = (0.0, 0.0, 0.0)
    bias_hangul: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def weights(self, texts: Sequence[str]) -> np.ndarray:
        """The fusion weight for each text, shape (n, 1)."""
        arabic = self.weight if self.weight_arabic is None else self.weight_arabic
        by_script = {"hangul": self.weight_hangul, "arabic": arabic, "other": self.weight}
        return np.array([by_script[script_of(t)] for t in texts], dtype=np.float64)[:, None]

    def biases(self, texts: Sequence[str]) -> np.ndarray:
        """The log-probability bias for each text, shape (n, 3): `bias_hangul` on text with Hangul, else `bias`."""
        bias, hangul = np.asarray(self.bias, dtype=np.float64), np.asarray(self.bias_hangul, dtype=np.float64)
        return np.array([hangul if has_hangul(t) else bias for t in texts]).reshape(len(texts), 3)

    def features(self, texts: Sequence[str]) -> object:
        """Sublinear TF-IDF rows, L2-normalised (a sparse matrix)."""
        return tfidf_rows(ngram_counts(texts), self.idf)

    def log_probs(self, texts: Sequence[str]) -> np.ndarray:
        """Log-probabilities over LABELS, shape (n, 3)."""
        logits = np.asarray(self.features(texts) @ self.coef.T) + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))

    def fuse(self, texts: Sequence[str], probs: np.ndarray) -> np.ndarray:
        """The product of experts: the transformer's probabilities times this model's to the power of its weight."""
        if not len(texts):
            return probs
        return fuse_log_probs(
            np.log(np.clip(probs, 1e-9, 1.0)), self.log_probs(texts), self.weights(texts), self.biases(texts)
        )


def fuse_log_probs(
    transformer: np.ndarray, ngram: np.ndarray, weight: float | np.ndarray, bias: float | np.ndarray = 0.0
) -> np.ndarray:
    """Fused probabilities from both experts' log-probabilities and a bias (what `NgramExpert.fuse` computes)."""
    mixed = transformer + weight * ngram + bias
    mixed -= mixed.max(axis=1, keepdims=True)
    out = np.exp(mixed)
    return out / out.sum(axis=1, keepdims=True)


def save_ngram(expert: NgramExpert, path: Path, metadata: Mapping[str, str]) -> None:
    """Write the expert in fp16 (the n-gram weights) with the fusion weight in the metadata."""
    from safetensors.numpy import save_file

    tensors = {
        "idf": np.ascontiguousarray(expert.idf, dtype=np.float16),
        "coef": np.ascontiguousarray(expert.coef, dtype=np.float16),
        "intercept": np.ascontiguousarray(expert.intercept, dtype=np.float32),
    }
    meta = {
        "format_version": NGRAM_FORMAT,
        "labels": ",".join(LABELS),
        "n_features": str(N_FEATURES),
        "ngram_range": f"{NGRAM_RANGE[0]},{NGRAM_RANGE[1]}",
        "weight": repr(float(expert.weight)),
        "weight_hangul": repr(float(expert.weight_hangul)),
        "weight_arabic": repr(float(expert.weight if expert.weight_arabic is None else expert.weight_arabic)),
        "bias": ",".join(repr(float(b)) for b in expert.bias),
        "bias_hangul": ",".join(repr(float(b)) for b in expert.bias_hangul),
    }
    save_file(tensors, str(path), metadata={**meta, **metadata})


def load_ngram(path: Path) -> NgramExpert:
    """The n-gram expert saved at `path`; ModelUnavailable when it is missing or of another format."""
    from safetensors import safe_open

    if not path.is_file():
        raise ModelUnavailable(f"the bundled sentiment model file {path} is missing; reinstall brandpulse")
    with safe_open(str(path), framework="numpy") as fh:
        meta = dict(fh.metadata() or {})
        tensors = {name: fh.get_tensor(name) for name in ("idf", "coef", "intercept")} if _fits(meta) else {}
    if not tensors:
        raise ModelUnavailable(f"{path} is not a {NGRAM_FORMAT} model over {LABELS} with {N_FEATURES} features")
    return NgramExpert(
        idf=tensors["idf"].astype(np.float32),
        coef=tensors["coef"].astype(np.float32),
        intercept=tensors["intercept"].astype(np.float32),
        weight=float(meta["weight"]),
        weight_hangul=float(meta.get("weight_hangul", meta["weight"])),
        weight_arabic=float(meta.get("weight_arabic", meta["weight"])),
        bias=tuple(float(b) for b in meta.get("bias", "0,0,0").split(",")),  # type: ignore[arg-type]
        bias_hangul=tuple(float(b) for b in meta.get("bias_hangul", "0,0,0").split(",")),  # type: ignore[arg-type]
    )


def _fits(meta: Mapping[str, str]) -> bool:
    """Whether a file's metadata matches this code's format, labels and hashing."""
    return (
        meta.get("format_version") == NGRAM_FORMAT
        and meta.get("labels") == ",".join(LABELS)
        and meta.get("n_features") == str(N_FEATURES)
        and meta.get("ngram_range") == f"{NGRAM_RANGE[0]},{NGRAM_RANGE[1]}"
    )
