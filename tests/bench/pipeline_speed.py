"""End-to-end speed of one run's model-heavy path, in one process: import → score → topics + terms → detect.

Run from the repository root: `python tests/bench/pipeline_speed.py` (about 3–4 minutes on 2 idle CPU cores).
The data is the sample generator's (examples/generate_sample.py) with two seeds: about 7,000 Korean/English
mentions and survey answers of real lengths, imported from files into a fresh warehouse. Timed, in this order:

- **end to end**: model load, import of the files, the score step (`score_pending` with the in-process model,
  keeping e5 embeddings for topics as `brandpulse run` does), the topic step (topics, clause sentiment, terms:
  `score_topics_pending`), and detect (`detect_and_enqueue`, as of the hour after the data ends);
- **sentiment only**: the same model's `predict` over the same texts (no embeddings kept), texts/s;
- **shared pass alone**: `predict_with_embeddings` over the same texts (sentiment and e5's topic embeddings from
  one pass: the model work the score step does), texts/s;
- **naive reference**: `transformers.pipeline("text-classification")` over the first `--naive-texts` texts, the
  way tests/bench/sentiment_speed.py builds it;
- each step's share of the end-to-end time, the terms' share of the topic step (extract_terms timed alone on the
  same texts), the topic step's fixed cost (building the scorer: embedding the taxonomy's phrases, fitting the
  classifier), how many clauses went through the shared pass, and the peak RSS of the process.

It prints a table and one JSON line; record results in docs/benchmarks.md with the machine and the command.
Not a test: timings belong here, never in the unit tests.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "examples"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

SEEDS = (20261119, 20261120)


def write_sample(folder: Path, seeds: tuple[int, ...]) -> list[Path]:
    """The sample generator's mentions and survey answers for each seed, as files to import."""
    from generate_sample import render

    files = []
    for seed in seeds:
        jsonl, survey, _ = render(seed)
        files.append(folder / f"mentions-{seed}.jsonl")
        files[-1].write_text(jsonl, encoding="utf-8")
        files.append(folder / f"survey-{seed}.csv")
        files[-1].write_text(survey, encoding="utf-8")
    return files


def bench_config(folder: Path) -> Any:
    """The demo config's brands and model settings, with the warehouse in `folder`."""
    from flows.runtime.config import load_config

    text = (REPO / "examples" / "brandpulse.toml").read_text(encoding="utf-8")
    config_path = folder / "brandpulse.toml"
    config_path.write_text(text.replace('path = "data/brandpulse.duckdb"', 'path = "bench.duckdb"'), encoding="utf-8")
    return load_config(config_path)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def count_shared_pass_texts(model: Any) -> list[int]:
    """Count the texts the topic step sends through the shared pass (its clauses); the count is read after it."""
    counted = [0]
    shared = model.predict_with_embeddings

    def counting(texts: list[str]) -> Any:
        counted[0] += len(texts)
        return shared(texts)

    model.predict_with_embeddings = counting
    return counted


