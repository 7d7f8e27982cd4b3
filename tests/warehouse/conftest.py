"""Fixtures for the warehouse tests: a fresh warehouse file and a migrated connection."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from warehouse import Warehouse


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    """A Warehouse on a fresh file in a folder that does not exist yet."""
    return Warehouse(tmp_path / "data" / "test.duckdb", lock_timeout_s=5.0)


@pytest.fixture
def con(warehouse: Warehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    """A migrated read-write connection."""
    with warehouse.write() as connection:
        yield connection
