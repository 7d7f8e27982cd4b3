"""Backfill: load a past date range from the channels whose APIs allow history, then score what was new.

`backfill(config, start, end)` is the plain function (tested without Prefect); the `backfill` flow holds the
warehouse's run lock around it like the pipeline does. For each enabled channel (or the ones asked for) × brand it
calls `fetch_range(start, end)` on the feeds that have it (listeners/feeds.py), re-checks the brand terms and stores
each batch with its rejects in one transaction exactly like the live path (`flows.steps.listen.store_batch`), but never
moves a live cursor: loads are idempotent, so running a range twice adds nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger

from flows.resources import Resources, build_resources
from flows.runtime.config import Config, Secrets, load_config
from flows.runtime.read_snapshot import refresh_read_snapshot
from flows.runtime.run_lock import writer_lock
from flows.runtime.runs import new_run_id, recorded_run
from flows.steps.listen import FeedResult, channel_status, fetch_batch, store_batch
from flows.steps.score import score_mentions
from listeners.feeds import Feed, has_history
from listeners.registry import CHANNELS, Channel
from models.brands import BrandMatcher
from models.errors import ConfigError, FatalError, RetryableError
from warehouse import Warehouse
from warehouse.owned import sync_owned_accounts

log = logging.getLogger("brandpulse")

NO_HISTORY = "no history for this channel"


@dataclass
class BackfillSummary:
    """What one backfill did: a status line per channel, per-feed counts, and what was scored."""

    run_id: str
    warehouse: str
    start: str
    end: str
    channels: dict[str, str] = field(default_factory=dict)
    feeds: list[dict[str, Any]] = field(default_factory=list)
    model: str = ""
    scored: int = 0
    status: str = "completed"
    read_snapshot: str | None = None  # the read snapshot readers open (None: turned off)
    read_snapshot_published_at: str | None = None  # ISO-8601 UTC of the snapshot now in place, if any

    def as_dict(self) -> dict[str, Any]:
        """A JSON-serialisable copy."""
        return asdict(self)


def day_range(first: date, last: date) -> tuple[datetime, datetime]:
    """UTC days `first`..`last` (both included) as `[start, end)`; ConfigError when `first` is after `last`."""
    if first > last:
        raise ConfigError(f"the backfill range starts after it ends: --from {first} is after --to {last}", key="--from")
    start = datetime.combine(first, time(0), tzinfo=UTC)
    return start, datetime.combine(last + timedelta(days=1), time(0), tzinfo=UTC)


def backfill_feed(
    warehouse: Warehouse, feed: Feed, brand: str, matcher: BrandMatcher, start: datetime, end: datetime, *, run_id: str
) -> FeedResult:
    """Read one feed's `[start, end)` and store what matches the brand, with its rejects; no cursor is saved."""
    batch = fetch_batch(lambda: feed.fetch_range(start, end))  # type: ignore[attr-defined]
    inside = [m for m in batch.mentions if start <= m.created_at < end]
    outside = len(batch.mentions) - len(inside)
    batch.mentions, batch.cursor = inside, None  # a backfill never moves the live cursor
    result = store_batch(warehouse, feed, batch, brand, matcher, run_id=run_id)
    result.fetched += outside
    if outside:
        result.notes.append(f"{feed.scope}: {outside} item(s) outside the range skipped")
    return result


