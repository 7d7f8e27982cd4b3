"""Naver Search API listener: item parsing (tags, entities, KST dates), paging, cursor, errors, quota, feeds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from helpers.listen_server import FakeApi, Reply, fake_api

from listeners.feeds import drain
from listeners.naver.feeds import build_naver_feeds
from listeners.naver.listener import NaverListener, naver_item_to_mention, postdate_utc, pubdate_utc
from listeners.naver.query import naver_queries
from listeners.quota import QuotaBudget, QuotaLedger
from listeners.retry import RetryPolicy
from models.brands import Brand
from models.channels import ChannelSettings
from models.errors import ConfigError, CredentialError, FatalError, QuotaExhausted, RecordError
from models.mention import Mention, Reject

KST = ZoneInfo("Asia/Seoul")
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC).timestamp()
SEEN = datetime.fromtimestamp(NOW, UTC)
BLOG = "/v1/search/blog.json"
POLICY = RetryPolicy(base_delay=0.0, jitter=0.0, max_attempts=3)

# Shaped like the documented blog.json answer: <b> highlights and entities in title/description.
BLOG_ITEM = {
    "title": "<b>애크미</b> 앱 결제 오류 &quot;또&quot;",
    "link": "https://blog.naver.com/minji_95/223456789012",
    "description": "오늘도 <b>애크미</b> 앱에서 결제가 안 돼요 &amp; 로그인도 &lt;실패&gt;",
    "bloggername": "민지의 일상",
    "bloggerlink": "blog.naver.com/minji_95",
    "postdate": "20261119",
}
NEWS_ITEM = {
    "title": "<b>애크미</b>, 결제 장애 사과",
    "originallink": "https://news.example.co.kr/article/1",
    "link": "https://n.news.naver.com/mnews/article/001/0000000001",
    "description": "<b>애크미</b>가 19일 오후 결제 장애에 대해 사과했다.",
    "pubDate": "Thu, 19 Nov 2026 19:05:00 +0900",
}
CAFE_ITEM = {
    "title": "<b>애크미</b> 환불 받으신 분?",
    "link": "https://cafe.naver.com/joonggonara/1234567",
    "description": "<b>애크미</b> 환불 문의 남겼는데 답이 없네요",
    "cafename": "중고나라",
    "cafeurl": "https://cafe.naver.com/joonggonara",
}


def page(items: list[dict[str, Any]], *, start: int = 1, total: int | None = None) -> dict[str, Any]:
    """A Search API answer around `items`."""
    return {"lastBuildDate": "Fri, 20 Nov 2026 12:00:00 +0900", "total": len(items) if total is None else total,
            "start": start, "display": len(items), "items": items}


def blog_item(n: int, postdate: str = "20261119", description: str = "<b>acme</b> post") -> dict[str, Any]:
    return {**BLOG_ITEM, "link": f"https://blog.naver.com/kim/{n}", "description": description, "postdate": postdate}


@pytest.fixture
def api() -> Iterator[FakeApi]:
    with fake_api() as running:
        yield running


def listener(client: httpx.Client, api: FakeApi, **kwargs: Any) -> NaverListener:
    return NaverListener(client, client_id="cid", client_secret="csecret", api_url=api.url, policy=POLICY,
                         sleep=lambda _: None, clock=lambda: NOW, **kwargs)


def budget(daily: int = 1000, share: float = 1.0) -> QuotaBudget:
    return QuotaBudget("naver", daily, share, KST, unit="calls", clock=lambda: NOW)


# ---------------------------------------------------------------------------------------------------- parsing


def test_blog_item_tags_and_entities_stripped_postdate_is_midnight_kst() -> None:
    post = naver_item_to_mention(BLOG_ITEM, "blog", SEEN)
    assert post is not None
    assert post.text == '애크미 앱 결제 오류 "또"\n\n오늘도 애크미 앱에서 결제가 안 돼요 & 로그인도 <실패>'
    assert post.id == post.url == BLOG_ITEM["link"]
    assert post.created_at == datetime(2026, 11, 18, 15, 0, tzinfo=UTC)  # 2026-11-19 00:00 KST
    assert (post.author_id, post.author_handle, post.kind) == ("minji_95", "민지의 일상", "post")
    assert post.raw == {"endpoint": "blog", "item": BLOG_ITEM}


def test_news_pubdate_is_utc_and_cafe_and_kin_are_dated_when_seen() -> None:
    news = naver_item_to_mention(NEWS_ITEM, "news", SEEN)
    assert news is not None and news.created_at == datetime(2026, 11, 19, 10, 5, tzinfo=UTC)
    cafe = naver_item_to_mention(CAFE_ITEM, "cafearticle", SEEN)
    assert cafe is not None and cafe.created_at == SEEN
    assert (cafe.author_id, cafe.author_handle) == ("joonggonara", "중고나라")
    kin = naver_item_to_mention({"title": "<b>애크미</b> 탈퇴", "link": "https://kin.naver.com/qna/1",
                                 "description": "애크미 탈퇴 어떻게 하나요"}, "kin", SEEN)
    assert kin is not None and kin.created_at == SEEN and kin.author_id is None


def test_empty_description_is_skipped_and_junk_is_a_record_error() -> None:
    assert naver_item_to_mention({**BLOG_ITEM, "description": "  <b></b> "}, "blog", SEEN) is None
    with pytest.raises(RecordError, match="no link"):
        naver_item_to_mention({**BLOG_ITEM, "link": ""}, "blog", SEEN)
    with pytest.raises(RecordError, match="postdate '2026-11-19' is not YYYYMMDD"):
        naver_item_to_mention({**BLOG_ITEM, "postdate": "2026-11-19"}, "blog", SEEN)
    with pytest.raises(RecordError, match="not an RFC 822 date"):
        naver_item_to_mention({**NEWS_ITEM, "pubDate": "yesterday"}, "news", SEEN)


def test_dates() -> None:
    assert postdate_utc("20260101") == datetime(2025, 12, 31, 15, 0, tzinfo=UTC)
    assert pubdate_utc("Mon, 26 Sep 2016 07:50:00 +0900") == datetime(2016, 9, 25, 22, 50, tzinfo=UTC)


def test_query_requires_each_term_and_removes_exclusions() -> None:
    brand = Brand(name="Acme", terms=["애크미", "#acme", "acme store"], exclude=["acme anvil"])
    assert naver_queries(brand) == {
        "애크미": '+애크미 -"acme anvil"',
        "acme": '+acme -"acme anvil"',
        "acme store": '+"acme store" -"acme anvil"',
    }


# ---------------------------------------------------------------------------------------------------- the listener


def test_pages_with_start_and_sends_the_credentials_in_headers(api: FakeApi) -> None:
    first = [blog_item(n) for n in range(300, 200, -1)]
    api.script(BLOG, Reply(page(first, total=150)), Reply(page([blog_item(n) for n in range(200, 150, -1)],
                                                                start=101, total=150)))
    with httpx.Client(timeout=5) as client:
        naver = listener(client, api)
        items = list(naver.search("blog", "+acme", max_pages=5))
    assert len(items) == 150 and all(isinstance(i, Mention) for i in items)
    one, two = api.calls(BLOG)
    assert one.query == {"query": ["+acme"], "display": ["100"], "start": ["1"], "sort": ["date"]}
    assert two.query["start"] == ["101"]
    assert one.headers["x-naver-client-id"] == "cid" and one.headers["x-naver-client-secret"] == "csecret"
    assert naver.last.resume_from == f"{SEEN.isoformat()}|https://blog.naver.com/kim/300"


def test_api_hub_form_uses_its_path_and_headers(api: FakeApi) -> None:
    api.script("/search/v1/news", Reply(page([NEWS_ITEM])))
    with httpx.Client(timeout=5) as client:
        items = list(listener(client, api, form="hub").search("news", "+애크미"))
    assert [i.id for i in items if isinstance(i, Mention)] == [NEWS_ITEM["link"]]
    seen = api.calls("/search/v1/news")[0]
    assert seen.headers["x-ncp-apigw-api-key-id"] == "cid" and seen.headers["x-ncp-apigw-api-key"] == "csecret"


def test_reading_stops_at_the_cursor_link(api: FakeApi) -> None:
    api.script(BLOG, Reply(page([blog_item(n) for n in (5, 4, 3, 2, 1)], total=500)))
    cursor = f"{datetime(2026, 11, 19, 12, tzinfo=UTC).isoformat()}|https://blog.naver.com/kim/3"
    with httpx.Client(timeout=5) as client:
        naver = listener(client, api)
        items = list(naver.search("blog", "+acme", since=cursor))
    assert [i.id for i in items if isinstance(i, Mention)] == ["https://blog.naver.com/kim/5",
                                                               "https://blog.naver.com/kim/4"]
    assert len(api.calls(BLOG)) == 1


def test_a_deleted_cursor_item_does_not_make_it_read_everything(api: FakeApi) -> None:
    # The saved link is gone; dated items well before the cursor end the read (a date-sorted listing).
    api.script(BLOG, Reply(page([blog_item(9, "20261120"), blog_item(8, "20261110")] * 50, total=1000)))
    cursor = f"{datetime(2026, 11, 19, 12, tzinfo=UTC).isoformat()}|https://blog.naver.com/kim/deleted"
    with httpx.Client(timeout=5) as client:
        items = list(listener(client, api).search("blog", "+acme", since=cursor))
    assert [i.id for i in items if isinstance(i, Mention)] == ["https://blog.naver.com/kim/9"]
    assert len(api.calls(BLOG)) == 1


def test_malformed_items_are_rejected_and_empty_ones_skipped_with_a_reason(api: FakeApi) -> None:
    api.script(BLOG, Reply(page([blog_item(3), "junk", {**blog_item(2), "postdate": "soon"},
                                 blog_item(1, description="")])))
    with httpx.Client(timeout=5) as client:
        naver = listener(client, api)
        items = list(naver.search("blog", "+acme"))
    assert [type(i) for i in items] == [Mention, Reject, Reject]
    rejects = [i for i in items if isinstance(i, Reject)]
    assert "not an object" in rejects[0].reason and "postdate 'soon'" in rejects[1].reason
    assert naver.last.skip_reasons == {"empty description": 1}
    assert "1 item(s) skipped (empty description: 1)" in " ".join(naver.last.notes())


def test_a_bad_cursor_is_a_clear_fatal_error(api: FakeApi) -> None:
    with httpx.Client(timeout=5) as client, pytest.raises(FatalError, match="delete it from `cursors`"):
        list(listener(client, api).search("blog", "+acme", since="not-a-cursor"))


@pytest.mark.parametrize(
    ("status", "body", "error", "words"),
    [
        (401, {"errorMessage": "Authentication failed (인증 실패)", "errorCode": "024"}, CredentialError,
         "BRANDPULSE_NAVER_CLIENT_ID / BRANDPULSE_NAVER_CLIENT_SECRET"),
        (400, {"errorMessage": "Incorrect query request (잘못된 쿼리요청입니다.)", "errorCode": "SE01"}, FatalError,
         "[SE01] Incorrect query request"),
        (403, {"errorMessage": "Scope Status Invalid : Authentication failed", "errorCode": "024"}, CredentialError,
         "is not allowed to use this endpoint"),
    ],
)
def test_refusals_name_the_fix_and_are_not_retried(
    api: FakeApi, status: int, body: dict[str, str], error: type[Exception], words: str
) -> None:
    api.script(BLOG, Reply(body, status=status))
    with httpx.Client(timeout=5) as client, pytest.raises(error) as raised:
        list(listener(client, api).search("blog", "+acme"))
    assert words in str(raised.value) and "csecret" not in str(raised.value)
    assert len(api.calls(BLOG)) == 1


def test_5xx_is_retried_then_succeeds(api: FakeApi) -> None:
    api.script(BLOG, Reply({"errorMessage": "System error", "errorCode": "SE99"}, status=500),
               Reply(page([blog_item(1)])))
    with httpx.Client(timeout=5) as client:
        items = list(listener(client, api).search("blog", "+acme"))
    assert len(items) == 1 and len(api.calls(BLOG)) == 2


def test_the_daily_limit_stops_at_once_keeps_what_was_read_and_waits_for_midnight_kst(api: FakeApi) -> None:
    api.script(BLOG, Reply(page([blog_item(n) for n in range(200, 100, -1)], total=300)),
               Reply({"errorMessage": "Request limit Exceeded", "errorCode": "010"}, status=429))
    quota = budget()
    with httpx.Client(timeout=5) as client:
        naver = listener(client, api, quota=quota)
        batch = drain(naver.search("blog", "+acme"), naver, cursor=lambda: None)
    assert len(batch.mentions) == 100 and isinstance(batch.error, QuotaExhausted)
    assert len(api.calls(BLOG)) == 2  # no retry storm
    midnight_kst = datetime(2026, 11, 21, 0, 0, tzinfo=KST).timestamp()
    assert batch.resume_at == midnight_kst and "[010] Request limit Exceeded" in str(batch.error)
    assert naver.last.resume_from is None  # newest first and stopped early: the old cursor stays
    assert batch.quota_used == 2
    # The next feed of this run (or of a later run in this process) does not call again before midnight.
    with httpx.Client(timeout=5) as client, pytest.raises(QuotaExhausted, match="resets at"):
        list(listener(client, api, quota=quota).search("blog", "+애크미"))
    assert len(api.calls(BLOG)) == 2


def test_the_runs_share_of_the_quota_caps_the_calls(api: FakeApi) -> None:
    api.script(BLOG, Reply(page([blog_item(n) for n in range(100)], total=1000)))
    quota = budget(daily=100, share=0.03)  # 3 calls this run
    with httpx.Client(timeout=5) as client:
        naver = listener(client, api, quota=quota)
        batch = drain(naver.search("blog", "+acme", max_pages=10), naver, cursor=lambda: None)
    assert len(api.calls(BLOG)) == 3 and isinstance(batch.error, QuotaExhausted)
    assert batch.resume_at is None and "run_share = 0.03" in str(batch.error)
    assert "quota: 3 of this run's 3 calls used (3% of 100 a day): blog × 3" in " ".join(batch.notes)


# ---------------------------------------------------------------------------------------------------- feeds


def test_feeds_per_endpoint_and_term_share_one_quota_per_run() -> None:
    settings = ChannelSettings(enabled=True, endpoints=["blog", "news"], run_share=0.5, daily_quota=10)
    brand = Brand(name="Acme", terms=["acme", "애크미"])
    ledger = QuotaLedger()
    feeds = build_naver_feeds(settings, brand, naver_client_id="id", naver_client_secret="s", ledger=ledger)
    assert [f.scope for f in feeds] == ["acme:blog:acme", "acme:blog:애크미", "acme:news:acme", "acme:news:애크미"]
    other = build_naver_feeds(settings, Brand(name="Globex", terms=["globex"]), naver_client_id="id",
                              naver_client_secret="s", ledger=ledger)
    same_run = ledger.budget("naver", settings, daily=10, share=0.5, zone=KST)
    assert same_run is ledger.budget("naver", settings, daily=10, share=0.5, zone=KST) and other
    next_run = ChannelSettings(**settings.model_dump())
    assert ledger.budget("naver", next_run, daily=10, share=0.5, zone=KST) is not same_run


def test_missing_credentials_and_bad_settings_fail_before_any_call() -> None:
    brand = Brand(name="Acme", terms=["acme"])
    with pytest.raises(CredentialError, match="BRANDPULSE_NAVER_CLIENT_SECRET is not set"):
        build_naver_feeds(ChannelSettings(enabled=True), brand, naver_client_id="id", naver_client_secret=None)
    with pytest.raises(ConfigError, match=r"channels\.naver\.endpoints"):
        build_naver_feeds(ChannelSettings(enabled=True, endpoints=["webkr"]), brand, naver_client_id="i",
                          naver_client_secret="s")
