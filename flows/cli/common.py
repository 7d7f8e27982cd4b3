"""What every `brandpulse` command module shares: the consoles, the --config option, error exits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from flows.runtime.config import CONFIG_FILENAME, Config
from models.errors import ConfigError
from models.mention import as_utc
from warehouse.safe_output import terminal_safe

if TYPE_CHECKING:
    from flows.resources import Resources
    from warehouse import Warehouse

# Exit statuses every command shares (README "Exit codes"): 0 done; 1 an error stopped the command (nothing done,
# or the run stopped); 2 a configuration or usage error (fix the setting the message names); 3 partial: some
# sources (an import file, a channel) failed and are named in the output, everything else was done; `run` adds 4:
# the pass finished but Slack refused the alerts, which are parked as `blocked` (wins over 3 when both happen).
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CONFIG = 2
EXIT_PARTIAL = 3
EXIT_ALERTS_BLOCKED = 4

out = Console()
err = Console(stderr=True)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help=f"Config file (default ./{CONFIG_FILENAME}, else the demo).")
]
# CSV output (`sql`, `export`) guards cells against spreadsheet formulas unless asked not to.
# Read commands open the read snapshot so an analyst never blocks (or waits for) a run; --live reads the live file.
LiveOption = Annotated[
    bool,
    typer.Option("--live", help="Read the live warehouse file instead of the read snapshot (newest data; waits "
                 "while a run writes, and blocks the run while it reads)."),
]
RawOption = Annotated[
    bool, typer.Option("--raw", help="CSV: keep text cells exactly as stored (no ' before =, +, -, @).")
]


DAY_FORMAT = "%Y-%m-%d"


def parse_when(value: str, flag: str, *, times: bool = False, end: bool = False) -> datetime:
    """A UTC day from the command line (YYYY-MM-DD, midnight), or with `times` also an ISO date-time (naive = UTC).

    With `end`, a bare date means the end of that day (the next midnight), so `--to 2026-11-19` includes the 19th.
    """
    text = value.strip()
    try:
        if len(text) == len("2026-11-19") or not times:
            moment = datetime.strptime(text, DAY_FORMAT).replace(tzinfo=UTC)
            return moment + timedelta(days=1) if end else moment
        if times:
            return as_utc(datetime.fromisoformat(text))
    except ValueError:
        pass
    if times:
        message = f"{value!r} is not an ISO date or date-time (2026-11-19 or 2026-11-19T10:00)"
    else:
        message = f"{flag} must be a date like 2026-11-22 (YYYY-MM-DD, UTC), not {value!r}"
    raise typer.BadParameter(message, param_hint=flag)


def day_option(flag: str, help_text: str, *, times: bool = False, end: bool = False) -> Any:
    """A `--from`/`--to` option that typer turns into a UTC datetime with `parse_when`, naming itself on errors."""

    def parse(value: str | datetime) -> datetime:
        if isinstance(value, datetime):  # a default or a value typer already converted
            return value
        return parse_when(value, flag, times=times, end=end)

    metavar = "YYYY-MM-DD[THH:MM]" if times else "YYYY-MM-DD"
    return typer.Option(flag, help=help_text, parser=parse, metavar=metavar)


def safe_text(value: Any, style: str = "") -> Text:
    """Stored text for a rich table or panel: no markup, no terminal escape sequences or control characters."""
    return Text(terminal_safe("" if value is None else str(value)), style=style)


def say(message: str) -> None:
    """A progress line on stderr (a waiting lock, say), kept apart from the command's output."""
    err.print(safe_text(message, style="yellow"), highlight=False, soft_wrap=True)


def resources(config: Config) -> Resources:
    """The configured resources for a command; waiting for a locked warehouse is said on stderr."""
    from flows.resources import build_resources  # imported on use: `brandpulse --help` stays fast

    return build_resources(config, notify=say)


def reading_warehouse(config: Config, *, live: bool = False) -> Warehouse:
    """The warehouse a read-only command opens: the read snapshot when one is published, else the live file."""
    from warehouse import Warehouse

    live_warehouse = resources(config).warehouse
    snapshot = config.warehouse.read_snapshot_path()
    if live or snapshot is None:
        return live_warehouse
    if not snapshot.is_file():
        if live_warehouse.path.exists():
            # One line on stderr, so piped output (--format csv/json) stays clean.
            err.print(
                safe_text(f"note: no read snapshot at {snapshot} yet (`brandpulse run` publishes it); "
                          "reading the live warehouse"),
                highlight=False, soft_wrap=True,
            )
        return live_warehouse
    return Warehouse(snapshot, lock_timeout_s=config.warehouse.lock_timeout_s, notify=say)


def edited_note(count: int) -> str:
    """ "N edited, " when a re-import changed stored text, else nothing (the usual case stays short)."""
    return f"{count} edited, " if count else ""


def fail(exc: BaseException) -> typer.Exit:
    """Print a brandpulse error on one line and return the exit to raise: 2 for config errors, else 1."""
    # Messages can quote stored text (a SQL error, a rejected row): no escape sequences, and never more than one
    # line, so the cause and the next step are read together.
    message = " ".join(terminal_safe(str(exc)).split())
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(EXIT_CONFIG if isinstance(exc, ConfigError) else EXIT_ERROR)
