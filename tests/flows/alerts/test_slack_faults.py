"""Issue #14 faults against a local fake Slack: each alert arrives once, none is given up on silently."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from helpers.alerts import CHANNEL_ID, NOW, FakeSlack, Reply, queue
from rich.console import Console
from typer.testing import CliRunner

from flows.alerts.delivery import deliver, deliver_due
from flows.alerts.senders import ConsoleSender
from flows.alerts.slack import BOT_TOKEN_SETTING, SlackBotSender, SlackWebhookSender, choose_sender
from flows.runtime.config import AlertSettings
from models.errors import ConfigError
from warehouse import Warehouse
from warehouse.alerts import outbox

H = timedelta(hours=1)
API = {"ok": False}


def api_error(error: str, status: int = 200) -> Reply:
    """A Web API failure as Slack sends it: HTTP 200 (or the status) with ok: false and an error code."""
    return Reply(status, json.dumps({**API, "error": error}))


def bot(fake: FakeSlack, timeout: float = 1.0) -> SlackBotSender:
    return SlackBotSender("xoxb-test-token", CHANNEL_ID, timeout=timeout, base_url=fake.api_url)


def run_until_quiet(
    con: duckdb.DuckDBPyConnection, fake: FakeSlack, sender: object, start: datetime, runs: int = 12
) -> datetime:
    """Scheduled runs 15 minutes apart, jumping to the next due time when the queue is backing off."""
    now = start
    for _ in range(runs):
        fake.clock = lambda at=now: at.timestamp()  # Slack stamps posts with the simulated time
        deliver_due(con, sender, now=now, destination="slack", backoff_base_s=60, max_backoff_s=900)  # type: ignore[arg-type]
        waiting = con.execute(
            "SELECT min(next_attempt_at) FROM alert_outbox WHERE status IN ('pending', 'sending')"
        ).fetchone()[0]
        now = max(now + timedelta(minutes=15), waiting or now)
    return now


@pytest.mark.parametrize("path", ["bot", "webhook"])
def test_scripted_faults_end_with_every_alert_in_slack_exactly_once(
    fake_slack: FakeSlack, outbox_con: duckdb.DuckDBPyConnection, path: str
) -> None:
    keys = queue(outbox_con, 7)
    texts = {k: outbox.get(outbox_con, k).text for k in keys}  # type: ignore[union-attr]
    if path == "bot":
        sender: object = bot(fake_slack)
        fake_slack.script(
            api_error("internal_error", 500),
            Reply(429, json.dumps({**API, "error": "ratelimited"}), {"Retry-After": "60"}),
            api_error("channel_not_found"),
        )
    else:
        sender = SlackWebhookSender(fake_slack.url, timeout=1)
        fake_slack.script(Reply(500, "internal_error"), Reply(429, "rate_limited", {"Retry-After": "60"}),
                          Reply(404, "no_service"))  # fmt: skip
    now = run_until_quiet(outbox_con, fake_slack, sender, NOW, runs=3)
    assert {r.status for r in map(lambda k: outbox.get(outbox_con, k), keys)} == {"blocked"}  # type: ignore[union-attr]
    # The webhook is fixed but another credential is wrong for a while: blocked again at once, in one post.
    fake_slack.script(api_error("invalid_auth") if path == "bot" else Reply(403, "invalid_token"))
    assert outbox.requeue(outbox_con, now=now, statuses=("blocked",)) == 7
    assert deliver_due(outbox_con, sender, now=now, destination="slack").blocked == 7  # type: ignore[arg-type]
    # Fixed for good: one message is refused as a message, one hangs past the timeout, one is slow, then 200s.
    bad_message = api_error("invalid_blocks") if path == "bot" else Reply(400, "invalid_payload")
    fake_slack.script(bad_message, Reply(200, "ok", delay_s=1.5), Reply(200, "ok", delay_s=0.3))
    assert outbox.requeue(outbox_con, now=now, statuses=("blocked",)) == 7
    now = run_until_quiet(outbox_con, fake_slack, sender, now)
    statuses = {k: outbox.get(outbox_con, k).status for k in keys}  # type: ignore[union-attr]
    assert statuses[keys[0]] == "failed" and set(statuses.values()) == {"sent", "failed"}
    assert outbox.requeue(outbox_con, now=now, statuses=("failed",)) == 1  # `alerts resend --failed`
    run_until_quiet(outbox_con, fake_slack, sender, now, runs=2)
    assert {outbox.get(outbox_con, k).status for k in keys} == {"sent"}  # type: ignore[union-attr]
    arrived = fake_slack.arrived()
    hung = keys[1]
    if path == "bot":
        assert {k: arrived[k] for k in keys} == dict.fromkeys(keys, 1)  # Slack lets us tell: never twice
        assert outbox.get(outbox_con, hung).slack_ts is not None  # type: ignore[union-attr]
    else:
        # A webhook cannot be asked: the hung post is resent once (the documented duplicate window), no more.
        assert {k: arrived[texts[k]] for k in keys} == {**dict.fromkeys(keys, 1), hung: 2}
        assert outbox.get(outbox_con, hung).in_doubt == 1  # type: ignore[union-attr]


def test_a_crashed_bot_post_found_in_history_is_not_posted_again(
    fake_slack: FakeSlack, outbox_con: duckdb.DuckDBPyConnection
) -> None:
    [key] = queue(outbox_con)
    sender = bot(fake_slack)
    # The process dies during the POST: `sending` is committed, Slack got the message, nothing else was recorded.
    fake_slack.clock = NOW.timestamp
    assert outbox.mark_sending(outbox_con, key, NOW)
    row = outbox.get(outbox_con, key)
    assert row is not None and sender.send(row).ts is not None  # type: ignore[union-attr]  # reached Slack
    fake_slack.requests.clear()  # ... and then the process died before recording it
    report = deliver_due(outbox_con, sender, now=NOW + H, destination="slack")
    assert (report.recovered, report.sent) == (1, 0)
    posts = [r for r in fake_slack.requests if r["path"].endswith("chat.postMessage")]
    assert posts == []  # looked up, not posted again
    [history] = [r for r in fake_slack.requests if "form" in r]
    assert history["form"]["channel"] == CHANNEL_ID and float(history["form"]["oldest"]) < NOW.timestamp()
    done = outbox.get(outbox_con, key)
    assert done is not None and done.status == "sent" and done.slack_ts == fake_slack.channel[0]["ts"]
    assert fake_slack.arrived()[key] == 1


def test_a_crashed_bot_post_missing_from_history_is_posted_once(
    fake_slack: FakeSlack, outbox_con: duckdb.DuckDBPyConnection
) -> None:
    [key] = queue(outbox_con)
    assert outbox.mark_sending(outbox_con, key, NOW)  # died before the request left
    report = deliver_due(outbox_con, bot(fake_slack), now=NOW + H, destination="slack")
    assert report.sent == 1 and fake_slack.arrived()[key] == 1
    assert outbox.get(outbox_con, key).in_doubt == 0  # type: ignore[union-attr]  # we knew: no duplicate possible


def test_a_history_lookup_refused_falls_back_to_one_resend(
    fake_slack: FakeSlack, outbox_con: duckdb.DuckDBPyConnection
) -> None:
    [key] = queue(outbox_con)
    assert outbox.mark_sending(outbox_con, key, NOW)
    fake_slack.history_replies.append(api_error("missing_scope"))
    report = deliver_due(outbox_con, bot(fake_slack), now=NOW + H, destination="slack")
    assert report.sent == 1
    row = outbox.get(outbox_con, key)
    assert row is not None and row.in_doubt == 1 and "channels:history" in (row.last_error or "")


def test_a_bot_post_carries_the_key_in_metadata_and_stores_the_ts(
    fake_slack: FakeSlack, outbox_con: duckdb.DuckDBPyConnection
) -> None:
    [key] = queue(outbox_con)
    assert deliver_due(outbox_con, bot(fake_slack), now=NOW, destination="slack").sent == 1
    [post] = fake_slack.requests
    assert post["json"]["metadata"] == {"event_type": "brandpulse_alert", "event_payload": {"alert_key": key}}
    assert post["json"]["channel"] == CHANNEL_ID
    assert "&lt;!channel&gt; refund denied" in str(post["json"]["blocks"])  # escaping as for the webhook
    row = outbox.get(outbox_con, key)
    assert row is not None and (row.slack_ts, row.slack_channel) == (fake_slack.channel[0]["ts"], CHANNEL_ID)


def test_bot_token_settings_are_checked_and_never_shown(fake_slack: FakeSlack) -> None:
    console = Console()
    sender, name = choose_sender(None, console, bot_token="xoxb-secret-1", channel=CHANNEL_ID, timeout_s=30)
    assert isinstance(sender, SlackBotSender) and name == "slack" and "xoxb-secret-1" not in repr(sender)
    with pytest.raises(ConfigError, match="slack_channel"):
        choose_sender(None, console, bot_token="xoxb-secret-1")
    webhook, _ = choose_sender(fake_slack.url, console, channel=CHANNEL_ID)
    assert isinstance(webhook, SlackWebhookSender)
    assert isinstance(choose_sender("", console)[0], ConsoleSender)
    assert BOT_TOKEN_SETTING == "BRANDPULSE_SLACK_BOT_TOKEN"
    assert AlertSettings().slack_timeout_s == 30 and AlertSettings().delivery_horizon_hours == 48


@pytest.mark.parametrize("resend", [False, True])
def test_console_alerts_are_listed_then_sent_once_by_the_first_run_with_slack(
    fake_slack: FakeSlack, tmp_path: Path, resend: bool
) -> None:
    warehouse = Warehouse(tmp_path / "wh.duckdb")
    with warehouse.write() as con:
        keys = queue(con, 3)
        con.execute("UPDATE alert_outbox SET created_at = created_at - INTERVAL 30 HOUR WHERE alert_key = ?", [keys[0]])
    settings = AlertSettings(resend_console=resend)
    console = Console(record=True)
    # The variable is missing for one run (on day 1, 30 h earlier for the first alert): console, not `sent`.
    report = deliver(warehouse, ConsoleSender(console), destination="console", now=NOW, settings=settings)
    assert report.console == 3 and report.sent == 0
    with warehouse.write() as con:
        con.execute("UPDATE alert_outbox SET sent_at = sent_at - INTERVAL 30 HOUR WHERE alert_key = ?", [keys[0]])
    sender = SlackWebhookSender(fake_slack.url)
    first = deliver(warehouse, sender, destination="slack", now=NOW + H, settings=settings)
    assert [item.split(":")[0] for item in first.console_only] == [k.split(":")[0] for k in keys[1:]]
    assert first.console_resent == (2 if resend else 0) and first.sent == (2 if resend else 0)
    again = deliver(warehouse, sender, destination="slack", now=NOW + 2 * H, settings=settings)
    assert again.console_only == () and again.sent == 0  # listed and sent once, by the first run only
    assert len(fake_slack.requests) == (2 if resend else 0)
    with warehouse.write() as con:
        states = [outbox.get(con, k).status for k in keys]  # type: ignore[union-attr]
    assert states == ["console"] + (["sent", "sent"] if resend else ["console", "console"])


def test_alerts_resend_cli_requeues_and_prints_how_many(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.cli.main import app

    db = tmp_path / "wh.duckdb"
    config = tmp_path / "brandpulse.toml"
    config.write_text(f'[warehouse]\npath = "{db}"\n[model]\ntaxonomy = "none"\n', encoding="utf-8")
    warehouse = Warehouse(db)
    with warehouse.write() as con:
        keys = queue(con, 4)
        outbox.mark_failed(con, keys[0], "HTTP 400 invalid_payload")
        outbox.block_queued(con, "HTTP 404 no_service", tried=keys[1])  # parks keys 1-3
    runner = CliRunner()
    result = runner.invoke(app, ["alerts", "resend", "--config", str(config)])
    assert result.exit_code == 2 and "--blocked" in result.output
    result = runner.invoke(app, ["alerts", "resend", "--failed", "--config", str(config)])
    assert result.exit_code == 0 and "re-queued 1 alert(s)" in result.output
    result = runner.invoke(app, ["alerts", "resend", "--key", keys[2], "--key", "nope", "--config", str(config)])
    assert result.exit_code == 0 and "re-queued 1 alert(s)" in result.output and "nope" in result.output
    result = runner.invoke(app, ["alerts", "resend", "--blocked", "--config", str(config)])
    assert "re-queued 2 alert(s)" in result.output
    with warehouse.write() as con:
        rows = [outbox.get(con, k) for k in keys]
    assert all(r is not None and (r.status, r.attempts) == ("pending", 0) and r.requeued_at for r in rows)


def test_a_blocked_run_summary_and_exit_code() -> None:
    from flows.cli.common import EXIT_ALERTS_BLOCKED
    from flows.cli.run import alert_delivery_lines

    lines = alert_delivery_lines({"alerts_blocked": 3, "alerts_blocked_reason": "HTTP 404 no_service", "totals": {}})
    assert lines == [("alerts: 3 BLOCKED: HTTP 404 no_service", "bold red")]
    backlog = alert_delivery_lines({"totals": {"alerts_by_status": {"blocked": 2}}})
    assert "brandpulse alerts resend --blocked" in backlog[0][0]
    assert EXIT_ALERTS_BLOCKED == 4


def test_delivery_refuses_a_connection_inside_a_transaction(outbox_con: duckdb.DuckDBPyConnection) -> None:
    outbox_con.execute("BEGIN TRANSACTION")
    with pytest.raises(ValueError, match="autocommit"):
        deliver_due(outbox_con, ConsoleSender(Console()), now=datetime.now(UTC), destination="console")
    outbox_con.execute("ROLLBACK")
