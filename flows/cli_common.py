"""What every `brandpulse` command module shares: the consoles, the --config option, error exits."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from flows.config import CONFIG_FILENAME
from models.errors import ConfigError

# Exit statuses of every command: 0 done; 1 failed (nothing done, or the run stopped); 2 a configuration or usage
# error (fix the setting the message names); 3 partial: some sources (an import file, a channel) failed and are
# named in the output, everything else was done.
EXIT_FAILED = 1
EXIT_CONFIG = 2
EXIT_PARTIAL = 3

out = Console()
err = Console(stderr=True)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help=f"Config file (default ./{CONFIG_FILENAME}, else the demo).")
]


def fail(exc: BaseException) -> typer.Exit:
    """Print a brandpulse error for the user and return the exit to raise: 2 for config errors, else 1."""
    err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
    return typer.Exit(EXIT_CONFIG if isinstance(exc, ConfigError) else EXIT_FAILED)
