"""The demo's Acme outage alert: @acmehelp's own posts are not counted, and the message says how it answered."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from helpers.report import build_sample_warehouse

from flows.alerts.enqueue import detect_and_enqueue
from warehouse import Warehouse

OUTAGE = datetime(2026, 11, 19, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def outage(tmp_path_factory: pytest.TempPathFactory) -> tuple[Warehouse, tuple]:
    """The sample data scored by the keyword fake, alerts detected as of 2026-11-23; the outage's alert row."""
    config = build_sample_warehouse(tmp_path_factory.mktemp("owned-demo"))
    warehouse = Warehouse(config.warehouse.path)
    detect_and_enqueue(warehouse, config, run_id="demo", now=datetime(2026, 11, 23, tzinfo=UTC))
    with warehouse.read() as con:
        row = con.execute(
            """SELECT window_start, window_end, observed, text FROM alert_outbox
            WHERE brand = 'Acme' AND kind = 'alert' AND window_start <= ? AND window_end > ?""",
            [OUTAGE, OUTAGE],
        ).fetchone()
    assert row is not None, "the demo must raise the Acme alert of 2026-11-19"
    return warehouse, row


def test_the_outage_alert_does_not_count_acmehelp(outage: tuple[Warehouse, tuple]) -> None:
    warehouse, (start, end, observed, _text) = outage
    with warehouse.read() as con:
        customers, owned = con.execute(
            """SELECT count(*) FILTER (WHERE NOT owned), count(*) FILTER (WHERE owned) FROM mentions_all
            WHERE brand = 'Acme' AND label = 'negative' AND created_at >= ? AND created_at < ?""",
            [start, end],
        ).fetchone()
        handles = {h for (h,) in con.execute(
            "SELECT DISTINCT author_handle FROM mentions_all WHERE owned AND created_at >= ? AND created_at < ?",
            [start, end],
        ).fetchall()}
        unbranded = con.execute("SELECT count(*) FROM mentions_all WHERE owned AND brand IS NULL").fetchone()
    assert unbranded == (0,)  # replies that do not name the brand were imported as its own
    assert owned >= 2 and "acmehelp" in handles  # its outage notices read as negative ("오류") …
    assert observed == customers  # … and the episode counts customers only


def test_the_outage_alert_shows_the_response_numbers(outage: tuple[Warehouse, tuple]) -> None:
    warehouse, (start, end, _observed, text) = outage
    with warehouse.read() as con:
        negative, responded, minutes = con.execute(
            """SELECT count(*), count(*) FILTER (WHERE responded), median(response_minutes) FROM mention_responses
            WHERE brand = 'Acme' AND label = 'negative' AND created_at >= ? AND created_at < ?""",
            [start, end],
        ).fetchone()
    assert 1 <= responded < negative
    # @acmehelp on X, and Acme's official Reddit account in the outage megathread.
    expected = (
        f"Response care: @acmehelp, @Acme_Official replied to {responded} of {negative} negative mentions, "
        f"first reply after {minutes:.0f} min (median)"
    )
    assert expected in text
