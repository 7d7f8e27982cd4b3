"""Alerting in a run: load each brand's hourly counts, detect episodes, queue alerts, updates and resolved notes."""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import duckdb

from flows.alerts.message import AlertContext, ExamplePost, ResponseCare, render_alert
from flows.runtime.config import Config
from models.alerts.detector import Detection, detect
from models.alerts.episodes import Action, Episode, plan
from models.alerts.series import BrandSeries, HourCount, ReachPost
from models.alerts.settings import DetectorSettings
from models.brands import Brand
from models.errors import BrandpulseError
from models.mention import as_utc
from models.text.stopwords import EN_STOP, KO_STOP
from models.text.terms import TermTally, normalise_term
from warehouse import Warehouse, transaction
from warehouse.alerts import episodes as alert_episodes
from warehouse.alerts import outbox
from warehouse.alerts.episodes import StoredEpisode
from warehouse.queries import alerts as alert_queries
from warehouse.queries import pipeline as queries
from warehouse.queries.scored import SCORED_WINDOW, scored_window, stored_versions
from warehouse.topics import term_counts_in

log = logging.getLogger("brandpulse")

DETECT_LOOKBACK_DAYS = 7
# Top terms compare the episode's negative posts with the brand's negative posts of the week before.
TERMS_BASELINE_DAYS = 7
MAX_TERMS = 8
# Without stored terms, top terms are extracted from at most this many texts on each side.
MAX_TERM_TEXTS = 2000
# Emerging themes in an alert: only with at least this many negatives no topic explains, the newest few hundred.
THEME_MIN_SIZE = 3
MAX_THEMES = 3
MAX_THEME_ROWS = 300
THEME_BASELINE_DAYS = 28
_HOUR = timedelta(hours=1)


@dataclass
class AlertOutcome:
    """What detection and queueing did in one pass."""

    detected: int = 0
    new: int = 0
    updates: int = 0
    resolved: int = 0
    keys: list[str] = field(default_factory=list)


def history_days(settings: DetectorSettings) -> int:
    """Days of counts before the evaluated period that the baselines need."""
    return max(settings.baseline_days, 7 * settings.baseline_weeks)


def load_series(
    con: duckdb.DuckDBPyConnection,
    brand: str,
    start: datetime,
    end: datetime,
    settings: DetectorSettings,
    *,
    first: datetime | None = None,
) -> BrandSeries | None:
    """A brand's hourly counts (overall, per channel, per topic) and high-reach posts in [start, end), or None.

    `first` is the brand's oldest mention time when the caller already knows it.
    """
    first = first if first is not None else alert_queries.first_mention_time(con, brand)
    if first is None or first >= end:
        return None
    # Hours before the brand's first mention are not "zero mentions": they are before we listened.
    start = max(start, first.replace(minute=0, second=0, microsecond=0))
    window = alert_queries.window_series(con, brand, start, end, min_followers=settings.reach.min_followers)
    # The brand's hours are its channels' hours summed (a mention has one channel): no second scan of the window.
    hours = [HourCount(h, t, n) for h, t, n in sum_hours(window.channels.values(), start, end)]
    if not hours:
        return None
    channels = {name: [HourCount(h, t, n) for h, t, n in rows] for name, rows in window.channels.items()}
    topics = {name: [HourCount(h, t, n) for h, t, n in rows] for name, rows in window.topics.items()}
    posts = [ReachPost(at, followers, channel, mid) for at, followers, channel, mid in window.reach_posts]
    return BrandSeries(brand, hours, channels, topics, posts)


def sum_hours(
    series: Iterable[list[tuple[datetime, int, int]]], start: datetime, end: datetime
) -> list[tuple[datetime, int, int]]:
    """(hour, total, negative) for every hour from start's hour until end: the series added up, zero hours included."""
    totals: dict[datetime, list[int]] = {}
    for rows in series:
        for hour, total, negative in rows:
            counts = totals.setdefault(hour, [0, 0])
            counts[0] += total
            counts[1] += negative
    hour = as_utc(start).replace(minute=0, second=0, microsecond=0)
    out = []
    while hour < end:
        total, negative = totals.get(hour, (0, 0))
        out.append((hour, total, negative))
        hour += _HOUR
    return out


