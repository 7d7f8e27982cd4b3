"""The brandpulse CLI: init, import with rejects, score, sql, trends and config errors."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from helpers.config import write_config
from typer.testing import CliRunner

from flows.cli.main import app
from flows.runtime.config import load_config

runner = CliRunner()

IMPORT_CSV = """channel,id,text,created_at,kind,rating,rating_scale
x,1,acme great fast,2026-11-01T10:00:00Z,post,,
x,2,,2026-11-01T11:00:00Z,post,,
x,3,globex love,not-a-date,post,,
survey,4,애크미 주문 오늘,2026-11-01T12:00:00+09:00,survey,11,nps
survey,5,애크미 배송 최고,2026-11-01T12:00:00+09:00,survey,9,nps
"""


@pytest.fixture
def project(tmp_path: Path, tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write_config(tmp_path, model={"sentiment": tiny_model_dir, "encoder": tiny_model_dir})
    return tmp_path


def test_init_writes_a_commented_valid_config(tmp_path: Path) -> None:
    target = tmp_path / "conf" / "brandpulse.toml"
    result = runner.invoke(app, ["init", str(target)])
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8")
    assert text.count("#") > 20 and "[[brands]]" in text and "BRANDPULSE_X_BEARER_TOKEN" in text
    assert load_config(target).brands[0].exclude == ["acme anvil"]
    again = runner.invoke(app, ["init", str(target)])
    assert again.exit_code == 1 and "already exists" in again.output


def test_import_loads_good_rows_and_rejects_bad_ones_with_line_numbers(project: Path) -> None:
    (project / "feedback.csv").write_text(IMPORT_CSV, encoding="utf-8")
    result = runner.invoke(app, ["import", "feedback.csv"])
    assert result.exit_code == 0, result.output
    assert "2 new" in result.output and "3 rejected" in result.output
    with duckdb.connect(str(project / "wh.duckdb"), read_only=True) as con:
        rejects = con.execute("SELECT line, reason FROM rejects ORDER BY line").fetchall()
        brands = con.execute("SELECT id, brand FROM mention_brands ORDER BY id").fetchall()
    assert [line for line, _ in rejects] == [3, 4, 5]
    assert "text" in rejects[0][1] and "created_at" in rejects[1][1] and "nps" in rejects[2][1]
    assert brands == [("1", "Acme"), ("5", "Acme")]
    again = runner.invoke(app, ["import", "feedback.csv"])
    assert "0 new, 2 already stored" in again.output


def test_import_with_brand_assigns_every_row(project: Path) -> None:
    (project / "nps.csv").write_text(
        "channel,id,text,created_at,kind,rating,rating_scale\n"
        "survey,n1,배송이 늦었어요,2026-11-02T09:00:00Z,survey,3,nps\n",
        encoding="utf-8",
    )
    assert runner.invoke(app, ["import", "nps.csv", "--brand", "globex"]).exit_code == 0
    with duckdb.connect(str(project / "wh.duckdb"), read_only=True) as con:
        assert con.execute("SELECT brand FROM mention_brands").fetchall() == [("Globex",)]
    unknown = runner.invoke(app, ["import", "nps.csv", "--brand", "Umbrella"])
    assert unknown.exit_code == 2 and "unknown brand 'Umbrella'" in unknown.output


def test_import_keeps_the_brands_own_posts_apart_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_config(tmp_path, brands=[{"name": "Acme", "terms": ["acme"], "owned": ["@acmehelp"]}])
    (tmp_path / "x.csv").write_text(
        "channel,id,text,created_at,author_handle,kind,parent_id\n"
        "x,1,acme app down,2026-11-01T10:00:00Z,kim,post,\n"
        "x,2,Sorry! Please DM us,2026-11-01T10:09:00Z,acmehelp,reply,1\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["import", "x.csv"])
    assert result.exit_code == 0, result.output
    assert "2 new" in result.output and "0 matched no brand" in result.output
    with duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True) as con:
        assert con.execute("SELECT id FROM mentions_scored").fetchall() == [("1",)]
        assert con.execute("SELECT id, brand FROM owned_posts").fetchall() == [("2", "Acme")]


def test_score_prints_one_json_line_per_text(project: Path) -> None:
    (project / "texts.txt").write_text("acme great fast\nacme refund late\n", encoding="utf-8")
    result = runner.invoke(app, ["score", "acme app terrible broken", "--file", "texts.txt"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["label"] for line in lines] == ["negative", "positive", "negative"]
    for line in lines:
        assert set(line["probs"]) == {"negative", "neutral", "positive"}
        assert abs(line["score"] - (line["probs"]["positive"] - line["probs"]["negative"])) < 1e-3
        assert line["model"] and line["model_version"]


def test_sql_is_read_only_and_prints_tables(project: Path) -> None:
    (project / "feedback.csv").write_text(IMPORT_CSV, encoding="utf-8")
    runner.invoke(app, ["import", "feedback.csv"])
    result = runner.invoke(app, ["sql", "SELECT channel, count(*) AS n FROM mentions GROUP BY channel ORDER BY 1"])
    assert result.exit_code == 0, result.output
    assert "survey" in result.output and "2 row(s)" in result.output
    as_json = runner.invoke(app, ["sql", "SELECT id FROM mentions ORDER BY id", "--format", "json"])
    assert [json.loads(line)["id"] for line in as_json.stdout.splitlines()] == ["1", "5"]
    refused = runner.invoke(app, ["sql", "DELETE FROM mentions"])
    assert refused.exit_code != 0
    with duckdb.connect(str(project / "wh.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM mentions").fetchone() == (2,)


def test_sql_before_any_run_says_what_to_do(project: Path) -> None:
    result = runner.invoke(app, ["sql", "SELECT 1"])
    assert result.exit_code == 1 and "brandpulse run" in result.output


def test_wrong_config_fails_naming_key_and_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[alerts]\npreset = "loud"\n', encoding="utf-8")
    result = runner.invoke(app, ["run", "--config", str(bad)])
    assert result.exit_code == 2
    assert "alerts.preset" in result.output and "bad.toml" in result.output
