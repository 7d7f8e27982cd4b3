"""What keeping owned posts apart costs the customer views, on a synthetic warehouse (docs/benchmarks.md).

    .venv/bin/python tests/bench/owned_views.py                     # 1,000,000 mentions, one DuckDB thread
    .venv/bin/python tests/bench/owned_views.py --mentions 200000   # quicker

Builds a warehouse in a temporary folder: mentions (a quarter of them replies), one brand match and one score
each, three owned accounts (one handle on any channel, one X id, one Reddit username). Then times, best of five,
a full daily rollup on `mentions_scored` (which leaves owned posts out) against the same rollup on the view as it
was before owned accounts (no owned join), and the owned views themselves.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb

from warehouse import Warehouse

BEFORE = """CREATE TEMP VIEW scored_before AS
WITH latest AS (
    SELECT * FROM scores
    QUALIFY row_number() OVER (PARTITION BY channel, id ORDER BY scored_at DESC, model_version DESC) = 1
)
SELECT b.brand, m.channel, m.id, m.created_at, CAST(timezone('UTC', m.created_at) AS DATE) AS day, s.label, s.score
FROM mentions m
LEFT JOIN mention_brands b ON b.channel = m.channel AND b.id = m.id
LEFT JOIN latest s ON s.channel = m.channel AND s.id = m.id"""
ROLLUP = "SELECT brand, day, count(*), count(*) FILTER (WHERE label = 'negative') FROM {view} GROUP BY ALL"


def build(path: Path, mentions: int) -> None:
    """The synthetic warehouse: `mentions` rows over 50,000 authors, two brands, three owned accounts."""
    with Warehouse(path).write() as con:
        con.execute(
            """INSERT INTO mentions SELECT CASE WHEN i % 3 = 0 THEN 'reddit' ELSE 'x' END, CAST(i AS VARCHAR),
                'acme text ' || i, TIMESTAMPTZ '2026-01-01' + INTERVAL (i) MINUTE, NULL, CAST(i % 50000 AS VARCHAR),
                'user' || (i % 50000), 10, 'en', CASE WHEN i % 4 = 0 THEN 'reply' ELSE 'post' END,
                CASE WHEN i % 4 = 0 THEN CAST(i - 1 AS VARCHAR) END, NULL, NULL, NULL, NULL, 'bench', now()
            FROM range(?) t(i)""",
            [mentions],
        )
        con.execute(
            """INSERT INTO mention_brands SELECT channel, id,
                CASE WHEN CAST(id AS BIGINT) % 2 = 0 THEN 'Acme' ELSE 'Globex' END, ['acme'] FROM mentions"""
        )
        con.execute(
            """INSERT INTO scores SELECT channel, id, 'm', 'v1',
                CASE WHEN CAST(id AS BIGINT) % 3 = 0 THEN 'negative' ELSE 'neutral' END, -0.5, 0.5, 0.3, 0.2, now()
            FROM mentions"""
        )
        con.execute(
            """INSERT INTO owned_accounts VALUES ('Acme', '@user7', NULL, 'user7', NULL, now()),
                ('Globex', 'x:42', 'x', NULL, '42', now()),
                ('Acme', 'reddit:user9', 'reddit', 'user9', 'user9', now())"""
        )
        con.execute("CHECKPOINT")


def best(con: duckdb.DuckDBPyConnection, sql: str, runs: int = 5) -> float:
    """The fastest of `runs` timings of a query, in seconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        con.execute(sql).fetchall()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> None:
    """Build the warehouse and print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.duckdb"
        build(path, args.mentions)
        con = duckdb.connect(str(path), read_only=True)
        con.execute(f"SET threads = {int(args.threads)}")
        con.execute(BEFORE)
        owned = con.execute("SELECT count(*) FROM owned_posts").fetchone()
        print(f"{args.mentions:,} mentions, {owned[0] if owned else 0:,} by owned accounts, {args.threads} thread(s)")
        for name, sql in [
            ("daily rollup, view without owned accounts", ROLLUP.format(view="scored_before")),
            ("daily rollup, mentions_scored", ROLLUP.format(view="mentions_scored")),
            ("owned_posts, all", "SELECT count(*) FROM owned_posts"),
            ("brand_responses, all", "SELECT sum(negative), sum(responded) FROM brand_responses"),
        ]:
            print(f"{name}: {best(con, sql):.3f} s")
        con.close()


if __name__ == "__main__":
    main()
