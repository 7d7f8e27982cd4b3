"""`brandpulse score` with topics, `--taxonomy`, a broken taxonomy in the config, and `brandpulse themes`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli.main import app

runner = CliRunner()

CONFIG = """
[warehouse]
path = "wh.duckdb"
[model]
sentiment = "{model}"
encoder = "{model}"
taxonomy = "{taxonomy}"
[[brands]]
name = "Acme"
terms = ["acme", "애크미"]
"""
TAXONOMY = """
[[topic]]
name = "delivery"
description = "delivery"
examples = ["late delivery", "배송 늦어요"]
[[topic]]
name = "app"
description = "the app"
examples = ["app broken", "앱 먹통"]
"""


@pytest.fixture
def project(tmp_path: Path, tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "topics").mkdir()
    (tmp_path / "topics" / "mine.toml").write_text(TAXONOMY, encoding="utf-8")
    config = CONFIG.format(model=tiny_model_dir.as_posix(), taxonomy="topics/mine.toml")
    (tmp_path / "brandpulse.toml").write_text(config, encoding="utf-8")
    return tmp_path


def test_score_adds_topics_to_each_line(project: Path) -> None:
    (project / "texts.txt").write_text("acme app terrible broken\n애크미 배송 최악\n", encoding="utf-8")
    result = runner.invoke(app, ["score", "--file", "texts.txt"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 2
    for line in lines:
        assert line["label"] in ("negative", "neutral", "positive")
        assert isinstance(line["topics"], list)
        for topic in line["topics"]:
            assert topic["topic"] in ("delivery", "app") and 0.5 <= topic["score"] <= 1
            assert topic["sentiment"] in ("negative", "neutral", "positive")


def test_score_taxonomy_none_prints_no_topics(project: Path) -> None:
    result = runner.invoke(app, ["score", "acme late", "--taxonomy", "none"])
    assert result.exit_code == 0, result.output
    assert "topics" not in json.loads(result.stdout)


def test_a_broken_taxonomy_fails_before_anything_runs(project: Path) -> None:
    (project / "topics" / "mine.toml").write_text(TAXONOMY + 'colour = "red"\n', encoding="utf-8")
    result = runner.invoke(app, ["score", "acme late"])
    assert result.exit_code == 2
    assert "topic 'app': unknown key 'colour'" in result.output and "mine.toml" in result.output


def test_score_with_a_missing_taxonomy_file(project: Path) -> None:
    result = runner.invoke(app, ["score", "acme late", "--taxonomy", "nope.toml"])
    assert result.exit_code == 2 and "taxonomy file not found" in result.output
