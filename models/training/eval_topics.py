"""Measure topic detection and topic sentiment on the hand-labelled sets in tests/data; calibrate thresholds.

    python -m models.training.eval_topics              # report on the test half with the taxonomy's thresholds
    python -m models.training.eval_topics --calibrate  # fit per-topic thresholds on the calibration half, then report
    python -m models.training.eval_topics --taxonomy examples/taxonomies/hotel.toml \
        --data tests/data/topics_eval_hotel.jsonl

Rows alternate between the halves by position (row 1, 3, 5… calibrate; 2, 4, 6… test). The Korean and English
files are parallel (row n is the same situation in both languages), so a situation is never calibrated in one
language and tested in the other.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from models.text.taxonomy import Taxonomy, load_taxonomy
from models.text.topics import TopicScorer

DATA_DIR = Path(__file__).resolve().parents[2] / "tests" / "data"
DEFAULT_FILES = (DATA_DIR / "topics_eval_en.jsonl", DATA_DIR / "topics_eval_ko.jsonl")


@dataclass
class Example:
    """One labelled mention: its topics and each topic's sentiment."""

    id: str
    lang: str
    text: str
    topics: dict[str, str]
    position: int

    @property
    def calibration(self) -> bool:
        """Whether the row belongs to the calibration half (odd positions, 1-based)."""
        return self.position % 2 == 1


def read_examples(paths: Sequence[Path]) -> list[Example]:
    """Labelled examples from JSONL files with id, lang, text and topics {name: sentiment}."""
    out: list[Example] = []
    for path in paths:
        with path.open(encoding="utf-8") as fh:
            for position, line in enumerate(fh, start=1):
                if line.strip():
                    row = json.loads(line)
                    out.append(Example(row["id"], row["lang"], row["text"], dict(row["topics"]), position))
    return out


