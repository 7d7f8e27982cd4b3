"""The alert outbox: an alert is stored here before it is sent, keyed by brand and spike episode."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import duckdb

from models.mention import aware_utc, aware_utc_or_none

# Delivery states. pending → sending → sent is the happy path; the rest say why an alert is not (yet) in Slack.
PENDING = "pending"  # queued: due when next_attempt_at is empty or past
SENDING = "sending"  # written (and committed) just before the POST; left behind only if the outcome is unknown
SENT = "sent"  # the destination accepted it
CONSOLE = "console"  # printed on the console because no Slack destination was configured; never reached Slack
FAILED = "failed"  # Slack refused this one message (400 invalid_payload, …); other alerts still go
BLOCKED = "blocked"  # the destination refused every message (404 no_service, 403 invalid_token, …): parked
EXPIRED = "expired"  # still failing transiently when the delivery horizon ran out
UNKNOWN = "unknown"  # posted, but whether Slack took it cannot be told; `alerts resend --unknown` sends it again
STATUSES = (PENDING, SENDING, SENT, CONSOLE, FAILED, BLOCKED, EXPIRED, UNKNOWN)
# What `alerts resend` may put back in the queue (pending and sending are in it already; sent only by key).
RESENDABLE = (FAILED, BLOCKED, EXPIRED, UNKNOWN, CONSOLE)
ERROR_LIMIT = 1000
# What a message is: the first alert of an episode, an update while it grows, the note that it ended.
ALERT = "alert"
UPDATE = "update"
RESOLVED = "resolved"
KINDS = (ALERT, UPDATE, RESOLVED)

_COLUMNS = (
    "alert_key, brand, signal, window_start, window_end, observed, expected, p_value, title, text, blocks, "
    "status, attempts, next_attempt_at, last_error, destination, created_at, sent_at, run_id, kind, episode_key, "
    "sending_at, requeued_at, coalesce(in_doubt, 0), slack_ts, slack_channel"
)


class Rendered(Protocol):
    """The rendered message to store (flows.alerts.message.RenderedAlert fits)."""

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
    sending_at: datetime | None = None
    requeued_at: datetime | None = None
    in_doubt: int = 0
    slack_ts: str | None = None
    slack_channel: str | None = None

    @property
    def queued_at(self) -> datetime:
        """When the delivery horizon started: the last `alerts resend`, else the row's creation."""
        return self.requeued_at or self.created_at


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
    start, end = aware_utc(window_start, "window_start"), aware_utc(window_end, "window_end")
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
        AND NOT EXISTS (SELECT 1 FROM alert_outbox WHERE alert_key = ?)
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
            aware_utc(now, "now"),
            run_id,
            kind,
            of_episode or (episode_key if kind == ALERT else None),
            brand,
            signal,
            end,
            start,
            overlap,
            episode_key,
        ],
    ).fetchall()
    # The inserted row count (no RETURNING, no ON CONFLICT: DuckLake has neither; the key check is the anti-join).
    return bool(rows and rows[0][0])


def due(con: duckdb.DuckDBPyConnection, now: datetime, *, limit: int | None = None) -> list[OutboxRow]:
    """Pending alerts whose next attempt is not in the future, oldest first."""
    sql = (
        f"SELECT {_COLUMNS} FROM alert_outbox "
        "WHERE status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= ?) "
        "ORDER BY created_at, alert_key"
    )
    params: list[Any] = [aware_utc(now, "now")]
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [_row(values) for values in con.execute(sql, params).fetchall()]


def get(con: duckdb.DuckDBPyConnection, key: str) -> OutboxRow | None:
    """One outbox row by key, or None."""
    values = con.execute(f"SELECT {_COLUMNS} FROM alert_outbox WHERE alert_key = ?", [key]).fetchone()
    return None if values is None else _row(values)


def with_status(con: duckdb.DuckDBPyConnection, status: str) -> list[OutboxRow]:
    """Every row in one delivery state, oldest first."""
    sql = f"SELECT {_COLUMNS} FROM alert_outbox WHERE status = ? ORDER BY created_at, alert_key"
    return [_row(values) for values in con.execute(sql, [status]).fetchall()]


