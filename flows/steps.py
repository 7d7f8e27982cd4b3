"""Plain functions behind the pipeline's tasks: import, score, detect, alert. Tested without Prefect."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from flows.alert_message import AlertContext, ExamplePost, render_alert
from flows.brands import BrandMatcher
from flows.config import Config
from flows.slack_delivery import DeliveryReport, Sender, deliver_due
from listeners.file import FileListener, file_cursor
from models.mention import BrandMatch, Mention, Reject
from models.spikes import HourCount, detect_negative_spikes, settings_for
from warehouse import (
    Warehouse,
    get_cursor,
    load_mentions,
    load_scores,
    outbox,
    queries,
    unscored_mentions,
)

log = logging.getLogger("brandpulse")

IMPORT_BATCH = 5_000
SCORE_CHUNK = 256
DETECT_LOOKBACK_DAYS = 7


@dataclass
class ImportResult:
    """What importing one file did."""

    source: str
    read: int = 0
    inserted: int = 0
    duplicates: int = 0
    rejected: int = 0
    unmatched: int = 0
    skipped_unchanged: bool = False
    rejects: list[Reject] = field(default_factory=list)


def assign_brands(
    mention: Mention, matcher: BrandMatcher, default_brand: str | None = None
) -> list[BrandMatch] | Reject:
    """Brands for one mention: an explicit `brand` column (or `--brand`) wins, otherwise the configured terms."""
    explicit = (mention.raw or {}).get("brand") or default_brand
    if isinstance(explicit, str) and explicit.strip():
        match = matcher.named(explicit)
        if match is None:
            known = ", ".join(brand.name for brand in matcher.brands) or "none configured"
            return Reject(
                source=mention.channel,
                reason=f"brand {explicit!r} is not a configured brand (configured: {known})",
                channel=mention.channel,
                record_id=mention.id,
            )
        return [match]
    return matcher.match(mention.text)


def import_file(
    warehouse: Warehouse,
    path: Path,
    matcher: BrandMatcher,
    *,
    run_id: str,
    default_channel: str = "file",
    default_brand: str | None = None,
    force: bool = False,
) -> ImportResult:
    """Load one CSV/JSONL file: valid rows with their brand matches, bad rows into `rejects`, cursor with the data."""
    result = ImportResult(source=str(path))
    cursor = file_cursor(path)
    if not force:
        with warehouse.write() as con:
            if get_cursor(con, cursor.channel, cursor.scope) == cursor.value:
                result.skipped_unchanged = True
                return result
    batch: list[Mention] = []
    matches: dict[tuple[str, str], list[BrandMatch]] = {}
    for item in FileListener(path, default_channel=default_channel).read():
        if isinstance(item, Reject):
            result.rejects.append(item)
            continue
        result.read += 1
        brands = assign_brands(item, matcher, default_brand)
        if isinstance(brands, Reject):
            result.rejects.append(
                brands.model_copy(update={"source": str(path), "line": (item.raw or {}).get("_line")})
            )
            continue
        if not brands:
            result.unmatched += 1
        batch.append(item)
        matches[item.key] = brands
    result.rejected = len(result.rejects)
    # One transaction for the rows, their matches, the rejects and the cursor: a crash leaves none of them.
    with warehouse.write() as con:
        loaded = load_mentions(con, batch, matches, run_id=run_id, cursor=cursor, rejects=result.rejects)
    result.inserted, result.duplicates = loaded.inserted, loaded.duplicates
    return result


def score_pending(
    warehouse: Warehouse,
    model: object,
    *,
    chunk: int = SCORE_CHUNK,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Score every stored mention that has no score for this model version; writes in short transactions."""
    version = model.version  # type: ignore[attr-defined]
    with warehouse.write() as con:
        pending = unscored_mentions(con, version)
    done = 0
    for start in range(0, len(pending), chunk):
        part = pending[start : start + chunk]
        # Score outside any connection so readers are not locked out while the model runs.
        sentiments = model.predict([text for _, _, text in part])  # type: ignore[attr-defined]
        with warehouse.write() as con:
            load_scores(con, [((channel, mid), s) for (channel, mid, _), s in zip(part, sentiments, strict=True)])
        done += len(part)
        if progress:
            progress(done, len(pending))
    return done


@dataclass
class AlertOutcome:
    """Alerts found and delivered in one pass."""

    detected: int = 0
    new: int = 0
    delivery: DeliveryReport | None = None
    keys: list[str] = field(default_factory=list)


def detect_and_enqueue(
    warehouse: Warehouse, config: Config, *, run_id: str, now: datetime, lookback_days: int = DETECT_LOOKBACK_DAYS
) -> AlertOutcome:
    """Run the spike detector per brand over stored hourly counts and write new episodes to the outbox."""
    settings = settings_for(config.alerts.preset, **config.alerts.model_dump(exclude={"preset", "slack_channel"}))
    outcome = AlertOutcome()
    for brand in config.brands:
        with warehouse.write() as con:
            newest = queries.newest_mention_time(con, brand.name)
            if newest is None:
                continue
            # Counts are half-open [start, end): end one hour boundary after the newest mention so it counts.
            end = min(newest, now).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
            evaluate_from = end - timedelta(days=lookback_days)
            start = evaluate_from - timedelta(days=settings.baseline_days)
            counts = [HourCount(h, t, n) for h, t, n in queries.hourly_counts(con, brand.name, start, end)]
        episodes = detect_negative_spikes(brand.name, counts, settings, evaluate_from=evaluate_from)
        outcome.detected += len(episodes)
        for episode in episodes:
            window_end = episode.end
            with warehouse.write() as con:
                context = AlertContext(
                    channels=queries.negative_by_channel(con, brand.name, episode.start, window_end),
                    examples=[
                        ExamplePost(**post)
                        for post in queries.example_negative_posts(con, brand.name, episode.start, window_end)
                    ],
                    dig_in_command=dig_in_command(brand.name, episode.start, window_end),
                )
                rendered = render_alert(episode, context)
                if outbox.enqueue(
                    con,
                    episode.key,
                    brand.name,
                    episode.signal,
                    episode.start,
                    window_end,
                    episode.observed,
                    episode.expected,
                    episode.p_value,
                    rendered,
                    run_id=run_id,
                    now=now,
                ):
                    outcome.new += 1
                    outcome.keys.append(episode.key)
    return outcome


def dig_in_command(brand: str, start: datetime, end: datetime) -> str:
    """The command an alert suggests to look at the mentions behind it."""
    return (
        "brandpulse sql \"SELECT created_at, channel, label, text, url FROM mentions_scored "
        f"WHERE brand = '{brand.replace(chr(39), chr(39) * 2)}' AND label = 'negative' "
        f"AND created_at >= '{start:%Y-%m-%d %H:00}+00' AND created_at < '{end:%Y-%m-%d %H:00}+00' "
        "ORDER BY author_followers DESC NULLS LAST LIMIT 20\""
    )


def deliver(warehouse: Warehouse, sender: Sender, *, destination: str, now: datetime) -> DeliveryReport:
    """Send what the outbox holds and record each outcome."""
    with warehouse.write() as con:
        return deliver_due(con, sender, now=now, destination=destination)
