"""Alert episodes across runs (table `alert_episodes`): open while they may grow, then resolved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from models.mention import aware_utc, aware_utc_or_none
from warehouse.upsert import upsert_row

OPEN = "open"
RESOLVED = "resolved"
_TIMES = "episode times"  # how a naive time is named in the ValueError

_COLUMNS = (
    "episode_key, brand, signal, signals, window_start, window_end, status, observed, expected, share, usual_share, "
    "peak_hour, detected_at, notified_observed, updates, opened_at, updated_at, resolved_at, run_id"
)


@dataclass(frozen=True)
class StoredEpisode:
    """One row of `alert_episodes`; times are UTC."""

    episode_key: str
    brand: str
    signal: str
    signals: tuple[str, ...]
    window_start: datetime
    window_end: datetime
    status: str
    observed: float
    expected: float
    share: float | None
    usual_share: float | None
    peak_hour: datetime | None
    detected_at: datetime | None
    notified_observed: float
    updates: int
    opened_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    run_id: str | None


def for_brand(con: duckdb.DuckDBPyConnection, brand: str, *, since: datetime) -> list[StoredEpisode]:
    """The brand's episodes that are open or ended at or after `since`, oldest first."""
    rows = con.execute(
        f"SELECT {_COLUMNS} FROM alert_episodes WHERE brand = ? AND (status = ? OR window_end >= ?) "
        "ORDER BY window_start, episode_key",
        [brand, OPEN, aware_utc(since, _TIMES)],
    ).fetchall()
    return [_row(values) for values in rows]


def get(con: duckdb.DuckDBPyConnection, key: str) -> StoredEpisode | None:
    """One episode by key, or None."""
    values = con.execute(f"SELECT {_COLUMNS} FROM alert_episodes WHERE episode_key = ?", [key]).fetchone()
    return None if values is None else _row(values)


def save(con: duckdb.DuckDBPyConnection, episode: StoredEpisode) -> None:
    """Insert or replace one episode's state (the key never changes once stored)."""
    upsert_row(
        con,
        "alert_episodes",
        {
            "episode_key": episode.episode_key,
            "brand": episode.brand,
            "signal": episode.signal,
            "signals": ",".join(episode.signals),
            "window_start": aware_utc(episode.window_start, _TIMES),
            "window_end": aware_utc(episode.window_end, _TIMES),
            "status": episode.status,
            "observed": episode.observed,
            "expected": episode.expected,
            "share": episode.share,
            "usual_share": episode.usual_share,
            "peak_hour": aware_utc_or_none(episode.peak_hour, _TIMES),
            "detected_at": aware_utc_or_none(episode.detected_at, _TIMES),
            "notified_observed": episode.notified_observed,
            "updates": episode.updates,
            "opened_at": aware_utc(episode.opened_at, _TIMES),
            "updated_at": aware_utc(episode.updated_at, _TIMES),
            "resolved_at": aware_utc_or_none(episode.resolved_at, _TIMES),
            "run_id": episode.run_id,
        },
        ("episode_key",),
        # What a later run may change; who opened it, when and in which run stay as first stored.
        update=("signals", "window_start", "window_end", "status", "observed", "expected", "share", "usual_share",
                "peak_hour", "notified_observed", "updates", "updated_at", "resolved_at"),
    )


def _row(values: tuple[Any, ...]) -> StoredEpisode:
    (key, brand, signal, signals, start, end, status, observed, expected, share, usual, peak, detected, notified,
     updates, opened, updated, resolved, run_id) = values  # fmt: skip
    return StoredEpisode(
        episode_key=key,
        brand=brand,
        signal=signal,
        signals=tuple(s for s in (signals or "").split(",") if s),
        window_start=start.astimezone(UTC),
        window_end=end.astimezone(UTC),
        status=status,
        observed=float(observed or 0),
        expected=float(expected or 0),
        share=share,
        usual_share=usual,
        peak_hour=aware_utc_or_none(peak, _TIMES),
        detected_at=aware_utc_or_none(detected, _TIMES),
        notified_observed=float(notified or 0),
        updates=int(updates),
        opened_at=opened.astimezone(UTC),
        updated_at=updated.astimezone(UTC),
        resolved_at=aware_utc_or_none(resolved, _TIMES),
        run_id=run_id,
    )