def detection_window(newest: datetime, now: datetime, lookback_days: int) -> tuple[datetime, datetime]:
    """(evaluate_from, end): counts are half-open, so `end` is the hour boundary after the newest mention."""
    end = min(newest, now).replace(minute=0, second=0, microsecond=0) + _HOUR
    return end - timedelta(days=lookback_days), end


def detect_and_enqueue(
    warehouse: Warehouse,
    config: Config,
    *,
    run_id: str,
    now: datetime,
    lookback_days: int = DETECT_LOOKBACK_DAYS,
    theme_embedder: Callable[[], Any | None] | None = None,
) -> AlertOutcome:
    """Detect each brand's episodes over its stored counts and queue what to send, episode state with it.

    `theme_embedder` returns the sentence encoder for an alert's emerging themes (called only when a message has
    enough unexplained negatives); without it messages show no themes.
    """
    settings = config.alerts.detector()
    outcome = AlertOutcome()
    with warehouse.write() as con:
        spans = queries.brand_spans(con)
    for brand in config.brands:
        if brand.name not in spans:
            continue
        first, newest = spans[brand.name]
        evaluate_from, end = detection_window(newest, now, lookback_days)
        since = evaluate_from - timedelta(days=history_days(settings))
        # One connection per brand: a second one would close DuckDB's cache of the brand's weeks (0.2 s to close,
        # then every block read again for the message) for the half second detection holds this one open.
        with warehouse.write() as con:
            series = load_series(con, brand.name, since, end, settings, first=first)
            if series is None:
                continue
            detection = detect(series, settings)
            episodes = detection.episodes(evaluate_from=evaluate_from)
            outcome.detected += len(episodes)
            with transaction(con):
                _enqueue_brand(
                    con, brand, detection, episodes, settings, run_id=run_id, now=now, outcome=outcome,
                    since=evaluate_from - timedelta(days=1), end=end, theme_embedder=theme_embedder,
                )  # fmt: skip
    return outcome


def _enqueue_brand(
    con: duckdb.DuckDBPyConnection,
    brand: Brand,
    detection: Detection,
    episodes: Sequence[Episode],
    settings: DetectorSettings,
    *,
    run_id: str,
    now: datetime,
    outcome: AlertOutcome,
    since: datetime,
    end: datetime,
    theme_embedder: Callable[[], Any | None] | None,
) -> None:
    """Plan one brand's alert actions against its stored episodes, build their messages and store both."""
    states = alert_episodes.for_brand(con, brand.name, since=since)
    actions = plan(episodes, states, judged_until=end, settings=settings)
    # Every message of the brand is built from the same few queries, however many episodes it has.
    messages = [a for a in actions if a.kind != "refresh"]
    contexts = build_contexts(
        con,
        brand,
        [_episode_of(a) for a in messages],
        theme_embedder=theme_embedder,
        with_themes=[a.kind != "resolved" for a in messages],
    )
    by_action = {id(a): c for a, c in zip(messages, contexts, strict=True)}
    for action in actions:
        _apply(
            con, action, brand, detection, settings, run_id=run_id, now=now, outcome=outcome,
            context=by_action.get(id(action)),
        )  # fmt: skip


