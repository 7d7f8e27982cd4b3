"""Episode lifecycle: one alert per episode, an update when it grows markedly, a resolved note when it ends."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from models.alerts.detector import detect
from models.alerts.episodes import Episode, plan, replay
from models.alerts.series import BrandSeries, HourCount
from models.alerts.settings import settings_for

T0 = datetime(2024, 4, 1, tzinfo=UTC)
H = timedelta(hours=1)
BALANCED = settings_for("balanced", share={"enabled": False})
START = T0 + timedelta(days=15, hours=9)


@dataclass(frozen=True)
class State:
    episode_key: str
    window_start: datetime
    window_end: datetime
    status: str
    notified_observed: float
    updates: int = 0


def episode(observed: int, *, start: datetime = START, hours: int = 2, is_open: bool = True) -> Episode:
    return Episode("Acme", "negative_volume", start, start + hours * H, observed, 4.0, observed / 4, 1e-9, start,
                   open=is_open)  # fmt: skip


def state(observed: float, *, status: str = "open", updates: int = 0) -> State:
    return State(f"Acme|negative_volume|{START:%Y-%m-%dT%H}", START, START + 2 * H, status, observed, updates)


def test_a_new_episode_is_an_alert() -> None:
    [action] = plan([episode(30)], [], judged_until=START + 2 * H, settings=BALANCED)
    assert (action.kind, action.message_key) == ("alert", "Acme|negative_volume|2024-04-16T09")


def test_the_same_episode_again_sends_nothing_and_its_start_may_move() -> None:
    earlier = episode(32, start=START - H, hours=3)  # a later run's window reached one hour further back
    [action] = plan([earlier], [state(30)], judged_until=START + 2 * H, settings=BALANCED)
    assert action.kind == "refresh" and action.episode_key == state(30).episode_key


def test_marked_growth_is_an_update_with_its_own_key() -> None:
    grown = episode(70, hours=5)
    [action] = plan([grown], [state(30, updates=1)], judged_until=START + 5 * H, settings=BALANCED)
    assert (action.kind, action.message_key) == ("update", "Acme|negative_volume|2024-04-16T09|update-2")
    [small] = plan([episode(50, hours=4)], [state(30)], judged_until=START + 4 * H, settings=BALANCED)
    assert small.kind == "refresh"  # 50 < 2 × 30: not marked growth


def test_an_ended_episode_gets_a_resolved_note_once() -> None:
    ended = episode(40, hours=3, is_open=False)
    [action] = plan([ended], [state(30)], judged_until=START + 9 * H, settings=BALANCED)
    assert (action.kind, action.message_key) == ("resolved", "Acme|negative_volume|2024-04-16T09|resolved")
    [again] = plan([ended], [replace(state(30), status="resolved")], judged_until=START + 10 * H, settings=BALANCED)
    assert again.kind == "refresh"


def test_an_open_episode_detection_no_longer_sees_is_resolved_after_the_cooldown() -> None:
    assert plan([], [state(30)], judged_until=START + 7 * H, settings=BALANCED) == []
    [action] = plan([], [state(30)], judged_until=START + 8 * H, settings=BALANCED)
    assert action.kind == "resolved" and action.episode is None


def test_an_episode_after_the_cooldown_is_a_new_alert() -> None:
    later = episode(30, start=START + 8 * H)
    old = replace(state(30), status="resolved")
    [action] = plan([later], [old], judged_until=START + 10 * H, settings=BALANCED)
    assert action.kind == "alert" and action.episode_key.endswith("2024-04-16T17")


def test_replay_sends_one_alert_then_updates_then_a_resolved_note() -> None:
    negatives = [2] * (17 * 24)
    at = int((START - T0) / H)
    negatives[at : at + 6] = [12, 30, 60, 70, 40, 20]
    counts = [HourCount(T0 + i * H, n + 20, n) for i, n in enumerate(negatives)]
    detection = detect(BrandSeries("Acme", counts), BALANCED)
    [found] = replay(detection, evaluate_from=T0 + timedelta(days=14))
    assert found.key == "Acme|negative_volume|2024-04-16T09"
    assert found.alert_at == START + H  # as soon as the first spike hour is complete
    assert found.first.observed == 12
    # 12 at the alert → 42 (update) → 102 (update) → 172 (not yet 2×) → 212 (update); 252 after that: no more.
    assert found.update_times == [START + 2 * H, START + 3 * H, START + 5 * H]
    assert found.resolved_at == found.latest.end + 6 * H  # six quiet hours (balanced's cooldown)
    assert found.latest.observed == sum(negatives[at : at + 6])
