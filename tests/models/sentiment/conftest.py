"""Fixtures shared by the sentiment tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.tiny_model import build_tiny_bundled

import models.sentiment.e5 as e5
from models.sentiment import loader


@pytest.fixture
def tiny_bundled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`load_bundled` pointed at a tiny e5-shaped folder and tuned top instead of the shipped files."""
    folder, _ = build_tiny_bundled(tmp_path / "tiny-bundled")
    monkeypatch.setattr(loader, "BUNDLED_DIR", folder)
    monkeypatch.setattr(e5, "ensure_e5", lambda cache_dir=None: folder)
    monkeypatch.setattr(e5, "WEIGHTS_SHA256", None)  # the tiny top records no encoder checksum
    return folder
