"""`brandpulse score`: texts or a file in, one JSON line per text out (sentiment and topics)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from flows.cli.common import ConfigOption, err, fail, resources
from flows.runtime.config import load_config
from models.errors import BrandpulseError, ConfigError


def score(
    texts: Annotated[list[str] | None, typer.Argument(help="Texts to score.")] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="A file with one text per line.")] = None,
    model: Annotated[str | None, typer.Option(help="Model: 'bundled', a local folder or a HF id.")] = None,
    taxonomy: Annotated[
        str | None, typer.Option(help="Topics: 'cx', 'none' or a taxonomy TOML (default: [model] taxonomy).")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Score texts and print one JSON line per text: label, score, probabilities, model, topics."""
    from flows.steps.topics import build_topic_scorer

    try:
        cfg = load_config(config)
        lines = list(texts or [])
        if file is not None:
            if not file.exists():
                raise ConfigError(f"file not found: {file}", key="--file")
            lines += file.read_text(encoding="utf-8").splitlines()
        if not lines:
            raise ConfigError("nothing to score: give texts or --file PATH", key="score")
        scorer = resources(cfg).sentiment(model)
        if taxonomy is not None:  # a --taxonomy path is relative to the current folder, like --file
            cfg.model.taxonomy = taxonomy if taxonomy.lower() in ("cx", "none") else str(Path(taxonomy).resolve())
        # Built before scoring so the bundled model's sentiment pass also leaves the topic embeddings ready.
        topic_scorer = build_topic_scorer(cfg, scorer)
        results = _predict_with_progress(scorer, lines)
        topics = topic_scorer.score(lines, None, results) if topic_scorer is not None else None
    except BrandpulseError as exc:
        raise fail(exc) from None
    for i, result in enumerate(results):
        line = result.as_json()
        if topics is not None:
            line["topics"] = [match.as_json() for match in topics[i].topics]
        sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")


def _predict_with_progress(scorer: Any, lines: list[str]) -> list[Any]:
    if len(lines) <= 256:
        return scorer.predict(lines)
    from rich.progress import Progress

    results: list[Any] = []
    with Progress(console=err, transient=True) as progress:
        bar = progress.add_task("scoring", total=len(lines))
        for start in range(0, len(lines), 256):
            results += scorer.predict(lines[start : start + 256])
            progress.advance(bar, min(256, len(lines) - start))
    return results
