"""The Prefect flow `report`: write the HTML report; `brandpulse serve` and prefect.yaml run it daily."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from flows.report.render import DEFAULT_DAYS, ReportResult, default_report_path, write_report
from flows.resources import build_resources
from flows.runtime.config import load_config


@task(name="write-report", cache_policy=NO_CACHE)
def write_report_task(config_path: str | None, brand: str | None, days: int, out_dir: str) -> ReportResult:
    """Read the warehouse briefly (read-only), then render and write one brand's report."""
    config = load_config(Path(config_path) if config_path else None)
    return write_report(
        build_resources(config).warehouse,
        config,
        partial(default_report_path, folder=Path(out_dir)),
        brand=brand,
        days=days,
    )


@flow(name="report", log_prints=True)
def report_flow(
    config_path: str | None = None, brand: str | None = None, days: int = DEFAULT_DAYS, out_dir: str = "reports"
) -> dict[str, Any]:
    """Write reports/brandpulse-<brand>-<day>.html covering the last `days` days of stored mentions."""
    result = write_report_task(config_path, brand, days, out_dir)
    get_run_logger().info("wrote %s (%d mentions, %d alerts)", result.path, result.mentions, result.alerts)
    create_markdown_artifact(
        key="brandpulse-report",
        markdown=(
            f"**{result.scope.brand}** report, {result.period.start} – {result.period.end}: "
            f"{result.mentions} mentions, {result.alerts} alert(s). File: `{result.path}`"
        ),
        description="The latest brandpulse HTML report",
    )
    return {
        "path": str(result.path),
        "brand": result.scope.brand,
        "start": result.period.start.isoformat(),
        "end": result.period.end.isoformat(),
        "mentions": result.mentions,
        "alerts": result.alerts,
    }

