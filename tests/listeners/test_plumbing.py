"""Shared listener plumbing: rate-limit headers, status translation (http), the retry loop, paging and cursors."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime

import httpx
import pytest

from listeners.cursors import newest_cursor, newest_value
from listeners.http import (
    error_for_status,
    make_http_client,
    raise_for_status,
    retry_after_seconds,
    tls_context,
    transport_errors,
)
from listeners.paging import Page, paginate
from listeners.retry import RetryPolicy, WaitBudget, call_with_retries
from models.errors import AccessDenied, BrandpulseError, CredentialError, FatalError, RateLimited, RetryableError
from models.mention import CursorUpdate

NOW = 1_795_600_000.0  # 2026-11-23T…Z, a fixed "now" so header maths is exact
NO_JITTER = RetryPolicy(jitter=0)


class FakeSleep:
    """Records the waits instead of sleeping."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


class Flaky:
    """A callable that raises the given errors in turn, then returns `result`."""

    def __init__(self, *errors: Exception, result: str = "ok") -> None:
        self.errors = list(errors)
        self.result = result
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return self.result


# -- retry_after_seconds ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "120"}, 120.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"RETRY-AFTER": " 7 "}, 7.0),
        ({"Retry-After": "-3"}, 0.0),
        ({"x-rate-limit-reset": str(int(NOW) + 900)}, 900.0),
        ({"X-Rate-Limit-Reset": str(int(NOW) - 10)}, 0.0),
        ({"x-ratelimit-reset": "42"}, 42.0),
        ({"X-Ratelimit-Reset": "412.0"}, 412.0),
        ({}, None),
        (None, None),
        ({"Retry-After": "soon"}, None),
        ({"x-rate-limit-reset": "never", "x-ratelimit-reset": "nan"}, None),
    ],
)
def test_retry_after_headers(headers: dict[str, str] | None, expected: float | None) -> None:
    assert retry_after_seconds(headers, NOW) == expected


def test_retry_after_http_date() -> None:
    when = datetime.fromtimestamp(NOW, UTC) + timedelta(seconds=90)
    assert retry_after_seconds({"Retry-After": format_datetime(when, usegmt=True)}, NOW) == pytest.approx(90)
    past = datetime.fromtimestamp(NOW, UTC) - timedelta(hours=1)
    assert retry_after_seconds({"Retry-After": format_datetime(past, usegmt=True)}, NOW) == 0.0


def test_retry_after_wins_over_platform_headers_and_bad_value_falls_through() -> None:
    both = {"Retry-After": "5", "x-rate-limit-reset": str(int(NOW) + 900)}
    assert retry_after_seconds(both, NOW) == 5.0
    garbage = {"Retry-After": "later", "x-ratelimit-reset": "30"}
    assert retry_after_seconds(garbage, NOW) == 30.0


def test_retry_after_from_recorded_x_headers() -> None:
    # Headers as recorded from GET /2/tweets/search/recent (tweepy's cassette in shared/fixtures/recorded/x).
    recorded = {"x-rate-limit-limit": "450", "x-rate-limit-remaining": "448", "x-rate-limit-reset": "1665183229"}
    now = datetime(2022, 10, 7, 22, 43, 19, tzinfo=UTC).timestamp()  # its `date` header, written "… UTC"
    assert retry_after_seconds(recorded, now) == 630.0
    assert retry_after_seconds({"Retry-After": "Fri, 07 Oct 2022 22:44:19 UTC"}, now) == 60.0


def test_retry_after_accepts_httpx_headers() -> None:
    assert retry_after_seconds(httpx.Headers({"X-RateLimit-Reset": "12"}), NOW) == 12.0


# -- error_for_status --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [200, 201, 204, 301, 304])
def test_success_is_not_an_error(status: int) -> None:
    assert error_for_status(status, {}, channel="x", now=NOW) is None


def test_429_is_rate_limited_with_wait_and_resume_time() -> None:
    error = error_for_status(429, {"x-rate-limit-reset": str(int(NOW) + 900)}, channel="x", now=NOW)
    assert isinstance(error, RateLimited)
    assert isinstance(error, RetryableError)
    assert error.retry_after == 900.0
    assert error.resume_at == NOW + 900
    assert "x" in str(error) and "429" in str(error)


def test_429_without_headers_still_rate_limited() -> None:
    error = error_for_status(429, None, channel="reddit", now=NOW)
    assert isinstance(error, RateLimited)
    assert error.retry_after is None and error.resume_at is None


@pytest.mark.parametrize("status", [408, 500, 502, 503, 504, 599])
def test_server_errors_and_timeouts_are_retryable(status: int) -> None:
    error = error_for_status(status, {}, channel="x", now=NOW)
    assert type(error) is RetryableError


