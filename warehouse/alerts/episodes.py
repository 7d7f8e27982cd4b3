"""Alert episodes across runs (table `alert_episodes`): open while they may grow, then resolved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

OPEN = "open"
RESOLVED = "resolved"

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


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("episode times must be timezone-aware")
    return value.astimezone(UTC)


def for_brand(con: duckdb.DuckDBPyConnection, brand: str, *, since: datetime) -> list[StoredEpisode]:
    """The brand's episodes that are open or ended at or after `since`, oldest first."""
    rows = con.execute(
        f"SELECT {_COLUMNS} FROM alert_episodes WHERE brand = ? AND (status = ? OR window_end >= ?) "
        "ORDER BY window_start, episode_key",
        [brand, OPEN, _utc(since)],
    ).fetchall()
    return [_row(values) for values in rows]


def get(con: duckdb.DuckDBPyConnection, key: str) -> StoredEpisode | None:
    """One episode by key, or None."""
    values = con.execute(f"SELECT {_COLUMNS} FROM alert_episodes WHERE episode_key = ?", [key]).fetchone()
    return None if values is None else _row(values)


def save(con: duckdb.DuckDBPyConnection, episode: StoredEpisode) -> None:
    """Insert or replace one episode's state (the key never changes once stored)."""
    con.execute(
        f"""INSERT INTO alert_episodes ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (episode_key) DO UPDATE SET
            signals = excluded.signals, window_start = excluded.window_start, window_end = excluded.window_end,
            status = excluded.status, observed = excluded.observed, expected = excluded.expected,
            share = excluded.share, usual_share = excluded.usual_share, peak_hour = excluded.peak_hour,
            notified_observed = excluded.notified_observed, updates = excluded.updates,
            updated_at = excluded.updated_at, resolved_at = excluded.resolved_at""",
        [
            episode.episode_key,
            episode.brand,
            episode.signal,
            ",".join(episode.signals),
            _utc(episode.window_start),
            _utc(episode.window_end),
            episode.status,
            episode.observed,
            episode.expected,
            episode.share,
            episode.usual_share,
            _utc(episode.peak_hour),
            _utc(episode.detected_at),
            episode.notified_observed,
            episode.updates,
            _utc(episode.opened_at),
            _utc(episode.updated_at),
            _utc(episode.resolved_at),
            episode.run_id,
        ],
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
        peak_hour=_utc(peak),
        detected_at=_utc(detected),
        notified_observed=float(notified or 0),
        updates=int(updates),
        opened_at=opened.astimezone(UTC),
        updated_at=updated.astimezone(UTC),
        resolved_at=_utc(resolved),
        run_id=run_id,
    )
