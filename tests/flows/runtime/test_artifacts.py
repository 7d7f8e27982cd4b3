"""Artifact builders (pure) and the ops commands' argument checks."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from flows.cli.main import app
from flows.runtime.artifacts import channel_rows, channel_warnings, step_line, summary_markdown

SUMMARY = {
    "run_id": "r1",
    "status": "completed",
    "warehouse": "/data/wh.duckdb",
    "model": "sha256:abc",
    "scored": 12,
    "alerts_new": 1,
    "alerts_sent": 1,
    "channels": {
        "x": "failed: x: BRANDPULSE_X_BEARER_TOKEN is not set",
        "reddit": "rate-limited until 2026-11-20T10:00:00Z: 3 new; cursor kept, resumes on a later run",
        "mastodon": "skipped: no live listener for this channel in this version",
        "file:mentions.jsonl": "ok",
        "file:survey.csv": "unchanged",
    },
    "totals": {
        "alerts_total": 2,
        "by_channel_brand": [{"brand": "A|B <b>", "channel": "x", "mentions": 5}, {"brand": None, "channel": "x",
                                                                                    "mentions": 1}],
        "sentiment_by_brand": [{"brand": "Acme", "negative_share": 0.25, "neutral_share": 0.25,
                                "positive_share": 0.5, "net_sentiment": 0.25}],
    },
}


def test_step_timings_with_their_rates_in_the_summary() -> None:
    steps = {
        "sources": {"seconds": 0.42, "mentions": 0, "per_s": None},
        "score": {"seconds": 12.0, "mentions": 3000, "per_s": 250.0},
        "detect_alert": {"seconds": 1.26, "mentions": None, "per_s": None},
    }
    assert step_line(steps) == "sources 0.4 s · score 12.0 s (250 mentions/s) · detect_alert 1.3 s"
    assert "- steps: sources 0.4 s · score 12.0 s (250 mentions/s)" in summary_markdown({**SUMMARY, "steps": steps})
    assert "steps:" not in summary_markdown(SUMMARY)


def test_channel_health_and_warnings() -> None:
    health = {row["channel"]: row["health"] for row in channel_rows(SUMMARY)}
    assert health == {"x": "warning", "reddit": "warning", "mastodon": "skipped", "file:mentions.jsonl": "ok",
                      "file:survey.csv": "ok"}
    assert [w.split(":")[0] for w in channel_warnings(SUMMARY)] == ["x", "reddit"]


def test_summary_markdown_has_counts_split_alerts_and_escapes_cells() -> None:
    markdown = summary_markdown(SUMMARY)
    assert "| A\\|B &lt;b&gt; | x | 5 |" in markdown  # a brand name cannot break the table or inject HTML
    assert "| (no brand) | x | 1 |" in markdown
    assert "| Acme | 25% | 25% | 50% | +0.25 |" in markdown
    assert "1 new episode(s), 1 delivered" in markdown and "2 in the warehouse" in markdown
    assert "Channel warnings" in markdown and "BRANDPULSE_X_BEARER_TOKEN" in markdown


def test_retention_command_needs_days_or_a_setting(tmp_path: Path) -> None:
    config = tmp_path / "brandpulse.toml"
    config.write_text('[warehouse]\npath = "wh.duckdb"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["retention", "--config", str(config)])
    assert result.exit_code == 2
    assert "retention_days" in result.output
    assert not (tmp_path / "wh.duckdb").exists()