def backfill_channel(
    warehouse: Warehouse,
    name: str,
    config: Config,
    secrets: Secrets,
    matcher: BrandMatcher,
    start: datetime,
    end: datetime,
    *,
    run_id: str,
    channels: dict[str, Channel] | None = None,
) -> tuple[str, list[FeedResult]]:
    """Every history-capable feed of one channel for every brand; the channel's status line and the feed results."""
    channel = (channels or CHANNELS)[name]
    results: list[FeedResult] = []
    with_history = 0
    for brand in config.brands:
        try:
            feeds = channel.feeds(config.channels[name], brand, secrets)
        except (RetryableError, FatalError) as error:
            results.append(FeedResult(channel=name, brand=brand.name, scope="*", outcome="failed", reason=str(error)))
            continue
        for feed in feeds:
            if has_history(feed):
                with_history += 1
                results.append(backfill_feed(warehouse, feed, brand.name, matcher, start, end, run_id=run_id))
    if not results:
        return NO_HISTORY, results
    status = channel_status(results)
    problems = list(dict.fromkeys(r.reason for r in results if r.outcome != "ok" and r.reason))
    if problems and not status.startswith("failed"):
        # Rate-limited or unavailable: a backfill has no cursor to resume from, so it simply has to be run again.
        new = sum(r.inserted for r in results)
        status = f"failed: {'; '.join(problems)}; {new} new before it stopped, run the backfill again later"
    return status, results


def backfill(
    config: Config,
    start: datetime,
    end: datetime,
    channels: Sequence[str] | None = None,
    *,
    secrets: Secrets | None = None,
    builders: dict[str, Channel] | None = None,
    score: bool = True,
    resources: Resources | None = None,
) -> BackfillSummary:
    """Load mentions created in `[start, end)` from the enabled channels (or `channels`), then score the new ones."""
    resources = resources or build_resources(config, secrets=secrets, channels=builders)
    registry = dict(resources.channels)
    wanted = list(dict.fromkeys(channels)) if channels else [n for n, c in config.channels.items() if c.enabled]
    for name in wanted:
        if name not in config.channels or not config.channels[name].enabled:
            raise ConfigError(
                f"channel {name!r} is not enabled in the config ([channels.{name}] enabled = true)",
                key=f"channels.{name}",
            )
    secrets, warehouse = resources.secrets, resources.warehouse
    run_id = new_run_id("backfill-")
    summary = BackfillSummary(
        run_id=run_id, warehouse=config.warehouse.describe(), start=start.isoformat(), end=end.isoformat()
    )
    with recorded_run(warehouse, summary):
        with warehouse.write() as con:
            sync_owned_accounts(con, config.brands)  # as a run does: the loaded owned posts are kept apart at once
        matcher = BrandMatcher.from_brands(config.brands)
        for name in wanted:
            if name not in registry:
                summary.channels[name] = NO_HISTORY
                continue
            summary.channels[name], results = backfill_channel(
                warehouse, name, config, secrets, matcher, start, end, run_id=run_id, channels=registry
            )
            summary.feeds.extend(r.as_dict() for r in results)
            log.info("backfill %s: %s", name, summary.channels[name])
        if score:
            scored = score_mentions(
                warehouse,
                config.model.sentiment,
                config.model.batch_size,
                config.runner,
                precision=config.model.precision,
            )
            summary.model, summary.scored = scored["model_version"], scored["scored"]
    changed = bool(summary.scored) or any(feed.get("inserted") or feed.get("edited") for feed in summary.feeds)
    outcome = refresh_read_snapshot(warehouse, config, changed=changed)
    summary.read_snapshot, summary.read_snapshot_published_at = outcome.path, outcome.published_at
    return summary


@flow(name="backfill", log_prints=True)
def backfill_flow(
    config_path: str | None = None, start: str = "", end: str = "", channels: list[str] | None = None
) -> dict[str, Any]:
    """Load the UTC days `start`..`end` (YYYY-MM-DD, both included) from the channels that allow history, and score."""
    config = load_config(Path(config_path) if config_path else None)
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        raise ConfigError(f"backfill dates must be YYYY-MM-DD, got {start!r} and {end!r}", key="--from") from None
    range_start, range_end = day_range(first, last)
    with writer_lock(config.warehouse.path, timeout_s=config.warehouse.run_lock_timeout_s):
        summary = backfill(config, range_start, range_end, channels)
    logger = get_run_logger()
    for name, status in summary.channels.items():
        logger.info("backfill %s: %s", name, status)
    logger.info("scored %d mentions with %s", summary.scored, summary.model)
    return summary.as_dict()