def _apply(
    con: duckdb.DuckDBPyConnection,
    action: Action,
    brand: Brand,
    detection: Detection,
    settings: DetectorSettings,
    *,
    run_id: str,
    now: datetime,
    outcome: AlertOutcome,
    context: AlertContext | None = None,
) -> None:
    """Queue the action's message (with its context, built beforehand) and store the episode's new state."""
    state = action.state
    episode = _episode_of(action)
    if action.kind == "refresh":
        assert isinstance(state, StoredEpisode)
        alert_episodes.save(con, _stored(episode, state, now=now, run_id=run_id))
        return
    previous = state.notified_observed if state is not None else None
    if context is None:
        context = build_context(con, brand, episode, theme_embedder=None)
    rendered = render_alert(episode, context, kind=action.kind, previous_observed=previous)
    queued = outbox.enqueue(
        con,
        action.message_key,
        brand.name,
        episode.signal,
        episode.start,
        episode.end,
        episode.observed,
        episode.expected,
        episode.p_value,
        rendered,
        run_id=run_id,
        now=now,
        kind=action.kind,
        of_episode=action.episode_key,
    )
    if action.kind == "alert":
        stored = _stored(episode, None, now=now, run_id=run_id, key=action.episode_key)
        alert_episodes.save(con, stored)
        if queued:
            outcome.new += 1
            outcome.keys.append(action.message_key)
        else:
            log.info("episode %s overlaps an alert already queued; not sent again", action.episode_key)
        return
    assert isinstance(state, StoredEpisode)
    if action.kind == "update":
        alert_episodes.save(
            con,
            replace(
                _stored(episode, state, now=now, run_id=run_id),
                notified_observed=float(episode.observed),
                updates=state.updates + 1,
            ),
        )
        outcome.updates += int(queued)
    else:
        current = _stored(episode, state, now=now, run_id=run_id)
        ended = replace(current, status=alert_episodes.RESOLVED, resolved_at=now)
        alert_episodes.save(con, ended)
        outcome.resolved += int(queued)
    if queued:
        outcome.keys.append(action.message_key)


def _stored(
    episode: Episode, state: StoredEpisode | None, *, now: datetime, run_id: str, key: str | None = None
) -> StoredEpisode:
    """The episode's row as it should be stored now; a stored key, status and notification count are kept."""
    if state is None:
        return StoredEpisode(
            episode_key=key or episode.key,
            brand=episode.brand,
            signal=episode.signal,
            signals=episode.signals or (episode.signal,),
            window_start=episode.start,
            window_end=episode.end,
            # Found after it ended (a backfill, a first run): the alert says so and no resolved note follows.
            status=alert_episodes.OPEN if episode.open else alert_episodes.RESOLVED,
            observed=float(episode.observed),
            expected=episode.expected,
            share=episode.share,
            usual_share=episode.usual_share,
            peak_hour=episode.peak_hour,
            detected_at=episode.detected_at,
            notified_observed=float(episode.observed),
            updates=0,
            opened_at=now,
            updated_at=now,
            resolved_at=None if episode.open else now,
            run_id=run_id,
        )
    signals = tuple(dict.fromkeys((*state.signals, *episode.signals)))
    return replace(
        state,
        signals=signals,
        window_start=min(state.window_start, episode.start),
        window_end=max(state.window_end, episode.end),
        observed=float(episode.observed),
        expected=episode.expected,
        share=episode.share,
        usual_share=episode.usual_share,
        peak_hour=episode.peak_hour,
        updated_at=now,
    )


def _episode_from_state(state: StoredEpisode) -> Episode:
    """An Episode rebuilt from its stored row, for a resolved note when detection no longer sees it."""
    expected = state.expected or 1.0
    return Episode(
        brand=state.brand,
        signal=state.signal,
        start=state.window_start,
        end=state.window_end,
        observed=int(state.observed),
        expected=state.expected,
        lift=state.observed / expected,
        p_value=float("nan"),
        peak_hour=state.peak_hour or state.window_start,
        signals=state.signals,
        detected_at=state.detected_at,
        open=False,
        share=state.share,
        usual_share=state.usual_share,
    )


def _episode_of(action: Action) -> Episode:
    """The episode an action is about; a resolved note for an episode detection no longer sees is rebuilt."""
    return action.episode if action.episode is not None else _episode_from_state(action.state)  # type: ignore[arg-type]


