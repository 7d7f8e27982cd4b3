"""The alert outbox on DuckDB: idempotent enqueue, due rows, state changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import duckdb
import pytest

from flows.alerts.message import RenderedAlert
from warehouse.alerts import outbox

NOW = datetime(2024, 5, 1, 13, tzinfo=UTC)
START = datetime(2024, 5, 1, 9, tzinfo=UTC)
H = timedelta(hours=1)
RENDERED = RenderedAlert(title="Negative spike: Acme", text="plain", blocks=[{"type": "section", "text": "é ✓"}])


def put(
    con: duckdb.DuckDBPyConnection,
    key: str = "Acme|negative_volume|2024-05-01T09",
    *,
    brand: str = "Acme",
    start: datetime = START,
    hours: int = 3,
    now: datetime = NOW,
    rendered: RenderedAlert = RENDERED,
) -> bool:
    return outbox.enqueue(
        con, key, brand, "negative_volume", start, start + hours * H, 42, 6.1, 1e-9, rendered, run_id="run-1", now=now
    )


def test_enqueue_is_idempotent(outbox_con: duckdb.DuckDBPyConnection) -> None:
    assert put(outbox_con) is True
    assert put(outbox_con) is False
    assert outbox_con.execute("SELECT count(*) FROM alert_outbox").fetchone() == (1,)
    row = outbox.get(outbox_con, "Acme|negative_volume|2024-05-01T09")
    assert row is not None
    assert (row.status, row.attempts, row.run_id, row.title, row.text) == (
        "pending",
        0,
        "run-1",
        RENDERED.title,
        "plain",
    )
    assert row.blocks == RENDERED.blocks
    assert row.window_start == START and row.window_start.tzinfo is not None
    assert (row.observed, row.expected, row.p_value, row.created_at) == (42, 6.1, 1e-9, NOW)


def test_a_sent_alert_is_never_queued_again(outbox_con: duckdb.DuckDBPyConnection) -> None:
    key = "Acme|negative_volume|2024-05-01T09"
    assert put(outbox_con)
    assert outbox.mark_sent(outbox_con, key, "slack", NOW)
    grown = RenderedAlert(title="Negative spike: Acme", text="grown", blocks=[])
    assert put(outbox_con, hours=6, now=NOW + 3 * H, rendered=grown) is False  # the same episode, grown
    assert put(outbox_con, "Acme|negative_volume|2024-05-01T10", start=START + H, hours=5) is False  # start moved
    row = outbox.get(outbox_con, key)
    assert row is not None and (row.status, row.text, row.window_end) == ("sent", "plain", START + 3 * H)
    assert outbox.due(outbox_con, NOW + timedelta(days=1)) == []
    assert outbox.mark_sent(outbox_con, key, "console", NOW + H) is False  # sent stays sent
    assert outbox.mark_retry(outbox_con, key, "boom", NOW + H) is False
    assert outbox.mark_failed(outbox_con, key, "boom") is False
    assert outbox.get(outbox_con, key) == row


def test_other_episodes_and_brands_are_new(outbox_con: duckdb.DuckDBPyConnection) -> None:
    assert put(outbox_con)
    assert put(outbox_con, "Acme|negative_volume|2024-05-01T12", start=START + 3 * H)  # touching, not overlapping
    assert put(outbox_con, "Globex|negative_volume|2024-05-01T09", brand="Globex")
    assert outbox_con.execute("SELECT count(*) FROM alert_outbox").fetchone() == (3,)


def test_due_rows_and_state_changes(outbox_con: duckdb.DuckDBPyConnection) -> None:
    keys = [f"Acme|negative_volume|2024-05-0{day}T09" for day in (1, 2, 3)]
    for offset, key in enumerate(keys):
        assert put(outbox_con, key, start=START + offset * timedelta(days=1), now=NOW + offset * H)
    assert [r.alert_key for r in outbox.due(outbox_con, NOW + 5 * H)] == keys  # oldest first
    assert [r.alert_key for r in outbox.due(outbox_con, NOW + 5 * H, limit=1)] == keys[:1]

    assert outbox.mark_retry(outbox_con, keys[0], "HTTP 500", NOW + 2 * H)
    assert outbox.mark_failed(outbox_con, keys[1], "HTTP 403 invalid_token")
    assert [r.alert_key for r in outbox.due(outbox_con, NOW + H)] == [keys[2]]
    assert [r.alert_key for r in outbox.due(outbox_con, NOW + 2 * H)] == [keys[0], keys[2]]  # due at its time

    retried = outbox.get(outbox_con, keys[0])
    assert retried is not None
    assert (retried.attempts, retried.last_error, retried.next_attempt_at) == (1, "HTTP 500", NOW + 2 * H)
    assert outbox.mark_retry(outbox_con, keys[0], "HTTP 502", NOW + 4 * H)
    assert outbox.get(outbox_con, keys[0]).attempts == 2  # type: ignore[union-attr]
    failed = outbox.get(outbox_con, keys[1])
    assert failed is not None and (failed.status, failed.attempts, failed.last_error) == (
        "failed",
        1,
        "HTTP 403 invalid_token",
    )

    assert outbox.mark_sent(outbox_con, keys[0], "slack", NOW + 4 * H)
    sent = outbox.get(outbox_con, keys[0])
    assert sent is not None and (sent.status, sent.destination, sent.sent_at) == ("sent", "slack", NOW + 4 * H)

    assert outbox.requeue(outbox_con, now=NOW + 5 * H, keys=["nope"]) == 0
    assert outbox.requeue(outbox_con, now=NOW + 5 * H, statuses=("failed",)) == 1
    again = outbox.get(outbox_con, keys[1])
    assert again is not None and (again.status, again.attempts) == ("pending", 0)
    assert again.queued_at == NOW + 5 * H  # the horizon restarts from the resend
    with pytest.raises(ValueError, match="cannot re-queue"):
        outbox.requeue(outbox_con, now=NOW, statuses=("sent",))


def test_times_are_stored_as_instants(outbox_con: duckdb.DuckDBPyConnection) -> None:
    seoul = timezone(timedelta(hours=9))
    assert put(outbox_con, start=START.astimezone(seoul), now=NOW.astimezone(seoul))
    [row] = outbox.due(outbox_con, NOW)
    assert row.window_start == START and row.window_start.utcoffset() == timedelta(0)
    with pytest.raises(ValueError, match="timezone-aware"):
        put(outbox_con, "naive", start=datetime(2024, 6, 1, 9))
    with pytest.raises(ValueError, match="timezone-aware"):
        outbox.due(outbox_con, datetime(2024, 6, 1))


def test_user_text_is_stored_as_data(outbox_con: duckdb.DuckDBPyConnection) -> None:
    nasty = RenderedAlert(title="x'); DROP TABLE alert_outbox; --", text="' OR 1=1 --", blocks=[{"t": "\"'\\"}])
    assert put(outbox_con, "Acme'|x", rendered=nasty)
    row = outbox.get(outbox_con, "Acme'|x")
    assert row is not None and (row.title, row.text, row.blocks) == (nasty.title, nasty.text, nasty.blocks)


def test_works_on_the_warehouse_schema() -> None:
    from warehouse import schema
    con = duckdb.connect()
    try:
        schema.migrate(con)
        assert put(con) and not put(con)
        [row] = outbox.due(con, NOW)
        assert outbox.mark_retry(con, row.alert_key, "HTTP 500", NOW)
        assert outbox.mark_sent(con, row.alert_key, "slack", NOW)
        assert outbox.due(con, NOW + H) == []
    finally:
        con.close()


def test_updates_and_resolved_notes_are_their_own_messages(outbox_con: duckdb.DuckDBPyConnection) -> None:
    key = "Acme|negative_volume|2024-05-01T09"
    assert put(outbox_con, key)
    assert not put(outbox_con, "Acme|negative_volume|2024-05-01T10", start=START + H)  # a second alert: refused

    def follow(kind: str, suffix: str) -> bool:
        return outbox.enqueue(
            outbox_con, f"{key}|{suffix}", "Acme", "negative_volume", START, START + 5 * H, 90, 8.0, 1e-20,
            RENDERED, run_id="run-2", now=NOW + H, kind=kind, of_episode=key,
        )  # fmt: skip

    assert follow("update", "update-1") and follow("resolved", "resolved")
    assert not follow("update", "update-1")  # the same update twice: nothing new
    rows = {row.alert_key: row for row in outbox.due(outbox_con, NOW + 2 * H)}
    assert sorted((r.kind, r.episode_key) for r in rows.values()) == [
        ("alert", key), ("resolved", key), ("update", key)
    ]  # fmt: skip
    with pytest.raises(ValueError, match="unknown outbox message kind"):
        follow("reminder", "x")
