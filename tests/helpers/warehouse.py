"""Builders shared by the warehouse tests: mentions, sentiments, brand matches, row counts."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from models.mention import BrandMatch, Mention
from models.scores import Sentiment
from warehouse import Warehouse, load_mentions


def mention(
    channel: str, mention_id: str, text: str = "acme is fine", when: datetime | None = None, **extra: Any
) -> Mention:
    """A valid Mention with sensible defaults."""
    return Mention(
        channel=channel,
        id=mention_id,
        text=text,
        created_at=when or datetime(2024, 1, 1, 12, tzinfo=UTC),
        **extra,
    )


def sentiment(label: str, score: float, version: str = "v1", model: str = "test-model") -> Sentiment:
    """A Sentiment whose probabilities agree with its score (p_pos - p_neg = score)."""
    p_pos = max(score, 0.0)
    p_neg = max(-score, 0.0)
    probs = {"negative": p_neg, "neutral": 1.0 - p_pos - p_neg, "positive": p_pos}
    return Sentiment(label, score, probs, model, version)


def brand(name: str, *terms: str) -> list[BrandMatch]:
    """One brand match."""
    return [BrandMatch(brand=name, terms=tuple(terms) or (name.lower(),))]


def count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """Rows in a table (table names here are test constants)."""
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert row is not None
    return int(row[0])


def scribble(path: Path) -> None:
    """Overwrite 4 KiB inside a block of stored mention text with random bytes (a bad sector, a stray write)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        block = con.execute(
            "SELECT max(block_id) FROM pragma_storage_info('mentions') WHERE column_name = 'text'"
        ).fetchone()[0]
    finally:
        con.close()
    # The file: three 4 KiB headers, then 256 KiB blocks (each led by its checksum).
    with path.open("r+b") as handle:
        handle.seek(3 * 4096 + block * 262144 + 20000)
        handle.write(random.Random(3).randbytes(4096))


def filled_warehouse(folder: Path, rows: int = 3000) -> Warehouse:
    """A warehouse in `folder`/data whose mention text fills several data blocks, as real posts do."""
    wh = Warehouse(folder / "data" / "brandpulse.duckdb", lock_timeout_s=5.0)
    rng = random.Random(1)
    with wh.write() as con:
        # Text that does not compress away, so the mentions lie well inside the file.
        load_mentions(con, [mention("x", str(i), text=f"acme {rng.randbytes(200).hex()}") for i in range(rows)])
    return wh
