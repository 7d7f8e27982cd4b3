"""Episodes, the unit of alerting: the `Episode` record, and what each run sends for it (alert, update, resolved)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal, Protocol

from models.alerts.settings import DetectorSettings

if TYPE_CHECKING:  # the detector builds Episodes, so it imports this module, not the other way round
    from models.alerts.detector import Detection

ActionKind = Literal["alert", "update", "resolved", "refresh"]


@dataclass(frozen=True)
class Driver:
    """One channel or topic inside an episode: its negatives against its own expectation."""

    name: str
    observed: int
    expected: float

    @property
    def lift(self) -> float:
        """Observed over expected (the expectation is never below the floor)."""
        return self.observed / self.expected if self.expected > 0 else float("inf")


@dataclass(frozen=True)
class Episode:
    """One spike: flagged hours of any signal close together, from `start` to `end` (exclusive), times UTC.

    `observed` / `expected` are the brand's negative mentions over the window; `signal` is the signal that
    flagged first, `signals` all that took part. `detected_at` is the hour whose data first raised it (the alert
    can go out once that hour is complete); `open` says whether it may still grow as of the last hour judged.
    """

    brand: str
    signal: str
    start: datetime
    end: datetime
    observed: int
    expected: float
    lift: float
    p_value: float
    peak_hour: datetime
    signals: tuple[str, ...] = ()
    detected_at: datetime | None = None
    open: bool = False
    total: int = 0
    share: float | None = None
    usual_share: float | None = None
    channels: tuple[Driver, ...] = ()
    topics: tuple[Driver, ...] = ()
    scopes: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """Outbox key: brand, signal and start hour."""
        return f"{self.brand}|{self.signal}|{self.start.astimezone(UTC):%Y-%m-%dT%H}"



class EpisodeState(Protocol):
    """What the warehouse remembers of an episode between runs (warehouse.alerts.episodes.StoredEpisode fits)."""

    @property
    def episode_key(self) -> str: ...

    @property
    def window_start(self) -> datetime: ...

    @property
    def window_end(self) -> datetime: ...

    @property
    def status(self) -> str: ...

    @property
    def notified_observed(self) -> float: ...

    @property
    def updates(self) -> int: ...


@dataclass(frozen=True)
class Action:
    """One thing a run does for an episode.

    `alert`: a new episode (stored open, or already resolved when it ended before anyone was told);
    `update`: an open episode grew markedly since the last message; `resolved`: an open episode ended;
    `refresh`: store the latest window and counts, send nothing. `message_key` is the outbox key.
    """

    kind: ActionKind
    episode_key: str
    episode: Episode | None
    state: EpisodeState | None = None

    @property
    def message_key(self) -> str:
        """The outbox key of the message this action sends."""
        if self.kind == "update":
            assert self.state is not None
            return f"{self.episode_key}|update-{self.state.updates + 1}"
        if self.kind == "resolved":
            return f"{self.episode_key}|resolved"
        return self.episode_key


def grew_markedly(episode: Episode, notified: float, settings: DetectorSettings) -> bool:
    """At least `update_growth` times the negatives of the last message, and at least `min_count` more."""
    return episode.observed >= settings.update_growth * notified and episode.observed - notified >= settings.min_count


def plan(
    detected: Sequence[Episode],
    states: Sequence[EpisodeState],
    *,
    judged_until: datetime,
    settings: DetectorSettings,
) -> list[Action]:
    """Match this run's episodes with the stored ones and decide what to send.

    A detected episode is the same as a stored one when their windows overlap or the detected one starts within
    the cooldown after the stored one's end. `judged_until` is the end of the last hour detection looked at: an
    open stored episode with no detected counterpart is resolved once the cooldown has passed since its end.
    """
    cooldown = timedelta(hours=max(settings.cooldown_hours, 1))
    actions: list[Action] = []
    matched: set[str] = set()
    for episode in sorted(detected, key=lambda e: e.start):
        state = next(
            (
                s for s in states
                if s.episode_key not in matched and episode.start < s.window_end + cooldown
                and episode.end > s.window_start
            ),
            None,
        )  # fmt: skip
        if state is None:
            actions.append(Action("alert", episode.key, episode))
            continue
        matched.add(state.episode_key)
        if state.status != "open":
            actions.append(Action("refresh", state.episode_key, episode, state))
        elif not episode.open:
            actions.append(Action("resolved", state.episode_key, episode, state))
        elif grew_markedly(episode, state.notified_observed, settings):
            actions.append(Action("update", state.episode_key, episode, state))
        else:
            actions.append(Action("refresh", state.episode_key, episode, state))
    for state in states:
        if state.status == "open" and state.episode_key not in matched and judged_until >= state.window_end + cooldown:
            actions.append(Action("resolved", state.episode_key, None, state))
    return actions


@dataclass
class _MemoryState:
    """An episode's state during a replay (what `alert_episodes` holds between scheduled runs)."""

    episode_key: str
    window_start: datetime
    window_end: datetime
    status: str
    notified_observed: float
    updates: int = 0


@dataclass
class ReplayedEpisode:
    """One episode of a replay: when each message would have gone out, and the episode as last seen."""

    key: str
    first: Episode
    latest: Episode
    alert_at: datetime
    update_times: list[datetime]
    resolved_at: datetime | None


def replay(detection: Detection, *, evaluate_from: datetime, until: datetime | None = None) -> list[ReplayedEpisode]:
    """Replay hourly runs over a detection: the alerts, updates and resolved notes they would have sent.

    The run after hour h sees exactly the decisions made up to h (detection is causal) and the states the earlier
    runs stored, so this is what a team running brandpulse every hour would have received.
    """
    settings = detection.settings
    states: dict[str, _MemoryState] = {}
    found: dict[str, ReplayedEpisode] = {}
    first = max(detection.index(evaluate_from), 0)
    last = detection.size - 1 if until is None else min(detection.index(until) - 1, detection.size - 1)
    for index in range(first, last + 1):
        hour = detection.hour(index)
        sent_at = hour + timedelta(hours=1)
        episodes = detection.episodes(as_of=hour, evaluate_from=evaluate_from)
        for action in plan(episodes, list(states.values()), judged_until=sent_at, settings=settings):
            _replay_action(action, states, found, sent_at)
    return sorted(found.values(), key=lambda e: e.first.start)


def _replay_action(
    action: Action, states: dict[str, _MemoryState], found: dict[str, ReplayedEpisode], sent_at: datetime
) -> None:
    episode = action.episode
    if action.kind == "alert":
        assert episode is not None
        states[action.episode_key] = _MemoryState(
            action.episode_key, episode.start, episode.end, "open" if episode.open else "resolved", episode.observed
        )
        found[action.episode_key] = ReplayedEpisode(
            action.episode_key, episode, episode, sent_at, [], None if episode.open else sent_at
        )
        return
    state, record = states[action.episode_key], found[action.episode_key]
    if episode is not None:
        state.window_start = min(state.window_start, episode.start)
        state.window_end = max(state.window_end, episode.end)
        record.latest = episode
    if action.kind == "update":
        assert episode is not None
        state.notified_observed = episode.observed
        state.updates += 1
        record.update_times.append(sent_at)
    elif action.kind == "resolved":
        state.status = "resolved"
        record.resolved_at = sent_at
