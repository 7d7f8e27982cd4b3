"""Fixtures for the report tests: the tiny hand-computed warehouse and a config pointing at it."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.config import write_config
from helpers.report import build_small_warehouse

from warehouse import Warehouse


@pytest.fixture(scope="module")
def small_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """The tiny fixture of tests/report/report_support.py, built once per test module."""
    return build_small_warehouse(tmp_path_factory.mktemp("small") / "small.duckdb")


@pytest.fixture
def small_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder with brandpulse.toml and the tiny warehouse, as the CLI finds them."""
    build_small_warehouse(tmp_path / "small.duckdb")
    write_config(tmp_path, warehouse={"path": "small.duckdb"})
    monkeypatch.chdir(tmp_path)
    return tmp_path
