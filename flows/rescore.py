"""The Prefect flow `rescore`: score stored mentions with another model, keeping every older model's scores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger

from flows.resources import build_resources
from flows.runtime.config import load_config
from flows.runtime.read_snapshot import refresh_read_snapshot
from flows.runtime.run_lock import writer_lock
from flows.steps.score import score_mentions


@flow(name="rescore", log_prints=True)
def rescore(config_path: str | None = None, model: str | None = None) -> dict[str, Any]:
    """Score every stored mention that has no score from `model` (default: the configured one) yet."""
    config = load_config(Path(config_path) if config_path else None)
    name = model or config.model.sentiment
    warehouse = build_resources(config).warehouse
    with writer_lock(config.warehouse.path, timeout_s=config.warehouse.run_lock_timeout_s):
        # Scores are keyed by model version, so this adds rows and never replaces the old model's.
        result = score_mentions(
            warehouse, name, config.model.batch_size, config.runner, precision=config.model.precision
        )
        snapshot = refresh_read_snapshot(warehouse, config, changed=bool(result["scored"]))
    get_run_logger().info("rescored %d mentions with %s", result["scored"], result["model_version"])
    return {"model": name, **result, "read_snapshot_published_at": snapshot.published_at}
