"""Rows with impossible dates (stored before the load-time check, or by hand) never crash a view, trends or report."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli.main import app
from flows.report.render import resolve_period
from models.errors import ConfigError
from warehouse import VIEW_NAMES, Warehouse
from warehouse.queries import report as rq

runner = CliRunner()
BROKEN = {
    "far-future": "9999-12-31 23:00:00+00",
    "year-one": "0001-01-01 00:00:00+00",
    "2126": "2126-03-01 00:00:00+00",
}


def insert_broken_rows(db: Path) -> None:
    """Acme mentions with broken dates, brand match and score, written straight into the tables."""
    with duckdb.connect(str(db)) as con:
        for mid, when in BROKEN.items():
            con.execute(
                """INSERT INTO mentions (channel, id, text, created_at, kind, ingested_at)
                VALUES ('x', ?, 'acme from a broken clock', ?, 'post', now())""",
                [mid, when],
            )
            con.execute("INSERT INTO mention_brands VALUES ('x', ?, 'Acme', ['acme'])", [mid])
            con.execute(
                """INSERT INTO scores VALUES ('x', ?, 'fake', 'fake-1', 'negative', -0.9, 0.9, 0.1, 0.0, now())""",
                [mid],
            )


def test_views_and_report_queries_survive_broken_dates(small_project: Path) -> None:
    insert_broken_rows(small_project / "small.duckdb")
    with Warehouse(small_project / "small.duckdb").read() as con:
        for view in VIEW_NAMES:
            con.execute(f"SELECT * FROM {view}").fetchall()  # every view reads every stored value
        # The newest plausible day is the fixture's, not 9999-12-31 or 2126.
        assert rq.newest_day(con, ["Acme"]) == date(2026, 11, 11)
        assert rq.newest_day(con) == date(2026, 11, 11)
    with pytest.raises(ConfigError, match="--from/--to"):
        resolve_period(None, None, date(9999, 12, 31), 28)
    with pytest.raises(ConfigError, match="--from/--to"):
        resolve_period(None, date(1, 1, 1), date(1, 1, 2), 28)


def test_trends_and_report_commands_survive_broken_dates(small_project: Path) -> None:
    insert_broken_rows(small_project / "small.duckdb")
    trends = runner.invoke(app, ["trends", "--by", "day", "--days", "3"])
    assert trends.exit_code == 0, trends.output
    assert "2026-11-11" in trends.output and "9999" not in trends.output and "2126" not in trends.output
    report = runner.invoke(app, ["report", "--brand", "Acme", "--out", "r.html"])
    assert report.exit_code == 0, report.output
    assert "2026-11-11" in report.output and "Traceback" not in report.output
    far = runner.invoke(app, ["report", "--brand", "Acme", "--to", "9999-12-31", "--out", "far.html"])
    assert far.exit_code == 2 and "--from/--to" in far.output and "Traceback" not in far.output
