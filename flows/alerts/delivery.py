"""Delivery from the outbox: settle posts left in doubt, expire, send each due alert once, block, catch up."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import duckdb

from flows.alerts.senders import (
    Delivered,
    DeliveryResult,
    Failed,
    InDoubt,
    LookupResult,
    NotPosted,
    RetryLater,
    Sender,
    redact_urls,
)
from flows.runtime.failpoints import failpoint
from models.alerts.settings import AlertSettings
from models.retry import RetryPolicy
from warehouse import Warehouse
from warehouse.alerts import outbox
from warehouse.alerts.outbox import OutboxRow
from warehouse.connection import in_transaction

MAX_BACKOFF_S = 6 * 3600.0

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryReport:
    """What one pass over the outbox did; `deferred` rows were left untouched for the next run.

    `in_doubt` rows were posted without an answer and stay `sending` for the next run to resolve; `recovered` rows
    were left `sending` by an earlier run and found already posted. `console_only` lists alerts that only reached
    the console in the catch-up window (`console_resent` of them were queued for Slack again).
    """

    sent: int
    retry: int
    failed: int
    deferred: int = 0
    blocked: int = 0
    expired: int = 0
    console: int = 0
    unknown: int = 0
    in_doubt: int = 0
    recovered: int = 0
    blocked_reason: str | None = None
    console_only: tuple[str, ...] = ()
    console_resent: int = 0



def console_catchup(
    con: duckdb.DuckDBPyConnection, *, now: datetime, hours: float, resend: bool
) -> tuple[list[OutboxRow], int]:
    """Alerts that only reached the console in the last `hours`, listed once; with `resend`, queued for Slack."""
    rows = outbox.console_only(con, now - timedelta(hours=hours)) if hours > 0 else []
    if not rows:
        return [], 0
    keys = [row.alert_key for row in rows]
    outbox.mark_console_listed(con, keys, now)
    resent = outbox.requeue(con, now=now, keys=keys) if resend else 0
    return rows, resent


def deliver_due(
    con: duckdb.DuckDBPyConnection,
    sender: Sender,
    *,
    now: datetime,
    destination: str,
    horizon_hours: float = 48.0,
    resend_in_doubt: bool = True,
    backoff_base_s: float = 60,
    max_backoff_s: float = MAX_BACKOFF_S,
    max_inline_wait_s: float = 5.0,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryReport:
    """Resolve posts an earlier run left in doubt, expire what is past its horizon, then send every due alert once.

    Each row is marked `sending` (committed) before its POST and `sent` right after, so a crash in between leaves
    a trace the next run resolves. A 429 asking for at most `max_inline_wait_s` is retried once in this run; any
    other transient failure is scheduled with capped exponential backoff, and the rest of the batch waits for a
    later run, since Slack is unlikely to take them now. A refusing destination parks every queued alert as
    `blocked` at once; a refused message fails only itself.
    """
    if in_transaction(con):
        # `sending` must be committed before the POST, or a crash would erase the only trace of it.
        raise ValueError("deliver_due needs an autocommit connection, not one inside a transaction")
    destination = redact_urls(destination)
    counts = dict.fromkeys(("sent", "retry", "failed", "blocked", "expired", "console", "unknown", "in_doubt",
                            "recovered", "deferred"), 0)  # fmt: skip
    blocked_reason: str | None = None
    if destination != "console":  # the console cannot tell what reached Slack: leave those for a run with Slack
        for row in outbox.with_status(con, outbox.SENDING):
            outcome = _resolve(con, sender, row, now=now, destination=destination, resend_in_doubt=resend_in_doubt,
                               horizon_hours=horizon_hours)  # fmt: skip
            if outcome:
                counts[outcome] += 1
    for row in outbox.with_status(con, outbox.PENDING):
        if now > _deadline(row, horizon_hours):
            outbox.mark_expired(con, row.alert_key, _expiry_reason(row, horizon_hours))
            counts["expired"] += 1
            log.warning("alert %s expired: past the delivery horizon of %g h", row.alert_key, horizon_hours)
    rows = outbox.due(con, now)
    for index, row in enumerate(rows):
        if not outbox.mark_sending(con, row.alert_key, now):
            continue  # someone re-queued or resolved it meanwhile
        failpoint("delivery.sending")
        result = _attempt(sender, row)
        if (
            isinstance(result, RetryLater)
            and result.after_seconds is not None
            and result.after_seconds <= max_inline_wait_s
        ):
            sleep(result.after_seconds)
            result = _attempt(sender, row)
        if isinstance(result, Delivered):
            failpoint("delivery.posted")
            # Recorded before anything else happens, so a later crash cannot make us send it again.
            if destination == "console":
                outbox.mark_console(con, row.alert_key, now)
                counts["console"] += 1
            else:
                outbox.mark_sent(con, row.alert_key, destination, now, slack_ts=result.ts, slack_channel=result.channel)
                counts["sent"] += 1
            log.info("alert %s delivered to %s", row.alert_key, destination)
            continue
        reason = redact_urls(result.reason)
        if isinstance(result, Failed) and not result.destination_broken:
            outbox.mark_failed(con, row.alert_key, reason)
            counts["failed"] += 1
            log.warning("alert %s not delivered: %s", row.alert_key, reason)
            continue
        if isinstance(result, Failed):
            # One refusal speaks for the whole queue: park it all now rather than one alert per run.
            counts["blocked"] += outbox.block_queued(con, reason, tried=row.alert_key)
            blocked_reason = reason
            log.warning("%d alert(s) blocked on %s: %s", counts["blocked"], destination, reason)
            break
        if isinstance(result, InDoubt):
            outbox.note_in_doubt(con, row.alert_key, reason)
            counts["in_doubt"] += 1
            log.warning("alert %s: %s; the next run resolves it", row.alert_key, reason)
        else:
            wait = result.after_seconds
            if wait is None:
                # The one backoff formula (models.retry.RetryPolicy), here across runs and without jitter:
                # runs are already spread by the schedule.
                policy = RetryPolicy(base_delay=backoff_base_s, max_delay=max_backoff_s, jitter=0.0)
                wait = policy.backoff(row.attempts + 1)
            # The last try lands on the horizon rather than past it.
            next_at = max(min(now + timedelta(seconds=wait), _deadline(row, horizon_hours)), now)
            outbox.mark_retry(con, row.alert_key, reason, next_at)
            counts["retry"] += 1
            log.warning("alert %s will be retried at %s: %s", row.alert_key, next_at.isoformat(), reason)
        counts["deferred"] = len(rows) - index - 1
        if counts["deferred"]:
            log.warning("%d more alert(s) left pending for the next run", counts["deferred"])
        break
    return DeliveryReport(**counts, blocked_reason=blocked_reason)


def _resolve(
    con: duckdb.DuckDBPyConnection,
    sender: Sender,
    row: OutboxRow,
    *,
    now: datetime,
    destination: str,
    resend_in_doubt: bool,
    horizon_hours: float,
) -> str | None:
    """Settle a row an earlier run left `sending`; the report counter it adds to, None when it is due again."""
    lookup = getattr(sender, "lookup", None)
    try:
        found: LookupResult = lookup(row) if lookup else InDoubt("this sender cannot look posts up")
    except Exception as exc:  # a look-up bug must not lose the alert: treat it as no answer
        found = InDoubt(f"{type(exc).__name__} while looking the post up")
    if isinstance(found, Delivered):
        outbox.mark_sent(con, row.alert_key, destination, now, slack_ts=found.ts, slack_channel=found.channel)
        log.info("alert %s was already posted (found in Slack); not posting again", row.alert_key)
        return "recovered"
    if isinstance(found, NotPosted):
        outbox.retry_now(con, row.alert_key, "an earlier run stopped during the post and Slack has no such message")
        return None  # due again: the pass over due rows below sends it
    if isinstance(found, RetryLater) and now <= _deadline(row, horizon_hours):
        return "in_doubt"  # Slack could not be asked now; stay `sending` and ask again next run
    reason = redact_urls(found.reason)
    if resend_in_doubt and row.in_doubt == 0:
        outbox.retry_now(con, row.alert_key, f"outcome unknown ({reason}); sent again once", in_doubt=True)
        log.warning("alert %s: outcome of an earlier post unknown; sending it again once", row.alert_key)
        return None
    outbox.mark_unknown(
        con,
        row.alert_key,
        f"outcome unknown ({reason}); not sent again automatically. If it is not in Slack, run "
        f"`brandpulse alerts resend --key '{row.alert_key}'`",
    )
    return "unknown"


def _deadline(row: OutboxRow, horizon_hours: float) -> datetime:
    """When the row stops being worth sending: the horizon from its queueing (or last re-queue)."""
    return row.queued_at + timedelta(hours=horizon_hours)


def _expiry_reason(row: OutboxRow, horizon_hours: float) -> str:
    return (
        f"expired: not delivered within [alerts] delivery_horizon_hours = {horizon_hours:g} h of being queued "
        f"({row.queued_at:%Y-%m-%d %H:%M} UTC) after {row.attempts} attempt(s); last error: "
        f"{row.last_error or 'none'}. If it still matters: brandpulse alerts resend --key '{row.alert_key}'"
    )


def _attempt(sender: Sender, row: OutboxRow) -> DeliveryResult:
    """One send; an exception from a sender becomes a retry so the alert stays in the outbox."""
    try:
        return sender.send(row)
    except Exception as exc:
        return RetryLater(None, f"{type(exc).__name__} while sending")


def deliver(
    warehouse: Warehouse,
    sender: Sender,
    *,
    destination: str,
    now: datetime,
    settings: AlertSettings | None = None,
) -> DeliveryReport:
    """Send what the outbox holds and record each outcome; a run with Slack first catches up on console-only alerts."""
    settings = settings or AlertSettings()
    with warehouse.write() as con:
        listed, resent = [], 0
        if destination != "console":
            listed, resent = console_catchup(
                con, now=now, hours=settings.console_catchup_hours, resend=settings.resend_console
            )
        report = deliver_due(
            con,
            sender,
            now=now,
            destination=destination,
            horizon_hours=settings.delivery_horizon_hours,
            resend_in_doubt=settings.resend_in_doubt,
        )
    titles = tuple(f"{row.alert_key}: {row.title or row.brand}" for row in listed)
    return replace(report, console_only=titles, console_resent=resent)
