"""Fixtures for the alert tests: an outbox table and a local HTTP server that answers like a Slack webhook."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import duckdb
import pytest
from helpers.alerts import OUTBOX_DDL, WEBHOOK_SECRET, FakeSlack


@pytest.fixture
def outbox_con() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB with just the alert_outbox table, as migrations 2, 4 and 5 leave it."""
    from warehouse.schema import MIGRATIONS

    con = duckdb.connect()
    con.execute(OUTBOX_DDL)
    for statement in (*dict(MIGRATIONS)[4], *dict(MIGRATIONS)[5]):
        if statement.startswith("ALTER TABLE alert_outbox"):
            con.execute(statement)
    yield con
    con.close()


@pytest.fixture
def fake_slack(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSlack]:
    """A running fake Slack webhook on a fresh port; proxies are switched off so requests stay local."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    server = FakeSlack()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def closed_port_url() -> str:
    """A webhook-shaped URL on a port nobody listens on: connection refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/services/T0TEAM/B0HOOK/{WEBHOOK_SECRET}"
