"""Daily quotas: the run's share, a spent day carried to later runs until the platform's midnight, never retried."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from listeners.quota import QuotaBudget, QuotaLedger, next_reset
from listeners.retry import RetryPolicy, call_with_retries
from models.errors import QuotaExhausted, RateLimited

KST = ZoneInfo("Asia/Seoul")
PACIFIC = ZoneInfo("America/Los_Angeles")


def at(*parts: int) -> float:
    return datetime(*parts, tzinfo=UTC).timestamp()


def test_next_reset_is_the_next_local_midnight_dst_included() -> None:
    assert next_reset(at(2026, 11, 19, 14, 59), KST) == at(2026, 11, 19, 15, 0)  # 23:59 KST
    assert next_reset(at(2026, 11, 19, 15, 0), KST) == at(2026, 11, 20, 15, 0)  # midnight KST itself: the next one
    # 2026-03-08 01:00 PST, the night clocks spring forward: the next midnight is PDT (UTC-7).
    assert next_reset(at(2026, 3, 8, 9, 0), PACIFIC) == at(2026, 3, 9, 7, 0)


def test_the_runs_share_caps_spending_and_counts_calls_per_endpoint() -> None:
    budget = QuotaBudget("youtube", 10_000, 0.02, PACIFIC, clock=lambda: at(2026, 11, 19, 12))
    budget.spend(100, "search.list")
    budget.spend(1, "commentThreads.list")
    with pytest.raises(QuotaExhausted, match=r"101 of 200 units"):
        budget.spend(100, "search.list")
    assert budget.used == 101 and budget.calls == {"search.list": 1, "commentThreads.list": 1}
    assert budget.summary() == (
        "quota: 101 of this run's 200 units used (2% of 10,000 a day): commentThreads.list × 1, search.list × 1"
    )


def test_a_spent_day_stops_later_runs_of_this_process_until_midnight() -> None:
    now = [at(2026, 11, 19, 12)]  # 21:00 KST
    ledger = QuotaLedger()
    run_one, run_two, run_three = object(), object(), object()
    first = ledger.budget("naver", run_one, daily=25_000, share=0.1, zone=KST, clock=lambda: now[0])
    error = first.day_spent("HTTP 429 [010] Request limit Exceeded")
    assert error.resume_at == at(2026, 11, 19, 15) and "resumes after 2026-11-19T15:00:00Z" in str(error)
    second = ledger.budget("naver", run_two, daily=25_000, share=0.1, zone=KST, clock=lambda: now[0])
    assert second is not first
    with pytest.raises(QuotaExhausted, match="no calls until it resets"):
        second.spend(1, "blog")
    now[0] = at(2026, 11, 19, 15, 1)  # past midnight KST
    third = ledger.budget("naver", run_three, daily=25_000, share=0.1, zone=KST, clock=lambda: now[0])
    third.spend(1, "blog")
    assert third.used == 1


def test_quota_exhausted_is_rate_limited_but_never_retried() -> None:
    calls: list[int] = []

    def spent() -> None:
        calls.append(1)
        raise QuotaExhausted("youtube: the daily API quota is used up", resume_at=2e9)

    with pytest.raises(QuotaExhausted) as raised:
        call_with_retries(spent, RetryPolicy(max_attempts=5, max_wait_per_run=1e9), sleep=lambda _: None)
    assert calls == [1] and isinstance(raised.value, RateLimited) and raised.value.resume_at == 2e9
