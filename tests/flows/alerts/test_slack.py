"""Delivery from the outbox against a real local HTTP server that answers like a Slack webhook."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import duckdb
import pytest
from helpers.alerts import NOW, WEBHOOK_SECRET, FakeSlack, H, Reply, queue
from pydantic import SecretStr
from rich.console import Console
from slack_sdk.webhook import WebhookClient
from slack_sdk.webhook.webhook_response import WebhookResponse

from flows.alerts.delivery import DeliveryReport, deliver_due
from flows.alerts.message import AlertContext, render_alert
from flows.alerts.senders import ConsoleSender, Delivered, Failed, RetryLater
from flows.alerts.slack import WEBHOOK_SETTING, SlackWebhookSender, choose_sender, classify_response
from models.alerts.detector import detect_negative_spikes
from models.alerts.series import HourCount
from models.alerts.settings import settings_for
from models.errors import CredentialError
from warehouse.alerts import outbox


class Sleeps:
    """An injected sleep that only records."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)




def status(con: duckdb.DuckDBPyConnection, key: str) -> tuple[str, int, datetime | None, str | None]:
    row = outbox.get(con, key)
    assert row is not None
    return row.status, row.attempts, row.next_attempt_at, row.last_error


def assert_secret_kept(con: duckdb.DuckDBPyConnection, caplog: pytest.LogCaptureFixture, *extra: object) -> None:
    """The webhook URL (its secret part) is nowhere: stored rows, log records, results, reprs."""
    stored = con.execute("SELECT * FROM alert_outbox").fetchall()
    for blob in (repr(stored), caplog.text, *(repr(x) for x in extra), *(str(x) for x in extra)):
        assert WEBHOOK_SECRET not in blob
        assert "/services/T0TEAM" not in blob