def mark_sending(con: duckdb.DuckDBPyConnection, key: str, now: datetime) -> bool:
    """Record that a POST is about to start; must be committed before it, so a crash leaves the row `sending`."""
    return _changed(
        con,
        "UPDATE alert_outbox SET status = 'sending', sending_at = ? WHERE alert_key = ? AND status = 'pending'",
        [aware_utc(now, "now"), key],
    )


def mark_sent(
    con: duckdb.DuckDBPyConnection,
    key: str,
    destination: str,
    now: datetime,
    *,
    slack_ts: str | None = None,
    slack_channel: str | None = None,
) -> bool:
    """Record a delivery; True when the row changed (a sent row stays as it is)."""
    return _changed(
        con,
        "UPDATE alert_outbox SET status = 'sent', sent_at = ?, destination = ?, next_attempt_at = NULL, "
        "slack_ts = coalesce(?, slack_ts), slack_channel = coalesce(?, slack_channel) "
        "WHERE alert_key = ? AND status <> 'sent'",
        [aware_utc(now, "now"), destination, slack_ts, slack_channel, key],
    )


def mark_console(con: duckdb.DuckDBPyConnection, key: str, now: datetime) -> bool:
    """Record that an alert was only printed on the console (no Slack destination was set)."""
    return _changed(
        con,
        "UPDATE alert_outbox SET status = 'console', sent_at = ?, destination = 'console', next_attempt_at = NULL "
        "WHERE alert_key = ? AND status IN ('pending', 'sending')",
        [aware_utc(now, "now"), key],
    )


def mark_retry(con: duckdb.DuckDBPyConnection, key: str, error: str, next_attempt_at: datetime) -> bool:
    """Count a failed attempt and schedule the next one; only queued (pending or sending) rows change."""
    return _changed(
        con,
        "UPDATE alert_outbox SET status = 'pending', attempts = attempts + 1, last_error = ?, next_attempt_at = ? "
        "WHERE alert_key = ? AND status IN ('pending', 'sending')",
        [error[:ERROR_LIMIT], aware_utc(next_attempt_at, "next_attempt_at"), key],
    )


def mark_failed(con: duckdb.DuckDBPyConnection, key: str, reason: str) -> bool:
    """Count the final attempt and stop retrying this one message; only queued rows change."""
    return _mark_final(con, [key], FAILED, reason, count_attempt=True) > 0


def mark_expired(con: duckdb.DuckDBPyConnection, key: str, reason: str) -> bool:
    """Stop retrying a row whose delivery horizon has passed; only queued rows change."""
    return _mark_final(con, [key], EXPIRED, reason, count_attempt=False) > 0


def mark_unknown(con: duckdb.DuckDBPyConnection, key: str, reason: str) -> bool:
    """Park a `sending` row whose outcome cannot be told; only `alerts resend` sends it again."""
    return _mark_final(con, [key], UNKNOWN, reason, count_attempt=False) > 0


def block_queued(con: duckdb.DuckDBPyConnection, reason: str, *, tried: str) -> int:
    """Park every queued row as `blocked` in one statement (the destination refuses all); `tried` gets an attempt."""
    return _count(
        con.execute(
            "UPDATE alert_outbox SET status = 'blocked', last_error = ?, next_attempt_at = NULL, "
            "attempts = attempts + CASE WHEN alert_key = ? THEN 1 ELSE 0 END "
            "WHERE status IN ('pending', 'sending')",
            [reason[:ERROR_LIMIT], tried],
        ).fetchone()
    )


def note_in_doubt(con: duckdb.DuckDBPyConnection, key: str, reason: str) -> bool:
    """Count an attempt that got no answer; the row stays `sending` for the next run to resolve."""
    return _changed(
        con,
        "UPDATE alert_outbox SET attempts = attempts + 1, last_error = ? WHERE alert_key = ? AND status = 'sending'",
        [reason[:ERROR_LIMIT], key],
    )