def test_503_keeps_retry_after() -> None:
    error = error_for_status(503, {"Retry-After": "30"}, channel="x", now=NOW)
    assert isinstance(error, RetryableError) and error.retry_after == 30.0


@pytest.mark.parametrize("status", [401, 403])
def test_auth_failures_name_the_setting_never_the_token(status: int) -> None:
    token = "AAAAAAAAAAAAAAAAAAAAAsecret-bearer-token"
    headers = {"authorization": f"Bearer {token}", "www-authenticate": f'Bearer realm="{token}"'}
    error = error_for_status(status, headers, channel="x", credential_setting="BRANDPULSE_X_BEARER_TOKEN", now=NOW)
    assert isinstance(error, CredentialError) and isinstance(error, FatalError)
    assert error.setting == "BRANDPULSE_X_BEARER_TOKEN"
    assert "BRANDPULSE_X_BEARER_TOKEN" in str(error)
    assert token not in str(error) and "secret" not in str(error)


@pytest.mark.parametrize("status", [401, 403])
def test_auth_failure_without_a_credential_blames_no_credential(status: int) -> None:
    error = error_for_status(status, {}, channel="hackernews", now=NOW)
    assert isinstance(error, AccessDenied) and not isinstance(error, CredentialError)
    assert "sends no credential" in str(error) and "check the address" in str(error)
    assert "credential in" not in str(error) and "BRANDPULSE_" not in str(error)


@pytest.mark.parametrize("status", [400, 404, 410, 422])
def test_other_client_errors_are_fatal(status: int) -> None:
    error = error_for_status(status, {}, channel="reddit", now=NOW)
    assert type(error) is FatalError
    assert str(status) in str(error)


def test_raise_for_status_on_httpx_response() -> None:
    raise_for_status(httpx.Response(200), channel="x")
    with pytest.raises(RateLimited) as caught:
        raise_for_status(httpx.Response(429, headers={"Retry-After": "3"}), channel="x", now=NOW)
    assert caught.value.retry_after == 3.0
    with pytest.raises(CredentialError):
        raise_for_status(httpx.Response(401), channel="x", credential_setting="BRANDPULSE_X_BEARER_TOKEN")


def test_transport_errors_become_retryable_without_the_url() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out", request=request)

    client = httpx.Client(transport=httpx.MockTransport(handler), timeout=1)
    with client, pytest.raises(RetryableError) as caught, transport_errors("bluesky"):
        client.get("https://example.invalid/search?token=s3cr3t")
    assert "s3cr3t" not in str(caught.value) and "bluesky" in str(caught.value)
    with pytest.raises(RetryableError), transport_errors("rss"):
        raise httpx.ConnectError("refused")


# -- call_with_retries -------------------------------------------------------------------------------------------


def test_retries_retryable_errors_with_exponential_backoff() -> None:
    sleep = FakeSleep()
    fn = Flaky(RetryableError("503"), RetryableError("502"))
    assert call_with_retries(fn, NO_JITTER, sleep=sleep) == "ok"
    assert fn.calls == 3
    assert sleep.calls == [1.0, 2.0]


def test_backoff_is_capped_and_jittered() -> None:
    policy = RetryPolicy(base_delay=10, max_delay=25, jitter=0.5)
    rng = random.Random(7)
    delays = [policy.backoff(attempt, rng) for attempt in (1, 2, 3, 4)]
    assert 5 <= delays[0] <= 10 and 10 <= delays[1] <= 20
    assert all(12.5 <= d <= 25 for d in delays[2:])
    assert RetryPolicy(jitter=0).backoff(10) == 60.0


def test_fatal_errors_are_not_retried() -> None:
    sleep = FakeSleep()
    fn = Flaky(FatalError("404"))
    with pytest.raises(FatalError):
        call_with_retries(fn, NO_JITTER, sleep=sleep)
    assert fn.calls == 1 and sleep.calls == []


def test_foreign_exceptions_are_not_retried() -> None:
    fn = Flaky(ValueError("a bug"))
    with pytest.raises(ValueError):
        call_with_retries(fn, NO_JITTER, sleep=FakeSleep())
    assert fn.calls == 1


def test_honours_retry_after() -> None:
    sleep = FakeSleep()
    fn = Flaky(RateLimited("429", retry_after=7.0))
    assert call_with_retries(fn, NO_JITTER, sleep=sleep) == "ok"
    assert sleep.calls == [7.0]


