"""Live channels in the pipeline: one feed's fetch-check-load, a channel's feeds for a brand, channel status.

Protocol (see `listeners/feeds.py`, `listeners/registry.py` and docs/listeners.md):

- `listeners.registry.CHANNELS[name]` is a `Channel`: a builder `(ChannelSettings, Brand, **secrets) -> list[Feed]`
  and the names of the `Secrets` it takes. It validates the channel's own `[channels.NAME]` keys, builds the client
  lazily, and raises `CredentialError` naming the environment variable when a credential is missing, before any
  network call.
- `Feed.fetch(cursor) -> ListenBatch(mentions, rejects, cursor, notes, error, resume_at)`; `ListenerFeed` drains a
  listener generator into a batch and keeps what was fetched when the listener stops with an error.
- `listen_feed` stores one batch: only mentions whose text really matches the feed's brand (matches of the other
  configured brands found in the same text are recorded too), with the rejects and the cursor, in ONE
  transaction. A `FatalError` or `RetryableError` fails that feed only; anything else is a bug and propagates
  to `listen_channel`, which records it as the channel's failure.

To add a channel: a folder `listeners/NAME/` with a builder, and one line in `listeners/registry.py`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from flows.runtime.config import Secrets
from listeners.feeds import Feed, ListenBatch
from listeners.registry import CHANNELS, Channel
from models.brands import Brand, BrandMatcher
from models.channels import ChannelSettings
from models.errors import BrandpulseError, FatalError, RateLimited, RetryableError
from models.mention import BrandMatch, Mention
from warehouse import Warehouse, get_cursor, load_mentions

log = logging.getLogger("brandpulse")

Outcome = Literal["ok", "rate_limited", "unavailable", "failed"]


@dataclass
class FeedResult:
    """What listening to one feed did: counts, the saved cursor, and why it stopped if it did."""

    channel: str
    brand: str
    scope: str
    outcome: Outcome = "ok"
    fetched: int = 0
    inserted: int = 0
    duplicates: int = 0
    edited: int = 0
    unmatched: int = 0
    rejected: int = 0
    cursor: str | None = None
    reason: str | None = None
    resume_at: str | None = None  # ISO-8601 UTC, when a rate-limited feed may call again
    quota_used: int = 0  # daily-quota units or calls spent (YouTube, Naver)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-serialisable copy."""
        return asdict(self)


def brand_mentions(
    mentions: Sequence[Mention], brand: str, matcher: BrandMatcher, *, owned: bool = False
) -> tuple[list[Mention], dict[tuple[str, str], list[BrandMatch]], int]:
    """Keep the mentions whose text matches `brand` (with every brand they match) and count the rest."""
    kept: list[Mention] = []
    matches: dict[tuple[str, str], list[BrandMatch]] = {}
    for mention in mentions:
        found = matcher.match_mention(mention)  # the text's brands, and the brand whose account wrote it
        if owned and not any(match.brand == brand for match in found):
            # The brand's own feed (its app's reviews): every entry is about it, named or not.
            found = [BrandMatch(brand=brand, terms=()), *found]
        if any(match.brand == brand for match in found):
            kept.append(mention)
            matches[mention.key] = found
    return kept, matches, len(mentions) - len(kept)


def _outcome(error: BrandpulseError) -> Outcome:
    if isinstance(error, RateLimited):
        return "rate_limited"
    return "unavailable" if isinstance(error, RetryableError) else "failed"


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def fetch_batch(fetch: Callable[[], ListenBatch]) -> ListenBatch:
    """Call a feed's fetch; a Retryable/FatalError raised before any batch becomes an empty batch with that error."""
    try:
        return fetch()
    except (RetryableError, FatalError) as error:
        return ListenBatch(error=error, resume_at=getattr(error, "resume_at", None))


def listen_feed(warehouse: Warehouse, feed: Feed, brand: str, matcher: BrandMatcher, *, run_id: str) -> FeedResult:
    """Fetch one feed from its saved cursor and store what really matches, with rejects and cursor, in one go."""
    with warehouse.write() as con:
        previous = get_cursor(con, feed.channel, feed.scope)
    batch = fetch_batch(lambda: feed.fetch(previous))
    return store_batch(warehouse, feed, batch, brand, matcher, run_id=run_id, previous=previous)