def main() -> int:
    """Run the steps, the sentiment-only pass and the naive reference; print the table and a JSON line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--naive-texts", type=int, default=400, help="texts for the naive pipeline (it is slow)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: the CPU share)")
    parser.add_argument("--seeds", type=int, default=len(SEEDS), help="sample data sets to import (1 for a quick look)")
    args = parser.parse_args()

    from generate_sample import END
    from rich.console import Console
    from rich.table import Table

    from flows.alerts.enqueue import detect_and_enqueue
    from flows.resources import build_warehouse
    from flows.steps import topics as topic_step
    from flows.steps.imports import import_file
    from flows.steps.score import score_pending
    from models import load_sentiment
    from models.brands import BrandMatcher
    from models.sentiment.loader import set_torch_threads
    from models.text.terms import extract_terms_many

    threads = set_torch_threads(args.threads)
    times: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bp-bench-") as tmp:
        folder = Path(tmp)
        files = write_sample(folder, SEEDS[: args.seeds])
        config = bench_config(folder)
        warehouse = build_warehouse(config)
        started = time.perf_counter()

        clock = time.perf_counter()
        model = load_sentiment(None, batch_size=config.model.batch_size, num_threads=args.threads)
        times["model load"] = time.perf_counter() - clock

        clock = time.perf_counter()
        matcher = BrandMatcher.from_brands(config.brands)
        imported = sum(import_file(warehouse, path, matcher, run_id="bench").inserted for path in files)
        times["import"] = time.perf_counter() - clock

        clock = time.perf_counter()
        model.encoder.share_embeddings = topic_step.reuses_scoring_pass(config)
        scored = score_pending(warehouse, model.version, lambda parts: (model.predict(p) for p in parts))["scored"]
        times["score"] = time.perf_counter() - clock

        clock = time.perf_counter()
        scorer = topic_step.build_topic_scorer(config, model)
        assert scorer is not None, "the demo config has topics on"
        scorer_build = time.perf_counter() - clock
        clause_units = count_shared_pass_texts(model)
        topics = topic_step.score_topics_pending(warehouse, scorer, brand_terms=topic_step.brand_terms_of(config))
        times["topics + terms"] = time.perf_counter() - clock

        clock = time.perf_counter()
        outcome = detect_and_enqueue(
            warehouse, config, run_id="bench", now=END + timedelta(hours=1), theme_embedder=lambda: model.encoder
        )
        times["detect"] = time.perf_counter() - clock
        end_to_end = time.perf_counter() - started

        with warehouse.read() as con:
            texts = [str(row[0]) for row in con.execute("SELECT text FROM mentions WHERE text <> ''").fetchall()]

    clock = time.perf_counter()
    extract_terms_many(texts, [None] * len(texts), [topic_step.brand_terms_of(config)] * len(texts))
    terms_alone = time.perf_counter() - clock

    model.encoder.share_embeddings = False
    model.encoder._memo.clear()
    clock = time.perf_counter()
    model.predict(texts)
    sentiment_rate = len(texts) / (time.perf_counter() - clock)

    # The work the score step asks of the model: sentiment and e5's topic embeddings from one shared pass.
    model.encoder._memo.clear()
    clock = time.perf_counter()
    model.predict_with_embeddings(texts)
    joint_rate = len(texts) / (time.perf_counter() - clock)

    from sentiment_speed import naive

    subset = list(dict.fromkeys(texts))[: args.naive_texts]
    naive_rate, _ = naive(subset)

    result = {
        "mentions": scored,
        "imported": imported,
        "topics_scored": topics,
        "alerts_detected": outcome.detected,
        "threads": threads,
        "seconds": {name: round(value, 2) for name, value in times.items()},
        "end_to_end_s": round(end_to_end, 2),
        "end_to_end_per_s": round(scored / end_to_end, 1),
        "score_per_s": round(scored / times["score"], 1),
        "sentiment_only_per_s": round(sentiment_rate, 1),
        "naive_per_s": round(naive_rate, 1),
        "sentiment_vs_naive": round(sentiment_rate / naive_rate, 2),
        "joint_pass_per_s": round(joint_rate, 1),
        "score_vs_sentiment_only": round(scored / times["score"] / sentiment_rate, 2),
        "score_vs_joint_pass": round(scored / times["score"] / joint_rate, 2),
        "topics_added_to_score": round(times["topics + terms"] / times["score"], 2),
        "terms_alone_s": round(terms_alone, 2),
        "topic_scorer_build_s": round(scorer_build, 2),
        "clause_units": clause_units[0],
        "peak_rss_mb": round(peak_rss_mb(), 0),
    }
    table = Table(title=f"pipeline speed: {scored} mentions, {threads} torch threads")
    for column in ("step", "seconds", "share", "mentions/s"):
        table.add_column(column, justify="left" if column == "step" else "right")
    for name, seconds in times.items():
        rate = f"{scored / seconds:.1f}" if name in ("score", "topics + terms") else "—"
        table.add_row(name, f"{seconds:.1f}", f"{seconds / end_to_end:.0%}", rate)
    table.add_row("end to end", f"{end_to_end:.1f}", "100%", f"{scored / end_to_end:.1f}")
    console = Console()
    console.print(table)
    console.print(
        f"sentiment only {sentiment_rate:.1f} texts/s = {sentiment_rate / naive_rate:.1f}× naive "
        f"({naive_rate:.1f} texts/s on {len(subset)}); score step at {result['score_vs_sentiment_only']:.0%} of it "
        f"and at {result['score_vs_joint_pass']:.0%} of the shared pass alone ({joint_rate:.1f} texts/s: sentiment "
        f"+ e5 topic embeddings); "
        f"topics + terms add {result['topics_added_to_score']:.0%} to the score step (terms alone "
        f"{terms_alone:.1f} s, building the topic scorer {scorer_build:.1f} s, {clause_units[0]} clauses through "
        f"the shared pass); peak RSS {result['peak_rss_mb']:.0f} MB"
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
