"""What one listener call saw besides what it yielded: pages, skips, warnings, where the next run may resume."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from listeners.paging import PageRun
from models.errors import RecordError
from models.mention import Mention, Reject

T = TypeVar("T")

PAYLOAD_CHARS = 2_000


@dataclass
class FetchReport:
    """`listener.last`: filled while a listener generator runs; final once it is exhausted (or has raised)."""

    endpoint: str
    # True for a listener that reads oldest first (Mastodon with a cursor, RSS): everything up to `newest` is in
    # even after a failure. Newest-first readers leave the older part unread when they fail.
    forward: bool = False
    pages: int = 0
    items: int = 0
    skipped: int = 0
    rejected: int = 0
    warnings: list[str] = field(default_factory=list)
    newest: str | None = None  # the newest cursor value seen (kept even when the run stops early)
    stopped_reason: str | None = None
    truncated: bool = False  # the page cap or a repeated token stopped it before the platform ran out
    skip_reasons: dict[str, int] = field(default_factory=dict)  # why items were skipped, when the listener says
    quota_used: int = 0  # daily-quota units (YouTube) or calls (Naver) this call spent
    quota_note: str | None = None  # the run's quota line (`QuotaBudget.summary`), for channels with a daily quota

    @property
    def resume_from(self) -> str | None:
        """The cursor value a later run may start from, or None when the old cursor must stay."""
        if self.forward:
            return self.newest
        # Newest first: after a failure (or before the end) the older part of the window is unread.
        return None if self.stopped_reason in (None, "error") else self.newest

    def finish(self, run: PageRun[Any], *, newest: bool = True) -> None:
        """Copy how a page run ended: its pages, why it stopped and (unless the listener tracks it) the newest value."""
        self.pages = run.pages
        if newest:
            self.newest = run.newest
        self.stopped_reason = run.stopped_reason
        self.truncated = run.truncated

    def skip(self, reason: str) -> None:
        """Count one skipped item (or a whole video, café…) under `reason`, for the run summary."""
        self.skipped += 1
        self.skip_reasons[reason] = self.skip_reasons.get(reason, 0) + 1

    def reject(self, reason: str, *, channel: str, record_id: str | None, payload: Any) -> Reject:
        """Count one malformed item and return its Reject (reason and cut payload) for the listener to yield."""
        try:
            text = json.dumps(payload, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            text = repr(payload)
        self.rejected += 1
        return Reject(
            source=f"{channel}:{self.endpoint}",
            reason=reason,
            channel=channel,
            record_id=record_id,
            payload=text[:PAYLOAD_CHARS],
        )

    def parse(
        self,
        item: T,
        to_mention: Callable[[T], Mention | None],
        *,
        channel: str,
        record_id: Callable[[T], str | None],
        payload: Callable[[T], Any] | None = None,
        skip_reason: Callable[[T], str] | None = None,
    ) -> Mention | Reject | None:
        """Count one item and parse it: its Mention, a Reject when malformed, None when skipped (deleted, empty)."""
        self.items += 1
        try:
            mention = to_mention(item)
        except RecordError as error:
            kept = item if payload is None else payload(item)
            return self.reject(error.reason, channel=channel, record_id=record_id(item), payload=kept)
        if mention is None:
            if skip_reason is None:
                self.skipped += 1
            else:
                self.skip(skip_reason(item))
        return mention

    def read(
        self,
        run: PageRun[T],
        to_mention: Callable[[T], Mention | None],
        *,
        channel: str,
        record_id: Callable[[T], str | None],
        payload: Callable[[T], Any] | None = None,
        skip_reason: Callable[[T], str] | None = None,
    ) -> Iterator[Mention | Reject]:
        """Every item of a page run, parsed (`parse`); the report follows the run page by page and is finished."""
        try:
            for page in run:
                # Kept current while the generator is suspended, so `listener.last` is right whenever it stops.
                self.pages, self.newest = run.pages, run.newest
                for item in page.items:
                    result = self.parse(
                        item, to_mention, channel=channel, record_id=record_id, payload=payload, skip_reason=skip_reason
                    )
                    if result is not None:
                        yield result
        finally:
            self.finish(run)

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
        if self.skip_reasons:
            why = ", ".join(f"{reason}: {count}" for reason, count in sorted(self.skip_reasons.items()))
            lines.append(f"{self.endpoint}: {self.skipped} item(s) skipped ({why})")
        elif self.skipped:
            lines.append(f"{self.endpoint}: {self.skipped} deleted, removed or empty item(s) skipped")
        if self.quota_note:
            lines.append(f"{self.endpoint}: {self.quota_used:,} spent by this feed; {self.quota_note}")
        return lines