def build_context(
    con: duckdb.DuckDBPyConnection,
    brand: Brand,
    episode: Episode,
    *,
    theme_embedder: Callable[[], Any | None] | None = None,
) -> AlertContext:
    """What drove an episode, for its message: channels, example posts, top terms, themes, a command to dig in."""
    return build_contexts(con, brand, [episode], theme_embedder=theme_embedder)[0]


def build_contexts(
    con: duckdb.DuckDBPyConnection,
    brand: Brand,
    episodes: Sequence[Episode],
    *,
    theme_embedder: Callable[[], Any | None] | None = None,
    with_themes: Sequence[bool] | None = None,
) -> list[AlertContext]:
    """`build_context` for several episodes of one brand: example posts and top terms come from one query each.

    The work is SQL aggregates over the stored scores and terms plus a bounded sample for themes, so it does not
    grow with the episode's size; `with_themes` says which episodes get themes (a resolved note does not).
    """
    if not episodes:
        return []
    windows = [(e.start, e.end) for e in episodes]
    posts = alert_queries.example_posts_in(con, brand.name, windows)
    wanted = [with_themes is None or with_themes[i] for i in range(len(episodes))]
    # The term and theme queries span weeks (theme baselines): with one stored model version they join the scores
    # directly instead of grouping them (warehouse/queries/scored.py `stored_versions`).
    window = scored_window(stored_versions(con))
    encoder, candidates = theme_candidates_in(con, brand, windows, theme_embedder, wanted, window=window)
    # Top terms and theme labels read the stored terms once for all windows of the brand.
    selections, before, baselines = term_tallies_in(con, brand, windows, candidates, window=window)
    terms = ranked_top_terms(con, brand, windows, selections, before)
    themes = label_themes(con, brand, len(windows), encoder, candidates, baselines)
    responses = response_care_in(con, brand, windows)
    contexts = []
    for index, episode in enumerate(episodes):
        channels = [(d.name, d.observed) for d in episode.channels] or queries.negative_by_channel(
            con, brand.name, episode.start, episode.end
        )
        contexts.append(
            AlertContext(
                channels=channels,
                examples=[ExamplePost(**post) for post in posts[index]],
                top_terms=terms[index],
                themes=themes[index],
                dig_in_command=dig_in_command(brand.name, episode.start, episode.end),
                responses=responses[index],
            )
        )
    return contexts


def response_care_in(
    con: duckdb.DuckDBPyConnection, brand: Brand, windows: Sequence[tuple[datetime, datetime]]
) -> list[ResponseCare | None]:
    """How the brand's owned accounts answered each window's negative mentions; None when it lists none."""
    if not brand.owned:
        return [None] * len(windows)
    return [ResponseCare(**care) for care in alert_queries.response_care_in(con, brand.name, windows)]


ThemeRows = list[tuple[str, str, str, str | None, list[str]]]


def theme_candidates_in(
    con: duckdb.DuckDBPyConnection,
    brand: Brand,
    windows: Sequence[tuple[datetime, datetime]],
    theme_embedder: Callable[[], Any | None] | None,
    wanted: Sequence[bool],
    *,
    window: str = SCORED_WINDOW,
) -> tuple[Any, dict[int, ThemeRows]]:
    """(encoder, {window index: the negatives no topic explains}) for the `wanted` windows with enough of them.

    Cheap when there is nothing to find: themes are clustered only when at least `THEME_MIN_SIZE` negatives of a
    window have no topic, from the newest `MAX_THEME_ROWS` of them, with the vectors the topic step stored; the
    encoder is loaded only for mentions without one (scored before vectors were stored, or with topics off).
    """
    if theme_embedder is None:
        return None, {}
    from warehouse.topics import unexplained_negatives_in

    asked = [index for index in range(len(windows)) if wanted[index]]
    found_rows = unexplained_negatives_in(
        con, brand.name, [windows[i] for i in asked], limit=MAX_THEME_ROWS, window=window
    )
    candidates = {index: rows for index, rows in zip(asked, found_rows, strict=True) if len(rows) >= THEME_MIN_SIZE}
    if not candidates:
        return None, {}
    # Episodes of a brand overlap: the encoder (when needed at all) embeds each distinct text once for all of them.
    from flows.steps.topics import as_theme_encoder

    return as_theme_encoder(theme_embedder), candidates


