"""`brandpulse trends`, `export` and `report` on the tiny fixture, checked against hand-computed numbers."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from flows.cli.main import app

runner = CliRunner()


def table_rows(output: str) -> list[list[str]]:
    """The body rows of a rich table as lists of cell texts."""
    rows = []
    for line in output.splitlines():
        if line.startswith("│"):
            rows.append([cell.strip() for cell in line.strip("│").split("│")])
    return rows


def test_trends_by_channel_for_one_brand(small_project: Path) -> None:
    result = runner.invoke(app, ["trends", "--by", "channel", "--brand", "acme", "--days", "2"])
    assert result.exit_code == 0, result.output
    # Nov 10-11: survey 5 (s3, s5 negative; mean 0.1), x 4 (a3, a4, a5, a7; mean -0.125), reddit 1 (a6).
    assert table_rows(result.output) == [
        ["Acme", "survey", "5", "0.4", "0.1"],
        ["Acme", "x", "4", "0.5", "-0.125"],
        ["Acme", "reddit", "1", "0.0", "0.7"],
    ]


def test_trends_by_brand_keeps_the_share_among_all_brands(small_project: Path) -> None:
    both = runner.invoke(app, ["trends", "--by", "brand", "--days", "2"])
    assert both.exit_code == 0, both.output
    assert table_rows(both.output) == [
        ["Acme", "10", "0.769", "0.4", "0.07"],
        ["Globex", "3", "0.231", "0.333", "-0.1"],
    ]
    one = runner.invoke(app, ["trends", "--by", "brand", "--days", "2", "--brand", "Globex"])
    assert table_rows(one.output) == [["Globex", "3", "0.231", "0.333", "-0.1"]]


def test_trends_by_topic(small_project: Path) -> None:
    result = runner.invoke(app, ["trends", "--by", "topic", "--days", "3"])
    assert result.exit_code == 0, result.output
    # delivery: a1, a3, a4 (all negative: -0.8, -0.9, -0.5) for Acme, g1 for Globex; price: a6.
    assert table_rows(result.output) == [
        ["Acme", "delivery", "3", "1.0", "-0.733"],
        ["Acme", "price", "1", "0.0", "0.7"],
        ["Globex", "delivery", "1", "1.0", "-0.6"],
    ]


def test_trends_by_week(small_project: Path) -> None:
    result = runner.invoke(app, ["trends", "--by", "week", "--brand", "Acme"])
    assert table_rows(result.output) == [["2026-11-09", "Acme", "12", "0.417", "0.042"]]


def test_trends_refuses_an_unknown_brand_or_grouping(small_project: Path) -> None:
    unknown = runner.invoke(app, ["trends", "--brand", "Initech"])
    assert unknown.exit_code == 2 and "unknown brand 'Initech'" in unknown.output
    bad_by = runner.invoke(app, ["trends", "--by", "month"])
    assert bad_by.exit_code == 2 and "topic" in bad_by.output


def test_export_csv_matches_the_view(small_project: Path) -> None:
    result = runner.invoke(app, ["export", "--format", "csv", "--out", "bi", "--view", "share_of_voice"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (small_project / "bi").iterdir()) == ["share_of_voice.csv"]
    with (small_project / "bi" / "share_of_voice.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    by_key = {(r["day"], r["brand"]): r for r in rows}
    # Nov 9: Acme 2, Globex 3; Nov 10: Acme 4, Globex 1; Nov 11: Acme 6, Globex 2.
    assert {k: int(r["mentions"]) for k, r in by_key.items()} == {
        ("2026-11-09", "Acme"): 2,
        ("2026-11-09", "Globex"): 3,
        ("2026-11-10", "Acme"): 4,
        ("2026-11-10", "Globex"): 1,
        ("2026-11-11", "Acme"): 6,
        ("2026-11-11", "Globex"): 2,
    }
    assert float(by_key[("2026-11-10", "Acme")]["share"]) == 0.8


def test_export_parquet_writes_every_view(small_project: Path) -> None:
    result = runner.invoke(app, ["export"])
    assert result.exit_code == 0, result.output
    files = {p.stem: p for p in (small_project / "exports").glob("*.parquet")}
    assert {"mentions_scored", "sentiment_daily", "share_of_voice", "topic_daily", "feedback_scores", "alerts"} <= set(
        files
    )
    assert not list((small_project / "exports").glob(".*tmp"))
    con = duckdb.connect()
    # 18 mentions (Acme a1-a7 and s1-s5, Globex g1-g6), each with one brand.
    assert con.execute("SELECT count(*) FROM read_parquet(?)", [str(files["mentions_scored"])]).fetchone()[0] == 18
    nps = con.execute("SELECT nps FROM read_parquet(?) WHERE brand = 'Acme'", [str(files["feedback_scores"])])
    assert round(nps.fetchone()[0], 2) == 33.33


def test_export_refuses_an_unknown_view_or_format(small_project: Path) -> None:
    view = runner.invoke(app, ["export", "--view", "mentions; DROP TABLE mentions"])
    assert view.exit_code == 2 and "unknown view" in view.output
    fmt = runner.invoke(app, ["export", "--format", "xlsx"])
    assert fmt.exit_code == 2 and "parquet, csv" in fmt.output
    assert not (small_project / "exports").exists()


def test_report_command_writes_the_page(small_project: Path) -> None:
    result = runner.invoke(app, ["report", "--from", "2026-11-10", "--to", "2026-11-11", "--out", "r/acme.html"])
    assert result.exit_code == 0, result.output
    assert "Acme vs Globex" in result.output and "10 mentions" in result.output and "1 alert(s)" in result.output
    html = (small_project / "r" / "acme.html").read_text(encoding="utf-8")
    assert "2026-11-10 – 2026-11-11" in html
    default = runner.invoke(app, ["report", "--brand", "globex"])
    assert default.exit_code == 0, default.output
    assert (small_project / "reports" / "brandpulse-globex-2026-11-11.html").exists()


def test_report_command_names_the_bad_option(small_project: Path) -> None:
    bad_date = runner.invoke(app, ["report", "--from", "11/10/2026"])
    assert bad_date.exit_code == 2 and "--from must be a date" in bad_date.output
    backwards = runner.invoke(app, ["report", "--from", "2026-11-11", "--to", "2026-11-10"])
    assert backwards.exit_code == 2 and "before --from" in backwards.output
    brand = runner.invoke(app, ["report", "--brand", "Nobody"])
    assert brand.exit_code == 2 and "unknown brand 'Nobody'" in brand.output


def test_report_without_a_warehouse_says_what_to_do(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "brandpulse.toml").write_text(
        '[warehouse]\npath = "none.duckdb"\n[[brands]]\nname = "Acme"\nterms = ["acme"]\n', encoding="utf-8"
    )
    result = runner.invoke(app, ["report"])
    assert result.exit_code == 1 and "brandpulse run" in result.output
