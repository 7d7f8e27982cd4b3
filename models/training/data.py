"""Training and validation data for the bundled sentiment model, read from `../shared/datasets`.

Splits are stable hashes (Korean reviews by `movie_id`, tweets by text), so every script and test sees the same
validation examples; `evaluate` computes the three headline numbers the datasets README defines.
"""

from __future__ import annotations

import gzip
import html
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from models.scores import LABELS

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO.parent / "shared" / "datasets"
KO_FILE = "ko_movie_reviews_train.tsv.gz"
EN_TRAIN_FILE = "tweets_en_train.tsv"
EN_VAL_FILE = "tweets_en_val.tsv"
MULTI_FILE = "tweets_multilingual_train.tsv"
EN_VAL_GROUP = "en-tweeteval"  # distinct from UMSAB's "en", which counts among the 8 languages
EN_SEEN_GROUP = "en-tweeteval-near-duplicate"
KO_SOCIAL_VAL_FILE = Path(__file__).resolve().parent / "eval_data" / "ko_social_3class.tsv"
KO_SOCIAL_VAL_GROUP = "ko-social-val"  # validation groups are "ko-social-val:<kind>"
KO_SOCIAL_TRAIN_GROUP = "ko-social-train"
NEUTRAL_QA_KINDS = ("question", "announcement")  # the neutral kinds the Korean neutral-recall target is about


@dataclass
class Split:
    """Texts with integer labels (0 negative, 1 neutral, 2 positive) and a group tag (language or source)."""

    texts: list[str] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)

    def add(self, text: str, label: int, group: str) -> None:
        """Append one example."""
        self.texts.append(text)
        self.labels.append(label)
        self.groups.append(group)

    def extend(self, other: Split) -> None:
        """Append all examples of another split."""
        self.texts += other.texts
        self.labels += other.labels
        self.groups += other.groups


def read_tsv(path: Path) -> list[list[str]]:
    """Rows of a header-first, tab-separated, unquoted UTF-8 file (gzip by suffix)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    return [line.split("\t") for line in lines[1:] if line]


def ko_label(rating: int) -> int:
    """NSMC convention: 1–4 negative, 9–10 positive; 5–8 is mixed and serves as neutral."""
    return 0 if rating <= 4 else (2 if rating >= 9 else 1)


def in_validation(key: str, percent: int) -> bool:
    """A stable hash split (crc32), so the same movie or tweet always lands on the same side."""
    return zlib.crc32(key.encode("utf-8")) % 100 < percent


def sample_per_class(
    items: Sequence[tuple[str, int]], per_class: int | Sequence[int], rng: np.random.Generator
) -> list[int]:
    """Indices of up to `per_class` random items of each label (one count, or one per label), so no label dominates."""
    counts = [per_class] * len(LABELS) if isinstance(per_class, int) else list(per_class)
    chosen: list[int] = []
    for label in range(len(LABELS)):
        pool = [i for i, (_, lab) in enumerate(items) if lab == label]
        take = min(counts[label], len(pool))
        chosen += rng.choice(pool, size=take, replace=False).tolist()
    return sorted(chosen)


def load_korean(
    data: Path, rng: np.random.Generator, per_class: int | Sequence[int], val_per_pole: int
) -> tuple[Split, Split]:
    """Korean reviews: balanced 3-class training sample; NSMC-style binary validation, split by movie_id."""
    train_pool: list[tuple[str, int]] = []
    val_pool: list[tuple[str, int]] = []
    seen: set[str] = set()
    for review_id, movie_id, rating, text in read_tsv(data / KO_FILE):
        text = text.strip()
        if not text or text in seen or not review_id:
            continue
        seen.add(text)
        target = val_pool if in_validation("movie:" + movie_id, 15) else train_pool
        target.append((text, ko_label(int(rating))))
    train, val = Split(), Split()
    poles = [(t, lab) for t, lab in val_pool if lab != 1]  # NSMC ignores ratings 5–8
    # Validation is drawn first, so it stays the same whatever the training sample's size.
    for i in sample_per_class(poles, val_per_pole, rng):
        val.add(poles[i][0], poles[i][1], "ko")
    for i in sample_per_class(train_pool, per_class, rng):
        train.add(train_pool[i][0], train_pool[i][1], "ko")
    return train, val


def tweet_key(text: str) -> str:
    """A tweet with links, handles, entities, case and punctuation normalised: near-duplicates share it."""
    text = html.unescape(text.lower())
    text = re.sub(r"https?://\S+", " ", text)
    text = re.sub(r"@\w+", "@user", text)  # TweetEval replaced every handle with @user
    return " ".join(re.sub(r"[^\w@#]+", " ", text).split())


def load_english(data: Path, rng: np.random.Generator, per_class: int | Sequence[int]) -> tuple[Split, Split]:
    """English tweets: training sample from the train pool minus every validation text; TweetEval validation.

    About half the validation tweets have a near-duplicate in the training file (same tweet, other links,
    handles anonymised); only exact copies leave the pool, so those are tagged EN_SEEN_GROUP and `evaluate`
    reports English on the rest (EN_VAL_GROUP), which no model trained here has seen in any form.
    """
    index = {name: i for i, name in enumerate(LABELS)}
    val_rows = [(text, index[label]) for _, label, text in read_tsv(data / EN_VAL_FILE)]
    held_out = {text for text, _ in val_rows}  # ~90% of the validation tweets also sit in the training file
    pool = [(text, index[label]) for _, label, text in read_tsv(data / EN_TRAIN_FILE) if text not in held_out]
    pool_keys = {tweet_key(text) for text, _ in pool}
    val = Split()
    for text, label in val_rows:
        val.add(text, label, EN_SEEN_GROUP if tweet_key(text) in pool_keys else EN_VAL_GROUP)
    pool = list(dict(pool).items())
    train = Split()
    for i in sample_per_class(pool, per_class, rng):
        train.add(pool[i][0], pool[i][1], "en-semeval")
    return train, val


def without_group(split: Split, group: str, near: Split | None = None) -> Split:
    """A copy of the split without one group's examples, nor tweets that near-duplicate a text of `near`."""
    banned = {tweet_key(text) for text in near.texts} if near is not None else set()
    out = Split()
    for text, label, name in zip(split.texts, split.labels, split.groups, strict=True):
        if name != group and tweet_key(text) not in banned:
            out.add(text, label, name)
    return out


