"""Paging with a per-run page cap: each page fetched through the one retry loop, stopping at a repeated token."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Generic, Literal, TypeVar

from listeners.cursors import newest_value
from listeners.retry import RetryPolicy, WaitBudget, call_with_retries
from models.errors import RetryableError

T = TypeVar("T")

StopReason = Literal["exhausted", "max_pages", "repeated_token", "error"]


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page from a platform: its items, the token for the next page, and the newest id/time on it."""

    items: list[T]
    next_token: str | None
    newest: str | None = None


@dataclass
class PageRun(Generic[T]):
    """Iterator over pages that records, once it stops, how many pages it read and why it stopped."""

    fetch_page: Callable[[str | None], Page[T]]
    max_pages: int
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], Any] = time.sleep
    on_retry: Callable[[int, RetryableError, float], Any] | None = None
    pages: int = 0
    items: int = 0
    stopped_reason: StopReason | None = None
    next_token: str | None = None  # where a later run could resume when the cap cut this one short
    newest: str | None = None  # the largest `Page.newest` seen (numeric ids compared as numbers)
    budget: WaitBudget = field(default_factory=WaitBudget)

    def __post_init__(self) -> None:
        if self.max_pages < 1:
            raise ValueError("max_pages must be at least 1")
        self._pages = self._run()

    @property
    def truncated(self) -> bool:
        """True when paging stopped before the platform said there was nothing more (page cap or token loop)."""
        return self.stopped_reason in ("max_pages", "repeated_token")

    def __iter__(self) -> PageRun[T]:
        return self

    def __next__(self) -> Page[T]:
        return next(self._pages)

    def _run(self) -> Iterator[Page[T]]:
        token: str | None = None
        seen: set[str] = set()  # every token already requested: getting one back means the API is looping
        while True:
            try:
                page = call_with_retries(
                    partial(self.fetch_page, token),
                    self.policy,
                    sleep=self.sleep,
                    on_retry=self.on_retry,
                    budget=self.budget,
                )
            except BaseException:
                self.stopped_reason = "error"
                raise
            self.pages += 1
            self.items += len(page.items)
            if page.newest is not None:
                self.newest = newest_value([self.newest, page.newest])
            self.next_token = page.next_token or None
            # Decide before yielding, so the attributes are final when the consumer sees the last page.
            if self.next_token is None:
                self.stopped_reason = "exhausted"
            elif self.next_token in seen:
                self.stopped_reason = "repeated_token"
            elif self.pages >= self.max_pages:
                self.stopped_reason = "max_pages"
            yield page
            if self.stopped_reason is not None:
                return
            seen.add(self.next_token)
            token = self.next_token


def paginate(
    fetch_page: Callable[[str | None], Page[T]],
    *,
    max_pages: int,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], Any] = time.sleep,
    on_retry: Callable[[int, RetryableError, float], Any] | None = None,
) -> PageRun[T]:
    """Fetch pages (each through call_with_retries) until no next token, a repeated token, or `max_pages`."""
    return PageRun(fetch_page, max_pages, policy or RetryPolicy(), sleep, on_retry)