def test_gives_up_at_once_when_the_platform_asks_for_more_than_the_run_allows() -> None:
    sleep = FakeSleep()
    limited = RateLimited("429", retry_after=900.0, resume_at=NOW + 900)
    fn = Flaky(limited)
    with pytest.raises(RateLimited) as caught:
        call_with_retries(fn, RetryPolicy(max_wait_per_run=120), sleep=sleep)
    assert caught.value is limited
    assert fn.calls == 1 and sleep.calls == []


def test_reraises_the_last_error_after_max_attempts() -> None:
    sleep = FakeSleep()
    errors = [RetryableError(f"503 #{i}") for i in range(5)]
    fn = Flaky(*errors)
    with pytest.raises(RetryableError) as caught:
        call_with_retries(fn, RetryPolicy(max_attempts=4, jitter=0), sleep=sleep)
    assert caught.value is errors[3]
    assert fn.calls == 4 and sleep.calls == [1.0, 2.0, 4.0]


def test_total_wait_is_bounded_by_the_shared_budget() -> None:
    policy = RetryPolicy(max_attempts=10, max_wait_per_run=10, jitter=0)
    budget = WaitBudget()
    sleep = FakeSleep()
    assert call_with_retries(Flaky(RateLimited("429", retry_after=6)), policy, sleep=sleep, budget=budget) == "ok"
    with pytest.raises(RateLimited):
        call_with_retries(Flaky(RateLimited("429", retry_after=6)), policy, sleep=sleep, budget=budget)
    assert sleep.calls == [6] and budget.spent == 6


def test_on_retry_sees_attempt_error_and_delay() -> None:
    seen: list[tuple[int, str, float]] = []
    fn = Flaky(RetryableError("first"), RateLimited("second", retry_after=3))
    call_with_retries(fn, NO_JITTER, sleep=FakeSleep(), on_retry=lambda n, e, d: seen.append((n, str(e), d)))
    assert seen == [(1, "first", 1.0), (2, "second", 3.0)]


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(jitter=2)


# -- paginate ----------------------------------------------------------------------------------------------------


class FakeApi:
    """Serves pages keyed by token; a page entry may be an exception to raise once."""

    def __init__(self, pages: dict[str | None, Page[int] | list[BrandpulseError | Page[int]]]) -> None:
        self.pages = pages
        self.requested: list[str | None] = []

    def __call__(self, token: str | None) -> Page[int]:
        self.requested.append(token)
        page = self.pages[token]
        if isinstance(page, list):
            item = page.pop(0) if len(page) > 1 else page[0]
            if isinstance(item, BaseException):
                raise item
            return item
        return page


def test_paginate_follows_tokens_until_exhausted() -> None:
    api = FakeApi(
        {
            None: Page([1, 2], "t2", newest="1003"),
            "t2": Page([3, 4], "t3", newest="999"),
            "t3": Page([5], None, newest="998"),
        }
    )
    run = paginate(api, max_pages=10, policy=NO_JITTER, sleep=FakeSleep())
    assert [item for page in run for item in page.items] == [1, 2, 3, 4, 5]
    assert api.requested == [None, "t2", "t3"]
    assert (run.pages, run.items, run.stopped_reason, run.truncated) == (3, 5, "exhausted", False)
    assert run.newest == "1003"  # compared as numbers, not as text
    assert run.next_token is None


def test_paginate_stops_at_the_page_cap() -> None:
    def endless(token: str | None) -> Page[int]:
        number = int(token or 0)
        return Page([number], str(number + 1))

    run = paginate(endless, max_pages=3, policy=NO_JITTER, sleep=FakeSleep())
    pages = list(run)
    assert [p.items for p in pages] == [[0], [1], [2]]
    assert run.stopped_reason == "max_pages" and run.truncated
    assert run.next_token == "3"


def test_paginate_cap_on_the_last_page_is_not_truncation() -> None:
    api = FakeApi({None: Page([1], "a"), "a": Page([2], None)})
    run = paginate(api, max_pages=2, policy=NO_JITTER, sleep=FakeSleep())
    list(run)
    assert run.stopped_reason == "exhausted" and not run.truncated


def test_paginate_stops_on_a_repeated_token() -> None:
    api = FakeApi({None: Page([1], "a"), "a": Page([2], "b"), "b": Page([3], "a")})
    run = paginate(api, max_pages=50, policy=NO_JITTER, sleep=FakeSleep())
    assert [p.items for p in run] == [[1], [2], [3]]
    assert api.requested == [None, "a", "b"]
    assert run.stopped_reason == "repeated_token" and run.truncated


