"""Fixtures for the model tests (helpers live in model_helpers.py, a name no other test folder uses)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from helpers.models import save_tiny_classifier


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker for the one test that builds the real e5 cache (~20 s, 470 MB on disk)."""
    config.addinivalue_line("markers", "bundled_model: builds the real multilingual-e5 cache and runs the head")


@pytest.fixture
def tiny_classifier(tmp_path: Path) -> Callable[..., Path]:
    """Factory: `tiny_classifier({0: "negative", ...}, seed=0)` → a saved model folder."""
    counter = iter(range(1_000_000))

    def make(id2label: Mapping[int, str], seed: int = 0, name: str | None = None) -> Path:
        return save_tiny_classifier(tmp_path / (name or f"model-{next(counter)}"), id2label, seed)

    return make
