"""The Prefect flow `report` writes the page for the configured brand into the folder it is given."""

from __future__ import annotations

from pathlib import Path

from flows.report_flow import report_flow


def test_report_flow_writes_the_daily_page(small_project: Path, prefect_harness: None) -> None:
    config = str(small_project / "brandpulse.toml")
    summary = report_flow(config_path=config, days=2, out_dir=str(small_project / "out"))
    assert summary["brand"] == "Acme" and (summary["start"], summary["end"]) == ("2026-11-10", "2026-11-11")
    assert summary["mentions"] == 10 and summary["alerts"] == 1
    page = Path(summary["path"])
    assert page == small_project / "out" / "brandpulse-acme-2026-11-11.html"
    assert "Acme: what people said, 2026-11-10 – 2026-11-11" in page.read_text(encoding="utf-8")