def term_tallies_in(
    con: duckdb.DuckDBPyConnection,
    brand: Brand,
    windows: Sequence[tuple[datetime, datetime]],
    candidates: Mapping[int, ThemeRows],
    *,
    window: str = SCORED_WINDOW,
) -> tuple[list[TermTally], list[TermTally], dict[int, TermTally]]:
    """What top terms and theme labels count, from one scan of the stored terms.

    (each window's negatives, the brand's negatives of the week before it, {window index: the label baseline of
    its theme candidates}); the baseline counts every mention of the four weeks before the window and the window,
    but only the candidates' terms, since a label ranks its cluster's terms only.
    """
    n = len(windows)
    spans = [(windows[i][0] - timedelta(days=THEME_BASELINE_DAYS), windows[i][1]) for i in candidates]
    if not n and not spans:
        return [], [], {}
    before = [(start - timedelta(days=TERMS_BASELINE_DAYS), start) for start, _ in windows[:n]]
    tallies = term_counts_in(
        con,
        brand.name,
        [*windows[:n], *before, *spans],
        label=["negative"] * (2 * n) + [None] * len(spans),
        min_count=[2] * n + [1] * (n + len(spans)),
        only=[None] * (2 * n) + [sorted({t for *_, terms in rows for t in terms}) for rows in candidates.values()],
        window=window,
    )
    return tallies[:n], tallies[n : 2 * n], dict(zip(candidates, tallies[2 * n :], strict=True))


def label_themes(
    con: duckdb.DuckDBPyConnection,
    brand: Brand,
    count: int,
    encoder: Any,
    candidates: Mapping[int, ThemeRows],
    baselines: Mapping[int, TermTally],
) -> list[list[tuple[str, int]]]:
    """(label, mentions) of the emerging themes of each of `count` windows, from its candidates and label baseline."""
    out: list[list[tuple[str, int]]] = [[] for _ in range(count)]
    if encoder is None or not candidates:
        return out
    from flows.steps.topics import themes_of_rows

    stored = encoder.stored(con, list({row[:2]: row for rows in candidates.values() for row in rows}.values()))
    for index, rows in candidates.items():
        try:
            found = themes_of_rows(encoder, rows, baselines[index], stored=stored, min_size=THEME_MIN_SIZE)
        except (BrandpulseError, RuntimeError, ValueError) as exc:  # themes are a nice-to-have: never block an alert
            log.warning("emerging themes skipped for %s: %s", brand.name, exc)
            continue
        if found is None:  # the encoder cannot be loaded (logged once): no themes in any window
            return out
        out[index] = [(theme.label, theme.size) for theme, _ in found[:MAX_THEMES]]
    return out


def top_terms(con: duckdb.DuckDBPyConnection, brand: Brand, start: datetime, end: datetime) -> list[str]:
    """Terms of the window's negative posts that are more common than in the brand's negative posts before it."""
    return top_terms_in(con, brand, [(start, end)])[0]


def top_terms_in(
    con: duckdb.DuckDBPyConnection, brand: Brand, windows: Sequence[tuple[datetime, datetime]]
) -> list[list[str]]:
    """`top_terms` of several windows: each window's negatives against the brand's negatives of the week before.

    Counted in SQL over the terms the topic step stored (one query for all windows), so an episode of any size
    costs the same; a window whose mentions have no stored terms (topics off) falls back to extracting terms from
    a bounded sample of texts.
    """
    if not windows:
        return []
    selections, before, _ = term_tallies_in(con, brand, windows, {})
    return ranked_top_terms(con, brand, windows, selections, before)