@dataclass
class Report:
    """Micro/macro F1 of topic detection, per-topic F1 and topic-sentiment accuracy."""

    micro_f1: float
    macro_f1: float
    precision: float
    recall: float
    sentiment_accuracy: float
    sentiment_pairs: int
    per_topic: dict[str, float] = field(default_factory=dict)
    n: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Rounded numbers for printing and docs."""
        return {
            "n": self.n,
            "micro_f1": round(self.micro_f1, 3),
            "macro_f1": round(self.macro_f1, 3),
            "precision": round(self.precision, 3),
            "recall": round(self.recall, 3),
            "topic_sentiment_accuracy": round(self.sentiment_accuracy, 3),
            "topic_sentiment_pairs": self.sentiment_pairs,
            "per_topic_f1": {k: round(v, 3) for k, v in self.per_topic.items()},
        }


def f1(tp: int, fp: int, fn: int) -> float:
    """F1 from counts (0 when undefined)."""
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def evaluate(
    examples: Sequence[Example], predicted: Sequence[dict[str, str | None]], topics: Sequence[str]
) -> Report:
    """Compare predicted {topic: sentiment} per example with the labels."""
    counts = {t: [0, 0, 0] for t in topics}
    right = pairs = 0
    for example, guess in zip(examples, predicted, strict=True):
        for topic in topics:
            gold, pred = topic in example.topics, topic in guess
            counts[topic][0] += gold and pred
            counts[topic][1] += pred and not gold
            counts[topic][2] += gold and not pred
            if gold and pred:
                pairs += 1
                right += guess[topic] == example.topics[topic]
    tp, fp, fn = (sum(c[i] for c in counts.values()) for i in range(3))
    per_topic = {t: f1(*c) for t, c in counts.items()}
    return Report(
        micro_f1=f1(tp, fp, fn),
        macro_f1=float(np.mean(list(per_topic.values()))),
        precision=tp / (tp + fp) if tp + fp else 0.0,
        recall=tp / (tp + fn) if tp + fn else 0.0,
        sentiment_accuracy=right / pairs if pairs else 0.0,
        sentiment_pairs=pairs,
        per_topic=per_topic,
        n=len(examples),
    )


def fit_thresholds(raw: np.ndarray, gold: np.ndarray, *, shared: bool = False) -> np.ndarray:
    """Per-topic thresholds maximising F1 on (raw scores, gold 0/1); `shared` fits one threshold for all topics."""
    def best(scores: np.ndarray, labels: np.ndarray) -> float:
        grid = np.unique(np.quantile(scores, np.linspace(0.5, 0.999, 400)).round(4))
        results = []
        for t in grid:
            pred = scores >= t
            tp = int((pred & labels).sum())
            results.append((f1(tp, int((pred & ~labels).sum()), int((~pred & labels).sum())), t))
        top = max(score for score, _ in results)
        # Among equally good thresholds, the middle one generalises best.
        ties = [t for score, t in results if score >= top - 1e-9]
        return float(ties[len(ties) // 2])

    labels = gold.astype(bool)
    if shared:
        return np.full(raw.shape[1], best(raw.ravel(), labels.ravel()))
    return np.array([best(raw[:, j], labels[:, j]) for j in range(raw.shape[1])])


def predictions(scorer: TopicScorer, examples: Sequence[Example]) -> tuple[list[dict[str, str | None]], np.ndarray]:
    """Predicted {topic: sentiment} per example and the raw (n, topics) scores."""
    results = scorer.score([e.text for e in examples], [e.lang for e in examples])
    guesses = [{m.topic: m.sentiment for m in r.topics} for r in results]
    return guesses, np.stack([r.raw for r in results]) if results else np.zeros((0, len(scorer.names)))


def with_thresholds(scorer: TopicScorer, thresholds: np.ndarray) -> TopicScorer:
    """The same scorer with other thresholds (prototypes are reused, nothing is re-embedded)."""
    scorer.thresholds = np.asarray(thresholds, dtype=np.float64)
    return scorer


def run(taxonomy: Taxonomy, files: Sequence[Path], *, calibrate: bool, model: Any = None) -> dict[str, Any]:
    """Calibrate (optionally) on the calibration half, report on the test half, per language and overall."""
    from models import load_sentiment

    model = model or load_sentiment(None)
    scorer = TopicScorer(taxonomy, model.encoder, model)
    examples = read_examples(files)
    calib = [e for e in examples if e.calibration]
    test = [e for e in examples if not e.calibration]
    out: dict[str, Any] = {"taxonomy": taxonomy.name, "calibration_rows": len(calib), "test_rows": len(test)}
    if calibrate:
        _, raw = predictions(scorer, calib)
        gold = np.array([[t in e.topics for t in scorer.names] for e in calib])
        per_topic = fit_thresholds(raw, gold)
        shared = fit_thresholds(raw, gold, shared=True)
        out["thresholds"] = dict(zip(scorer.names, per_topic.round(4).tolist(), strict=True))
        out["shared_threshold"] = float(shared[0])
        out["median_threshold"] = float(np.median(per_topic))
        with_thresholds(scorer, shared)
        out["test_shared_threshold"] = _report(scorer, test)
        with_thresholds(scorer, per_topic)
    out["test"] = _report(scorer, test)
    return out


def _report(scorer: TopicScorer, examples: Sequence[Example]) -> dict[str, Any]:
    by_lang: dict[str, Any] = {}
    for lang in sorted({e.lang for e in examples}):
        subset = [e for e in examples if e.lang == lang]
        by_lang[lang] = evaluate(subset, predictions(scorer, subset)[0], scorer.names).as_dict()
    by_lang["all"] = evaluate(examples, predictions(scorer, examples)[0], scorer.names).as_dict()
    return by_lang


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--taxonomy", default="cx")
    parser.add_argument("--data", nargs="*", type=Path, default=list(DEFAULT_FILES))
    parser.add_argument("--calibrate", action="store_true")
    args = parser.parse_args(argv)
    result = run(load_taxonomy(args.taxonomy), args.data, calibrate=args.calibrate)
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
