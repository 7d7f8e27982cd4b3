"""Backfill: X full-archive search and Hacker News date filters from local servers, cursors untouched, no doubles."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from helpers import free_api_server
from helpers.config import write_config
from helpers.listen_server import FakeApi, Reply, fake_api
from typer.testing import CliRunner

from flows.backfill import NO_HISTORY, backfill, backfill_flow, day_range
from flows.cli.main import app
from flows.runtime.config import load_config
from listeners.reddit.feeds import search_history
from models.errors import ConfigError
from models.mention import CursorUpdate, Mention
from warehouse import Warehouse, load_mentions

TWEETS = [
    {"id": "1852000000000000004", "text": "acme after the range", "created_at": "2026-11-05T09:00:00Z"},
    {"id": "1852000000000000003", "text": "Acme support was slow", "created_at": "2026-11-02T23:59:00Z"},
    {"id": "1852000000000000002", "text": "nothing about the brand", "created_at": "2026-11-02T10:00:00Z"},
    {"id": "1852000000000000001", "text": "acme app works", "created_at": "2026-11-01T00:00:00Z"},
    {"id": "1851000000000000000", "text": "acme before the range", "created_at": "2026-10-31T23:59:59Z"},
]
NOV_1 = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp())
HITS = [
    {"objectID": "900", "_tags": ["story"], "title": "Acme launches", "author": "a", "created_at_i": NOV_1 + 60},
    {"objectID": "901", "_tags": ["comment"], "comment_text": "acme is fine", "author": "b",
     "created_at_i": NOV_1 + 86400 * 3},
]
START, END = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC)


def serve_archive(api: FakeApi, status: int = 200) -> None:
    def search_all(query: dict[str, list[str]]) -> Reply:
        if status != 200:
            return Reply({"title": "Forbidden", "detail": "not in your tier"}, status=status)
        start, end = query["start_time"][0], query["end_time"][0]
        data = [t for t in TWEETS if start <= t["created_at"] < end]
        return Reply({"data": data, "meta": {"result_count": len(data)}})

    api.handle("/2/tweets/search/all", search_all)


def hn_search(seen: free_api_server.Seen) -> free_api_server.Reply:
    low, high = 0, 1 << 62
    for part in seen.query.get("numericFilters", [""])[0].split(","):
        if part.startswith("created_at_i>="):
            low = int(part.removeprefix("created_at_i>="))
        elif part.startswith("created_at_i<"):
            high = int(part.removeprefix("created_at_i<"))
    hits = [h for h in HITS if low <= h["created_at_i"] < high]
    return free_api_server.Reply(200, {"hits": hits, "nbPages": 1})


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture
def servers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("BRANDPULSE_X_BEARER_TOKEN", "x-token")
    hn = free_api_server.FakeApi()
    hn.route("/api/v1/search_by_date", hn_search)
    with fake_api() as x, free_api_server.serve(hn):
        config = write_config(
            tmp_path,
            model={"sentiment": "bundled"},
            brands=[{"name": "Acme", "terms": ["acme"]}],
            channels={
                "x": {"enabled": True, "api_url": x.url, "mentions": False},
                "hackernews": {"enabled": True, "host": hn.url},
                "rss": {"enabled": True, "feeds": ["http://127.0.0.1:9/never-read.xml"]},
            },
        )
        yield config, x, hn


def test_backfill_loads_the_range_keeps_the_live_cursor_and_adds_nothing_twice(servers: Any) -> None:
    config_path, x, hn = servers
    serve_archive(x)
    config = load_config(config_path)
    db = config.warehouse.path
    live = CursorUpdate(channel="x", scope="acme:search", value="1860000000000000000")
    with Warehouse(db).write() as con:
        load_mentions(con, [], {}, run_id="live", cursor=live)

    first = backfill(config, START, END, score=False)
    second = backfill(config, START, END, score=False)

    assert first.channels == {"x": "ok: 2 new (1 not matching the brand terms)", "hackernews": "ok: 1 new",
                              "rss": NO_HISTORY}
    assert second.channels["x"] == "ok: 0 new (2 already stored, 1 not matching the brand terms)"
    assert second.channels["hackernews"] == "ok: 0 new (1 already stored)"
    assert rows(db, "SELECT channel, id FROM mentions ORDER BY id") == [
        ("x", "1852000000000000001"), ("x", "1852000000000000003"), ("hackernews", "900"),
    ]
    assert rows(db, "SELECT brand, count(*) FROM mention_brands GROUP BY ALL") == [("Acme", 3)]
    # The live cursor is where the live path left it, and no cursor was added for the backfilled feeds.
    assert rows(db, "SELECT channel, scope, value FROM cursors") == [("x", "acme:search", "1860000000000000000")]
    archive = x.calls("/2/tweets/search/all")
    assert archive[0].query["start_time"] == ["2026-11-01T00:00:00Z"]
    assert archive[0].query["end_time"] == ["2026-11-03T00:00:00Z"]
    assert "since_id" not in archive[0].query
    assert x.calls("/2/tweets/search/recent") == []
    assert hn.requests[0].query["numericFilters"] == [f"created_at_i>={NOV_1},created_at_i<{NOV_1 + 2 * 86400}"]
    assert rows(db, "SELECT status FROM runs ORDER BY started_at") == [("completed",), ("completed",)]
    # The first backfill published the read snapshot with what it loaded; the second added nothing, so kept it.
    snapshot = config.warehouse.read_snapshot_path()
    assert first.read_snapshot == str(snapshot) and first.read_snapshot_published_at
    assert second.read_snapshot_published_at == first.read_snapshot_published_at
    assert rows(snapshot, "SELECT count(*) FROM mentions") == [(3,)]


def test_a_tier_without_full_archive_search_fails_x_only_with_a_clear_reason(servers: Any) -> None:
    config_path, x, _ = servers
    serve_archive(x, status=403)
    summary = backfill(load_config(config_path), START, END, channels=["x", "hackernews"], score=False)
    assert summary.channels["x"].startswith("failed: x: HTTP 403 Forbidden: full-archive search")
    assert "access tier that allows it" in summary.channels["x"]
    assert "x-token" not in str(summary.as_dict())
    assert summary.channels["hackernews"] == "ok: 1 new"


def test_a_channel_not_enabled_is_a_config_error(servers: Any) -> None:
    config_path, _, _ = servers
    with pytest.raises(ConfigError, match="'reddit' is not enabled"):
        backfill(load_config(config_path), START, END, channels=["reddit"], score=False)


def test_reddit_history_searches_everything_newest_first_and_keeps_the_range() -> None:
    calls: list[dict[str, Any]] = []

    class Listener:
        def search(self, query: str, where: str, **kwargs: Any) -> Any:
            calls.append({"query": query, "where": where, **kwargs})
            for day in (4, 2, 1):
                when = datetime(2026, 11, day, tzinfo=UTC)
                yield Mention(channel="reddit", id=f"t3_{day}", text="acme", created_at=when)

    kept = list(search_history(Listener(), "acme", "all", START, END, max_pages=50))
    assert [m.id for m in kept] == ["t3_2", "t3_1"]
    assert calls[0]["time_filter"] == "all" and calls[0]["max_pages"] == 10
    assert calls[0]["since"] == "2026-11-01T00:00:00Z t3_0"


def test_day_range_includes_the_last_day_and_rejects_a_reversed_range() -> None:
    assert day_range(date(2026, 11, 1), date(2026, 11, 2)) == (START, END)
    with pytest.raises(ConfigError, match="starts after it ends"):
        day_range(date(2026, 11, 3), date(2026, 11, 2))


def test_the_cli_validates_dates_before_running(tmp_path: Path) -> None:
    runner = CliRunner()
    reversed_range = runner.invoke(app, ["backfill", "--from", "2026-11-03", "--to", "2026-11-01"])
    assert reversed_range.exit_code == 2
    assert "--from 2026-11-03 is after --to 2026-11-01" in " ".join(reversed_range.output.split())
    bad = runner.invoke(app, ["backfill", "--from", "2026-11-xx", "--to", "2026-11-01"])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output


def test_the_backfill_flow_holds_the_lock_scores_and_the_cli_prints_the_table(
    prefect_harness: None, servers: Any, tiny_model_dir: Path,
) -> None:
    config_path, x, _ = servers
    serve_archive(x)
    text = config_path.read_text(encoding="utf-8").replace('"bundled"', f'"{tiny_model_dir.as_posix()}"')
    config_path.write_text(text, encoding="utf-8")
    result = backfill_flow(config_path=str(config_path), start="2026-11-01", end="2026-11-02",
                           channels=["hackernews"])
    assert result["channels"] == {"hackernews": "ok: 1 new"} and result["scored"] == 1
    db = tmp_path_of(config_path) / "wh.duckdb"
    assert rows(db, "SELECT count(*) FROM scores") == [(1,)]

    printed = CliRunner().invoke(app, ["backfill", "--from", "2026-11-01", "--to", "2026-11-02",
                                       "--channel", "x", "--channel", "rss", "--config", str(config_path)])
    assert printed.exit_code == 0, printed.output
    output = " ".join(printed.output.split())
    assert "ok: 2 new" in output and NO_HISTORY in output and "scored 2 mentions" in output

    # A channel that fails makes the backfill partial (exit 3), like `run`: the rest is loaded and scored.
    serve_archive(x, status=403)
    partial = CliRunner().invoke(app, ["backfill", "--from", "2026-11-01", "--to", "2026-11-02",
                                       "--channel", "x", "--channel", "hackernews", "--config", str(config_path)])
    assert partial.exit_code == 3, partial.output
    assert "partial backfill: x failed" in " ".join(partial.output.split())


def tmp_path_of(config_path: Path) -> Path:
    return config_path.parent
