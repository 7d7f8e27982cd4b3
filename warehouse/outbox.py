"""The alert outbox: an alert is stored here before it is sent, keyed by brand and spike episode."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import duckdb

PENDING = "pending"
SENT = "sent"
FAILED = "failed"
ERROR_LIMIT = 1000
# What a message is: the first alert of an episode, an update while it grows, the note that it ended.
ALERT = "alert"
UPDATE = "update"
RESOLVED = "resolved"
KINDS = (ALERT, UPDATE, RESOLVED)

_COLUMNS = (
    "alert_key, brand, signal, window_start, window_end, observed, expected, p_value, title, text, blocks, "
    "status, attempts, next_attempt_at, last_error, destination, created_at, sent_at, run_id, kind, episode_key"
)


class Rendered(Protocol):
    """The rendered message to store (flows.alert_message.RenderedAlert fits)."""

    @property
    def title(self) -> str: ...

    @property
    def text(self) -> str: ...

    @property
    def blocks(self) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class OutboxRow:
    """One row of `alert_outbox`; times are UTC."""

    alert_key: str
    brand: str
    signal: str
    window_start: datetime
    window_end: datetime
    observed: float | None
    expected: float | None
    p_value: float | None
    title: str | None
    text: str
    blocks: list[dict[str, Any]] | None
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    destination: str | None
    created_at: datetime
    sent_at: datetime | None
    run_id: str | None
    kind: str = ALERT
    episode_key: str | None = None


def _utc(value: datetime, name: str) -> datetime:
    """The same instant in UTC; naive datetimes are refused because their zone would be a guess."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value.astimezone(UTC)


def _utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def enqueue(
    con: duckdb.DuckDBPyConnection,
    episode_key: str,
    brand: str,
    signal: str,
    window_start: datetime,
    window_end: datetime,
    observed: float,
    expected: float,
    p_value: float,
    rendered: Rendered,
    *,
    run_id: str | None,
    now: datetime,
    kind: str = ALERT,
    of_episode: str | None = None,
) -> bool:
    """Store a message as pending; True when new, False when this message is already queued or sent.

    The key makes a re-detected episode a no-op. For a first alert, an alert row of the same brand and signal
    whose window overlaps counts as the same episode too (its start may have shifted with a later run's data):
    one alert per episode. Updates and resolved notes have keys of their own (`{episode}|update-2`, …) and
    name their episode in `of_episode` (stored as `episode_key`; a first alert is its own episode).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown outbox message kind {kind!r} (one of: {', '.join(KINDS)})")
    start, end = _utc(window_start, "window_start"), _utc(window_end, "window_end")
    # Only first alerts compete for a window; follow-ups of the same episode must not be blocked by it.
    overlap = ALERT if kind == ALERT else "no overlap check"
    rows = con.execute(
        """
        INSERT INTO alert_outbox (alert_key, brand, signal, window_start, window_end, observed, expected, p_value,
                                  title, text, blocks, status, attempts, created_at, run_id, kind, episode_key)
        SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?
        WHERE NOT EXISTS (
            SELECT 1 FROM alert_outbox
            WHERE brand = ? AND signal = ? AND window_start < ? AND window_end > ?
              AND coalesce(kind, 'alert') = ?
        )
        ON CONFLICT DO NOTHING
        RETURNING alert_key
        """,
        [
            episode_key,
            brand,
            signal,
            start,
            end,
            observed,
            expected,
            p_value,
            rendered.title,
            rendered.text,
            json.dumps(rendered.blocks, ensure_ascii=False),
            _utc(now, "now"),
            run_id,
            kind,
            of_episode or (episode_key if kind == ALERT else None),
            brand,
            signal,
            end,
            start,
            overlap,
        ],
    ).fetchall()
    return bool(rows)


def due(con: duckdb.DuckDBPyConnection, now: datetime, *, limit: int | None = None) -> list[OutboxRow]:
    """Pending alerts whose next attempt is not in the future, oldest first."""
    sql = (
        f"SELECT {_COLUMNS} FROM alert_outbox "
        "WHERE status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= ?) "
        "ORDER BY created_at, alert_key"
    )
    params: list[Any] = [_utc(now, "now")]
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [_row(values) for values in con.execute(sql, params).fetchall()]


def get(con: duckdb.DuckDBPyConnection, key: str) -> OutboxRow | None:
    """One outbox row by key, or None."""
    values = con.execute(f"SELECT {_COLUMNS} FROM alert_outbox WHERE alert_key = ?", [key]).fetchone()
    return None if values is None else _row(values)


def mark_sent(con: duckdb.DuckDBPyConnection, key: str, destination: str, now: datetime) -> bool:
    """Record a delivery; True when the row changed (a sent row stays as it is)."""
    return _changed(
        con,
        "UPDATE alert_outbox SET status = 'sent', sent_at = ?, destination = ?, next_attempt_at = NULL "
        "WHERE alert_key = ? AND status <> 'sent'",
        [_utc(now, "now"), destination, key],
    )


def mark_retry(con: duckdb.DuckDBPyConnection, key: str, error: str, next_attempt_at: datetime) -> bool:
    """Count a failed attempt and schedule the next one; only pending rows change."""
    return _changed(
        con,
        "UPDATE alert_outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? "
        "WHERE alert_key = ? AND status = 'pending'",
        [error[:ERROR_LIMIT], _utc(next_attempt_at, "next_attempt_at"), key],
    )


def mark_failed(con: duckdb.DuckDBPyConnection, key: str, reason: str) -> bool:
    """Count the final attempt and stop retrying; only pending rows change."""
    return _changed(
        con,
        "UPDATE alert_outbox SET status = 'failed', attempts = attempts + 1, last_error = ?, next_attempt_at = NULL "
        "WHERE alert_key = ? AND status = 'pending'",
        [reason[:ERROR_LIMIT], key],
    )


def requeue_failed(con: duckdb.DuckDBPyConnection, *, keys: list[str] | None = None) -> int:
    """Put failed alerts (all, or these keys) back to pending with a fresh attempt count, e.g. after a webhook fix."""
    sql = "UPDATE alert_outbox SET status = 'pending', attempts = 0, next_attempt_at = NULL WHERE status = 'failed'"
    params: list[Any] = []
    if keys is not None:
        sql += " AND list_contains(?, alert_key)"
        params.append(keys)
    return _count(con.execute(sql, params).fetchone())


def _changed(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> bool:
    return _count(con.execute(sql, params).fetchone()) > 0


def _count(result: tuple[Any, ...] | None) -> int:
    return int(result[0]) if result else 0


def _row(values: tuple[Any, ...]) -> OutboxRow:
    (key, brand, signal, start, end, observed, expected, p_value, title, text, blocks, status, attempts,
     next_at, last_error, destination, created_at, sent_at, run_id, kind, episode) = values  # fmt: skip
    return OutboxRow(
        alert_key=key,
        brand=brand,
        signal=signal,
        window_start=start.astimezone(UTC),
        window_end=end.astimezone(UTC),
        observed=observed,
        expected=expected,
        p_value=p_value,
        title=title,
        text=text,
        blocks=json.loads(blocks) if blocks is not None else None,
        status=status,
        attempts=attempts,
        next_attempt_at=_utc_or_none(next_at),
        last_error=last_error,
        destination=destination,
        created_at=created_at.astimezone(UTC),
        sent_at=_utc_or_none(sent_at),
        run_id=run_id,
        kind=kind or ALERT,
        episode_key=episode,
    )