def test_paginate_same_token_twice_in_a_row() -> None:
    api = FakeApi({None: Page([1], "a"), "a": Page([2], "a")})
    run = paginate(api, max_pages=50, policy=NO_JITTER, sleep=FakeSleep())
    assert len(list(run)) == 2 and run.stopped_reason == "repeated_token"


def test_paginate_empty_pages() -> None:
    only_empty = paginate(FakeApi({None: Page([], None)}), max_pages=5, policy=NO_JITTER, sleep=FakeSleep())
    assert [p.items for p in only_empty] == [[]]
    assert only_empty.stopped_reason == "exhausted" and only_empty.items == 0
    # An empty page that still has a next token (X does this when it filters a whole page) is paged through.
    api = FakeApi({None: Page([1], "a"), "a": Page([], "b"), "b": Page([2], None)})
    run = paginate(api, max_pages=5, policy=NO_JITTER, sleep=FakeSleep())
    assert [item for page in run for item in page.items] == [1, 2]
    assert run.pages == 3 and run.stopped_reason == "exhausted"


def test_paginate_retries_inside_paging() -> None:
    sleep = FakeSleep()
    api = FakeApi(
        {
            None: Page([1], "a"),
            "a": [RateLimited("429", retry_after=2.0), RetryableError("503"), Page([2], None)],
        }
    )
    run = paginate(api, max_pages=5, policy=NO_JITTER, sleep=sleep)
    assert [item for page in run for item in page.items] == [1, 2]
    assert api.requested == [None, "a", "a", "a"]
    assert sleep.calls == [2.0, 2.0]  # retry_after, then backoff for the second attempt
    assert run.stopped_reason == "exhausted"


def test_paginate_error_after_retries_keeps_the_pages_already_read() -> None:
    api = FakeApi({None: Page([1], "a"), "a": [FatalError("404")]})
    run = paginate(api, max_pages=5, policy=NO_JITTER, sleep=FakeSleep())
    got: list[int] = []
    with pytest.raises(FatalError):
        for page in run:
            got.extend(page.items)
    assert got == [1] and run.pages == 1 and run.stopped_reason == "error" and run.truncated is False


def test_paginate_long_rate_limit_stops_the_channel_without_sleeping() -> None:
    sleep = FakeSleep()
    api = FakeApi({None: Page([1], "a"), "a": [RateLimited("429", retry_after=900)]})
    run = paginate(api, max_pages=5, policy=RetryPolicy(), sleep=sleep)
    with pytest.raises(RateLimited):
        list(run)
    assert sleep.calls == [] and run.pages == 1


def test_paginate_rejects_a_zero_cap() -> None:
    with pytest.raises(ValueError):
        paginate(FakeApi({}), max_pages=0)


# -- cursors -----------------------------------------------------------------------------------------------------


def test_newest_value_compares_snowflakes_as_numbers() -> None:
    assert newest_value(["999", "1000", None, "998"]) == "1000"
    assert newest_value([1858000000000000001, "1858000000000000000"]) == "1858000000000000001"
    assert newest_value([]) is None
    assert newest_value([None, ""]) is None


def test_newest_value_of_times_is_utc_iso() -> None:
    kst = timezone(timedelta(hours=9))
    values = [datetime(2026, 11, 19, 19, 0, tzinfo=kst), datetime(2026, 11, 19, 9, 30, tzinfo=UTC)]
    assert newest_value(values) == "2026-11-19T10:00:00+00:00"


def test_newest_cursor_builds_a_cursor_update_and_never_moves_back() -> None:
    cursor = newest_cursor("x", "search:acme", ["5", "12", "7"])
    assert cursor == CursorUpdate(channel="x", scope="search:acme", value="12")
    assert newest_cursor("x", "search:acme", ["5", "12"], previous="100") is None
    assert newest_cursor("x", "search:acme", ["101"], previous="100") == CursorUpdate(
        channel="x", scope="search:acme", value="101"
    )
    assert newest_cursor("x", "search:acme", []) is None


def test_http_clients_share_one_verifying_tls_context(monkeypatch: pytest.MonkeyPatch) -> None:
    import ssl

    made: list[ssl.SSLContext] = []
    create = httpx.create_ssl_context

    def counting(*args: object, **kwargs: object) -> ssl.SSLContext:
        made.append(create(*args, **kwargs))
        return made[-1]

    tls_context.cache_clear()
    monkeypatch.setattr(httpx, "create_ssl_context", counting)
    try:
        for _ in range(3):  # one client per feed fetch
            make_http_client().close()
        assert len(made) == 1 and tls_context() is made[0]
        assert made[0].verify_mode == ssl.CERT_REQUIRED and made[0].check_hostname  # shared, still verifying
    finally:
        tls_context.cache_clear()
