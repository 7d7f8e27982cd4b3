"""Prefect artifacts for one run: a markdown summary and a table of channel statuses (pure builders + publish)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SUMMARY_KEY = "brandpulse-run-summary"
CHANNELS_KEY = "brandpulse-channel-status"
WARNINGS_KEY = "brandpulse-channel-warnings"
_HEALTHY = ("ok", "unchanged")


def _cell(value: Any) -> str:
    """Text safe inside a markdown table cell: pipes, newlines and HTML brackets cannot break the layout."""
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")


def channel_rows(summary: Mapping[str, Any]) -> list[dict[str, str]]:
    """One row per channel (and imported file): its name, health (ok / warning / skipped) and status line."""
    rows = []
    for channel, status in summary.get("channels", {}).items():
        state = "ok" if status.startswith(_HEALTHY) else "skipped" if status.startswith("skipped") else "warning"
        rows.append({"channel": channel, "health": state, "status": status})
    return rows


def channel_warnings(summary: Mapping[str, Any]) -> list[str]:
    """`channel: status` for every channel that failed, was rate-limited or unavailable in this run."""
    return [f"{row['channel']}: {row['status']}" for row in channel_rows(summary) if row["health"] == "warning"]


def step_line(steps: Mapping[str, Mapping[str, Any]]) -> str:
    """`sources 0.4 s · score 12.0 s (250 mentions/s) · …`: each step's wall time and rate, in run order."""
    parts = []
    for name, step in steps.items():
        rate = f" ({step['per_s']:,.0f} mentions/s)" if step.get("per_s") else ""
        parts.append(f"{name} {step.get('seconds', 0):.1f} s{rate}")
    return " · ".join(parts)


def summary_markdown(summary: Mapping[str, Any]) -> str:
    """The run summary as markdown: mentions by channel and brand, sentiment split, alerts, channel warnings."""
    totals = summary.get("totals", {})
    lines = [
        f"# brandpulse run `{_cell(summary.get('run_id'))}`: {_cell(summary.get('status'))}",
        "",
        f"- scored **{summary.get('scored', 0)}** mentions with `{_cell(summary.get('model'))}`",
        f"- alerts: {summary.get('alerts_new', 0)} new episode(s), {summary.get('alerts_sent', 0)} delivered, "
        f"{summary.get('alerts_retry', 0)} to retry, {summary.get('alerts_failed', 0)} failed, "
        f"{summary.get('alerts_blocked', 0)} blocked, {summary.get('alerts_console', 0)} console only; "
        f"{totals.get('alerts_total', 0)} in the warehouse",
        f"- warehouse: `{_cell(summary.get('warehouse'))}`",
    ]
    if summary.get("steps"):
        lines.append(f"- steps: {_cell(step_line(summary['steps']))}")
    warnings = channel_warnings(summary)
    if warnings:
        lines += ["", "## ⚠ Channel warnings", ""] + [f"- {_cell(w)}" for w in warnings]
    lines += ["", "## Mentions by channel and brand", "", "| brand | channel | mentions |", "|---|---|---:|"]
    for row in totals.get("by_channel_brand", []):
        lines.append(f"| {_cell(row['brand'] or '(no brand)')} | {_cell(row['channel'])} | {row['mentions']} |")
    lines += ["", "## Sentiment split", "", "| brand | negative | neutral | positive | net |"]
    lines.append("|---|---:|---:|---:|---:|")
    for row in totals.get("sentiment_by_brand", []):
        lines.append(
            f"| {_cell(row['brand'])} | {row['negative_share']:.0%} | {row['neutral_share']:.0%} | "
            f"{row['positive_share']:.0%} | {row['net_sentiment']:+.2f} |"
        )
    return "\n".join(lines) + "\n"


def publish_run_artifacts(summary: Mapping[str, Any]) -> None:
    """Create the run's artifacts in Prefect (a no-op outside a flow run, as Prefect's own functions are)."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    run = summary.get("run_id", "")
    create_markdown_artifact(
        key=SUMMARY_KEY, markdown=summary_markdown(summary), description=f"brandpulse run {run}"
    )
    create_table_artifact(
        key=CHANNELS_KEY, table=channel_rows(summary) or [{"channel": "", "health": "", "status": "no channels"}],
        description=f"channel statuses of run {run}",
    )
    warnings = channel_warnings(summary)
    if warnings:
        # A separate artifact so a failing channel stands out in the UI while the run itself stays Completed.
        create_markdown_artifact(
            key=WARNINGS_KEY,
            markdown="# ⚠ Channels with problems\n\n" + "\n".join(f"- {_cell(w)}" for w in warnings) + "\n",
            description=f"{len(warnings)} channel(s) need attention in run {run}",
        )
