"""The `brandpulse` command line: init, run, serve, score, import, sql, trends."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from flows.cli import ops as cli_ops
from flows.cli.alerts import alerts_app
from flows.cli.common import (
    EXIT_ALERTS_BLOCKED,
    EXIT_ERROR,
    EXIT_PARTIAL,
    ConfigOption,
    err,
    fail,
    out,
    safe_text,
    say,
)
from flows.cli.report import export, report
from flows.cli.topics import themes
from flows.runtime.config import CONFIG_FILENAME, Config, load_config
from models.errors import BrandpulseError, ConfigError, FatalError
from warehouse.safe_output import neutralise_cell, terminal_safe

app = typer.Typer(
    help="brandpulse: self-hosted social listening. Listen, score sentiment, load into DuckDB, alert on spikes.",
    no_args_is_help=True,
    add_completion=False,
)


def _config(path: Path | None) -> Config:
    return load_config(path)


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the config.")] = Path(CONFIG_FILENAME),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented brandpulse.toml to start from."""
    if path.exists() and not force:
        err.print(f"[red]{path} already exists[/]; use --force to overwrite it.")
        raise typer.Exit(1)
    template = (Path(__file__).parent / "init_template.toml").read_text(encoding="utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(template, encoding="utf-8")
    out.print(f"Wrote {path}. Edit its brands tables, then run: brandpulse run --config {path}", markup=False)
    out.print("Secrets (Slack webhook, API tokens) go in environment variables: see .env.example.")


@app.command()
def run(config: ConfigOption = None) -> None:
    """Run one pass (listen → score → load → detect → alert) as a Prefect flow and print a summary.

    Exit status: 0 done, 1 an error stopped the run, 2 a configuration error, 3 partial (a source — an import
    file, a channel — failed; the rest of the pass still ran), 4 the run finished but Slack refused the alerts
    (parked as `blocked`).
    """
    from flows.pipeline import pipeline
    from warehouse import Warehouse

    try:
        cfg = _config(config)
        # The file checked before the flow starts: a damaged, read-only or locked warehouse is one line here,
        # not a flow that fails with a traceback after its first write.
        Warehouse(cfg.warehouse.path, lock_timeout_s=cfg.warehouse.lock_timeout_s, notify=say).check()
        cfg.require_brands("brandpulse run")  # here too, so the error is one line, not a failed flow run
        summary = pipeline(config_path=str(config) if config else None)
    except BrandpulseError as exc:
        raise fail(exc) from None
    _print_summary(cfg, summary)
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


def _edited(count: int) -> str:
    """ "N edited, " when a re-import changed stored text, else nothing (the usual case stays short)."""
    return f"{count} edited, " if count else ""


def _print_summary(cfg: Config, summary: dict[str, Any]) -> None:
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
                f"{item['inserted']} new, {_edited(item.get('edited', 0))}{item['duplicates']} already stored, "
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
    out.print(f"warehouse: {summary['warehouse']}", markup=False)
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


@app.command()
def serve(
    config: ConfigOption = None,
    every: Annotated[int, typer.Option(help="Minutes between runs.")] = 15,
) -> None:
    """Serve the schedules on this machine (pipeline, daily report, weekly retention; no work pool); Ctrl-C stops."""
    from prefect import serve as prefect_serve

    from flows.schedules import serve_deployments

    try:
        _config(config).require_brands("brandpulse serve")
    except BrandpulseError as exc:
        raise fail(exc) from None
    # The pipeline every N minutes, the report daily and retention weekly (flows/schedules.py).
    prefect_serve(*serve_deployments(str(config.resolve()) if config else None, every))


@app.command()
def score(
    texts: Annotated[list[str] | None, typer.Argument(help="Texts to score.")] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="A file with one text per line.")] = None,
    model: Annotated[str | None, typer.Option(help="Model: 'bundled', a local folder or a HF id.")] = None,
    taxonomy: Annotated[
        str | None, typer.Option(help="Topics: 'cx', 'none' or a taxonomy TOML (default: [model] taxonomy).")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Score texts and print one JSON line per text: label, score, probabilities, model, topics."""
    from flows.steps.topics import build_topic_scorer
    from models import load_sentiment

    try:
        cfg = _config(config)
        lines = list(texts or [])
        if file is not None:
            if not file.exists():
                raise ConfigError(f"file not found: {file}", key="--file")
            lines += file.read_text(encoding="utf-8").splitlines()
        if not lines:
            raise ConfigError("nothing to score: give texts or --file PATH", key="score")
        name = model or cfg.model.sentiment
        scorer = load_sentiment(
            None if name == "bundled" else name, batch_size=cfg.model.batch_size, precision=cfg.model.precision
        )
        if taxonomy is not None:  # a --taxonomy path is relative to the current folder, like --file
            cfg.model.taxonomy = taxonomy if taxonomy.lower() in ("cx", "none") else str(Path(taxonomy).resolve())
        # Built before scoring so the bundled model's sentiment pass also leaves the topic embeddings ready.
        topic_scorer = build_topic_scorer(cfg, scorer)
        results = _predict_with_progress(scorer, lines)
        topics = topic_scorer.score(lines, None, results) if topic_scorer is not None else None
    except BrandpulseError as exc:
        raise fail(exc) from None
    for i, result in enumerate(results):
        line = result.as_json()
        if topics is not None:
            line["topics"] = [match.as_json() for match in topics[i].topics]
        sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")


def _predict_with_progress(scorer: Any, lines: list[str]) -> list[Any]:
    if len(lines) <= 256:
        return scorer.predict(lines)
    from rich.progress import Progress

    results: list[Any] = []
    with Progress(console=err, transient=True) as progress:
        bar = progress.add_task("scoring", total=len(lines))
        for start in range(0, len(lines), 256):
            results += scorer.predict(lines[start : start + 256])
            progress.advance(bar, min(256, len(lines) - start))
    return results


@app.command("import")
def import_(
    files: Annotated[list[Path], typer.Argument(help="CSV or JSONL files of mentions or survey feedback.")],
    brand: Annotated[str | None, typer.Option(help="Assign every row to this brand (e.g. survey answers).")] = None,
    channel: Annotated[str, typer.Option(help="Channel for rows without a channel column.")] = "file",
    config: ConfigOption = None,
) -> None:
    """Import mentions or survey feedback; bad rows go to the rejects table with line and reason.

    A file that cannot be read is reported and skipped, the others are imported: exit status 3 (partial).
    """
    from flows.runtime.runs import new_run_id
    from flows.steps.imports import import_file
    from models.brands import BrandMatcher
    from warehouse import Warehouse

    try:
        cfg = _config(config)
        if brand is not None:
            brand = cfg.brand(brand).name
        wh = Warehouse(
            cfg.warehouse.path, lock_timeout_s=cfg.warehouse.lock_timeout_s, dates=cfg.warehouse.date_limits()
        )
        matcher = BrandMatcher.from_brands(cfg.brands)
        run_id = new_run_id("import-")
        failed: list[str] = []
        for path in files:
            result = import_file(
                wh, path, matcher, run_id=run_id, default_channel=channel, default_brand=brand, force=True
            )
            if result.error is not None:
                err.print(safe_text(f"{path}: failed: {result.error}", style="red"))
                failed.append(str(path))
                continue
            out.print(
                f"{path}: {result.read} valid rows, {result.inserted} new, {_edited(result.edited)}"
                f"{result.duplicates} already stored, {result.rejected} rejected, {result.unmatched} matched no brand",
                markup=False,
            )
            for reject in result.rejects[:20]:
                where = f"line {reject.line}" if reject.line is not None else (reject.record_id or "?")
                err.print(safe_text(f"  rejected {where}: {reject.reason}"), highlight=False)
            if result.rejected > 20:
                err.print(f'  … and {result.rejected - 20} more: brandpulse sql "SELECT * FROM rejects"')
            if result.read == 0 and result.rejected > 0:
                failed.append(str(path))  # every row was rejected: nothing of this file got in
    except BrandpulseError as exc:
        raise fail(exc) from None
    out.print(f"warehouse: {cfg.warehouse.path}", markup=False)
    if failed:
        # Nothing imported at all is a failure; some files in and some not is partial.
        raise typer.Exit(EXIT_ERROR if len(failed) == len(files) else EXIT_PARTIAL)


@app.command()
def runs(
    limit: Annotated[int, typer.Option(help="How many of the newest runs to show.", min=1)] = 20,
    config: ConfigOption = None,
) -> None:
    """The newest runs with their status (completed, partial, failed, abandoned, running) and why."""
    from flows.runtime.run_lock import no_other_run
    from warehouse import Warehouse, recent_runs

    try:
        cfg = _config(config)
        with Warehouse(cfg.warehouse.path).read() as con:
            rows = recent_runs(con, limit)
    except BrandpulseError as exc:
        raise fail(exc) from None
    with no_other_run(cfg.warehouse.path) as alone:
        pass
    table = Table("run", "status", "started", "finished", "reason")
    for row in rows:
        status, reason = str(row["status"]), row["reason"] or ""
        if status == "running" and alone:
            # Nothing holds the run lock, so this run's process is gone; the next run marks it abandoned.
            status, reason = "running?", "no live process holds the run lock: the next run marks it abandoned"
        style = {"failed": "red", "abandoned": "red", "partial": "yellow", "running?": "yellow"}.get(status, "")
        table.add_row(
            safe_text(row["run_id"]),
            safe_text(status, style=style),
            _when(row["started_at"]),
            _when(row["finished_at"]),
            safe_text(reason),
        )
    out.print(table)


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else ""


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="A read-only SQL query over the warehouse views and tables.")],
    fmt: Annotated[str, typer.Option("--format", help="table | csv | json")] = "table",
    raw: Annotated[
        bool, typer.Option("--raw", help="CSV: keep text cells exactly as stored (no ' before =, +, -, @).")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Run a read-only SQL query against the warehouse (no files, network or extensions) and print the result."""
    from warehouse import Warehouse, run_readonly_sql

    try:
        cfg = _config(config)
        # Sandboxed: the query sees the warehouse only; read_csv('http://…'), INSTALL or ATTACH are refused.
        with Warehouse(cfg.warehouse.path).read(sandboxed=True) as con:
            columns, rows = run_readonly_sql(con, query)
    except BrandpulseError as exc:
        raise fail(exc) from None
    except Exception as exc:  # a DuckDB parser/binder/permission error: the user's SQL, not our bug
        message = " ".join(terminal_safe(str(exc)).split())
        err.print(f"[bold red]SQL error:[/] {escape(message)}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    _print_rows(columns, rows, fmt, raw=raw)


def _print_rows(columns: list[str], rows: list[tuple[Any, ...]], fmt: str, *, raw: bool = False) -> None:
    if fmt == "json":
        # json.dumps writes control characters as \u001b escapes: nothing reaches the terminal raw.
        for row in rows:
            sys.stdout.write(json.dumps(dict(zip(columns, row, strict=True)), default=str, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        import csv

        # CSV is opened in spreadsheets: text cells that would run as formulas get a leading ' unless --raw.
        cells = (row if raw else [neutralise_cell(value) for value in row] for row in rows)
        if sys.stdout.isatty():  # a person reads it: the same control-character stripping as the table
            cells = ([terminal_safe(v) if isinstance(v, str) else v for v in row] for row in cells)
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(cells)
    else:
        table = Table()
        for column in columns:
            table.add_column(safe_text(column))
        for row in rows:
            # Text cells: mention text is data; no rich markup and no terminal escape sequences from it.
            table.add_row(*(safe_text(value) for value in row))
        out.print(table)
        out.print(f"{len(rows)} row(s)")


# Every query takes (since, until, brand, brand): a NULL brand means every brand. Shares are of scored mentions.
_TREND_MEASURES = (
    "sum(mentions) AS mentions, round(sum(negative) / nullif(sum(scored), 0), 3) AS negative_share, "
    "round(sum(net_sentiment * scored) / nullif(sum(scored), 0), 3) AS net_sentiment"
)
_TREND_FILTER = "WHERE day BETWEEN ? AND ? AND (CAST(? AS VARCHAR) IS NULL OR brand = ?)"
TREND_QUERIES = {
    "channel": f"SELECT brand, channel, {_TREND_MEASURES} FROM sentiment_daily {_TREND_FILTER} "
    "GROUP BY ALL ORDER BY brand, mentions DESC",
    "day": f"SELECT day, brand, {_TREND_MEASURES} FROM sentiment_daily {_TREND_FILTER} "
    "GROUP BY ALL ORDER BY day, brand",
    "week": f"SELECT CAST(date_trunc('week', day) AS DATE) AS week, brand, {_TREND_MEASURES} FROM sentiment_daily "
    f"{_TREND_FILTER} GROUP BY ALL ORDER BY week, brand",
    # Share of voice is taken among all brands first, then --brand picks one row.
    "brand": "SELECT * FROM (SELECT brand, sum(mentions) AS mentions, "
    "round(sum(mentions) / sum(sum(mentions)) OVER (), 3) AS share_of_voice, "
    "round(sum(negative) / nullif(sum(scored), 0), 3) AS negative_share, "
    "round(sum(net_sentiment * scored) / nullif(sum(scored), 0), 3) AS net_sentiment FROM share_of_voice "
    "WHERE day BETWEEN ? AND ? GROUP BY brand) WHERE (CAST(? AS VARCHAR) IS NULL OR brand = ?) ORDER BY mentions DESC",
    "topic": f"SELECT brand, topic, {_TREND_MEASURES} FROM topic_daily {_TREND_FILTER} "
    "GROUP BY ALL ORDER BY brand, mentions DESC, topic",
}


@app.command()
def trends(
    by: Annotated[str, typer.Option(help="channel | day | week | brand | topic")] = "channel",
    days: Annotated[int, typer.Option(help="How many days back from the newest mention.")] = 28,
    brand: Annotated[str | None, typer.Option(help="Only this brand (default: every brand).")] = None,
    config: ConfigOption = None,
) -> None:
    """Sentiment trends as a terminal table, over the last N days of stored data."""
    from datetime import date, timedelta

    from warehouse import Warehouse
    from warehouse.queries.report import latest_plausible_day

    if by not in TREND_QUERIES:
        err.print(f"[red]--by must be one of {', '.join(TREND_QUERIES)}[/]")
        raise typer.Exit(2)
    try:
        cfg = _config(config)
        brand_name = cfg.brand(brand).name if brand is not None else None
        with Warehouse(cfg.warehouse.path).read() as con:
            # Days after tomorrow are broken dates (stored before the load-time check): never the window's end.
            newest = con.execute(
                "SELECT max(day) FROM sentiment_daily WHERE day <= ?", [latest_plausible_day()]
            ).fetchone()[0]
            if newest is None:
                raise FatalError("the warehouse has no scored mentions yet: run `brandpulse run` first")
            if days < 1:
                raise ConfigError(f"--days must be at least 1, got {days}", key="--days")
            since = newest - timedelta(days=min(days, (newest - date.min).days + 1) - 1)
            cursor = con.execute(TREND_QUERIES[by], [since, newest, brand_name, brand_name])
            columns = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
    except BrandpulseError as exc:
        raise fail(exc) from None
    if by == "topic" and not rows:
        out.print("no topic scores in this window yet: topics appear once topic scoring has run")
        return
    _print_rows(columns, rows, "table")


# The report and export commands live in flows/cli/report.py.
app.command("report")(report)
app.command("themes")(themes)
app.command("export")(export)
# Operations on stored data live in flows/cli/ops.py.
app.command("rescore")(cli_ops.rescore)
app.command("retention")(cli_ops.retention)
app.command("backfill")(cli_ops.backfill)
app.command("backup")(cli_ops.backup)
app.command("restore")(cli_ops.restore)


app.add_typer(alerts_app, name="alerts")


def main() -> None:
    """Console-script entry point."""
    # Offline by default: no usage telemetry from Prefect's temporary server, no hub look-ups.
    # Prefect's temporary API gets more than its default 30 s to start on a busy laptop.
    for name, value in (
        ("DO_NOT_TRACK", "1"),
        ("PREFECT_SERVER_ANALYTICS_ENABLED", "false"),
        ("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120"),
    ):
        os.environ.setdefault(name, value)
    app()


if __name__ == "__main__":
    main()
