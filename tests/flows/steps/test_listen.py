"""Live channels in the pipeline: X from a local server loads, a failing Reddit does not stop it, no double loads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
from helpers.config import write_config
from helpers.listen_server import FakeApi, Reply, fake_api

from flows.pipeline import pipeline
from flows.runtime.config import Secrets
from flows.steps.listen import FeedResult, channel_status, listen_channel
from listeners.feeds import ListenBatch
from listeners.registry import Channel
from models.brands import Brand, BrandMatcher
from models.channels import ChannelSettings
from models.errors import RateLimited
from models.mention import CursorUpdate, Mention
from warehouse import Warehouse

TOKEN = "x-token-that-must-not-leak"

TWEETS = [
    {"id": "1860000000000000003", "text": "애크미 배송 최악, globex가 낫다", "created_at": "2026-11-19T10:02:00Z"},
    {"id": "1860000000000000002", "text": "nothing about any brand", "created_at": "2026-11-19T10:01:00Z"},
    {"id": "1860000000000000001", "text": "Acme app is great", "created_at": "2026-11-19T10:00:00Z"},
]


def serve_x(api: FakeApi) -> None:
    def search(query: dict[str, list[str]]) -> Reply:
        since = int(query.get("since_id", ["0"])[0])
        data = [t for t in TWEETS if int(t["id"]) > since]
        meta = {"result_count": len(data), **({"newest_id": data[0]["id"]} if data else {})}
        return Reply({"data": data, "meta": meta})

    api.handle("/2/tweets/search/recent", search)
    api.script("/api/v1/access_token", Reply({"message": "Unauthorized", "error": 401}, status=401))


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_x_loads_while_reddit_fails_and_a_rerun_adds_nothing(
    prefect_harness: None, tmp_path: Path, tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.delenv("BRANDPULSE_SLACK_WEBHOOK_URL", raising=False)
    monkeypatch.setenv("BRANDPULSE_X_BEARER_TOKEN", TOKEN)
    monkeypatch.setenv("BRANDPULSE_REDDIT_CLIENT_ID", "reddit-id")
    monkeypatch.setenv("BRANDPULSE_REDDIT_CLIENT_SECRET", "reddit-secret-that-must-not-leak")
    with fake_api() as api:
        serve_x(api)
        config = write_config(
            tmp_path,
            model={"sentiment": tiny_model_dir},
            channels={
                "x": {"enabled": True, "api_url": api.url, "mentions": False},
                "reddit": {"enabled": True, "oauth_url": api.url, "reddit_url": api.url, "subreddits": ["korea"]},
            },
        )
        first = pipeline(config_path=str(config))
        second = pipeline(config_path=str(config))
        since = [seen.query.get("since_id") for seen in api.calls("/2/tweets/search/recent")]
    db = tmp_path / "wh.duckdb"

    assert first["channels"]["x"].startswith("ok: 2 new")
    assert first["channels"]["reddit"].startswith("failed: reddit: HTTP 401 Unauthorized")
    assert "BRANDPULSE_REDDIT_CLIENT_ID" in first["channels"]["reddit"]
    assert rows(db, "SELECT id FROM mentions ORDER BY id") == [("1860000000000000001",), ("1860000000000000003",)]
    # The local re-check records every brand each text matches, with the terms found.
    assert rows(db, "SELECT id, brand, terms FROM mention_brands ORDER BY id, brand") == [
        ("1860000000000000001", "Acme", ["acme"]),
        ("1860000000000000003", "Acme", ["애크미"]),
        ("1860000000000000003", "Globex", ["globex"]),
    ]
    assert rows(db, "SELECT scope, value FROM cursors WHERE channel = 'x' ORDER BY scope") == [
        ("acme:search", "1860000000000000003"), ("globex:search", "1860000000000000003"),
    ]
    assert first["scored"] == 2

    assert second["channels"]["x"] == "ok: 0 new"
    assert since == [None, None, ["1860000000000000003"], ["1860000000000000003"]]
    assert rows(db, "SELECT count(*) FROM mentions") == [(2,)] and second["scored"] == 0
    logged = caplog.text + str(first) + str(rows(db, "SELECT summary FROM runs"))
    assert TOKEN not in logged and "reddit-secret-that-must-not-leak" not in logged


class _Feed:
    """A feed that returns what it is given, for the storing rules."""

    channel = "x"

    def __init__(self, scope: str, batch: ListenBatch) -> None:
        self.scope, self.batch, self.cursors = scope, batch, []

    def fetch(self, cursor: str | None) -> ListenBatch:
        self.cursors.append(cursor)
        return self.batch


def _mention(ident: str, text: str) -> Mention:
    return Mention(channel="x", id=ident, text=text, created_at="2026-11-19T10:00:00Z")


def test_a_rate_limited_feed_stores_what_it_fetched_and_keeps_its_cursor(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path / "wh.duckdb")
    brand = Brand(name="Acme", terms=["acme"])
    limited = ListenBatch(mentions=[_mention("5", "acme")], error=RateLimited("x: rate limited"), resume_at=1.8e9)
    ok = ListenBatch(mentions=[_mention("6", "acme too")], cursor=CursorUpdate(channel="x", scope="b", value="6"))
    feeds = [_Feed("a", limited), _Feed("b", ok)]
    results = listen_channel(
        warehouse, "x", ChannelSettings(enabled=True), Secrets(), brand, BrandMatcher.from_brands([brand]),
        run_id="r1", channels={"x": Channel(lambda settings, b: feeds)},
    )
    assert [(r.scope, r.outcome, r.inserted, r.cursor) for r in results] == [
        ("a", "rate_limited", 1, None), ("b", "ok", 1, "6"),
    ]
    assert channel_status(results) == (
        "rate-limited until 2027-01-15T08:00:00Z: 2 new; cursor kept, resumes on a later run"
    )


def test_missing_credentials_fail_the_channel_before_any_call(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BRANDPULSE_X_BEARER_TOKEN", raising=False)
    brand = Brand(name="Acme", terms=["acme"])
    results = listen_channel(
        Warehouse(tmp_path / "wh.duckdb"), "x", ChannelSettings(enabled=True), Secrets(), brand,
        BrandMatcher.from_brands([brand]), run_id="r1",
    )
    assert channel_status(results) == (
        "failed: x: BRANDPULSE_X_BEARER_TOKEN is not set; set it in the environment (see .env.example) or disable "
        "[channels.x]"
    )


def test_an_unknown_channel_key_is_a_config_error_naming_it(tmp_path: Path) -> None:
    brand = Brand(name="Acme", terms=["acme"])
    results = listen_channel(
        Warehouse(tmp_path / "wh.duckdb"), "x", ChannelSettings(enabled=True, serch="all"), Secrets(), brand,
        BrandMatcher.from_brands([brand]), run_id="r1",
    )
    assert results == [FeedResult(channel="x", brand="Acme", scope="*", outcome="failed",
                                  reason="invalid configuration: unknown setting 'channels.x.serch' "
                                         "(setting 'channels.x.serch')")]


def test_the_cli_summary_prints_each_live_channel_status(capsys: pytest.CaptureFixture[str]) -> None:
    from flows.cli.run import print_summary
    from flows.runtime.config import parse_config

    summary = {
        "channels": {"x": "ok: 2 new", "reddit": "failed: reddit: BRANDPULSE_REDDIT_CLIENT_ID is not set",
                     "file:a.csv": "ok"},
        "scored": 2, "model": "tiny", "alerts_new": 0, "alerts_sent": 0, "alerts_retry": 0, "alerts_failed": 0,
        "warehouse": "wh.duckdb", "totals": {},
    }
    print_summary(parse_config({}), summary)
    printed = capsys.readouterr().out
    assert "channel x: ok: 2 new" in printed
    assert "channel reddit: failed: reddit: BRANDPULSE_REDDIT_CLIENT_ID is not set" in printed
    assert "channel file:a.csv" not in printed


def test_a_feed_keeps_the_brands_own_replies_that_do_not_name_it(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path / "wh.duckdb")
    brand = Brand(name="Acme", terms=["acme"], owned=["@acmehelp"])
    reply = Mention(channel="x", id="7", text="Sorry! Please DM us", created_at="2026-11-19T10:05:00Z",
                    author_handle="AcmeHelp", kind="reply", parent_id="5")
    stranger = Mention(channel="x", id="8", text="Sorry! Please DM us", created_at="2026-11-19T10:06:00Z",
                       author_handle="someone")
    batch = ListenBatch(mentions=[_mention("5", "acme app down"), reply, stranger],
                        cursor=CursorUpdate(channel="x", scope="a", value="8"))
    [result] = listen_channel(
        warehouse, "x", ChannelSettings(enabled=True), Secrets(), brand, BrandMatcher.from_brands([brand]),
        run_id="r1", channels={"x": Channel(lambda settings, b: [_Feed("a", batch)])},
    )
    assert (result.inserted, result.unmatched) == (2, 1)  # the stranger's identical text names no brand
    with warehouse.read() as con:
        assert con.execute("SELECT id, brand, terms FROM mention_brands ORDER BY id").fetchall() == [
            ("5", "Acme", ["acme"]), ("7", "Acme", []),
        ]
