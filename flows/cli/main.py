"""The `brandpulse` console script: the typer app, `init`, and where every command module is registered."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from flows.cli import imports as cli_imports
from flows.cli import ops as cli_ops
from flows.cli import query as cli_query
from flows.cli import run as cli_run
from flows.cli import score as cli_score
from flows.cli.alerts import alerts_app
from flows.cli.common import err, out
from flows.cli.report import export, report
from flows.cli.topics import themes
from flows.runtime.config import CONFIG_FILENAME

app = typer.Typer(
    help="brandpulse: self-hosted social listening. Listen, score sentiment, load into DuckDB, alert on spikes.",
    no_args_is_help=True,
    add_completion=False,
)


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


# One module per group of commands; each is registered here under its command name.
app.command("run")(cli_run.run)
app.command("serve")(cli_run.serve)
app.command("score")(cli_score.score)
app.command("import")(cli_imports.import_)
app.command("runs")(cli_query.runs)
app.command("sql")(cli_query.sql)
app.command("trends")(cli_query.trends)
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
app.command("migrate")(cli_ops.migrate)
app.command("partitions")(cli_ops.partitions)


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
