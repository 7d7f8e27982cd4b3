"""What one listener call saw besides its mentions: pages, skips, rejects, warnings, the newest cursor value."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from models.mention import Reject

PAYLOAD_CHARS = 2_000


@dataclass
class FetchReport:
    """Filled while a listener generator runs; final once it is exhausted (or has raised)."""

    endpoint: str
    pages: int = 0
    items: int = 0
    skipped: int = 0
    rejects: list[Reject] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    newest: str | None = None  # the newest cursor value seen (kept even when the run stops early)
    stopped_reason: str | None = None
    truncated: bool = False  # the page cap or a repeated token stopped it before the platform ran out

    def reject(self, reason: str, *, channel: str, record_id: str | None, payload: Any) -> None:
        """Record one malformed item with its reason and (cut) payload."""
        try:
            text = json.dumps(payload, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            text = repr(payload)
        self.rejects.append(
            Reject(
                source=f"{channel}:{self.endpoint}",
                reason=reason,
                channel=channel,
                record_id=record_id,
                payload=text[:PAYLOAD_CHARS],
            )
        )

    def notes(self) -> list[str]:
        """Human-readable lines for the run summary."""
        lines = list(self.warnings)
        if self.stopped_reason == "max_pages":
            lines.append(
                f"{self.endpoint}: stopped at the page cap ({self.pages} pages); older new items are skipped, "
                "raise max_pages if this happens every run"
            )
        elif self.stopped_reason == "repeated_token":
            lines.append(f"{self.endpoint}: the platform returned a page token twice; paging stopped there")
        if self.skipped:
            lines.append(f"{self.endpoint}: {self.skipped} deleted, removed or empty item(s) skipped")
        return lines
