"""Naver and YouTube in `brandpulse run`: they load with credentials set, share a run's quota, fail cleanly without."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers.config import write_config
from helpers.listen_server import FakeApi, Reply, fake_api
from helpers.prefect_flows import rows

from flows.pipeline import pipeline

SECRET = "naver-secret-that-must-not-leak"
KEY = "youtube-key-that-must-not-leak"


def naver_items(query: str) -> list[dict[str, Any]]:
    """Blog results for one Naver query (`+term`), as the Search API shapes them."""
    posts = {
        "+acme": [("1", "<b>Acme</b> 앱 로그인 오류 &amp; 결제 실패")],
        "+애크미": [("2", "<b>애크미</b> 배송 빨라요"), ("3", "")],  # the second one has no description: skipped
    }
    return [{"title": f"글 {n}", "link": f"https://blog.naver.com/kim/{n}", "description": text,
             "bloggername": "김", "bloggerlink": "https://blog.naver.com/kim", "postdate": "20261119"}
            for n, text in posts.get(query, [])]


def serve(api: FakeApi) -> None:
    def blog(query: dict[str, list[str]]) -> Reply:
        items = naver_items(query["query"][0])
        return Reply({"lastBuildDate": "Thu, 19 Nov 2026 19:00:00 +0900", "total": len(items), "start": 1,
                      "display": len(items), "items": items})

    def search(query: dict[str, list[str]]) -> Reply:
        brand = "acme" if "acme" in query["q"][0] else "globex"
        item = {"kind": "youtube#searchResult", "id": {"kind": "youtube#video", "videoId": f"{brand}-video"},
                "snippet": {"publishedAt": "2026-11-19T09:00:00Z", "channelId": "UCx", "title": f"{brand} unboxing",
                            "description": "", "channelTitle": "Kim"}}
        return Reply({"kind": "youtube#searchListResponse", "items": [item]})

    def threads(query: dict[str, list[str]]) -> Reply:
        top = {"id": "Ugz1", "snippet": {"videoId": query["videoId"][0], "textOriginal": "애크미 또 먹통",
                                         "authorDisplayName": "@minji", "authorChannelId": {"value": "UCminji"},
                                         "likeCount": 3, "publishedAt": "2026-11-19T10:00:00Z"}}
        reply = {"id": "Ugz1.r1", "snippet": {"videoId": query["videoId"][0], "parentId": "Ugz1",
                                              "textOriginal": "애크미 고객센터입니다, 확인 중입니다",
                                              "authorDisplayName": "@acmehelp",
                                              "authorChannelId": {"value": "UCacme"},
                                              "publishedAt": "2026-11-19T10:14:00Z"}}
        thread = {"id": "Ugz1", "snippet": {"topLevelComment": top, "totalReplyCount": 1},
                  "replies": {"comments": [reply]}}
        return Reply({"kind": "youtube#commentThreadListResponse", "items": [thread]})

    api.handle("/v1/search/blog.json", blog)
    api.handle("/youtube/v3/search", search)
    api.handle("/youtube/v3/commentThreads", threads)
    api.script("/youtube/v3/channels", Reply({"kind": "youtube#channelListResponse", "items": [
        {"kind": "youtube#channel", "id": "UCx", "statistics": {"subscriberCount": "1200"}}]}))


def test_both_run_with_credentials_share_the_runs_quota_and_fail_in_one_line_without(
    prefect_harness: None, tmp_path: Path, tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.delenv("BRANDPULSE_SLACK_WEBHOOK_URL", raising=False)
    monkeypatch.setenv("BRANDPULSE_NAVER_CLIENT_ID", "naver-id")
    monkeypatch.setenv("BRANDPULSE_NAVER_CLIENT_SECRET", SECRET)
    monkeypatch.setenv("BRANDPULSE_YOUTUBE_API_KEY", KEY)
    with fake_api() as api:
        serve(api)
        # 150 units a run: Acme's search (100), its uploaders (1) and comments (1) fit, Globex's search (100) does not.
        config = write_config(
            tmp_path,
            model={"sentiment": tiny_model_dir},
            channels={
                "naver": {"enabled": True, "api_url": api.url, "endpoints": ["blog"]},
                "youtube": {"enabled": True, "api_url": api.url, "daily_quota": 10_000, "run_share": 0.015},
            },
        )
        summary = pipeline(config_path=str(config))
        searches = len(api.calls("/youtube/v3/search"))
    db = tmp_path / "wh.duckdb"

    assert summary["channels"]["naver"] == "ok: 2 new (3 quota units used)", summary["channels"]["naver"]
    youtube = summary["channels"]["youtube"]
    assert youtube.startswith("rate-limited: 3 new") and "102 quota units used" in youtube, youtube
    assert searches == 1  # Globex's search was not called: the run's share was spent
    globex = next(f for f in summary["feeds"] if f["channel"] == "youtube" and f["brand"] == "Globex")
    assert "this run's share of the daily quota is spent (102 of 150 units" in globex["reason"]
    assert rows(db, "SELECT id, kind, parent_id, author_id, author_handle, author_followers FROM mentions "
                    "WHERE channel = 'youtube' ORDER BY id") == [
        ("Ugz1", "comment", None, "UCminji", "@minji", None),
        ("Ugz1.r1", "reply", "Ugz1", "UCacme", "@acmehelp", None),
        ("acme-video", "post", None, "UCx", "Kim", 1200),
    ]
    assert rows(db, "SELECT id, author_id FROM mentions WHERE channel = 'naver' ORDER BY id") == [
        ("https://blog.naver.com/kim/1", "kim"), ("https://blog.naver.com/kim/2", "kim"),
    ]
    assert rows(db, "SELECT scope FROM cursors WHERE channel IN ('naver', 'youtube') ORDER BY scope") == [
        ("acme:blog:acme",), ("acme:blog:애크미",), ("acme:search",),
    ]
    logged = caplog.text + str(summary) + str(rows(db, "SELECT summary FROM runs"))
    assert SECRET not in logged and KEY not in logged

    monkeypatch.delenv("BRANDPULSE_NAVER_CLIENT_ID")
    monkeypatch.delenv("BRANDPULSE_YOUTUBE_API_KEY")
    without = pipeline(config_path=str(config))
    assert without["channels"]["naver"] == (
        "failed: naver: BRANDPULSE_NAVER_CLIENT_ID is not set; set it in the environment (see .env.example) or "
        "disable [channels.naver]"
    )
    assert without["channels"]["youtube"].startswith("failed: youtube: BRANDPULSE_YOUTUBE_API_KEY is not set")
    assert without["status"] == "partial" and without["scored"] == 0


def test_enabled_auto_skips_a_channel_without_credentials_in_one_line_and_the_run_stays_ok(
    prefect_harness: None, tmp_path: Path, tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    for var in ("BRANDPULSE_SLACK_WEBHOOK_URL", "BRANDPULSE_NAVER_CLIENT_ID", "BRANDPULSE_NAVER_CLIENT_SECRET",
                "BRANDPULSE_YOUTUBE_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    with fake_api() as api:
        serve(api)
        config = write_config(
            tmp_path,
            model={"sentiment": tiny_model_dir},
            channels={
                "naver": {"enabled": "auto", "api_url": api.url, "endpoints": ["blog"]},
                "youtube": {"enabled": "auto", "api_url": api.url},
            },
        )
        without = pipeline(config_path=str(config))
        assert api.calls("/v1/search/blog.json") == [] and api.calls("/youtube/v3/search") == []
        assert without["channels"]["naver"] == (
            'skipped (enabled = "auto"): naver: BRANDPULSE_NAVER_CLIENT_ID is not set; set it in the environment '
            "(see .env.example) or disable [channels.naver]"
        )
        assert without["channels"]["youtube"].startswith('skipped (enabled = "auto"): youtube: BRANDPULSE_YOUTUBE')
        assert without["status"] == "completed"

        monkeypatch.setenv("BRANDPULSE_NAVER_CLIENT_ID", "naver-id")
        monkeypatch.setenv("BRANDPULSE_NAVER_CLIENT_SECRET", SECRET)
        with_naver = pipeline(config_path=str(config))
    assert with_naver["channels"]["naver"].startswith("ok: 2 new"), with_naver["channels"]["naver"]
    assert with_naver["channels"]["youtube"].startswith("skipped")
