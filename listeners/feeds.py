"""What a live channel hands the pipeline: feeds (one cursor each) over a listener, that fetch a `ListenBatch`.

A channel builder (`listeners/NAME/feeds.py`, registered in `listeners/registry.py`) turns `([channels.NAME]
settings, one brand, the secrets it needs)` into a list of feeds. Each feed is one endpoint with one cursor, e.g. X
recent search for Acme (`scope = "acme:search"`) or new comments in r/korea (`scope = "acme:comments:korea"`). The
pipeline reads the feed's saved cursor, calls `fetch(cursor)`, re-checks every mention against the brand terms, and
stores mentions, matches, rejects and `batch.cursor` in one transaction. Builders build clients from the secrets
they are given (never at import) and raise `CredentialError` naming the environment variable when one is missing,
before any network call.

Every listener has the same shape: its generators yield `Mention | Reject`, and `listener.last` (a FetchReport)
says what the last call saw and where the next run may resume. So one adapter, `ListenerFeed`, serves every
channel.

Optional history: a feed whose API can read a past date range has `history` set, and `fetch_range(start, end)`
returns the mentions created in `[start, end)` (UTC). `brandpulse backfill` calls it on the feeds that have it
(`has_history(feed)`); its batch carries no cursor, so a backfill never moves the live cursor. X (full-archive
search), Hacker News (Algolia date filters) and Reddit search (roughly: newest first, down to the start) have it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from listeners.cursors import newest_cursor
from listeners.http import make_http_client
from listeners.report import FetchReport
from models.brands import Brand
from models.channels import ChannelSettings
from models.errors import BrandpulseError, ConfigError, CredentialError, FatalError, RetryableError
from models.mention import CursorUpdate, Mention, Reject

OptionsT = TypeVar("OptionsT", bound=BaseModel)
ClientFactory = Callable[[], Any]


@dataclass
class ListenBatch:
    """One feed's fetch: mentions and rejects to store, the cursor to save with them, notes for the summary."""

    mentions: list[Mention] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    cursor: CursorUpdate | None = None
    notes: list[str] = field(default_factory=list)
    # Set when the feed stopped early (rate limit, outage, bad credential): what was fetched is still stored,
    # `cursor` is then None so the next run fetches the gap again.
    error: BrandpulseError | None = None
    resume_at: float | None = None  # epoch seconds when a rate-limited feed may call again
    quota_used: int = 0  # daily-quota units or calls spent (channels with a daily quota: YouTube, Naver)


class Feed(Protocol):
    """One endpoint with one cursor for one brand."""

    channel: str
    scope: str

    def fetch(self, cursor: str | None) -> ListenBatch:
        """Everything new since `cursor` (None on the first run), within the feed's page cap."""
        ...


class Listener(Protocol):
    """What the feed adapter needs of a listener: the report of its last call."""

    last: FetchReport


L = TypeVar("L", bound=Listener)


def has_history(feed: Feed) -> bool:
    """Whether `feed` can read a past date range (`fetch_range`)."""
    return getattr(feed, "history", None) is not None


def drain(
    items: Iterable[Mention | Reject], listener: Listener, *, cursor: Callable[[], CursorUpdate | None]
) -> ListenBatch:
    """Drain a listener generator into a batch; a Retryable/FatalError keeps what came before it, without a cursor."""
    batch = ListenBatch()
    try:
        for item in items:
            if isinstance(item, Reject):
                batch.rejects.append(item)
            else:
                batch.mentions.append(item)
    except (RetryableError, FatalError) as error:
        batch.error = error
        batch.resume_at = getattr(error, "resume_at", None)
    # `listener.last` is read after draining: each call replaces it, and it is final only once the generator ends.
    batch.notes = listener.last.notes()
    batch.quota_used = listener.last.quota_used
    batch.cursor = None if batch.error is not None else cursor()
    return batch


@dataclass
class ListenerFeed(Generic[L]):
    """A Feed over one listener generator: `open()` gives the listener for one fetch, `read` runs it from a cursor."""

    channel: str
    scope: str
    open: Callable[[], AbstractContextManager[L]]
    read: Callable[[L, str | None], Iterable[Mention | Reject]]
    # Mentions created in [start, end) for a backfill; None when the API cannot read the past.
    history: Callable[[L, datetime, datetime], Iterable[Mention | Reject]] | None = None
    # True for a brand's own feed (its app's reviews): entries belong to the brand without naming it.
    owned: bool = False

    def fetch(self, cursor: str | None) -> ListenBatch:
        """Drain the generator; the cursor moves to where the listener may resume only when nothing went wrong."""
        with self.open() as listener:
            return drain(
                self.read(listener, cursor),
                listener,
                cursor=lambda: newest_cursor(self.channel, self.scope, [listener.last.resume_from], previous=cursor),
            )

    def fetch_range(self, start: datetime, end: datetime) -> ListenBatch:
        """Drain the history generator; the batch never carries a cursor (the live cursor stays where it is)."""
        if self.history is None:
            raise TypeError(f"{self.channel} ({self.scope}) cannot read history; check has_history(feed) first")
        history = self.history
        with self.open() as listener:
            return drain(history(listener, start, end), listener, cursor=lambda: None)


def shared(listener: L) -> Callable[[], AbstractContextManager[L]]:
    """`open` for a listener whose SDK client lives as long as its feeds (tweepy, praw): every fetch uses it."""
    return lambda: nullcontext(listener)


def per_fetch(
    make_listener: Callable[[Any], L], make_client: ClientFactory = make_http_client
) -> Callable[[], AbstractContextManager[L]]:
    """`open` for a listener over an httpx.Client: a fresh client for each fetch, closed after it."""

    @contextmanager
    def open_listener() -> Iterator[L]:
        with make_client() as client:
            yield make_listener(client)

    return open_listener


def channel_options(settings: ChannelSettings, model: type[OptionsT], *, channel: str) -> OptionsT:
    """The channel-specific keys of `[channels.NAME]`, validated by `model`, or ConfigError naming the key."""
    try:
        return model.model_validate(settings.model_extra or {})
    except ValidationError as exc:
        err = exc.errors()[0]
        key = f"channels.{channel}." + ".".join(str(part) for part in err["loc"])
        message = f"unknown setting {key!r}" if err["type"] == "extra_forbidden" else err["msg"]
        raise ConfigError(f"invalid configuration: {message}", key=key) from None


class StrictOptions(BaseModel):
    """Base for a channel's extra settings: unknown keys are an error (they are usually typos)."""

    model_config = ConfigDict(extra="forbid")


def require_secret(value: SecretStr | str | None, env_var: str, *, channel: str) -> str:
    """The secret's value, or CredentialError naming the environment variable (never the value)."""
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    if text is None or not text.strip():
        raise CredentialError(
            f"{channel}: {env_var} is not set; set it in the environment (see .env.example) or disable "
            f"[channels.{channel}]",
            setting=env_var,
        )
    return text.strip()


def scope_for(brand: Brand, *parts: Any) -> str:
    """A cursor scope: the brand's name (case-folded) then the endpoint and its argument."""
    return ":".join([brand.name.casefold(), *(str(part) for part in parts)])
