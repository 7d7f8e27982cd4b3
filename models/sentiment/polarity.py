"""The bundled model's third expert: Korean negative-vs-positive from hashed character and word n-grams.

Korean reviews and posts carry much of their polarity in spelling the subword vocabulary splits badly (어이없네,
노잼, 개꿀, ㅡㅡ), and a binary model over hundreds of thousands of 1–4 and 9–10 star reviews reads it better
than a 3-class one, whose mixed 5–8 star middle blurs the line. So for text with Hangul this expert moves
probability between negative and positive by its logit z, p(pos)/p(neg) scaled by exp(weight · z), and leaves
p(neutral) as the other experts set it: it decides which way a post leans, not whether it leans at all.

Stored small: the weights as int8 and the idf as uint8, each with its scale (rounding moves a logit by about 0.01).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.errors import ModelUnavailable
from models.sentiment.ngram import tfidf_rows
from models.text.hangul import has_hangul

POLARITY_FILE = "ko_polarity.safetensors"
POLARITY_FORMAT = "bundled-ko-polarity-v1"
POLARITY_FEATURES = 2**19
CHAR_RANGE = (1, 4)
WORD_RANGE = (1, 2)


def morphemes(texts: Sequence[str]) -> list[str]:
    """Each text as its Kiwi morphemes tagged with their part of speech's first letter (먹/V 었/E), space-separated."""
    from models.text.korean import kiwi

    return [" ".join(f"{t.form}/{t.tag[0]}" for t in tokens) for tokens in kiwi().tokenize(list(texts))]


def polarity_counts(texts: Sequence[str], with_morphemes: bool = False) -> object:
    """Hashed counts of character 1–4-grams, whitespace word 1–2-grams and, optionally, Kiwi morpheme 1–2-grams."""
    from sklearn.feature_extraction.text import HashingVectorizer

    options = {"n_features": POLARITY_FEATURES, "alternate_sign": False, "norm": None}
    chars = HashingVectorizer(analyzer="char_wb", ngram_range=CHAR_RANGE, **options)
    # Korean words carry their particles and endings (별로네요, 최악임): whole space-separated words and pairs.
    words = HashingVectorizer(analyzer="word", ngram_range=WORD_RANGE, token_pattern=r"\S+", **options)
    items = list(texts)
    counts = chars.transform(items) + words.transform(items)
    if with_morphemes:  # spacing errors and glued endings (별로네요 vs 별로 네요) share their morphemes
        tagged = HashingVectorizer(
            analyzer="word", ngram_range=WORD_RANGE, token_pattern=r"\S+", lowercase=False, **options
        )
        counts = counts + tagged.transform(morphemes(items))
    return counts.tocsr()


def quantise(values: np.ndarray, dtype: type[np.integer]) -> tuple[np.ndarray, float, float]:
    """Values as evenly spaced integer steps of `dtype` (int8: symmetric around 0), with offset and step."""
    info = np.iinfo(dtype)
    if info.min < 0:
        offset, step = 0.0, float(np.abs(values).max()) / info.max
    else:
        offset, step = float(values.min()), float(values.max() - values.min()) / info.max
    step = step or 1.0
    return np.round((values - offset) / step).astype(dtype), offset, step


@dataclass
class PolarityExpert:
    """idf and coef (POLARITY_FEATURES,), intercept, the fusion weight of its logit, and whether it reads morphemes."""

    idf: np.ndarray
    coef: np.ndarray
    intercept: float
    weight: float
    with_morphemes: bool = False

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        """log p(positive) / p(negative) for each text, shape (n,)."""
        features = tfidf_rows(polarity_counts(texts, self.with_morphemes), self.idf)
        return np.asarray(features @ self.coef).ravel() + self.intercept

    def shift(self, texts: Sequence[str], probs: np.ndarray) -> np.ndarray:
        """Probabilities with this expert's vote on the texts with Hangul (the rest as they are)."""
        rows = [i for i, text in enumerate(texts) if has_hangul(text)]
        if not rows or self.weight == 0.0:
            return probs
        out = probs.copy()
        out[rows] = shift_polarity(probs[rows], self.logits([texts[i] for i in rows]), self.weight)
        return out


def shift_polarity(probs: np.ndarray, logits: np.ndarray, weight: float) -> np.ndarray:
    """Rows of (neg, neu, pos) with p(pos)/p(neg) multiplied by exp(weight · logit) and p(neutral) kept."""
    eps = 1e-9
    polar = probs[:, 0] + probs[:, 2]
    lean = np.log(np.clip(probs[:, 2], eps, 1.0)) - np.log(np.clip(probs[:, 0], eps, 1.0)) + weight * logits
    positive = polar / (1.0 + np.exp(-np.clip(lean, -50.0, 50.0)))
    return np.stack([polar - positive, probs[:, 1], positive], axis=1)


def save_polarity(expert: PolarityExpert, path: Path, metadata: Mapping[str, str]) -> None:
    """Write the expert: int8 weights and uint8 idf with their scales, the fusion weight in the metadata."""
    from safetensors.numpy import save_file

    coef, _, coef_step = quantise(expert.coef, np.int8)
    idf, idf_offset, idf_step = quantise(expert.idf, np.uint8)
    meta = {
        "format_version": POLARITY_FORMAT,
        "n_features": str(POLARITY_FEATURES),
        "char_range": f"{CHAR_RANGE[0]},{CHAR_RANGE[1]}",
        "word_range": f"{WORD_RANGE[0]},{WORD_RANGE[1]}",
        "coef_step": repr(coef_step),
        "idf_offset": repr(idf_offset),
        "idf_step": repr(idf_step),
        "intercept": repr(float(expert.intercept)),
        "weight": repr(float(expert.weight)),
        "morphemes": "kiwi" if expert.with_morphemes else "none",
    }
    save_file({"coef": coef, "idf": idf}, str(path), metadata={**meta, **metadata})


def load_polarity(path: Path) -> PolarityExpert:
    """The polarity expert saved at `path`; ModelUnavailable when it is missing or of another format."""
    from safetensors import safe_open

    if not path.is_file():
        raise ModelUnavailable(f"the bundled sentiment model file {path} is missing; reinstall brandpulse")
    with safe_open(str(path), framework="numpy") as fh:
        meta = dict(fh.metadata() or {})
        fits = (
            meta.get("format_version") == POLARITY_FORMAT
            and meta.get("n_features") == str(POLARITY_FEATURES)
            and meta.get("char_range") == f"{CHAR_RANGE[0]},{CHAR_RANGE[1]}"
            and meta.get("word_range") == f"{WORD_RANGE[0]},{WORD_RANGE[1]}"
        )
        tensors = {name: fh.get_tensor(name) for name in ("coef", "idf")} if fits else {}
    if not tensors:
        raise ModelUnavailable(f"{path} is not a {POLARITY_FORMAT} model with {POLARITY_FEATURES} features")
    return PolarityExpert(
        idf=tensors["idf"].astype(np.float32) * float(meta["idf_step"]) + float(meta["idf_offset"]),
        coef=tensors["coef"].astype(np.float32) * float(meta["coef_step"]),
        intercept=float(meta["intercept"]),
        weight=float(meta["weight"]),
        with_morphemes=meta.get("morphemes") == "kiwi",
    )
