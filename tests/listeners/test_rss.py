"""RSS / Atom listener: news entries, app-store reviews (stars), the time|id cursor, errors on a local server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import feedparser
import httpx
import pytest
from helpers.free_api_server import FakeApi, Reply, fixture, serve

from listeners.retry import RetryPolicy
from listeners.rss.listener import RssListener, entry_cursor, entry_to_mention
from models.errors import FatalError, RecordError
from models.mention import Mention, Reject

XML = {"Content-Type": "application/rss+xml; charset=utf-8"}


@pytest.fixture
def api() -> Iterator[FakeApi]:
    with serve(FakeApi()) as running:
        yield running


def test_news_entry_is_a_post_with_clean_text_and_utc_time() -> None:
    entries = feedparser.parse(fixture("rss_news.xml")).entries
    outage = entry_to_mention(entries[0], lang="en-us")
    assert outage is not None
    assert outage.text == (
        "Acme outage hits checkout for hours\n\nCustomers of Acme could not pay for orders on Thursday."
    )
    assert (outage.id, outage.kind, outage.lang, outage.rating) == ("news-example-1001", "post", "en", None)
    assert outage.url == "https://news.example.com/2026/11/19/acme-outage"
    store = entry_to_mention(entries[1])
    assert store is not None and store.created_at == datetime(2026, 11, 18, 0, 0, tzinfo=UTC)  # +0900 → UTC
    assert store.text == "Globex opens a new store in Seoul, Globex said."  # the headline is not said twice
    assert entry_to_mention(entries[2]) is None  # undated: cannot be placed in time
    assert entry_cursor(entries[0]) == "2026-11-19T11:00:00Z|news-example-1001"


def test_app_store_entry_is_a_star_review() -> None:
    entries = feedparser.parse(fixture("appstore_reviews.xml")).entries
    review = entry_to_mention(entries[0], channel="appstore")
    assert review is not None
    assert (review.channel, review.kind, review.rating, review.rating_scale) == ("appstore", "review", 1.0, "stars")
    assert review.text == "결제 단계에서 튕겨요\n\n앱이 결제할 때마다 꺼집니다."
    assert review.created_at == datetime(2026, 11, 19, 10, 12, 45, tzinfo=UTC)
    assert (review.lang, review.author_handle, review.url) == ("ko", "minji9504", None)  # the Atom id is no URL
    assert review.raw is not None and review.raw["im_version"] == "4.2.0" and "updated_parsed" not in review.raw
    with pytest.raises(RecordError, match="rating 'five' is not a number"):
        entry_to_mention(entries[2])


def test_feed_reads_oldest_first_and_only_what_is_new(api: FakeApi) -> None:
    api.route("/news.xml", Reply(200, fixture("rss_news.xml"), XML))
    with httpx.Client(timeout=5) as client:
        listener = RssListener(client)
        first = list(listener.feed(f"{api.url}/news.xml"))
        cursor = listener.last.resume_from
        again = list(listener.feed(f"{api.url}/news.xml", since=cursor))
    assert [m.id for m in first if isinstance(m, Mention)] == ["news-example-1000", "news-example-1001"]
    assert cursor == "2026-11-19T11:00:00Z|news-example-1001"
    assert again == [] and listener.last.resume_from == cursor
    assert "application/rss+xml" in api.requests[0].headers["accept"]


def test_bad_review_becomes_a_reject_and_the_rest_loads(api: FakeApi) -> None:
    api.route("/reviews", Reply(200, fixture("appstore_reviews.xml"), {"Content-Type": "application/xml"}))
    with httpx.Client(timeout=5) as client:
        items = list(RssListener(client).feed(f"{api.url}/reviews", channel="appstore"))
    assert [type(i).__name__ for i in items] == ["Reject", "Mention", "Mention"]
    reject = items[0]
    assert isinstance(reject, Reject) and reject.record_id == "11223344400" and reject.channel == "appstore"


def test_not_a_feed_is_fatal_and_names_the_feed(api: FakeApi) -> None:
    api.route("/page", Reply(200, b"<html><body>Moved</body></html>", {"Content-Type": "text/html"}))
    with httpx.Client(timeout=5) as client, pytest.raises(FatalError, match=r"/page is not an RSS or Atom feed"):
        list(RssListener(client).feed(f"{api.url}/page"))


def test_5xx_is_retried_and_404_names_the_feed_without_its_query(api: FakeApi) -> None:
    api.route("/news.xml", [Reply(500, b""), Reply(200, fixture("rss_news.xml"), XML)])
    slept: list[float] = []
    with httpx.Client(timeout=5) as client:
        items = list(RssListener(client, policy=RetryPolicy(jitter=0), sleep=slept.append).feed(f"{api.url}/news.xml"))
    assert len(items) == 2 and slept == [1.0]
    with httpx.Client(timeout=5) as client, pytest.raises(FatalError) as caught:
        list(RssListener(client).feed(f"{api.url}/gone.xml?token=s3cret"))
    assert "/gone.xml" in str(caught.value) and "s3cret" not in str(caught.value) and "HTTP 404" in str(caught.value)
