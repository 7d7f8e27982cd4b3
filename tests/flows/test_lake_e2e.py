"""Issue #15: two `brandpulse run` workers on one DuckLake (PostgreSQL catalog) at once, a reader, a kill, a rerun."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.alerts import FakeSlack
from helpers.config import ACME, GLOBEX, write_config
from helpers.postgres import postgres_cluster
from helpers.runs import spawn_run
from helpers.sample import write_sample

from warehouse.lake import LakeWarehouse


@pytest.fixture(scope="module")
def catalog() -> Iterator[str]:
    """A throwaway PostgreSQL cluster on 127.0.0.1 (Debian `postgresql`), its `lake` database as the catalog."""
    with postgres_cluster() as dsn:
        yield dsn


@pytest.fixture(scope="module")
def api_url(prefect_harness: None) -> str:
    """The session's temporary Prefect API, shared by the child processes."""
    from prefect.settings import PREFECT_API_URL

    return str(PREFECT_API_URL.value())


def worker(folder: Path, model: Path, catalog: str, data: Path, brand: dict[str, object], files: list[str]) -> Path:
    """A worker's folder: the sample files and a config for one brand on the shared lake."""
    write_sample(folder, model)
    return write_config(
        folder,
        warehouse={"kind": "ducklake", "catalog": catalog, "data_path": data, "lock_timeout_s": 20},
        model={"sentiment": model, "encoder": model},
        brands=[{**brand, "competitors": []}],
        alerts={"preset": "balanced"},
        imports={"files": files},
    )


# About a minute on an idle 2-core machine; the limit leaves room for a busy one (three model-loading processes).
@pytest.mark.timeout(900)
def test_two_workers_a_reader_and_a_kill_leave_every_row_and_alert_exactly_once(
    tmp_path: Path, tiny_model_dir: Path, catalog: str, api_url: str
) -> None:
    data = tmp_path / "lake-data"
    acme, globex = tmp_path / "acme", tmp_path / "globex"
    acme.mkdir()
    globex.mkdir()
    # Both read the same posts (one channel, two brands): the lake must store each post once.
    worker(acme, tiny_model_dir, catalog, data, ACME, ["mentions.jsonl", "survey.csv"])
    worker(globex, tiny_model_dir, catalog, data, GLOBEX, ["mentions.jsonl"])
    posts = [json.loads(line) for line in (acme / "mentions.jsonl").read_text().splitlines()]
    lake = LakeWarehouse(catalog, data, path=tmp_path / "reader.duckdb")
    slack = FakeSlack()
    slack.start()
    reads: list[int] = []
    failures: list[BaseException] = []
    done = threading.Event()

    def reader() -> None:
        # An analyst's notebook: one connection held open the whole time, querying while both workers write.
        while not done.is_set():
            try:
                with lake.read(sandboxed=True) as con:
                    while True:
                        finished = done.is_set()
                        reads.append(int(con.execute("SELECT count(*) FROM mentions_scored").fetchall()[0][0]))
                        if finished:
                            return  # that last read came after every worker had committed
                        time.sleep(0.5)
            except Exception as exc:
                if reads:  # before the first worker created the lake there is nothing to read yet
                    failures.append(exc)
                    return
                time.sleep(0.5)

    watcher = threading.Thread(target=reader)
    watcher.start()
    try:
        killed = spawn_run(acme, api_url, slack.url, failpoint="import.committed")
        other = spawn_run(globex, api_url, slack.url)
        assert killed.wait(timeout=600) == -signal.SIGKILL, (acme / "run.log").read_text()[-3000:]
        assert other.wait(timeout=600) == 0, (globex / "run.log").read_text()[-3000:]
        rerun = spawn_run(acme, api_url, slack.url)
        assert rerun.wait(timeout=600) == 0, (acme / "run.log").read_text()[-3000:]
    finally:
        done.set()
        watcher.join()
        slack.stop()

    assert failures == [] and len(reads) >= 5 and reads == sorted(reads)
    with lake.read() as con:
        def one(sql: str) -> object:
            return con.execute(sql).fetchall()[0][0]

        # The connection held open all along saw the workers' commits as they landed.
        assert reads[-1] == one("SELECT count(*) FROM mentions_scored") > 0

        assert one("SELECT count(*) FROM mentions") == len(posts) + 20  # the posts once each, and 20 survey answers
        for table, key in (("mentions", "channel, id"), ("mention_brands", "channel, id, brand"),
                           ("scores", "channel, id, model_version"), ("topic_scans", "channel, id, model_version"),
                           ("mention_terms", "channel, id, term"), ("mention_embeddings", "channel, id, embedder")):
            assert one(f"SELECT count(*) - count(DISTINCT ({key})) FROM {table}") == 0, table
        assert one("SELECT count(*) FROM scores") == one("SELECT count(*) FROM mentions")
        brands = dict(con.execute("SELECT brand, count(*) FROM mention_brands GROUP BY ALL").fetchall())
        assert set(brands) == {"Acme", "Globex"}
        cursors = con.execute("SELECT scope FROM cursors ORDER BY ALL").fetchall()
        assert sorted(Path(scope).parent.name for (scope,) in cursors) == ["acme", "acme", "globex"]
        outbox = con.execute("SELECT brand, status FROM alert_outbox").fetchall()
        runs = [status for (status,) in con.execute("SELECT status FROM runs ORDER BY started_at").fetchall()]
    # The Acme spike: one alert, delivered once, though two workers ran detection and one was killed.
    assert outbox == [("Acme", "sent")] and sorted(slack.posts().values()) == [1]
    # The killed run keeps `running`: on a shared lake no worker can tell another's live run from a dead one.
    assert sorted(runs) == ["completed", "completed", "running"]
