"""Plumbing shared by the credential-free channels (Hacker News, Bluesky, Mastodon, RSS): clients and feeds."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flows.feeds import ListenBatch, collect
from listeners.base import newest_cursor
from models.mention import Mention, Reject

USER_AGENT = "brandpulse/0.1 (self-hosted social listening; +https://github.com/brandpulse)"
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 20.0

ClientFactory = Callable[[], Any]


def make_http_client(*, follow_redirects: bool = False) -> Any:
    """An httpx.Client with explicit timeouts and an honest User-Agent (built per fetch, closed after it)."""
    import httpx

    return httpx.Client(
        timeout=httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S),
        headers={"User-Agent": USER_AGENT},
        follow_redirects=follow_redirects,
    )


def split_rejects(items: Iterable[Mention | Reject], rejects: list[Reject]) -> Iterator[Mention]:
    """Yield the Mentions of a listener stream, setting its Rejects aside in `rejects`."""
    for item in items:
        if isinstance(item, Reject):
            rejects.append(item)
        else:
            yield item


@dataclass
class HttpFeed:
    """One endpoint with one cursor: `read(client, cursor)` runs a listener and returns it after draining."""

    channel: str
    scope: str
    read: Callable[[Any, str | None], tuple[Iterable[Mention | Reject], Any]]
    make_client: ClientFactory = make_http_client
    notes: list[str] = field(default_factory=list)
    # True for a brand's own feed (its app's reviews): entries belong to the brand without naming it.
    owned: bool = False

    def fetch(self, cursor: str | None) -> ListenBatch:
        """Everything new since `cursor`; what was fetched before a failure is kept, without a cursor."""
        rejects: list[Reject] = []
        with self.make_client() as client:
            items, listener = self.read(client, cursor)
            batch = collect(
                split_rejects(items, rejects),
                rejects=lambda: rejects,
                notes=lambda: [*self.notes, *_run_notes(self.scope, listener)],
                cursor=lambda: newest_cursor(
                    self.channel, self.scope, [listener.resume_from], previous=cursor
                ),
            )
        return batch


@dataclass(kw_only=True)
class HttpHistoryFeed(HttpFeed):
    """An HttpFeed whose API also reads the past: `read_range(client, start, end)` runs a listener over that range."""

    read_range: Callable[[Any, datetime, datetime], tuple[Iterable[Mention | Reject], Any]]

    def fetch_range(self, start: datetime, end: datetime) -> ListenBatch:
        """Mentions created in `[start, end)`; no cursor, so the live cursor stays where it is."""
        rejects: list[Reject] = []
        with self.make_client() as client:
            items, listener = self.read_range(client, start, end)
            return collect(
                split_rejects(items, rejects),
                rejects=lambda: rejects,
                notes=lambda: [*self.notes, *_run_notes(self.scope, listener)],
            )


def _run_notes(scope: str, listener: Any) -> list[str]:
    run = getattr(listener, "last_run", None)
    if run is not None and run.stopped_reason == "max_pages":
        return [
            f"{scope}: stopped at the page cap ({run.pages} pages); older new items were skipped, raise max_pages "
            "if this happens every run"
        ]
    return []
