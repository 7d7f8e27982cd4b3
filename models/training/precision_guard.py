"""The accuracy guard: a faster precision may become a default only within 0.5 point of bf16 on every target.

`python -m models.training.precision_guard --precision int8` rebuilds the model card's validation split
(`evaluate_bundled`), scores it through `load_sentiment()` in bf16 and in the candidate precision, and prints
PASS or FAIL per target; the exit status is 1 when any target fails. `--per-group N` scores at most N texts of each
language or source (a quicker, noisier check); the model card's numbers come from the whole split.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from models.training.data import Split

REFERENCE = "bf16"
TOLERANCE = 0.005  # half a point of each metric
TARGETS = {
    "en_tweets_macro_recall": "English macro-recall",
    "multilingual_avg_macro_f1": "8-language macro-F1",
    "ko_reviews_binary_accuracy": "Korean binary accuracy",
}


@dataclass(frozen=True)
class Verdict:
    """One target: the candidate's and the reference's value, and whether the candidate keeps within tolerance."""

    target: str
    candidate: float
    reference: float
    tolerance: float = TOLERANCE

    @property
    def passed(self) -> bool:
        """Within `tolerance` below the reference, or above it (rounded, so exactly half a point passes)."""
        return round(self.reference - self.candidate, 9) <= self.tolerance

    def line(self, precision: str) -> str:
        """`PASS English macro-recall: int8 0.7900 vs bf16 0.7923 (-0.23 point)`."""
        points = 100 * (self.candidate - self.reference)
        return (
            f"{'PASS' if self.passed else 'FAIL'} {TARGETS.get(self.target, self.target)}: {precision} "
            f"{self.candidate:.4f} vs {REFERENCE} {self.reference:.4f} ({points:+.2f} point)"
        )


def guard_verdicts(
    candidate: Mapping[str, float], reference: Mapping[str, float], tolerance: float = TOLERANCE
) -> list[Verdict]:
    """One verdict per guarded target, from two `data.evaluate` metric dicts; a missing target is a ValueError."""
    for side, metrics in (("candidate", candidate), ("reference", reference)):
        missing = [target for target in TARGETS if target not in metrics]
        if missing:
            raise ValueError(f"the {side} metrics lack {', '.join(missing)}: measure them with data.evaluate")
    return [Verdict(target, float(candidate[target]), float(reference[target]), tolerance) for target in TARGETS]


def verdict_lines(verdicts: Sequence[Verdict], precision: str) -> list[str]:
    """A line per target, then the overall verdict for `precision`."""
    passed = all(verdict.passed for verdict in verdicts)
    overall = f"{precision}: {'PASS' if passed else 'FAIL'} (every target within {TOLERANCE * 100:.1f} point of bf16)"
    return [verdict.line(precision) for verdict in verdicts] + [overall]


def per_group(split: Split, limit: int, seed: int = 0) -> Split:
    """At most `limit` random examples of each group (language or source), in their original order."""
    rng = np.random.default_rng(seed)
    groups = np.asarray(split.groups)
    keep: list[int] = []
    for group in sorted(set(split.groups)):
        members = np.flatnonzero(groups == group)
        keep += rng.choice(members, size=min(limit, len(members)), replace=False).tolist()
    sample = Split()
    for i in sorted(keep):
        sample.add(split.texts[i], split.labels[i], split.groups[i])
    return sample


def main(argv: Sequence[str] | None = None) -> int:
    """Score the validation split in bf16 and the candidate precision; print the verdicts; 1 if any target fails."""
    from models.sentiment.loader import PRECISIONS, set_torch_threads
    from models.training.data import evaluate
    from models.training.evaluate_bundled import recorded_splits, shipped_metrics

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--precision", default="int8", choices=[p for p in PRECISIONS if p != REFERENCE])
    parser.add_argument("--per-group", type=int, default=0, help="at most N texts per language/source (0: all)")
    args = parser.parse_args(argv)
    val = recorded_splits()[1]
    if args.per_group > 0:
        val = per_group(val, args.per_group)
    set_torch_threads()
    results = {}
    for precision in (REFERENCE, args.precision):
        probs, rate, version = shipped_metrics(val.texts, precision)
        results[precision] = evaluate(probs, val)
        summary = {"texts": len(val.texts), "texts_per_second": round(rate, 1), "version": version}
        summary.update({target: round(results[precision][target], 4) for target in TARGETS})
        print(precision, json.dumps(summary), flush=True)
    verdicts = guard_verdicts(results[args.precision], results[REFERENCE])
    print("\n".join(verdict_lines(verdicts, args.precision)))
    return 0 if all(verdict.passed for verdict in verdicts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
