"""DuckLake speed: mentions/s loaded by 1 vs 2 concurrent workers, and view latency in the lake vs one DuckDB file.

Run from the repository root as root or a user that can run PostgreSQL (Debian `postgresql`, `make test-deps`):
`python tests/bench/lake_speed.py [--load 100000] [--batch 2000] [--rows 1000000]`. It starts a throwaway
PostgreSQL cluster on 127.0.0.1 for the catalog (tests/helpers/postgres.py), so nothing else is touched.

1. Load: `--load` synthetic mentions with brand matches and a cursor per batch through `load_mentions` (the
   pipeline's own path), by one worker process, then split between two worker processes writing at once (each its
   own brand, half the posts shared so the anti-join has work to do). Prints mentions/s and commit reruns.
2. Query: `--rows` mentions with brand matches and scores built in a DuckDB file by SQL, copied into a fresh lake
   with `brandpulse migrate --to ducklake`'s code, then the main views timed on both (best of 3).
Results are recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from helpers.postgres import postgres_cluster  # noqa: E402

from models.mention import BrandMatch, CursorUpdate, Mention  # noqa: E402
from warehouse import Warehouse, load_mentions  # noqa: E402
from warehouse.lake import LakeWarehouse  # noqa: E402
from warehouse.lake_copy import copy_into_lake  # noqa: E402

T0 = datetime(2026, 1, 1, tzinfo=UTC)
QUERIES = {
    "sentiment_daily (one brand, 28 days)": "SELECT * FROM sentiment_daily WHERE brand = 'Acme' "
    "AND day >= DATE '2026-03-01' AND day < DATE '2026-03-29'",
    "sentiment_daily (all)": "SELECT brand, sum(mentions) FROM sentiment_daily GROUP BY ALL",
    "share_of_voice": "SELECT * FROM share_of_voice ORDER BY ALL LIMIT 1000",
    "mentions_scored (count by channel)": "SELECT channel, count(*), avg(score) FROM mentions_scored GROUP BY ALL",
}


def batches(brand: str, start: int, total: int, size: int) -> list[list[Mention]]:
    """Synthetic posts `start`..`start + total`, in batches of `size`."""
    posts = [
        Mention(channel="x", id=str(n), text=f"acme and globex post {n} about delivery", kind="post",
                created_at=T0 + timedelta(seconds=30 * n))
        for n in range(start, start + total)
    ]
    return [posts[i:i + size] for i in range(0, len(posts), size)]


def load_worker(catalog: str, data: str, brand: str, start: int, total: int, size: int) -> None:
    """One pipeline-like writer: each batch with its brand matches and cursor in one transaction."""
    lake = LakeWarehouse(catalog, data, path=Path(data).parent / f"{brand}.duckdb")
    for step, batch in enumerate(batches(brand, start, total, size)):
        with lake.write() as con:
            load_mentions(con, batch, {m.key: [BrandMatch(brand=brand, terms=[brand.lower()])] for m in batch},
                          run_id=brand, cursor=CursorUpdate(channel="x", scope=brand, value=str(step)))


def timed_load(catalog: str, folder: Path, jobs: list[tuple[str, int, int]], size: int) -> float:
    """Seconds for the jobs (brand, first post, posts) to load side by side, each in its own process."""
    data = str(folder / "data")
    with LakeWarehouse(catalog, data, path=folder / "setup.duckdb").write():
        pass  # the schema first, so the timing is the loads'
    started = time.perf_counter()
    workers = [multiprocessing.Process(target=load_worker, args=(catalog, data, b, s, n, size)) for b, s, n in jobs]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
        if worker.exitcode:
            raise SystemExit(f"a load worker failed (exit {worker.exitcode})")
    return time.perf_counter() - started


def build_file(path: Path, rows: int) -> None:
    """A file warehouse with `rows` mentions over 2026 H1, two brands, one score each (built in SQL, seconds)."""
    with Warehouse(path).write() as con:
        con.execute(
            """INSERT INTO mentions (channel, id, text, created_at, kind, ingested_at)
            SELECT CASE WHEN i % 3 = 0 THEN 'reddit' ELSE 'x' END, i::VARCHAR, 'acme or globex post ' || i,
                   TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_seconds(i * 15), 'post', now()
            FROM range(?) AS t(i)""",
            [rows],
        )
        con.execute("""INSERT INTO mention_brands SELECT channel, id, CASE WHEN id::BIGINT % 4 = 0 THEN 'Globex'
                       ELSE 'Acme' END, ['acme'] FROM mentions""")
        con.execute(
            """INSERT INTO scores SELECT channel, id, 'bench', 'bench-v1',
                   CASE WHEN id::BIGINT % 5 = 0 THEN 'negative' WHEN id::BIGINT % 5 = 1 THEN 'neutral'
                        ELSE 'positive' END,
                   ((id::BIGINT % 5) - 1) / 3.0, 0.2, 0.3, 0.5, now() FROM mentions"""
        )


def best_of_three(open_reader: object, sql: str) -> float:
    """The best wall time of three runs of `sql`, in milliseconds."""
    times = []
    for _ in range(3):
        with open_reader() as con:  # type: ignore[operator]
            started = time.perf_counter()
            con.execute(sql).fetchall()
            times.append(time.perf_counter() - started)
    return 1000 * min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--load", type=int, default=100_000, help="mentions loaded in the load test")
    parser.add_argument("--batch", type=int, default=2_000, help="mentions per transaction")
    parser.add_argument("--rows", type=int, default=1_000_000, help="mentions for the query test")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, postgres_cluster() as catalog:
        root = Path(tmp)
        # One database per measurement, so each starts from an empty lake.
        one = timed_load(catalog, root / "one", [("Acme", 0, args.load)], args.batch)
        print(f"1 worker : {args.load / one:,.0f} mentions/s ({args.load} in {one:.1f} s)")
        half = args.load // 2
        two_catalog = catalog.replace("dbname=lake", "dbname=lake2")
        _createdb(catalog, "lake2")
        # Each worker loads its own half plus a quarter of shared posts: both must end up stored once.
        quarter = half // 2
        two = timed_load(two_catalog, root / "two", [("Acme", 0, half + quarter), ("Globex", half - quarter,
                                                                                      half + quarter)], args.batch)
        print(f"2 workers: {args.load / two:,.0f} distinct mentions/s ({args.load} in {two:.1f} s, "
              f"{2 * quarter} posts written by both)")
        lake_check = LakeWarehouse(two_catalog, str(root / "two" / "data"), path=root / "check.duckdb")
        with lake_check.read() as con:
            stored, distinct = con.execute("SELECT count(*), count(DISTINCT id) FROM mentions").fetchall()[0]
        print(f"           stored {stored} mentions, {distinct} distinct (expected {args.load})")

        file_path = root / "file.duckdb"
        started = time.perf_counter()
        build_file(file_path, args.rows)
        print(f"query data: {args.rows:,} mentions built in {time.perf_counter() - started:.1f} s")
        _createdb(catalog, "lake3")
        lake = LakeWarehouse(catalog.replace("dbname=lake", "dbname=lake3"), str(root / "q" / "data"),
                             path=root / "q.duckdb")
        started = time.perf_counter()
        copy_into_lake(Warehouse(file_path), lake)
        print(f"migrate --to ducklake: {time.perf_counter() - started:.1f} s")
        file = Warehouse(file_path)
        print(f"{'view':40} {'file ms':>9} {'lake ms':>9}")
        for name, sql in QUERIES.items():
            print(f"{name:40} {best_of_three(file.read, sql):9.0f} {best_of_three(lake.read, sql):9.0f}")


def _createdb(catalog: str, name: str) -> None:
    """Another empty database in the benchmark's cluster."""
    import subprocess

    from helpers.postgres import _as_owner, server_bin

    port = catalog.split("port=")[1].split()[0]
    subprocess.run(_as_owner([str(server_bin() / "createdb"), "-h", "127.0.0.1", "-p", port, "-U", "postgres",
                              name]), check=True, capture_output=True)


if __name__ == "__main__":
    main()
