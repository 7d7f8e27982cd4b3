"""Task retries only for retryable errors, and the run lock that makes overlapping runs take turns."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from prefect import flow, task

from flows.runtime.retries import transient_retries
from flows.runtime.run_lock import run_lock_path, writer_lock
from models.errors import CredentialError, RateLimited, WarehouseLocked


def flaky_task(errors: list[Exception]) -> tuple[Any, list[int]]:
    """A task that raises the given errors in turn, then returns how many attempts it took."""
    attempts: list[int] = []

    @task(**transient_retries(delays_s=(0, 0, 0)))
    def step() -> int:
        attempts.append(1)
        if errors:
            raise errors.pop(0)
        return len(attempts)

    return step, attempts


def test_a_transient_error_is_retried_until_it_succeeds(prefect_harness: None) -> None:
    step, attempts = flaky_task([WarehouseLocked("file busy"), RateLimited("slow down", retry_after=0)])

    @flow
    def run() -> int:
        return step()

    assert run() == 3
    assert len(attempts) == 3


def test_a_fatal_error_is_not_retried(prefect_harness: None) -> None:
    step, attempts = flaky_task([CredentialError("token rejected")])

    @flow
    def run() -> int:
        return step()

    with pytest.raises(CredentialError):
        run()
    assert len(attempts) == 1


def test_retries_give_up_after_the_last_delay(prefect_harness: None) -> None:
    step, attempts = flaky_task([WarehouseLocked("busy")] * 5)

    @flow
    def run() -> int:
        return step()

    with pytest.raises(WarehouseLocked):
        run()
    assert len(attempts) == 4  # one try and three retries


def test_a_second_writer_waits_for_the_first(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    order: list[str] = []
    second_waiting = threading.Event()

    def second() -> None:
        second_waiting.set()
        with writer_lock(db, timeout_s=30):
            order.append("second")

    with writer_lock(db, timeout_s=30):
        thread = threading.Thread(target=second)
        thread.start()
        second_waiting.wait(5)
        thread.join(0.3)  # it cannot get in while we hold the lock
        order.append("first")
    thread.join(30)
    assert order == ["first", "second"]
    assert run_lock_path(db).name == "wh.duckdb.run.lock"


def test_a_writer_that_waits_too_long_gets_a_retryable_error(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    errors: list[BaseException] = []

    def other() -> None:
        try:
            with writer_lock(db, timeout_s=0.2):
                pass
        except BaseException as exc:
            errors.append(exc)

    with writer_lock(db, timeout_s=1):
        thread = threading.Thread(target=other)
        thread.start()
        thread.join(10)
    assert len(errors) == 1 and isinstance(errors[0], WarehouseLocked)
    assert "run_lock_timeout_s" in str(errors[0])