def store_batch(
    warehouse: Warehouse,
    feed: Feed,
    batch: ListenBatch,
    brand: str,
    matcher: BrandMatcher,
    *,
    run_id: str,
    previous: str | None = None,
) -> FeedResult:
    """Store one fetched batch: what really matches `brand`, the rejects and the batch's cursor, in ONE transaction."""
    result = FeedResult(channel=feed.channel, brand=brand, scope=feed.scope)
    owned = bool(getattr(feed, "owned", False))
    kept, matches, result.unmatched = brand_mentions(batch.mentions, brand, matcher, owned=owned)
    result.fetched = len(batch.mentions)
    result.notes = list(batch.notes)
    result.quota_used = batch.quota_used
    if kept or batch.rejects or batch.cursor is not None:
        with warehouse.write() as con:
            loaded = load_mentions(
                con, kept, matches, run_id=run_id, cursor=batch.cursor, rejects=batch.rejects, dates=warehouse.dates
            )
        result.inserted, result.duplicates, result.rejected = loaded.inserted, loaded.duplicates, loaded.rejects
        result.edited = loaded.edited
    result.cursor = batch.cursor.value if batch.cursor is not None else previous
    if batch.error is not None:
        result.outcome = _outcome(batch.error)
        result.reason = str(batch.error)
        result.resume_at = _iso(batch.resume_at)
        log.warning("%s (%s): %s; %d fetched mentions stored, cursor kept", feed.channel, feed.scope,
                    result.reason, result.inserted)
    for note in result.notes:
        log.info("%s (%s): %s", feed.channel, feed.scope, note)
    return result


def listen_channel(
    warehouse: Warehouse,
    name: str,
    settings: ChannelSettings,
    secrets: Secrets,
    brand: Brand,
    matcher: BrandMatcher,
    *,
    run_id: str,
    channels: Mapping[str, Channel] | None = None,
) -> list[FeedResult]:
    """Every feed of one channel for one brand; a failing builder, feed or listener is recorded, never raised.

    Only a warehouse lock that outlasted its retries propagates: that is the run's problem, not this channel's.
    """
    try:
        feeds = (channels or CHANNELS)[name].feeds(settings, brand, secrets)
    except (RetryableError, FatalError) as error:
        return [FeedResult(channel=name, brand=brand.name, scope="*", outcome=_outcome(error), reason=str(error))]
    if not feeds:
        return [FeedResult(channel=name, brand=brand.name, scope="*", notes=["nothing to listen to for this brand"])]
    try:
        return [listen_feed(warehouse, feed, brand.name, matcher, run_id=run_id) for feed in feeds]
    except RetryableError:
        raise
    except Exception as exc:
        # A bug in one listener must not stop the other channels, the scoring and the alerts: it is recorded as
        # this channel's failure (with the traceback in the debug log), and the run ends "partial".
        log.debug("channel %s failed", name, exc_info=True)
        reason = f"{name}: unexpected {type(exc).__name__}: {exc}"[:500] + " (a bug: please report it with the log)"
        return [FeedResult(channel=name, brand=brand.name, scope="*", outcome="failed", reason=reason)]


def channel_status(results: Sequence[FeedResult]) -> str:
    """One line per channel for the run summary: `ok: N new`, `rate-limited until T`, `failed: reason`."""
    new = sum(r.inserted for r in results)
    details = [
        f"{count} {label}"
        for count, label in (
            (sum(r.duplicates for r in results), "already stored"),
            (sum(r.edited for r in results), "edited"),
            (sum(r.rejected for r in results), "rejected"),
            (sum(r.unmatched for r in results), "not matching the brand terms"),
            (sum(r.quota_used for r in results), "quota units used"),
        )
        if count
    ]
    extra = f" ({', '.join(details)})" if details else ""
    reasons = list(dict.fromkeys(r.reason for r in results if r.outcome == "failed" and r.reason))
    if reasons:
        loaded = f"; {new} new from its other feeds" if new else ""
        return f"failed: {'; '.join(reasons)}{loaded}"
    limited = [r for r in results if r.outcome == "rate_limited"]
    if limited:
        until = max((r.resume_at for r in limited if r.resume_at), default=None)
        when = f" until {until}" if until else ""
        return f"rate-limited{when}: {new} new{extra}; cursor kept, resumes on a later run"
    down = list(dict.fromkeys(r.reason for r in results if r.outcome == "unavailable" and r.reason))
    if down:
        return f"unavailable: {'; '.join(down)}; {new} new{extra}; retried on the next run"
    return f"ok: {new} new{extra}"
