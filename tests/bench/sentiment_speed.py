"""Scoring speed of the bundled model: brandpulse's default path vs a naive `transformers.pipeline`, one run.

Run from the repository root: `python tests/bench/sentiment_speed.py` (about 3 minutes on 2 CPU cores). The naive
side is the transformer (e5 with the tuned layers merged in, as a transformers model) called the way a first
script would: `pipeline("text-classification")` over the list, fp32, default batching. The default side is what
`load_sentiment()` gives: dedupe, length-sorted batches, dynamic padding, inference_mode, bf16 autocast where the
CPU has native bf16, and the n-gram experts fused in. It prints texts/s for each, the ratio, and how often the
labels agree with the naive run (the transformer-only row agrees fully: it is the same model).
Results are recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from models.sentiment.loader import BUNDLED_DIR, TUNED_FILE, load_bundled, set_torch_threads  # noqa: E402
from models.training.data import DEFAULT_DATA, EN_VAL_FILE, MULTI_FILE, read_tsv  # noqa: E402


def corpus(data: Path, size: int, seed: int) -> list[str]:
    """Unique social texts: English, 8-language tweets and Korean posts (the sample data when datasets are absent)."""
    texts: list[str] = []
    if (data / EN_VAL_FILE).is_file():
        texts += [row[-1] for row in read_tsv(data / EN_VAL_FILE)]
        texts += [row[-1] for row in read_tsv(data / MULTI_FILE)]
    posts_file = REPO / "models" / "training" / "eval_data" / "ko_social_posts.tsv"
    posts = posts_file.read_text(encoding="utf-8").splitlines()[1:]
    texts += [line.split("\t", 1)[1] for line in posts]
    sample = REPO / "examples" / "sample_mentions.jsonl"
    if sample.is_file():
        texts += [json.loads(line)["text"] for line in sample.read_text(encoding="utf-8").splitlines() if line.strip()]
    unique = list(dict.fromkeys(t for t in texts if t.strip()))
    random.Random(seed).shuffle(unique)
    return unique[:size]


def merged_model() -> tuple[object, object]:
    """The bundled model as one transformers model with a mean-pooling classification head, and its tokenizer."""
    from transformers import AutoTokenizer, BertModel, BertPreTrainedModel
    from transformers.modeling_outputs import SequenceClassifierOutput

    from models.sentiment.e5 import ensure_e5
    from models.sentiment.tuned_e5 import load_tuned, mean_pool

    folder = ensure_e5()
    base = BertModel.from_pretrained(folder, add_pooling_layer=False)
    top, _ = load_tuned(BUNDLED_DIR / TUNED_FILE, base)

    class MeanPoolClassifier(BertPreTrainedModel):
        """BERT + mean pooling + linear head, so `pipeline` can run it."""

        def __init__(self, config: object) -> None:
            super().__init__(config)
            self.bert = base
            self.head = top.head

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, **_: object) -> object:
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            return SequenceClassifierOutput(logits=self.head(mean_pool(hidden, attention_mask)))

    for i, layer in enumerate(top.layers):
        base.encoder.layer[top.first_tuned + i] = layer
    config = base.config
    config.id2label = {0: "negative", 1: "neutral", 2: "positive"}
    config.label2id = {v: k for k, v in config.id2label.items()}
    return MeanPoolClassifier(config).eval(), AutoTokenizer.from_pretrained(folder)


def naive(texts: list[str]) -> tuple[float, list[str]]:
    """texts/s and labels from a default `transformers.pipeline` over the list."""
    from transformers import pipeline

    model, tokenizer = merged_model()
    classify = pipeline("text-classification", model=model, tokenizer=tokenizer, device="cpu")
    started = time.perf_counter()
    out = classify(["query: " + t for t in texts], truncation=True)
    return len(texts) / (time.perf_counter() - started), [row["label"] for row in out]


def default_path(texts: list[str], precision: str, ngram: bool = True) -> tuple[float, list[str]]:
    """texts/s and labels from the bundled model with the given precision (ngram=False: the transformer alone)."""
    model = load_bundled(precision=precision, ngram=ngram)
    model.predict(texts[:64])  # warm-up: first-call allocations and kernel selection
    started = time.perf_counter()
    results = model.predict(texts)
    return len(texts) / (time.perf_counter() - started), [r.label for r in results]


def main() -> int:
    """Time both sides on the same texts and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="datasets folder (texts to score)")
    parser.add_argument("--texts", type=int, default=2000, help="texts for the default path")
    parser.add_argument("--naive-texts", type=int, default=300, help="texts for the naive pipeline (it is slow)")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    from rich.console import Console
    from rich.table import Table

    threads = set_torch_threads(args.threads)
    texts = corpus(args.data, args.texts, args.seed)
    subset = texts[: args.naive_texts]
    naive_rate, naive_labels = naive(subset)
    rows = [("naive transformers.pipeline (transformer only, fp32)", len(subset), naive_rate, 1.0, 1.0)]
    for name, precision, ngram in (
        ("brandpulse batching, transformer only, fp32", "fp32", False),
        ("brandpulse default path, precision=fp32", "fp32", True),
        ("brandpulse default path, precision=bf16", "bf16", True),
        ("brandpulse default path, precision=int8 (opt-in)", "int8", True),
    ):
        rate, labels = default_path(texts, precision, ngram)
        agree = float(np.mean([a == b for a, b in zip(labels, naive_labels, strict=False)]))
        rows.append((name, len(texts), rate, rate / naive_rate, agree))
    copies = texts[: len(texts) // 2] * 2  # a copy-paste campaign: every text posted twice
    rate, _ = default_path(copies, "bf16")
    rows.append(("  … same, half the texts exact duplicates", len(copies), rate, rate / naive_rate, float("nan")))

    table = Table(title=f"bundled sentiment model, {threads} torch threads")
    for column in ("path", "texts", "texts/s", "× naive", "label agreement with naive"):
        table.add_column(column, justify="left" if column == "path" else "right")
    for name, n, rate, ratio, agree in rows:
        table.add_row(name, str(n), f"{rate:.1f}", f"{ratio:.1f}×", "—" if np.isnan(agree) else f"{agree:.3f}")
    Console().print(table)
    print(json.dumps([dict(zip(("path", "texts", "texts_per_s", "ratio", "agreement"), r, strict=True)) for r in rows]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