def load_multilingual(data: Path, rng: np.random.Generator, train_per_class: int) -> tuple[Split, Split]:
    """UMSAB tweets in 8 languages: a hash split per tweet, then a balanced sample per language and class."""
    index = {name: i for i, name in enumerate(LABELS)}
    by_lang: dict[str, tuple[list[tuple[str, int]], list[tuple[str, int]]]] = {}
    for lang, label, text in read_tsv(data / MULTI_FILE):
        train_pool, val_pool = by_lang.setdefault(lang, ([], []))
        (val_pool if in_validation(f"{lang}:{text}", 15) else train_pool).append((text, index[label]))
    train, val = Split(), Split()
    for lang in sorted(by_lang):
        train_pool, val_pool = by_lang[lang]
        for i in sample_per_class(train_pool, train_per_class, rng):
            train.add(train_pool[i][0], train_pool[i][1], lang)
        for text, label in val_pool:
            val.add(text, label, lang)
    return train, val


def read_ko_social(path: Path = KO_SOCIAL_VAL_FILE) -> Split:
    """The hand-written Korean 3-class social validation set (label, kind, text), grouped by kind."""
    index = {name: i for i, name in enumerate(LABELS)}
    posts = Split()
    for label, kind, text in read_tsv(path):
        posts.add(text, index[label], f"{KO_SOCIAL_VAL_GROUP}:{kind}")
    return posts


def load_ko_social_train(per_class: int, seed: int) -> Split:
    """Generated Korean social posts (`models/training/ko_social_corpus.py`): neutral and polar in the same styles."""
    from models.training.ko_social_corpus import generate

    index = {name: i for i, name in enumerate(LABELS)}
    train = Split()
    if per_class > 0:
        for post in generate(per_class, seed):
            train.add(post.text, index[post.label], KO_SOCIAL_TRAIN_GROUP)
    return train


def social_mask(groups: np.ndarray) -> np.ndarray:
    """Which examples belong to the Korean 3-class social validation set (groups "ko-social-val:<kind>")."""
    return np.char.startswith(groups.astype(str), KO_SOCIAL_VAL_GROUP + ":")


def ko_social_metrics(probs: np.ndarray, split: Split) -> dict[str, float]:
    """Korean social 3-class macro-F1 and accuracy, and neutral recall on questions and announcements."""
    from sklearn.metrics import f1_score

    groups = np.asarray(split.groups)
    social = social_mask(groups)
    if not social.any():
        return {}
    y, pred = np.asarray(split.labels)[social], probs[social].argmax(1)
    kinds = np.array([str(g).split(":", 1)[1] for g in groups[social]])
    qa = np.isin(kinds, NEUTRAL_QA_KINDS) & (y == 1)
    return {
        "ko_social_macro_f1": float(f1_score(y, pred, average="macro", labels=[0, 1, 2])),
        "ko_social_accuracy_3class": float((pred == y).mean()),
        "ko_social_neutral_recall_qa": float((pred[qa] == 1).mean()) if qa.any() else float("nan"),
        "ko_social_neutral_recall": float((pred[y == 1] == 1).mean()) if (y == 1).any() else float("nan"),
    }


def evaluate(probs: np.ndarray, split: Split) -> dict[str, float]:
    """English macro-recall, 8-language average macro-F1, Korean NSMC binary accuracy (and Korean social 3-class)."""
    from sklearn.metrics import accuracy_score, f1_score, recall_score

    y = np.asarray(split.labels)
    groups = np.asarray(split.groups)
    metrics: dict[str, float] = {}
    en = groups == EN_VAL_GROUP
    metrics["en_tweets_macro_recall"] = float(recall_score(y[en], probs[en].argmax(1), average="macro"))
    every_en = en | (groups == EN_SEEN_GROUP)
    if every_en.sum() > en.sum():  # the whole validation set, near-duplicates of training tweets included
        recall = recall_score(y[every_en], probs[every_en].argmax(1), average="macro")
        metrics["en_tweets_macro_recall_with_near_duplicates"] = float(recall)
    ko = groups == "ko"
    # Binary NSMC convention: argmax over negative vs positive only.
    ko_pred = np.where(probs[ko, 2] > probs[ko, 0], 2, 0)
    metrics["ko_reviews_binary_accuracy"] = float(accuracy_score(y[ko], ko_pred))
    social = social_mask(groups)
    langs = sorted(set(groups[~every_en & (groups != "ko") & ~social].tolist()))
    per_lang = {}
    for lang in langs:
        m = groups == lang
        per_lang[lang] = float(f1_score(y[m], probs[m].argmax(1), average="macro"))
    metrics["multilingual_avg_macro_f1"] = float(np.mean(list(per_lang.values())))
    metrics.update({f"multilingual_macro_f1_{lang}": value for lang, value in per_lang.items()})
    metrics.update(ko_social_metrics(probs, split))
    return metrics