def ranked_top_terms(
    con: duckdb.DuckDBPyConnection,
    brand: Brand,
    windows: Sequence[tuple[datetime, datetime]],
    selections: Sequence[TermTally],
    baselines: Sequence[TermTally],
) -> list[list[str]]:
    """Each window's top terms from its tallies (`term_tallies_in`); texts are read only for windows without terms."""
    from models.text.terms import brand_stop_terms, rank_terms_by_lift

    drop = brand_stop_terms(brand.terms)
    out = []
    for (start, end), selection, baseline in zip(windows, selections, baselines, strict=True):
        if selection.docs == 0:
            out.append(top_terms_of_texts(con, brand, start, end))
            continue
        kept = TermTally({t: n for t, n in selection.counts.items() if normalise_term(t) not in drop}, selection.docs)
        out.append([t.term for t in rank_terms_by_lift(kept, baseline, min_count=2, limit=MAX_TERMS)])
    return out


def top_terms_of_texts(con: duckdb.DuckDBPyConnection, brand: Brand, start: datetime, end: datetime) -> list[str]:
    """Top terms extracted from the newest `MAX_TERM_TEXTS` negative texts of the window and of the week before."""
    selection = alert_queries.negative_texts(con, brand.name, start, end, limit=MAX_TERM_TEXTS)
    baseline = alert_queries.negative_texts(
        con, brand.name, start - timedelta(days=TERMS_BASELINE_DAYS), start, limit=MAX_TERM_TEXTS
    )
    if not selection:
        return []
    try:
        from models.text.terms import extract_terms, rank_terms_by_lift

        def terms_of(rows: list[tuple[str, str | None]]) -> list[list[str]]:
            return [extract_terms(text, lang, brand_terms=brand.terms) for text, lang in rows]

        ranked = rank_terms_by_lift(terms_of(selection), terms_of(baseline), min_count=2, limit=MAX_TERMS)
        return [t.term for t in ranked]
    except (ImportError, BrandpulseError) as exc:  # no term extractor (or no Korean analyser): simple words
        log.info("top terms from plain words: %s", exc)
        return simple_top_terms([t for t, _ in selection], [t for t, _ in baseline], brand.terms)


_WORD = re.compile(r"[^\W\d_][\w'-]+", re.UNICODE)


def simple_top_terms(
    selection: list[str], baseline: list[str], brand_terms: list[str], limit: int = MAX_TERMS
) -> list[str]:
    """Words (2+ letters) in at least two selected texts, ranked by how much more common they are than before."""
    drop = {t.lower().lstrip("#@") for t in brand_terms} | EN_STOP | KO_STOP

    def words(text: str) -> set[str]:
        lowered = (w.lower() for w in _WORD.findall(text))
        # The shared list spells contractions without the apostrophe ("dont", "its"), as the term extractor does.
        return {w for w in lowered if w not in drop and w.replace("'", "") not in drop}

    counts = Counter(w for text in selection for w in words(text))
    base = Counter(w for text in baseline for w in words(text))
    n_sel, n_base = len(selection), len(baseline)
    ranked = sorted(
        (w for w, n in counts.items() if n >= 2),
        key=lambda w: (-(counts[w] / n_sel) / ((base[w] + 1) / (n_base + 1)), -counts[w], w),
    )
    return ranked[:limit]


def dig_in_command(brand: str, start: datetime, end: datetime) -> str:
    """The command an alert suggests to look at the mentions behind it."""
    return (
        "brandpulse sql \"SELECT created_at, channel, label, text, url FROM mentions_scored "
        f"WHERE brand = '{brand.replace(chr(39), chr(39) * 2)}' AND label = 'negative' "
        f"AND created_at >= '{start:%Y-%m-%d %H:00}+00' AND created_at < '{end:%Y-%m-%d %H:00}+00' "
        "ORDER BY author_followers DESC NULLS LAST LIMIT 20\""
    )
