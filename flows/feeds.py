"""What a live channel hands the pipeline: feeds (one cursor each) that fetch a `ListenBatch`.

A channel builder turns `([channels.NAME] settings, secrets, one brand)` into a list of feeds. Each feed is one
endpoint with one cursor, e.g. X recent search for Acme (`scope = "acme:search"`) or new comments in r/korea
(`scope = "acme:comments:korea"`). The pipeline reads the feed's saved cursor, calls `fetch(cursor)`, re-checks
every mention against the brand terms, and stores mentions, matches, rejects and `batch.cursor` in one
transaction. Builders build clients from the secrets they are given (never at import) and raise
`CredentialError` naming the environment variable when one is missing, before any network call.

Optional history: a feed whose API can read a past date range also has `fetch_range(start, end) -> ListenBatch`
(mentions created in `[start, end)`, UTC). `brandpulse backfill` (flows/backfill.py) calls it on the feeds that have
it (`has_history(feed)`); its batch carries no cursor, so a backfill never moves the live cursor. X (full-archive
search), Hacker News (Algolia date filters) and Reddit search (roughly: newest first, down to the start) have it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from flows.runtime.config import Brand, ChannelSettings, Secrets
from listeners.base import newest_cursor
from listeners.fetch_report import FetchReport
from models.errors import BrandpulseError, ConfigError, CredentialError, FatalError, RetryableError
from models.mention import CursorUpdate, Mention, Reject

OptionsT = TypeVar("OptionsT", bound=BaseModel)


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


class Feed(Protocol):
    """One endpoint with one cursor for one brand."""

    channel: str
    scope: str

    def fetch(self, cursor: str | None) -> ListenBatch:
        """Everything new since `cursor` (None on the first run), within the feed's page cap."""
        ...


class HistoryFeed(Feed, Protocol):
    """A feed that can also read the past: mentions created in `[start, end)`, with no cursor (optional)."""

    def fetch_range(self, start: datetime, end: datetime) -> ListenBatch:
        """Mentions created from `start` up to (not including) `end`, within the feed's page cap; cursor None."""
        ...


def has_history(feed: Feed) -> bool:
    """Whether `feed` can read a past date range (it has `fetch_range`)."""
    return callable(getattr(feed, "fetch_range", None))


ChannelBuilder = Callable[[ChannelSettings, Secrets, Brand], Sequence[Feed]]


def collect(
    items: Iterable[Mention],
    *,
    rejects: Callable[[], Sequence[Reject]] = list,
    notes: Callable[[], Sequence[str]] = list,
    cursor: Callable[[], CursorUpdate | None] = lambda: None,
) -> ListenBatch:
    """Drain a listener generator into a batch; a Retryable/FatalError keeps what came before it, without a cursor."""
    batch = ListenBatch()
    try:
        for mention in items:
            batch.mentions.append(mention)
    except (RetryableError, FatalError) as error:
        batch.error = error
        batch.resume_at = getattr(error, "resume_at", None)
    batch.rejects = list(rejects())
    batch.notes = list(notes())
    # The cursor is read after draining: it only exists once the listener has seen every page it will see.
    batch.cursor = None if batch.error is not None else cursor()
    return batch


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


@dataclass
class ListenerFeed:
    """A Feed over one listener generator: `run(cursor)` yields Mentions, `report()` is the listener's FetchReport."""

    channel: str
    scope: str
    run: Callable[[str | None], Iterable[Mention]]
    report: Callable[[], FetchReport]

    def fetch(self, cursor: str | None) -> ListenBatch:
        """Drain the generator; the cursor moves to the newest item seen only when nothing went wrong."""
        return collect(
            self.run(cursor),
            rejects=lambda: self.report().rejects,
            notes=lambda: self.report().notes(),
            cursor=lambda: newest_cursor(self.channel, self.scope, [self.report().newest], previous=cursor),
        )


@dataclass(kw_only=True)
class ListenerHistoryFeed(ListenerFeed):
    """A ListenerFeed whose API also reads the past: `history(start, end)` yields the Mentions of that range."""

    history: Callable[[datetime, datetime], Iterable[Mention]]

    def fetch_range(self, start: datetime, end: datetime) -> ListenBatch:
        """Drain the history generator; the batch never carries a cursor (the live cursor stays where it is)."""
        return collect(
            self.history(start, end),
            rejects=lambda: self.report().rejects,
            notes=lambda: self.report().notes(),
        )
