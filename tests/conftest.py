"""Shared fixtures: a tiny trained transformer, a Prefect test harness."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from helpers.tiny_model import build_tiny_sentiment_model

# Fixtures shared across the mirrored folders (alerts and report tests sit under flows/, models/ and warehouse/).
pytest_plugins = ["helpers.alerts_fixtures", "helpers.report_fixtures"]


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny BERT sentiment classifier trained on keyword sentences, saved to a temp folder."""
    return build_tiny_sentiment_model(tmp_path_factory.mktemp("tiny-sentiment"))


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect API for the whole session (starting one costs seconds)."""
    from prefect.testing.utilities import prefect_test_harness

    # Prefect's default 30 s start-up limit is too short on a busy 2-core machine; it only bounds a failing start.
    with prefect_test_harness(server_startup_timeout=180):
        yield
