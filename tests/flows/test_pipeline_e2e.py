"""The pipeline flow end to end on a small sample with a tiny locally trained transformer."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from helpers.sample import SPIKE_START, write_sample

from flows.pipeline import pipeline


@pytest.fixture
def sample_config(tmp_path: Path, tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("BRANDPULSE_SLACK_WEBHOOK_URL", raising=False)
    return write_sample(tmp_path, tiny_model_dir)


def counts(db: Path) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {
            table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("mentions", "mention_brands", "scores", "alert_outbox", "rejects")
        }


def test_pipeline_twice_loads_once_and_alerts_once(
    prefect_harness: None, sample_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = pipeline(config_path=str(sample_config))
    db = sample_config.parent / "wh.duckdb"
    after_first = counts(db)
    mentions_in_file = sum(1 for _ in (sample_config.parent / "mentions.jsonl").open())
    assert after_first["mentions"] == mentions_in_file + 20
    assert after_first["scores"] == after_first["mentions"]
    assert after_first["rejects"] == 0
    assert first["scored"] == after_first["mentions"]
    # No Slack destination in the test environment: shown on the console, recorded as `console`, not `sent`.
    assert first["alerts_new"] == 1 and first["alerts_sent"] == 0 and first["alerts_console"] == 1
    assert first["alerts_updates"] == 0 and first["alerts_resolved"] == 0
    printed = capsys.readouterr().out
    assert "Acme" in printed and "negative" in printed.lower()

    with duckdb.connect(str(db), read_only=True) as con:
        brand, start, status, destination = con.execute(
            "SELECT brand, window_start, status, destination FROM alerts"
        ).fetchone()
        survey_brand = con.execute("SELECT DISTINCT brand FROM mentions_scored WHERE channel = 'survey'").fetchall()
    assert (brand, status, destination) == ("Acme", "console", "console")
    assert abs((start - SPIKE_START).total_seconds()) <= 3600
    assert survey_brand == [("Acme",)]

    second = pipeline(config_path=str(sample_config))
    assert counts(db) == after_first
    assert second["scored"] == 0
    assert second["alerts_new"] == 0 and second["alerts_sent"] == 0 and second["alerts_console"] == 0
    assert all(item["skipped_unchanged"] for item in second["imports"])
    assert "negative_volume" not in capsys.readouterr().out  # no second alert printed
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*), count(DISTINCT status) FROM runs").fetchone() == (2, 1)


def test_run_summary_line_counts_updates_and_resolved_notes(capsys: pytest.CaptureFixture[str]) -> None:
    from flows.cli.run import print_summary
    from flows.runtime.config import parse_config

    summary = {
        "scored": 0, "model": "tiny", "alerts_new": 1, "alerts_updates": 2, "alerts_resolved": 1, "alerts_sent": 4,
        "alerts_retry": 0, "alerts_failed": 0, "warehouse": "wh.duckdb", "totals": {"alerts_total": 5},
    }
    print_summary(parse_config({}), summary)
    printed = " ".join(capsys.readouterr().out.split())
    assert "alerts: 1 new episode(s), 2 update(s), 1 resolved note(s), 4 delivered" in printed
    assert "owned accounts" not in printed
    print_summary(parse_config({}), {**summary, "owned_accounts_changed": True})
    printed = " ".join(capsys.readouterr().out.split())
    assert "owned accounts: the [[brands]] owned list changed and now applies to every stored mention" in printed


def test_missing_and_directory_imports_fail_alone_and_the_run_is_partial(
    prefect_harness: None, sample_config: Path
) -> None:
    from typer.testing import CliRunner

    from flows.cli.common import EXIT_PARTIAL
    from flows.cli.main import app

    folder = sample_config.parent
    (folder / "a-folder.jsonl").mkdir()
    text = sample_config.read_text(encoding="utf-8").replace(
        'files = ["mentions.jsonl", "survey.csv"]', 'files = ["missing.jsonl", "a-folder.jsonl", "mentions.jsonl"]'
    )
    sample_config.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["run", "--config", str(sample_config)])
    assert result.exit_code == EXIT_PARTIAL, result.output
    printed = " ".join(result.output.split())
    assert "import missing.jsonl: failed" in printed and "import a-folder.jsonl: failed" in printed
    assert "partial run: 2 source(s) failed" in printed and "Traceback" not in result.output
    db = folder / "wh.duckdb"
    after = counts(db)
    assert after["mentions"] == sum(1 for _ in (folder / "mentions.jsonl").open())  # the good file is in
    assert after["scores"] == after["mentions"] and after["alert_outbox"] == 1  # scored and alerted
    with duckdb.connect(str(db), read_only=True) as con:
        status, reason = con.execute("SELECT status, reason FROM runs").fetchone()
    assert status == "partial" and "file:missing.jsonl" in reason and "file:a-folder.jsonl" in reason