@pytest.fixture(autouse=True)
def _verbose_logs(caplog: pytest.LogCaptureFixture) -> None:
    """Capture everything, the SDK's debug lines included, so a leak would show."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="slack_sdk")


def test_200_ok_marks_sent_and_posts_text_and_blocks(
    fake_slack: FakeSlack, outbox_con: duckdb.DuckDBPyConnection, caplog: pytest.LogCaptureFixture
) -> None:
    [key] = queue(outbox_con)
    sender = SlackWebhookSender(fake_slack.url, timeout=5)
    report = deliver_due(outbox_con, sender, now=NOW, destination="slack")
    assert report == DeliveryReport(sent=1, retry=0, failed=0)
    row = outbox.get(outbox_con, key)
    assert row is not None and (row.status, row.destination, row.sent_at) == ("sent", "slack", NOW)
    [request] = fake_slack.requests
    assert request["path"].endswith(WEBHOOK_SECRET)
    assert request["json"]["text"] == row.text and request["json"]["blocks"] == row.blocks
    assert "&lt;!channel&gt; refund denied" in str(request["json"]["blocks"])
    # A second pass sends nothing: never twice.
    assert deliver_due(outbox_con, sender, now=NOW + H, destination="slack") == DeliveryReport(0, 0, 0)
    assert len(fake_slack.requests) == 1
    assert_secret_kept(outbox_con, caplog, sender)


def test_429_with_a_long_retry_after_is_scheduled_for_a_later_run(
    fake_slack: FakeSlack, outbox_con: duckdb.DuckDBPyConnection, caplog: pytest.LogCaptureFixture
) -> None:
    keys = queue(outbox_con, 2)
    fake_slack.script(Reply(429, "rate_limited", {"Retry-After": "30"}))
    sleeps = Sleeps()
    report = deliver_due(outbox_con, SlackWebhookSender(fake_slack.url), now=NOW, destination="slack", sleep=sleeps)
    assert report == DeliveryReport(sent=0, retry=1, failed=0, deferred=1)
    assert sleeps.calls == []
    state, attempts, next_at, error = status(outbox_con, keys[0])
    assert (state, attempts, next_at) == ("pending", 1, NOW + timedelta(seconds=30))
    assert error is not None and "429" in error
    assert status(outbox_con, keys[1])[:3] == ("pending", 0, None)  # not tried: Slack asked us to wait
    assert len(fake_slack.requests) == 1
    # The next run after the wait delivers both.
    later = deliver_due(
        outbox_con, SlackWebhookSender(fake_slack.url), now=NOW + timedelta(seconds=31), destination="slack"
    )
    assert later == DeliveryReport(sent=2, retry=0, failed=0)
    assert_secret_kept(outbox_con, caplog)


def test_429_with_a_short_retry_after_is_retried_in_the_run(
    fake_slack: FakeSlack, outbox_con: duckdb.DuckDBPyConnection, caplog: pytest.LogCaptureFixture
) -> None:
    [key] = queue(outbox_con)
    fake_slack.script(Reply(429, "rate_limited", {"retry-after": "1"}), Reply(200, "ok"))
    sleeps = Sleeps()
    report = deliver_due(outbox_con, SlackWebhookSender(fake_slack.url), now=NOW, destination="slack", sleep=sleeps)
    assert report == DeliveryReport(sent=1, retry=0, failed=0)
    assert sleeps.calls == [1.0]
    assert status(outbox_con, key)[0] == "sent"
    assert len(fake_slack.requests) == 2
    assert_secret_kept(outbox_con, caplog)


def test_500_backs_off_exponentially_capped_until_the_horizon_then_expires(
    fake_slack: FakeSlack, outbox_con: duckdb.DuckDBPyConnection, caplog: pytest.LogCaptureFixture
) -> None:
    [key] = queue(outbox_con)
    sender = SlackWebhookSender(fake_slack.url)
    fake_slack.script(*[Reply(500, "internal_error")] * 20)
    now, waits = NOW, []
    for attempt in range(1, 10):  # eight (and more) failures in a row no longer give up: the horizon decides
        report = deliver_due(
            outbox_con, sender, now=now, destination="slack", backoff_base_s=60, max_backoff_s=600, horizon_hours=1
        )
        state, attempts, next_at, error = status(outbox_con, key)
        assert report.retry == 1 and (state, attempts) == ("pending", attempt) and "HTTP 500" in (error or "")
        assert next_at is not None and outbox.due(outbox_con, now) == []  # not before its time
        waits.append((next_at - now).total_seconds())
        now = next_at
    # 60, 120, … capped at 600, and the last wait is cut short to land on the horizon (queued at NOW, 1 h).
    assert waits == [60, 120, 240, 480, 600, 600, 600, 600, 300]
    assert now == NOW + H  # the final try happens right at the horizon
    report = deliver_due(outbox_con, sender, now=now + timedelta(seconds=1), destination="slack", horizon_hours=1)
    assert report.expired == 1 and report.retry == 0
    state, _, next_at, error = status(outbox_con, key)
    assert state == "expired" and next_at is None
    assert error is not None and "delivery_horizon_hours = 1 h" in error and "HTTP 500" in error
    assert "alerts resend --key" in error
    assert_secret_kept(outbox_con, caplog, sender)


@pytest.mark.parametrize(
    ("reply", "hint"),
    [
        (Reply(403, "invalid_token"), "invalid_token"),
        (Reply(404, "no_service"), "no_service"),
        (Reply(404, "channel_not_found"), "channel_not_found"),
        (Reply(410, "channel_is_archived"), "archived"),
        (Reply(400, "no_service_id"), "no_service_id"),
    ],
)
def test_a_broken_webhook_blocks_every_queued_alert_in_one_run(
    fake_slack: FakeSlack,
    outbox_con: duckdb.DuckDBPyConnection,
    caplog: pytest.LogCaptureFixture,
    reply: Reply,
    hint: str,
) -> None:
    keys = queue(outbox_con, 3)
    outbox.mark_retry(outbox_con, keys[2], "HTTP 500", NOW + 2 * H)  # backing off: not due, blocked all the same
    fake_slack.script(reply)
    report = deliver_due(outbox_con, SlackWebhookSender(fake_slack.url), now=NOW, destination="slack")
    assert (report.sent, report.failed, report.blocked, report.deferred) == (0, 0, 3, 0)
    assert report.blocked_reason is not None and hint in report.blocked_reason
    assert "alerts resend --blocked" in report.blocked_reason
    states = [status(outbox_con, k) for k in keys]
    assert [(s, a) for s, a, _, _ in states] == [("blocked", 1), ("blocked", 0), ("blocked", 1)]
    assert all(hint in (error or "") and WEBHOOK_SETTING in (error or "") for *_, error in states)
    assert len(fake_slack.requests) == 1  # one refusal parks them all: no one-per-run trickle
    assert deliver_due(outbox_con, SlackWebhookSender(fake_slack.url), now=NOW + H, destination="slack").sent == 0
    # Once the webhook is fixed, `alerts resend --blocked` re-queues them all and the next run delivers them.
    assert outbox.requeue(outbox_con, now=NOW + 2 * H, statuses=("blocked",)) == 3
    assert deliver_due(outbox_con, SlackWebhookSender(fake_slack.url), now=NOW + 2 * H, destination="slack").sent == 3
    assert len(fake_slack.requests) == 4
    assert_secret_kept(outbox_con, caplog)


def test_400_invalid_payload_fails_only_that_alert(
    fake_slack: FakeSlack, outbox_con: duckdb.DuckDBPyConnection, caplog: pytest.LogCaptureFixture
) -> None:
    keys = queue(outbox_con, 2)
    fake_slack.script(Reply(400, "invalid_payload"))
    report = deliver_due(outbox_con, SlackWebhookSender(fake_slack.url), now=NOW, destination="slack")
    assert report == DeliveryReport(sent=1, retry=0, failed=1)
    state, _, _, error = status(outbox_con, keys[0])
    assert state == "failed" and error is not None and "invalid_payload" in error
    assert status(outbox_con, keys[1])[0] == "sent"
    assert_secret_kept(outbox_con, caplog)


def test_connection_refused_is_retried_later(
    closed_port_url: str, outbox_con: duckdb.DuckDBPyConnection, caplog: pytest.LogCaptureFixture
) -> None:
    keys = queue(outbox_con, 2)
    sender = SlackWebhookSender(closed_port_url, timeout=2)
    report = deliver_due(outbox_con, sender, now=NOW, destination="slack", backoff_base_s=30)
    assert report == DeliveryReport(sent=0, retry=1, failed=0, deferred=1)
    state, attempts, next_at, error = status(outbox_con, keys[0])
    assert (state, attempts, next_at) == ("pending", 1, NOW + timedelta(seconds=30))
    assert error is not None and error.startswith("could not reach Slack") and "refused" in error.lower()
    assert_secret_kept(outbox_con, caplog, sender)


def test_a_timeout_after_posting_is_in_doubt_and_a_webhook_resends_it_once(
    fake_slack: FakeSlack, outbox_con: duckdb.DuckDBPyConnection, caplog: pytest.LogCaptureFixture
) -> None:
    keys = queue(outbox_con, 2)
    fake_slack.script(Reply(200, "ok", delay_s=1.5))
    sender = SlackWebhookSender(fake_slack.url, timeout=1)
    report = deliver_due(outbox_con, sender, now=NOW, destination="slack")
    assert (report.in_doubt, report.retry, report.deferred) == (1, 0, 1)
    state, attempts, _, error = status(outbox_con, keys[0])
    assert (state, attempts) == ("sending", 1) and error is not None and "no answer within 1 s" in error
    # The next run cannot ask a webhook, so it sends once more (a lost alert costs more than a duplicate) ...
    report = deliver_due(outbox_con, sender, now=NOW + H, destination="slack")
    assert report.sent == 2 and len(fake_slack.requests) == 3
    row = outbox.get(outbox_con, keys[0])
    assert row is not None and row.status == "sent" and row.in_doubt == 1  # flagged: may be in Slack twice
    assert_secret_kept(outbox_con, caplog)


def test_a_second_doubt_about_the_same_alert_is_parked_as_unknown(
    fake_slack: FakeSlack, outbox_con: duckdb.DuckDBPyConnection
) -> None:
    [key] = queue(outbox_con)
    fake_slack.script(Reply(200, "ok", delay_s=1.5), Reply(200, "ok", delay_s=1.5))
    sender = SlackWebhookSender(fake_slack.url, timeout=1)
    assert deliver_due(outbox_con, sender, now=NOW, destination="slack").in_doubt == 1
    assert deliver_due(outbox_con, sender, now=NOW + H, destination="slack").in_doubt == 1  # the one resend
    report = deliver_due(outbox_con, sender, now=NOW + 2 * H, destination="slack")
    assert report.unknown == 1 and len(fake_slack.requests) == 2
    state, _, _, error = status(outbox_con, key)
    assert state == "unknown" and error is not None and f"alerts resend --key '{key}'" in error


def test_resend_in_doubt_off_parks_at_the_first_doubt(
    fake_slack: FakeSlack, outbox_con: duckdb.DuckDBPyConnection
) -> None:
    [key] = queue(outbox_con)
    fake_slack.script(Reply(200, "ok", delay_s=1.5))
    sender = SlackWebhookSender(fake_slack.url, timeout=1)
    deliver_due(outbox_con, sender, now=NOW, destination="slack", resend_in_doubt=False)
    report = deliver_due(outbox_con, sender, now=NOW + H, destination="slack", resend_in_doubt=False)
    assert report.unknown == 1 and len(fake_slack.requests) == 1
    assert status(outbox_con, key)[0] == "unknown"


def test_the_sdk_debug_lines_cannot_leak_the_url(
    fake_slack: FakeSlack, outbox_con: duckdb.DuckDBPyConnection, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="brandpulse.slack_sdk")  # someone turns on full debugging
    queue(outbox_con)
    fake_slack.script(Reply(500, "internal_error"))
    deliver_due(outbox_con, SlackWebhookSender(fake_slack.url), now=NOW, destination="slack")
    assert "Sending a request" in caplog.text  # the SDK did log the request...
    assert_secret_kept(outbox_con, caplog)  # ...with the URL taken out


def test_an_injected_client_is_used(outbox_con: duckdb.DuckDBPyConnection) -> None:
    class FakeClient:
        def __init__(self) -> None:
            self.sent: list[dict[str, object]] = []

        def send(self, **kwargs: object) -> WebhookResponse:
            self.sent.append(kwargs)
            return WebhookResponse(url="unused", status_code=200, body="ok", headers={})

    client = FakeClient()
    [key] = queue(outbox_con)
    sender = SlackWebhookSender(SecretStr("https://hooks.slack.com/services/T/B/" + WEBHOOK_SECRET), client=client)  # type: ignore[arg-type]
    assert deliver_due(outbox_con, sender, now=NOW, destination="slack").sent == 1
    assert client.sent[0]["text"] == outbox.get(outbox_con, key).text  # type: ignore[union-attr]
    assert WEBHOOK_SECRET not in repr(sender)
    assert isinstance(SlackWebhookSender("https://hooks.slack.com/x")._client, WebhookClient)


def test_a_sender_that_raises_keeps_the_alert(outbox_con: duckdb.DuckDBPyConnection) -> None:
    class Broken:
        def send(self, row: object) -> Delivered:
            raise RuntimeError("bug")

    [key] = queue(outbox_con)
    assert deliver_due(outbox_con, Broken(), now=NOW, destination="slack") == DeliveryReport(0, 1, 0)
    assert status(outbox_con, key)[:2] == ("pending", 1)


def test_setting_errors_never_echo_the_value() -> None:
    with pytest.raises(CredentialError) as info:
        SlackWebhookSender("hooks.slack.com/services/T/B/" + WEBHOOK_SECRET)
    assert WEBHOOK_SECRET not in str(info.value) and WEBHOOK_SETTING in str(info.value)
    assert info.value.setting == WEBHOOK_SETTING


def test_classify_response_table() -> None:
    assert classify_response(200, "ok", {}) == Delivered()
    assert classify_response(429, "rate_limited", {"Retry-After": "12"}) == RetryLater(
        12.0, "Slack rate-limited the webhook (HTTP 429)"
    )
    assert classify_response(429, "", {}) == RetryLater(None, "Slack rate-limited the webhook (HTTP 429)")
    assert isinstance(classify_response(503, "<html>oops</html>", {}), RetryLater)
    broken = classify_response(403, "invalid_token", {})
    assert isinstance(broken, Failed) and broken.destination_broken
    payload = classify_response(400, "invalid_payload", {})
    assert isinstance(payload, Failed) and not payload.destination_broken
    assert "<html>" not in classify_response(418, "<html>" + WEBHOOK_SECRET, {}).reason  # type: ignore[union-attr]


def test_console_fallback_when_no_webhook_is_set(outbox_con: duckdb.DuckDBPyConnection) -> None:
    console = Console(record=True, width=120, color_system=None)
    sender, destination = choose_sender(None, console)
    assert isinstance(sender, ConsoleSender) and destination == "console"
    [key] = queue(outbox_con)
    assert deliver_due(outbox_con, sender, now=NOW, destination=destination) == DeliveryReport(0, 0, 0, console=1)
    assert "<!channel> refund denied" in console.export_text()
    assert status(outbox_con, key)[0] == "console"  # not `sent`: it never reached Slack
    slack, name = choose_sender(SecretStr("https://hooks.slack.com/services/T/B/C"), console)
    assert isinstance(slack, SlackWebhookSender) and name == "slack"


def test_detect_render_enqueue_deliver_end_to_end(fake_slack: FakeSlack, outbox_con: duckdb.DuckDBPyConnection) -> None:
    t0 = datetime(2024, 4, 1, tzinfo=UTC)
    negatives = [1] * (16 * 24)
    spike = 15 * 24 + 9
    negatives[spike : spike + 6] = [30, 40, 35, 30, 25, 20]
    settings = settings_for("balanced")
    sender = SlackWebhookSender(fake_slack.url)
    for seen in (spike + 2, spike + 4, spike + 8):  # three runs while the episode grows
        counts = [HourCount(t0 + i * H, 50, n) for i, n in enumerate(negatives[:seen])]
        for episode in detect_negative_spikes("Acme", counts, settings, evaluate_from=t0 + (seen - 6) * H):
            rendered = render_alert(episode, AlertContext(channels=[("x", episode.observed)], examples=[]))
            outbox.enqueue(
                outbox_con, episode.key, episode.brand, episode.signal, episode.start, episode.end,
                episode.observed, episode.expected, episode.p_value, rendered, run_id=f"run-{seen}",
                now=t0 + seen * H,
            )  # fmt: skip
        deliver_due(outbox_con, sender, now=t0 + seen * H, destination="slack")
    assert len(fake_slack.requests) == 1  # one episode, one message
    assert outbox_con.execute("SELECT alert_key, status FROM alert_outbox").fetchall() == [
        ("Acme|negative_volume|2024-04-16T09", "sent")
    ]
