"""Cursors: the newest of some ids or times, and a CursorUpdate that never moves backwards."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from models.mention import CursorUpdate, as_utc


def _cursor_text(value: str | int | datetime) -> str:
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    return str(value).strip()


def cursor_order(value: str) -> tuple[int, int, str]:
    """The sort key cursors compare by: digit strings as numbers, before any other text (ISO times)."""
    # Snowflake ids have no fixed width, so "999" < "1000" only when compared as numbers.
    return (0, int(value), "") if value.isdigit() else (1, 0, value)


def newest_value(values: Iterable[str | int | datetime | None]) -> str | None:
    """The newest of some ids or timestamps: digit strings compare as numbers, other text (ISO times) as text."""
    texts = [text for text in (_cursor_text(v) for v in values if v is not None) if text]
    return max(texts, key=cursor_order) if texts else None


def newest_cursor(
    channel: str, scope: str, values: Iterable[str | int | datetime | None], *, previous: str | None = None
) -> CursorUpdate | None:
    """A CursorUpdate at the newest of `values` (never behind `previous`), or None when there is nothing new."""
    newest = newest_value(values)
    if newest is None:
        return None
    if previous is not None and cursor_order(previous) >= cursor_order(newest):
        return None
    return CursorUpdate(channel=channel, scope=scope, value=newest)
