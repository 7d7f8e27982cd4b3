"""The schedules, in one place: what `brandpulse serve` runs and what prefect.yaml declares for a work pool."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

PIPELINE_EVERY_MINUTES = 15
REPORT_CRON = "0 7 * * *"  # daily, 07:00 UTC: yesterday is complete and the team sees it in the morning
RETENTION_CRON = "0 3 * * 0"  # weekly, Sunday 03:00 UTC: a quiet hour, few runs to queue behind it


@dataclass(frozen=True)
class Schedule:
    """One scheduled flow: deployment name, entrypoint (`file.py:flow`), and an interval or a cron (UTC)."""

    name: str
    entrypoint: str
    interval_minutes: int | None = None
    cron: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)

    def load_flow(self) -> Any:
        """The flow object the entrypoint names."""
        path, name = self.entrypoint.split(":")
        return getattr(importlib.import_module(path.removesuffix(".py").replace("/", ".")), name)


SCHEDULES: tuple[Schedule, ...] = (
    Schedule("pipeline", "flows/pipeline.py:pipeline", interval_minutes=PIPELINE_EVERY_MINUTES),
    Schedule("report", "flows/report_flow.py:report_flow", cron=REPORT_CRON),
    Schedule("retention", "flows/retention.py:retention", cron=RETENTION_CRON),
)


def serve_deployments(config_path: str | None, every_minutes: int = PIPELINE_EVERY_MINUTES) -> list[Any]:
    """The deployments `brandpulse serve` runs on this machine: the pipeline every N minutes, report, retention."""
    deployments = []
    for schedule in SCHEDULES:
        timing: dict[str, Any] = (
            {"interval": timedelta(minutes=every_minutes if schedule.name == "pipeline" else schedule.interval_minutes)}
            if schedule.interval_minutes
            else {"cron": schedule.cron}
        )
        deployments.append(
            schedule.load_flow().to_deployment(
                name=f"brandpulse-{schedule.name}",
                parameters={**schedule.parameters, "config_path": config_path},
                # One run of each at a time; across flows the run lock on the warehouse makes writers queue.
                concurrency_limit=1,
                **timing,
            )
        )
    return deployments
