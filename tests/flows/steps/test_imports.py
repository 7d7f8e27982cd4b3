"""Import sources that fail or change: unreadable files, edited text, out-of-range dates (steps and CLI)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli.common import EXIT_ERROR, EXIT_PARTIAL
from flows.cli.main import app
from flows.steps.imports import import_file
from flows.steps.score import score_with_model
from models.brands import Brand, BrandMatcher
from models.scores import Sentiment, sentiment_from_probs
from warehouse import Warehouse

ACME = BrandMatcher.from_brands([Brand(name="Acme", terms=["acme"])])
runner = CliRunner()


class FakeModel:
    """Scores every text as negative when it says "late", else positive; remembers what it scored."""

    version = "fake-1"

    def __init__(self) -> None:
        self.seen: list[str] = []

    def predict(self, texts: list[str]) -> list[Sentiment]:
        self.seen += texts
        negative = {"negative": 0.9, "neutral": 0.05, "positive": 0.05}
        positive = {"negative": 0.05, "neutral": 0.05, "positive": 0.9}
        return [sentiment_from_probs(negative if "late" in t else positive, "fake", self.version) for t in texts]


def jsonl(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def row(mid: str, text: str, when: str = "2026-11-20T10:00:00Z") -> dict[str, str]:
    return {"channel": "x", "id": mid, "text": text, "created_at": when}


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_an_unreadable_file_is_that_sources_failure_not_a_crash(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "gone.jsonl"
    if kind == "directory":
        path.mkdir()
    result = import_file(Warehouse(tmp_path / "wh.duckdb"), path, ACME, run_id="r1")
    assert result.error is not None and str(path) in result.error and "[imports] files" in result.error
    assert ("not found" if kind == "missing" else "is a directory") in result.error
    assert (result.inserted, result.rejected) == (0, 0)


def test_an_edited_mention_keeps_the_old_text_and_is_scored_again(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path / "wh.duckdb")
    model = FakeModel()
    first = import_file(warehouse, jsonl(tmp_path / "a.jsonl", [row("1", "acme was fast"), row("2", "acme ok")]),
                        ACME, run_id="r1")
    assert (first.inserted, first.edited) == (2, 0)
    assert score_with_model(warehouse, model) == 2
    edited = jsonl(tmp_path / "b.jsonl", [row("1", "acme was late"), row("2", "acme ok")])
    second = import_file(warehouse, edited, ACME, run_id="r2")
    assert (second.inserted, second.edited, second.duplicates) == (0, 1, 1)
    # Only the edited mention is pending, and it is scored on its new text.
    assert score_with_model(warehouse, model) == 1 and model.seen[-1] == "acme was late"
    with warehouse.read() as con:
        edits = con.execute("SELECT id, old_text, run_id FROM mention_edits").fetchall()
        assert edits == [("1", "acme was fast", "r2")]
        assert con.execute("SELECT label FROM mentions_scored WHERE id = '1'").fetchall() == [("negative",)]
    third = import_file(warehouse, edited, ACME, run_id="r3", force=True)
    assert (third.inserted, third.edited, third.duplicates) == (0, 0, 2)
    with warehouse.read() as con:
        assert con.execute("SELECT count(*) FROM mention_edits").fetchone() == (1,)
    assert score_with_model(warehouse, model) == 0


def test_out_of_range_dates_are_rejected_with_line_and_reason(tmp_path: Path) -> None:
    path = jsonl(tmp_path / "dates.jsonl", [
        row("ok", "acme fine"),
        row("future", "acme from the future", "9999-12-31T00:00:00Z"),
        row("ancient", "acme of old", "0001-01-01T00:00:00Z"),
        row("next-century", "acme later", "2126-01-01T00:00:00Z"),
    ])
    result = import_file(Warehouse(tmp_path / "wh.duckdb"), path, ACME, run_id="r1")
    assert (result.inserted, result.rejected) == (1, 3)
    reasons = {r.record_id: (r.line, r.reason) for r in result.rejects}
    assert reasons["future"][0] == 2 and "[warehouse] future_tolerance_hours" in reasons["future"][1]
    assert reasons["ancient"][0] == 3 and "[warehouse] earliest_date" in reasons["ancient"][1]
    with duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True) as con:
        stored = con.execute("SELECT record_id, line, source FROM rejects ORDER BY line").fetchall()
    assert stored == [("future", 2, str(path)), ("ancient", 3, str(path)), ("next-century", 4, str(path))]


CONFIG = """
[warehouse]
path = "wh.duckdb"
earliest_date = 2020-01-01
future_tolerance_hours = 2
[[brands]]
name = "Acme"
terms = ["acme"]
"""


def test_import_command_goes_on_past_a_bad_file_and_exits_partial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "brandpulse.toml").write_text(CONFIG, encoding="utf-8")
    jsonl(tmp_path / "good.jsonl", [row("1", "acme fine"), row("2", "acme 2019", "2019-06-01T00:00:00Z")])
    (tmp_path / "folder.jsonl").mkdir()
    result = runner.invoke(app, ["import", "missing.jsonl", "folder.jsonl", "good.jsonl"])
    assert result.exit_code == EXIT_PARTIAL, result.output
    text = " ".join(result.output.split())
    assert "missing.jsonl not found" in text and "folder.jsonl is a directory" in text
    assert "1 new" in text and "1 rejected" in text and "2020-01-01" in text  # the configured earliest_date
    assert "Traceback" not in result.output
    nothing = runner.invoke(app, ["import", "missing.jsonl"])
    assert nothing.exit_code == EXIT_ERROR and "Traceback" not in nothing.output


def test_no_brands_is_a_config_error_for_run_but_import_and_score_still_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "brandpulse.toml").write_text('[warehouse]\npath = "wh.duckdb"\n', encoding="utf-8")
    for command in (["run"], ["serve"], ["backfill", "--from", "2026-11-01", "--to", "2026-11-02"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 2, (command, result.output)
        text = " ".join(result.output.split())
        assert "no brands configured" in text and "add a [[brands]] table" in text and "brandpulse.toml" in text
        assert "Traceback" not in result.output
    assert not (tmp_path / "wh.duckdb").exists()
    jsonl(tmp_path / "a.jsonl", [row("1", "anything at all")])
    imported = runner.invoke(app, ["import", "a.jsonl"])
    assert imported.exit_code == 0 and "1 matched no brand" in imported.output
