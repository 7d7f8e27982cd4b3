"""Fit the bundled model's character n-gram expert and choose its fusion weight.

Run from the repository root after `python -m models.train`: `python -m models.train_ngram` (about 10 minutes on
2 CPU cores). It rebuilds the training and validation split from the command recorded in
`models/bundled/training.json`, adds more Korean training reviews (the n-gram model is cheap, so it
can read more of them than the transformer did; validation movies stay out), drops near-duplicates of the
validation tweets, fits sublinear TF-IDF over
hashed character 1–4-grams with a multinomial logistic regression, then scores the validation split with the
transformer alone and picks the fusion weight by the mean of the three validation targets. Writes
`models/bundled/ngram.safetensors` and `models/bundled/ngram.json`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from models.ngram import NGRAM_FILE, NgramExpert, fuse_log_probs, load_ngram, ngram_counts, save_ngram
from models.training_data import Split, evaluate, load_korean, tweet_key

BUNDLED_DIR = Path(__file__).resolve().parent / "bundled"
WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0)


def fit(train: Split, c: float, seed: int) -> NgramExpert:
    """TF-IDF over hashed n-grams and a multinomial logistic regression (fusion weights left at 1)."""
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.linear_model import LogisticRegression

    counts = ngram_counts(train.texts)
    tfidf = TfidfTransformer(sublinear_tf=True)
    x = tfidf.fit_transform(counts)
    clf = LogisticRegression(C=c, max_iter=300, random_state=seed)
    clf.fit(x, train.labels)
    return NgramExpert(
        idf=tfidf.idf_.astype(np.float32),
        coef=np.ascontiguousarray(clf.coef_, dtype=np.float32),
        intercept=clf.intercept_.astype(np.float32),
        weight=1.0,
        weight_hangul=1.0,
    )


def without_group(split: Split, group: str, near: Split | None = None) -> Split:
    """A copy of the split without one group's examples, nor tweets that near-duplicate a text of `near`."""
    banned = {tweet_key(text) for text in near.texts} if near is not None else set()
    out = Split()
    for text, label, name in zip(split.texts, split.labels, split.groups, strict=True):
        if name != group and tweet_key(text) not in banned:
            out.add(text, label, name)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Fit the expert on the recorded split plus more Korean reviews; pick and save the fusion weight."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=BUNDLED_DIR, help="folder with training.json")
    parser.add_argument("--ko-per-class", type=int, default=80_000, help="Korean reviews per class for the n-grams")
    parser.add_argument("--C", type=float, default=3.0)
    parser.add_argument("--refit", action="store_true", help="fit the n-grams again even if ngram.safetensors exists")
    args = parser.parse_args(argv)

    from models.sentiment import load_bundled, set_torch_threads
    from models.train import build_parser, build_splits, headline

    training = json.loads((args.out / "training.json").read_text(encoding="utf-8"))
    train_args = build_parser().parse_args(training["command"].split()[3:])
    train, val, _ = build_splits(train_args)
    path = args.out / NGRAM_FILE
    if path.is_file() and not args.refit:  # the transformer changed, the n-grams did not: only re-pick weights
        expert = load_ngram(path)
        fitted = json.loads((args.out / "ngram.json").read_text(encoding="utf-8"))["fit"]
        print(f"reusing {path} (fit again with --refit)", flush=True)
    else:
        more_korean, _ = load_korean(train_args.data, np.random.default_rng(train_args.seed + 1), args.ko_per_class, 0)
        # An n-gram model memorises: near-duplicates of validation tweets would make the fusion weights look better.
        ngram_train = without_group(train, "ko", near=val)
        ngram_train.extend(more_korean)
        started = time.monotonic()
        expert = fit(ngram_train, args.C, train_args.seed)
        fitted = {
            "train_texts": len(ngram_train.texts),
            "korean_train_texts": len(more_korean.texts),
            "ko_per_class": args.ko_per_class,
            "C": args.C,
            "seconds": round(time.monotonic() - started, 1),
        }
        print(f"fitted on {len(ngram_train.texts):,} texts in {fitted['seconds']:.0f}s", flush=True)

    set_torch_threads()
    transformer = load_bundled(precision="bf16", ngram=False).predict_probs(val.texts)
    log_transformer = np.log(np.clip(transformer, 1e-9, 1.0))
    log_ngram = expert.log_probs(val.texts)
    curve = []
    for weight in WEIGHTS:
        metrics = evaluate(fuse_log_probs(log_transformer, log_ngram, weight), val)
        rounded = {k: round(v, 4) for k, v in metrics.items()}
        curve.append({"weight": weight, "headline": round(headline(metrics), 4), **rounded})
        print(json.dumps(curve[-1]), flush=True)
    # One weight for all text, by the mean of the three targets. A heavier weight for Hangul text alone gained
    # about 1.5 points on the Korean reviews but lost several on the Korean social posts: the expert learnt
    # movie-review n-grams, and overfitting that domain is not worth it.
    expert.weight = expert.weight_hangul = max(curve, key=lambda row: row["headline"])["weight"]
    alone = evaluate(np.exp(log_ngram), val)
    save_ngram(expert, path, {"C": str(fitted["C"]), "seed": str(train_args.seed)})
    record = {
        "command": ("python -m models.train_ngram " + " ".join(sys.argv[1:] if argv is None else argv)).strip(),
        "fit": fitted,
        "weight": expert.weight,
        "weight_hangul": expert.weight_hangul,
        "ngram_alone": {k: round(v, 4) for k, v in alone.items()},
        "weights": curve,
    }
    (args.out / "ngram.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"fusion weights: {expert.weight} (other text), {expert.weight_hangul} (Hangul)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
