"""What delivery asks of a sender and what a sender answers (delivered, retry, in doubt, failed); the console sender."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from flows.alerts.message import slack_unescape
from warehouse.alerts.outbox import OutboxRow
from warehouse.safe_output import terminal_safe

_URL = re.compile(r"[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)


def redact_urls(text: str) -> str:
    """The text with every URL replaced: a reason or a log line must never carry the webhook URL (a secret)."""
    return _URL.sub("<url redacted>", text)


@dataclass(frozen=True)
class Delivered:
    """The destination accepted the alert; a bot post also says where (`channel`) and as which message (`ts`)."""

    ts: str | None = None
    channel: str | None = None


@dataclass(frozen=True)
class RetryLater:
    """A transient failure; `after_seconds` is the wait the server asked for, None for the usual backoff."""

    after_seconds: float | None
    reason: str


@dataclass(frozen=True)
class InDoubt:
    """The request went out but no answer came back (timeout after sending, connection dropped): Slack may have it."""

    reason: str


@dataclass(frozen=True)
class Failed:
    """Retrying will not help; `destination_broken` means no other alert can get through either."""

    reason: str
    destination_broken: bool = False


@dataclass(frozen=True)
class NotPosted:
    """A look-up found that the destination has no such message: posting it now cannot double it."""


DeliveryResult = Delivered | RetryLater | InDoubt | Failed
LookupResult = Delivered | NotPosted | RetryLater | InDoubt


class Sender(Protocol):
    """Something that delivers one outbox row."""

    def send(self, row: OutboxRow) -> DeliveryResult:
        """Deliver the row's text and blocks; never raise for delivery problems."""
        ...



class ConsoleSender:
    """Prints alerts in a panel: the fallback when no Slack destination is configured."""

    def __init__(self, console: Console) -> None:
        self._console = console

    def send(self, row: OutboxRow) -> DeliveryResult:
        """Print the plain text; `Text` keeps `[...]` in posts from being read as rich markup."""
        # Posts quoted in the alert could carry escape sequences (retitle the terminal, fake a prompt): stripped.
        title = Text(terminal_safe(slack_unescape(row.title or "brandpulse alert")))
        body = Text(terminal_safe(slack_unescape(row.text)))
        self._console.print(Panel(body, title=title, border_style="red", expand=False))
        return Delivered()

    def lookup(self, row: OutboxRow) -> LookupResult:
        """Printing again is harmless."""
        return NotPosted()

