"""`brandpulse alerts backtest`: replays detection over stored history and prints what it would have sent."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers.alerts import fill_warehouse
from typer.testing import CliRunner

from flows.cli.common import parse_when
from flows.cli.main import app

START = datetime(2024, 4, 1, tzinfo=UTC)
SPIKE = START + timedelta(days=15, hours=9)
runner = CliRunner()


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("backtest")
    hours = [(1 if h % 3 == 0 else 0, 4) for h in range(17 * 24)]
    at = int((SPIKE - START) / timedelta(hours=1))
    for offset, negatives in enumerate([12, 30, 45, 20]):
        hours[at + offset] = (negatives, 6)
    fill_warehouse(folder / "wh.duckdb", hours, start=START)
    path = folder / "brandpulse.toml"
    path.write_text(
        '[warehouse]\npath = "wh.duckdb"\n[[brands]]\nname = "Acme"\nterms = ["acme"]\n'
        '[[brands]]\nname = "Globex"\nterms = ["globex"]\n[alerts]\npreset = "balanced"\n',
        encoding="utf-8",
    )
    return path


def test_json_prints_one_object_per_episode(config: Path) -> None:
    result = runner.invoke(
        app, ["alerts", "backtest", "--brand", "acme", "--from", "2024-04-10", "--to", "2024-04-17", "--json",
              "--config", str(config)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    [line] = result.output.strip().splitlines()
    record = json.loads(line)
    assert {k: record[k] for k in ("brand", "signal", "start", "end", "observed")} == {
        "brand": "Acme",
        "signal": "negative_volume",
        "start": "2024-04-16T09:00:00+00:00",
        "end": "2024-04-16T13:00:00+00:00",
        "observed": 107,
    }
    assert 0 < record["expected"] < 10
    assert record["alert_at"] == "2024-04-16T10:00:00+00:00"
    assert record["resolved_at"] == "2024-04-16T19:00:00+00:00"
    assert record["updates_at"] and record["channels"][0]["name"] in {"x", "reddit"}


def test_text_output_and_presets(config: Path) -> None:
    args = ["alerts", "backtest", "-b", "Acme", "--from", "2024-04-10", "--to", "2024-04-17", "-c", str(config)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "1 episode(s) for Acme" in result.output
    assert "2024-04-16 09:00 → 2024-04-16 13:00 UTC (4 h)" in result.output
    assert "would have sent: alert at 04-16 10:00" in result.output
    before = runner.invoke(app, [*args[:5], "2024-04-10", "--to", "2024-04-15", "-c", str(config)])
    assert "No alerts for Acme" in before.output
    strict = runner.invoke(app, [*args, "--preset", "strict"])
    assert strict.exit_code == 0 and "(strict)" in strict.output


def test_mistakes_are_clear(config: Path) -> None:
    unknown = runner.invoke(app, ["alerts", "backtest", "-b", "Hooli", "--from", "2024-04-10", "--to", "2024-04-17",
                                  "-c", str(config)])  # fmt: skip
    assert unknown.exit_code == 2 and "unknown brand 'Hooli'" in unknown.output
    bad_date = runner.invoke(app, ["alerts", "backtest", "-b", "Acme", "--from", "yesterday", "--to", "2024-04-17",
                                   "-c", str(config)])  # fmt: skip
    assert bad_date.exit_code == 2 and "not an ISO date" in bad_date.output
    no_data = runner.invoke(app, ["alerts", "backtest", "-b", "Globex", "--from", "2024-04-10", "--to", "2024-04-17",
                                  "-c", str(config)])  # fmt: skip
    assert no_data.exit_code == 0 and "No alerts for Globex" in no_data.output


def test_dates_are_utc_and_a_bare_to_date_includes_that_day() -> None:
    assert parse_when("2024-04-16", "--from", times=True) == datetime(2024, 4, 16, tzinfo=UTC)
    assert parse_when("2024-04-16", "--to", times=True, end=True) == datetime(2024, 4, 17, tzinfo=UTC)
    assert parse_when("2024-04-16T10:30", "--from", times=True) == datetime(2024, 4, 16, 10, 30, tzinfo=UTC)
    assert parse_when("2024-04-16T19:00+09:00", "--from", times=True) == datetime(2024, 4, 16, 10, tzinfo=UTC)
