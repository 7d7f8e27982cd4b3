"""Korean neutral in the demo: the sentiment mix the sample generator wrote for Acme vs what the bundled model reads.

Run from the repository root: `python tests/bench/korean_neutral_demo.py` (about a minute on 2 CPU cores). The
generator (`examples/generate_sample.py`) picks a sentiment for every mention before it writes the text, so its
Acme mentions carry a known label; this scores their texts through `load_sentiment()` (the path `brandpulse run`
uses) and prints, per language, the share written neutral vs labelled neutral, questions labelled neutral, and
3-class agreement. The sample texts are never training data (the Korean social corpus is written independently,
`models/training/ko_social_corpus.py`), so this is a check on text the model has not seen. Results: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "examples"))

from generate_sample import render  # noqa: E402

from models import load_sentiment  # noqa: E402


def written_labels(brand: str) -> list[tuple[str, str, str]]:
    """(lang, written sentiment, text) for every generated mention of a brand."""
    _, _, generator = render()
    out = []
    for event in generator.events:
        if event.brand == brand and not (event.special or "").startswith("anvil") and event.row.get("text"):
            out.append((event.lang, event.sentiment, event.row["text"]))
    return out


def main(argv: list[str] | None = None) -> int:
    """Score the brand's generated mentions and print the neutral shares per language as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--brand", default="Acme")
    parser.add_argument("--precision", default="auto")
    args = parser.parse_args(argv)
    rows = written_labels(args.brand)
    model = load_sentiment(None, precision=args.precision)
    predicted = [s.label for s in model.predict([text for _, _, text in rows])]
    report: dict[str, object] = {"brand": args.brand, "model": model.version}
    for lang in sorted({lang for lang, _, _ in rows}):
        picked = [(w, p, t) for (lg, w, t), p in zip(rows, predicted, strict=True) if lg == lang]
        questions = [(w, p) for w, p, t in picked if t.rstrip().endswith("?")]
        report[lang] = {
            "mentions": len(picked),
            "written_neutral_share": round(sum(w == "neutral" for w, _, _ in picked) / len(picked), 3),
            "labelled_neutral_share": round(sum(p == "neutral" for _, p, _ in picked) / len(picked), 3),
            "written_negative_share": round(sum(w == "negative" for w, _, _ in picked) / len(picked), 3),
            "labelled_negative_share": round(sum(p == "negative" for _, p, _ in picked) / len(picked), 3),
            "agreement": round(sum(w == p for w, p, _ in picked) / len(picked), 3),
            "questions": len(questions),
            "questions_labelled_neutral": sum(p == "neutral" for _, p in questions),
            "confusion": dict(Counter(f"{w}->{p}" for w, p, _ in picked)),
        }
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
