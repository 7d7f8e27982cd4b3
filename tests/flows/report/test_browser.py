"""The report generated from the sample data, opened in headless Chromium: it renders, offline, safely, in Korean."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers.browser import PageState, chromium_binary, open_report
from helpers.report import (
    MALICIOUS_TEXT,
    add_keyword_topics,
    add_malicious_mention,
    add_simple_terms,
    build_sample_warehouse,
)

from flows.alerts.enqueue import detect_and_enqueue
from flows.report.render import write_report
from warehouse import Warehouse

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
CHARTS = {
    "volume", "sentiment", "share_trend", "share", "net_sentiment", "topics", "terms_negative", "terms_positive",
    "comparable",
}
HANGUL = re.compile(r"[\uac00-\ud7a3]")


@pytest.fixture(scope="module")
def sample_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, PageState]:
    """The sample data scored by the keyword fake, spikes detected, topics stored, one malicious post; opened."""
    if chromium_binary() is None:
        pytest.fail("Chromium is not installed: run `make test-deps` (apt-get install chromium chromium-driver "
                    "fonts-noto-cjk) before the tests", pytrace=False)
    folder = tmp_path_factory.mktemp("sample-report")
    config = build_sample_warehouse(folder)
    warehouse = Warehouse(config.warehouse.path)
    outcome = detect_and_enqueue(warehouse, config, run_id="sample", now=datetime(2026, 11, 23, tzinfo=UTC))
    assert outcome.new >= 1  # the outage of 2026-11-19
    add_keyword_topics(warehouse)
    add_malicious_mention(warehouse, "Acme", datetime(2026, 11, 20, 12, tzinfo=UTC))
    add_simple_terms(warehouse)
    result = write_report(warehouse, config, folder / "report.html")
    assert set(result.charts) == CHARTS
    state = open_report(result.path, screenshot=ARTIFACTS / "report-sample.png")
    return result.path, state


def test_no_console_errors(sample_page: tuple[Path, PageState]) -> None:
    _, state = sample_page
    assert state.errors == []
    # Content-Security-Policy violations and blocked loads are reported on the console too.
    assert not [e for e in state.console if "Content Security Policy" in e["message"] or "net::" in e["message"]]


def test_every_chart_rendered_with_marks(sample_page: tuple[Path, PageState]) -> None:
    _, state = sample_page
    assert state.probe["chartsRendered"] == "true"
    figures = {f["name"]: f for f in state.probe["figures"]}
    assert set(figures) == CHARTS
    for name, figure in figures.items():
        assert figure["rendered"] == "true" and figure["svg"], name
        assert figure["marks"] > 0, name


def test_korean_text_is_in_the_page(sample_page: tuple[Path, PageState]) -> None:
    _, state = sample_page
    text = state.probe["text"]
    assert len(HANGUL.findall(text)) > 200
    assert "애크미" in text
    assert state.probe["koreanFontOk"]


def test_malicious_mention_is_shown_as_text_and_never_runs(sample_page: tuple[Path, PageState]) -> None:
    _, state = sample_page
    text = state.probe["text"]
    assert '<script>window.__pwned = "script"</script>' in text
    assert "<img src=x onerror=" in text
    assert MALICIOUS_TEXT.split("<!--")[0].strip() in text
    assert state.probe["pwned"] is None
    assert state.probe["injectedImages"] == 0
    assert state.probe["injectedScripts"] == 2  # the chart library and the chart runner


def test_a_screenshot_is_kept(sample_page: tuple[Path, PageState]) -> None:
    shot = ARTIFACTS / "report-sample.png"
    assert shot.exists() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 50_000
