"""Fit the bundled model's n-gram experts and choose their fusion weights.

Run from the repository root after `python -m models.training.train`: `python -m models.training.train_ngram`
(about 12 minutes on 2 CPU cores). It rebuilds the training and validation split from the command recorded in
`models/sentiment/bundled/training.json` and fits two experts:
- the 3-class character n-gram expert (`models/sentiment/ngram.py`) on the split's tweets (minus near-duplicates of the
  validation tweets) and more Korean training reviews than the transformer read (the n-gram model is cheap;
  validation movies stay out): sublinear TF-IDF over hashed character 1–4-grams, multinomial logistic regression;
- the Korean polarity expert (`models/sentiment/polarity.py`) on every 1–4 star training review and as many 9–10
  star ones:
  character 1–4-grams, word 1–2-grams and Kiwi morpheme 1–2-grams, binary logistic regression.
Then it scores the validation split with the transformer alone and picks the weights: the one for text without
Hangul by the English and 8-language targets, the two for Hangul text by Korean review accuracy, among the
pairs that score the hand-written Korean social posts no worse than the transformer alone, give or take one
post if `--social-slack 1` says so.
Writes `ngram.safetensors`, `ko_polarity.safetensors` and `ngram.json` in `models/sentiment/bundled/`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from models.sentiment.ngram import (
    NGRAM_FILE,
    NgramExpert,
    fuse_log_probs,
    load_ngram,
    ngram_counts,
    save_ngram,
    script_of,
)
from models.sentiment.polarity import (
    POLARITY_FILE,
    PolarityExpert,
    load_polarity,
    polarity_counts,
    save_polarity,
    shift_polarity,
)
from models.training.data import Split, evaluate, load_korean, without_group

BUNDLED_DIR = Path(__file__).resolve().parents[1] / "sentiment" / "bundled"
WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0)
POLARITY_WEIGHTS = (0.0, 0.5, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0)
GRID_KEYS = (
    "other", "korean", "social", "social_binary", "social3", "en_tweets_macro_recall", "multilingual_avg_macro_f1"
)
BIASES = (-0.3, -0.2, -0.1, 0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
HANGUL_NEUTRAL_BIASES = (-0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5)
HANGUL_POSITIVE_BIASES = (-0.3, -0.2, -0.1, 0.0, 0.1, 0.2, 0.3)


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


def fit_polarity(korean: Split, c: float, seed: int, with_morphemes: bool = False) -> PolarityExpert:
    """TF-IDF over the polarity features and a binary logistic regression on negative (0) vs positive (2) reviews."""
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.linear_model import LogisticRegression

    keep = [i for i, label in enumerate(korean.labels) if label != 1]
    tfidf = TfidfTransformer(sublinear_tf=True)
    x = tfidf.fit_transform(polarity_counts([korean.texts[i] for i in keep], with_morphemes))
    clf = LogisticRegression(C=c, max_iter=500, class_weight="balanced", random_state=seed)
    clf.fit(x, [int(korean.labels[i] == 2) for i in keep])
    return PolarityExpert(
        idf=tfidf.idf_.astype(np.float32),
        coef=np.ascontiguousarray(clf.coef_[0], dtype=np.float32),
        intercept=float(clf.intercept_[0]),
        weight=1.0,
        with_morphemes=with_morphemes,
    )


def pick_weights(
    log_transformer: np.ndarray,
    log_ngram: np.ndarray,
    logits: np.ndarray,
    script: np.ndarray,
    score: Callable[[np.ndarray], dict[str, float]],
    slack: tuple[float, float] = (0.0, 0.0),
    *,
    floors: dict[str, float] | None = None,
    social3_slack: float = 0.0,
) -> tuple[dict[str, float], list[dict[str, float]]]:
    """The fusion settings chosen on validation, and every scored setting they were chosen from.

    `script` says per text "hangul", "arabic" or "other". `score` maps fused probabilities to "other" (the targets
    on text without Hangul), "korean" (review accuracy), "social" / "social_binary" (the 55 hand-written Korean
    posts) and, when the split has them, "social3" (macro-F1 on the Korean 3-class social validation set). One
    setting at a time, each keeping the ones chosen before: the weight for other text, the one for Arabic script,
    the label bias (neutral, positive) for text without Hangul, all by "other"; then the Hangul pair (n-gram
    weight, polarity weight) by "korean" among pairs that score the posts at least as well as the transformer
    alone, less `slack` (social, social_binary; social3 too, without slack); then the label bias for text with
    Hangul by "social3" (it moves neutral, which review accuracy, negative vs positive, does not see). Smaller
    settings win ties. `floors` (metric → minimum, e.g. the shipped model's English and 8-language numbers) keeps
    the settings for text without Hangul to rows that reach every floor, when any does, so a retrained transformer
    cannot trade one target away for another; `social3_slack` is how much "social3" a Hangul pair may lose.
    """
    hangul = script == "hangul"
    logits = np.where(hangul, logits, 0.0)  # a zero logit leaves a row as it is
    grid: list[dict[str, float]] = []

    def fused(**choice: float) -> dict[str, float]:
        weights = np.select(
            [hangul, script == "arabic"], [choice["weight_hangul"], choice["weight_arabic"]], choice["weight"]
        )[:, None]
        bias = np.where(
            hangul[:, None],
            np.array([0.0, choice["bias_hangul_neutral"], choice["bias_hangul_positive"]]),
            np.array([0.0, choice["bias_neutral"], choice["bias_positive"]]),
        )
        probs = fuse_log_probs(log_transformer, log_ngram, weights, bias)
        probs = shift_polarity(probs, logits, choice["polarity_weight"])
        row = {**choice, **{k: round(v, 4) for k, v in score(probs).items()}}
        grid.append(row)
        return row

    def size(row: dict[str, float], keys: Sequence[str]) -> float:
        return -sum(abs(row[k]) for k in keys)

    choice = dict.fromkeys(("weight", "weight_arabic", "weight_hangul", "polarity_weight"), 0.0)
    choice.update(bias_neutral=0.0, bias_positive=0.0, bias_hangul_neutral=0.0, bias_hangul_positive=0.0)
    def floored(rows: list[dict[str, float]]) -> list[dict[str, float]]:
        return [r for r in rows if all(r[k] >= v - 1e-9 for k, v in (floors or {}).items())] or rows

    rows = [fused(**{**choice, "weight": w, "weight_arabic": w}) for w in WEIGHTS]
    choice["weight"] = choice["weight_arabic"] = max(rows, key=lambda r: (r["other"], -r["weight"]))["weight"]
    rows = [fused(**{**choice, "weight_arabic": w}) for w in WEIGHTS]
    choice["weight_arabic"] = max(rows, key=lambda r: (r["other"], -r["weight_arabic"]))["weight_arabic"]
    rows = [fused(**{**choice, "bias_neutral": b1, "bias_positive": b2}) for b1 in BIASES for b2 in BIASES]
    best = max(floored(rows), key=lambda r: (r["other"], size(r, ("bias_neutral", "bias_positive"))))
    choice.update(bias_neutral=best["bias_neutral"], bias_positive=best["bias_positive"])
    pairs = [(wh, wp) for wh in WEIGHTS for wp in POLARITY_WEIGHTS]
    korean = [fused(**{**choice, "weight_hangul": wh, "polarity_weight": wp}) for wh, wp in pairs]
    alone = korean[0]  # both Hangul weights 0: the transformer alone on Korean text
    floor = (alone["social"] - slack[0] - 1e-9, alone["social_binary"] - slack[1] - 1e-9)
    allowed = [r for r in korean if r["social"] >= floor[0] and r["social_binary"] >= floor[1]]
    if "social3" in alone:
        allowed = [r for r in allowed if r["social3"] >= alone["social3"] - social3_slack - 1e-9] or allowed
    best = max(allowed, key=lambda r: (r["korean"], size(r, ("weight_hangul", "polarity_weight"))))
    choice.update(weight_hangul=best["weight_hangul"], polarity_weight=best["polarity_weight"])
    if "social3" in alone:
        biases = [(b1, b2) for b1 in HANGUL_NEUTRAL_BIASES for b2 in HANGUL_POSITIVE_BIASES]
        rows = [fused(**{**choice, "bias_hangul_neutral": b1, "bias_hangul_positive": b2}) for b1, b2 in biases]
        best = max(rows, key=lambda r: (r["social3"], size(r, ("bias_hangul_neutral", "bias_hangul_positive"))))
        choice.update({k: best[k] for k in ("bias_hangul_neutral", "bias_hangul_positive")})
    return choice, grid


def main(argv: Sequence[str] | None = None) -> int:
    """Fit both experts on the recorded split plus more Korean reviews; pick and save the fusion weights."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=BUNDLED_DIR, help="folder with training.json")
    parser.add_argument("--ko-per-class", type=int, default=80_000, help="Korean reviews per class for the n-grams")
    parser.add_argument("--C", type=float, default=3.0)
    parser.add_argument("--ko-polar-per-pole", type=int, default=90_000, help="reviews per pole, polarity expert")
    parser.add_argument("--polarity-C", type=float, default=3.0)
    parser.add_argument(
        "--morphemes", action=argparse.BooleanOptionalAction, default=True, help="polarity expert reads Kiwi morphemes"
    )
    parser.add_argument(
        "--social-slack", type=int, default=0, help="Korean social posts the Hangul weights may lose vs the transformer"
    )
    parser.add_argument(
        "--social3-slack", type=float, default=0.0, help="Korean 3-class social macro-F1 the Hangul pair may lose"
    )
    parser.add_argument(
        "--floor", action="append", default=[], metavar="METRIC=VALUE",
        help="a validation metric the settings for text without Hangul must keep (e.g. the shipped model's)",
    )
    parser.add_argument("--refit", action="store_true", help="fit the experts again even if their files exist")
    args = parser.parse_args(argv)

    from models.sentiment.loader import load_bundled, set_torch_threads
    from models.training.evaluate_bundled import read_social_posts, social_metrics
    from models.training.train import build_parser, build_splits

    training = json.loads((args.out / "training.json").read_text(encoding="utf-8"))
    train_args = build_parser().parse_args(training["command"].split()[3:])
    train, val, _ = build_splits(train_args)
    path, polarity_path = args.out / NGRAM_FILE, args.out / POLARITY_FILE
    if path.is_file() and polarity_path.is_file() and not args.refit:
        # The transformer changed, the n-grams did not: only re-pick the weights.
        expert, polarity = load_ngram(path), load_polarity(polarity_path)
        previous = json.loads((args.out / "ngram.json").read_text(encoding="utf-8"))
        fitted, polarity_fitted = previous["fit"], previous["polarity_fit"]
        print(f"reusing {path} and {polarity_path} (fit again with --refit)", flush=True)
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
        print(f"3-class n-grams: fitted on {len(ngram_train.texts):,} texts in {fitted['seconds']:.0f}s", flush=True)
        poles = (args.ko_polar_per_pole, 0, args.ko_polar_per_pole)
        polar_korean, _ = load_korean(train_args.data, np.random.default_rng(train_args.seed + 2), poles, 0)
        started = time.monotonic()
        polarity = fit_polarity(polar_korean, args.polarity_C, train_args.seed, args.morphemes)
        polarity_fitted = {
            "train_texts": len(polar_korean.texts),
            "negative": polar_korean.labels.count(0),
            "positive": polar_korean.labels.count(2),
            "C": args.polarity_C,
            "morphemes": args.morphemes,
            "seconds": round(time.monotonic() - started, 1),
        }
        took = polarity_fitted["seconds"]
        print(f"polarity: fitted on {len(polar_korean.texts):,} reviews in {took:.0f}s", flush=True)

    posts = read_social_posts()
    texts = val.texts + posts.texts
    set_torch_threads()
    transformer = load_bundled(precision="bf16", ngram=False).predict_probs(texts)
    script = np.array([script_of(t) for t in texts])
    n = len(val.texts)

    def score(probs: np.ndarray) -> dict[str, float]:
        metrics = evaluate(probs[:n], val)
        social = social_metrics(probs[n:], posts)
        return {
            "other": float(np.mean([metrics["en_tweets_macro_recall"], metrics["multilingual_avg_macro_f1"]])),
            "korean": metrics["ko_reviews_binary_accuracy"],
            "social": social["ko_social_accuracy"],
            "social_binary": social["ko_social_binary_accuracy"],
            **({"social3": metrics["ko_social_macro_f1"]} if "ko_social_macro_f1" in metrics else {}),
            **metrics,
        }

    log_transformer = np.log(np.clip(transformer, 1e-9, 1.0))
    log_ngram = expert.log_probs(texts)
    logits = polarity.logits(texts)
    # Slack in posts (default none): 55 posts are a check against collapse, too few to trade finely against.
    polar_posts = sum(1 for label in posts.labels if label != 1)
    slack = (args.social_slack / len(posts.texts), args.social_slack / polar_posts)
    floors = {k: float(v) for k, v in (item.split("=", 1) for item in args.floor)}
    choice, grid = pick_weights(
        log_transformer, log_ngram, logits, script, score, slack, floors=floors, social3_slack=args.social3_slack
    )
    expert.weight, expert.weight_hangul = choice["weight"], choice["weight_hangul"]
    expert.weight_arabic = choice["weight_arabic"]
    expert.bias = (0.0, choice["bias_neutral"], choice["bias_positive"])
    expert.bias_hangul = (0.0, choice["bias_hangul_neutral"], choice["bias_hangul_positive"])
    polarity.weight = choice["polarity_weight"]
    save_ngram(expert, path, {"C": str(fitted["C"]), "seed": str(train_args.seed)})
    save_polarity(polarity, polarity_path, {"C": str(polarity_fitted["C"]), "seed": str(train_args.seed)})
    alone = evaluate(np.exp(log_ngram[:n]), val)
    ko = np.asarray(val.groups) == "ko"
    polarity_alone = float(((logits[:n] > 0) == (np.asarray(val.labels) == 2))[ko].mean())
    record = {
        "command": " ".join(["python -m models.training.train_ngram", *(sys.argv[1:] if argv is None else argv)]),
        "fit": fitted,
        "polarity_fit": polarity_fitted,
        **choice,
        "social_slack_posts": args.social_slack,
        "social3_slack": args.social3_slack,
        "floors": floors,
        "ngram_alone": {k: round(v, 4) for k, v in alone.items()},
        "polarity_alone_ko_reviews_binary_accuracy": round(polarity_alone, 4),
        "chosen": next(r for r in reversed(grid) if all(r[k] == v for k, v in choice.items())),
        # The grid's headline numbers only; the chosen row above has every metric.
        "weights": [{k: v for k, v in row.items() if k in GRID_KEYS or k in choice} for row in grid],
    }
    (args.out / "ngram.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"fusion: {json.dumps(choice)}; validation: {json.dumps(record['chosen'])}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
