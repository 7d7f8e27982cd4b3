"""`brandpulse run` and `serve`: one pass of the pipeline with its summary, and the schedules on this machine."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from flows.cli.common import (
    EXIT_ALERTS_BLOCKED,
    EXIT_PARTIAL,
    ConfigOption,
    edited_note,
    err,
    fail,
    out,
    resources,
    safe_text,
)
from flows.runtime.artifacts import step_line
from flows.runtime.config import Config, load_config
from flows.runtime.temporary_api import prefect_api
from models.errors import BrandpulseError
from warehouse.safe_output import terminal_safe


def run(config: ConfigOption = None) -> None:
    """Run one pass (listen → score → load → detect → alert) as a Prefect flow and print a summary.

    Exit status: 0 done, 1 an error stopped the run, 2 a configuration error, 3 partial (a source — an import
    file, a channel — failed; the rest of the pass still ran), 4 the run finished but Slack refused the alerts
    (parked as `blocked`).
    """
    with prefect_api() as api:
        from flows.pipeline import pipeline

        try:
            cfg = load_config(config)
            # The file checked before the flow starts: a damaged, read-only or locked warehouse is one line here,
            # not a flow that fails with a traceback after its first write.
            resources(cfg).warehouse.check()
            cfg.require_brands("brandpulse run")  # here too, so the error is one line, not a failed flow run
            api.ready()
            summary = pipeline(config_path=str(config) if config else None)
        except BrandpulseError as exc:
            raise fail(exc) from None
    print_summary(cfg, summary)
    if summary.get("status") == "partial":
        failed = summary.get("failed_sources", [])
        err.print(
            f"[yellow]partial run:[/] {len(failed)} source(s) failed ({escape(terminal_safe(', '.join(failed)))}); "
            "everything else was imported, scored and alerted on. Fix what the lines above name; the next run "
            "retries them.",
            highlight=False,
        )
    if summary.get("alerts_blocked"):
        raise typer.Exit(EXIT_ALERTS_BLOCKED)
    if summary.get("status") == "partial":
        raise typer.Exit(EXIT_PARTIAL)


EXAMPLE_QUERIES = (
    "SELECT brand, channel, sum(mentions) AS n, round(sum(negative) / sum(mentions), 2) AS negative_share "
    "FROM sentiment_daily GROUP BY ALL ORDER BY n DESC",
    "SELECT brand, signal, window_start, window_end, observed, round(expected, 1) AS expected, status FROM alerts",
)


def print_summary(cfg: Config, summary: dict[str, Any]) -> None:
    """The run summary on the console: imports, channel statuses, scoring, totals per brand and channel, alerts."""
    totals = summary.get("totals", {})
    out.rule("[bold]brandpulse run summary")
    for item in summary.get("imports", []):
        if item.get("error"):
            out.print(safe_text(f"import {Path(item['source']).name}: failed: {item['error']}", style="red"))
            continue
        state = (
            "unchanged, skipped"
            if item["skipped_unchanged"]
            else (
                f"{item['inserted']} new, {edited_note(item.get('edited', 0))}{item['duplicates']} already stored, "
                f"{item['rejected']} rejected"
            )
        )
        out.print(f"imported {Path(item['source']).name}: {state}", markup=False)
    for name, status in summary.get("channels", {}).items():
        if not name.startswith("file:"):
            # Live channels: "ok: N new", "rate-limited until T: …", "failed: reason" (one failing never stops others).
            style = "red" if status.startswith("failed") else ("yellow" if not status.startswith("ok") else None)
            out.print(safe_text(f"channel {name}: {status}", style=style or ""))
    out.print(f"scored {summary['scored']} mentions with {summary['model']}", markup=False)
    if summary.get("owned_accounts_changed"):
        out.print(
            "owned accounts: the [[brands]] owned list changed and now applies to every stored mention "
            "(their posts are the brands' own voice: not in the customer counts below)",
            markup=False,
        )
    table = Table(title="Mentions per channel and brand", show_lines=False)
    table.add_column("brand")
    table.add_column("channel")
    table.add_column("mentions", justify="right")
    for row in totals.get("by_channel_brand", []):
        table.add_row(safe_text(row["brand"] or "(no brand)"), safe_text(row["channel"]), str(row["mentions"]))
    out.print(table)
    split = Table(title="Sentiment split")
    for column in ("brand", "negative", "neutral", "positive", "net"):
        split.add_column(column, justify="right" if column != "brand" else "left")
    for row in totals.get("sentiment_by_brand", []):
        split.add_row(
            safe_text(row["brand"]),
            f"{row['negative_share']:.0%}",
            f"{row['neutral_share']:.0%}",
            f"{row['positive_share']:.0%}",
            f"{row['net_sentiment']:+.2f}",
        )
    out.print(split)
    out.print(
        f"alerts: {summary['alerts_new']} new episode(s), {summary.get('alerts_updates', 0)} update(s), "
        f"{summary.get('alerts_resolved', 0)} resolved note(s), {summary['alerts_sent']} delivered, "
        f"{summary['alerts_retry']} to retry, {summary['alerts_failed']} failed; "
        f"{totals.get('alerts_total', 0)} in the warehouse"
    )
    for line, style in alert_delivery_lines(summary):
        out.print(safe_text(line, style=style), soft_wrap=True)
    if summary.get("steps"):
        loaded = "" if summary.get("models_loaded", True) else " (nothing new to score: no model loaded)"
        out.print(f"steps: {step_line(summary['steps'])}{loaded}", markup=False, soft_wrap=True)
    out.print(f"warehouse: {summary['warehouse']}", markup=False)
    if summary.get("read_snapshot"):
        published = summary.get("read_snapshot_published_at") or "not yet"
        note = f"; {summary['read_snapshot_note']}" if summary.get("read_snapshot_note") else ""
        out.print(safe_text(f"read snapshot: {summary['read_snapshot']} (published {published}{note})"),
                  soft_wrap=True)
    out.print("try:")
    for query in EXAMPLE_QUERIES:
        out.print(f'  brandpulse sql "{query}"', highlight=False, markup=False, soft_wrap=True)


def alert_delivery_lines(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """Lines (with a style) about deliveries that need attention: blocked, expired, unknown, console-only."""
    lines: list[tuple[str, str]] = []

    def add(count_key: str, style: str, text: str) -> None:
        if summary.get(count_key):
            lines.append((f"alerts: {summary[count_key]} {text}", style))

    add("alerts_console", "yellow", "shown on the console only (no Slack destination: set "
        "BRANDPULSE_SLACK_WEBHOOK_URL, or BRANDPULSE_SLACK_BOT_TOKEN with [alerts] slack_channel)")  # fmt: skip
    add("alerts_blocked", "bold red", f"BLOCKED: {summary.get('alerts_blocked_reason') or ''}")
    add("alerts_expired", "red", "expired past [alerts] delivery_horizon_hours; see: brandpulse sql "
        "\"SELECT alert_key, last_error FROM alert_outbox WHERE status = 'expired'\"")  # fmt: skip
    add("alerts_unknown", "yellow", "posted with an unknown outcome and not sent again; if they are not in "
        "Slack: brandpulse alerts resend --unknown")  # fmt: skip
    add("alerts_in_doubt", "yellow", "posted without an answer from Slack; the next run checks or resends them")
    add("alerts_recovered", "", "found already in Slack after an interrupted post; not posted again")
    only = summary.get("alerts_console_only") or []
    if only:
        resent = summary.get("alerts_console_resent", 0)
        action = (
            f"{resent} queued for Slack now ([alerts] resend_console)"
            if resent
            else "not sent to Slack (set [alerts] resend_console = true, or: brandpulse alerts resend --console)"
        )
        lines.append((f"alerts: {len(only)} went only to the console in the last [alerts] console_catchup_hours; "
                      f"{action}:", "yellow"))  # fmt: skip
        lines += [(f"  {item}", "") for item in only]
    backlog = (summary.get("totals") or {}).get("alerts_by_status") or {}
    if backlog.get("blocked") and not summary.get("alerts_blocked"):
        lines.append((f"alerts: {backlog['blocked']} still blocked from earlier runs; after fixing Slack: "
                      "brandpulse alerts resend --blocked", "red"))  # fmt: skip
    return lines


def serve(
    config: ConfigOption = None,
    every: Annotated[int, typer.Option(help="Minutes between runs.")] = 15,
) -> None:
    """Serve the schedules on this machine (pipeline, daily report, weekly retention; no work pool); Ctrl-C stops."""
    from prefect import serve as prefect_serve

    from flows.schedules import serve_deployments

    try:
        load_config(config).require_brands("brandpulse serve")
    except BrandpulseError as exc:
        raise fail(exc) from None
    # The pipeline every N minutes, the report daily and retention weekly (flows/schedules.py).
    prefect_serve(*serve_deployments(str(config.resolve()) if config else None, every))