def retry_now(con: duckdb.DuckDBPyConnection, key: str, note: str, *, in_doubt: bool = False) -> bool:
    """Put a `sending` row back to pending, due at once (its POST did not reach Slack, or is re-sent once)."""
    return _changed(
        con,
        "UPDATE alert_outbox SET status = 'pending', next_attempt_at = NULL, last_error = ?, "
        "in_doubt = coalesce(in_doubt, 0) + ? WHERE alert_key = ? AND status = 'sending'",
        [note[:ERROR_LIMIT], 1 if in_doubt else 0, key],
    )


def requeue(
    con: duckdb.DuckDBPyConnection,
    *,
    now: datetime,
    statuses: tuple[str, ...] = (),
    keys: list[str] | None = None,
) -> int:
    """Put rows back to pending with a fresh attempt count and horizon; by state, by key (any state but queued)."""
    if not statuses and not keys:
        return 0
    unknown = set(statuses) - set(RESENDABLE)
    if unknown:
        raise ValueError(f"cannot re-queue alerts in state {sorted(unknown)} (one of: {', '.join(RESENDABLE)})")
    return _count(
        con.execute(
            "UPDATE alert_outbox SET status = 'pending', attempts = 0, next_attempt_at = NULL, sending_at = NULL, "
            "in_doubt = 0, requeued_at = ? "
            "WHERE status NOT IN ('pending', 'sending') AND (list_contains(?, status) OR list_contains(?, alert_key))",
            [aware_utc(now, "now"), list(statuses), list(keys or [])],
        ).fetchone()
    )


def console_only(con: duckdb.DuckDBPyConnection, since: datetime) -> list[OutboxRow]:
    """Alerts printed on the console only since `since` and not yet listed for a run with Slack, oldest first."""
    sql = (
        f"SELECT {_COLUMNS} FROM alert_outbox WHERE status = 'console' AND sent_at >= ? "
        "AND console_listed_at IS NULL ORDER BY created_at, alert_key"
    )
    return [_row(values) for values in con.execute(sql, [aware_utc(since, "since")]).fetchall()]


def mark_console_listed(con: duckdb.DuckDBPyConnection, keys: list[str], now: datetime) -> int:
    """Remember that these console-only alerts were listed, so the next run with Slack does not list them again."""
    return _count(
        con.execute(
            "UPDATE alert_outbox SET console_listed_at = ? WHERE list_contains(?, alert_key)",
            [aware_utc(now, "now"), keys],
        ).fetchone()
    )


def _mark_final(
    con: duckdb.DuckDBPyConnection, keys: list[str], status: str, reason: str, *, count_attempt: bool
) -> int:
    """Move queued rows to a state delivery does not pick up by itself."""
    return _count(
        con.execute(
            "UPDATE alert_outbox SET status = ?, attempts = attempts + ?, last_error = ?, next_attempt_at = NULL "
            "WHERE list_contains(?, alert_key) AND status IN ('pending', 'sending')",
            [status, 1 if count_attempt else 0, reason[:ERROR_LIMIT], keys],
        ).fetchone()
    )


def _changed(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> bool:
    return _count(con.execute(sql, params).fetchone()) > 0


def _count(result: tuple[Any, ...] | None) -> int:
    return int(result[0]) if result else 0


def _row(values: tuple[Any, ...]) -> OutboxRow:
    (key, brand, signal, start, end, observed, expected, p_value, title, text, blocks, status, attempts,
     next_at, last_error, destination, created_at, sent_at, run_id, kind, episode, sending_at, requeued_at,
     in_doubt, slack_ts, slack_channel) = values  # fmt: skip
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
        next_attempt_at=aware_utc_or_none(next_at),
        last_error=last_error,
        destination=destination,
        created_at=created_at.astimezone(UTC),
        sent_at=aware_utc_or_none(sent_at),
        run_id=run_id,
        kind=kind or ALERT,
        episode_key=episode,
        sending_at=aware_utc_or_none(sending_at),
        requeued_at=aware_utc_or_none(requeued_at),
        in_doubt=int(in_doubt or 0),
        slack_ts=slack_ts,
        slack_channel=slack_channel,
    )
