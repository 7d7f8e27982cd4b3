"""Helpers for the Prefect flow tests: a sample warehouse loaded without the pipeline, table snapshots."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import duckdb

from flows.runtime.config import Config, load_config
from flows.steps.imports import import_file
from models.brands import BrandMatcher
from warehouse import Warehouse


def load_sample(config_path: Path) -> tuple[Config, Warehouse]:
    """Import the sample's files into its warehouse (unscored); return the config and the warehouse."""
    config = load_config(config_path)
    warehouse = Warehouse(config.warehouse.path, lock_timeout_s=config.warehouse.lock_timeout_s)
    matcher = BrandMatcher.from_brands(config.brands)
    for path in config.imports.files:
        import_file(warehouse, path, matcher, run_id="test-load")
    return config, warehouse


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    """All rows of a query on the DuckDB file, read-only."""
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def count(db: Path, table: str) -> int:
    """Rows in one table."""
    return int(rows(db, f"SELECT count(*) FROM {table}")[0][0])


def model_copy_with_new_version(model_dir: Path, target: Path) -> Path:
    """The same weights under a different config.json, so the folder's model version differs."""
    shutil.copytree(model_dir, target)
    config = json.loads((target / "config.json").read_text(encoding="utf-8"))
    config["brandpulse_test_revision"] = 2
    (target / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return target
