"""Plain functions behind the topic task: score topics, aspect sentiment and terms; drivers and emerging themes."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from flows.runtime.config import Config
from flows.runtime.failpoints import failpoint
from models.errors import BrandpulseError
from models.scores import Sentiment
from models.text.taxonomy import OFF, load_taxonomy
from models.text.terms import TermLift, TermTally, extract_terms_many, rank_terms_by_lift
from models.text.themes import Theme, emerging_themes, similarity_for
from models.text.topics import TopicScorer
from warehouse import Warehouse
from warehouse.queries.scored import SCORED_WINDOW, resolved_window
from warehouse.topics import (
    PendingMention,
    ScanRow,
    TopicRow,
    load_topic_results,
    pending_topic_mentions,
    term_counts_in,
    topic_breakdown,
    unexplained_negatives,
)

log = logging.getLogger("brandpulse")

# Mentions per topic pass and per write: as SCORE_CHUNK, large enough that the write's fixed cost stays small.
TOPIC_CHUNK = 512
THEME_BASELINE_DAYS = 28
# Emerging themes cluster the newest this many unexplained negatives: clustering compares every pair of them.
MAX_THEME_ROWS = 2000


def build_topic_scorer(config: Config, sentiment_model: Any = None) -> TopicScorer | None:
    """The topic scorer `[model] taxonomy` and `[model] encoder` ask for, or None when topics are off."""
    from models.text.embedders import load_embedder

    if config.model.taxonomy.strip().lower() == OFF:
        return None
    taxonomy = load_taxonomy(config.model.taxonomy)
    base = Path(config.source).resolve().parent if config.source else None
    embedder, encoder_id = load_embedder(config.model.encoder, sentiment_model=sentiment_model, base_dir=base)
    return TopicScorer(taxonomy, embedder, sentiment_model, encoder_id=encoder_id)


def reuses_scoring_pass(config: Config) -> bool:
    """Whether topics embed with the bundled encoder, so the scoring pass should leave them its embeddings."""
    return config.model.taxonomy.strip().lower() != OFF and config.model.encoder.strip().lower() == "bundled"


def brand_terms_of(config: Config) -> list[str]:
    """Every configured brand's terms and name: none of them is a useful 'top term'."""
    return [term for brand in config.brands for term in (brand.name, *brand.terms)]


def _known_sentiment(mention: PendingMention, model: str) -> Sentiment | None:
    """The stored whole-mention sentiment, reused for one-clause mentions instead of running the model again."""
    if mention.label is None or mention.score is None:
        return None
    negative, neutral, positive = (p or 0.0 for p in mention.probs)
    return Sentiment(mention.label, mention.score, {"negative": negative, "neutral": neutral, "positive": positive},
                     model, "stored")


def score_topics_pending(
    warehouse: Warehouse,
    scorer: TopicScorer,
    *,
    brand_terms: Iterable[str] = (),
    chunk: int = TOPIC_CHUNK,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Score every stored mention this topic model has not seen: topics with aspect sentiment, scans and terms."""
    drop = list(brand_terms)
    tag = _vector_tag(scorer)
    with warehouse.write() as con:
        pending = pending_topic_mentions(con, scorer.version)
    done = 0
    if progress:
        progress(0, len(pending))
    for start in range(0, len(pending), chunk):
        part = pending[start : start + chunk]
        # The model runs outside any connection, so readers are not locked out meanwhile.
        results = scorer.score(
            [m.text for m in part], [m.lang for m in part], [_known_sentiment(m, "stored") for m in part]
        )
        topics, scans, terms, embeddings = [], [], [], []
        langs = [_lang(mention) for mention in part]
        mention_terms = extract_terms_many([m.text for m in part], langs, [[*drop, *m.brand_terms] for m in part])
        for mention, result, lang, found in zip(part, results, langs, mention_terms, strict=True):
            if result.embedding is not None:
                embeddings.append((mention.channel, mention.id, result.embedding))
            topics += [
                TopicRow(mention.channel, mention.id, match.topic, match.score, match.sentiment, match.sentiment_score)
                for match in result.topics
            ]
            scans.append(ScanRow(mention.channel, mention.id, len(result.topics), result.best_score))
            terms += [(mention.channel, mention.id, lang, term) for term in found]
        with warehouse.write() as con:
            load_topic_results(con, scorer.version, topics, scans, terms, embeddings=embeddings, embedder=tag)
        failpoint("topics.chunk")
        done += len(part)
        if progress:
            progress(done, len(pending))
    return done


def _vector_tag(scorer: TopicScorer) -> str | None:
    """The tag the scorer's whole-text embeddings are stored under (None: a scorer without an encoder id)."""
    from models.text.embedders import vector_tag

    encoder = getattr(scorer, "encoder_id", None)
    return vector_tag(encoder) if encoder else None


def _lang(mention: PendingMention) -> str:
    from models.text.korean import guess_lang

    return guess_lang(mention.text, mention.lang)


@dataclass
class Drivers:
    """What drove a window of negative talk: its topics and its terms ranked by lift over the brand's baseline."""

    topics: list[tuple[str, int, float]] = field(default_factory=list)
    terms: list[TermLift] = field(default_factory=list)
    # The brand's term counts the lifts were measured against (from `baseline_days` before the window to its end):
    # emerging themes of the same window label their clusters with them too.
    baseline: TermTally | None = None

    def top_terms(self, limit: int = 8) -> list[str]:
        """Just the terms, best first (what an alert's 'what drove it' line shows)."""
        return [t.term for t in self.terms[:limit]]


def negative_drivers(
    warehouse: Warehouse,
    brand: str,
    start: datetime,
    end: datetime,
    *,
    baseline_days: int = THEME_BASELINE_DAYS,
    limit: int = 10,
) -> Drivers:
    """Topics of the window's negative mentions and their terms by lift against the brand's preceding weeks."""
    with warehouse.read() as con:
        return _drivers_in(con, brand, start, end, baseline_days=baseline_days, limit=limit)


def _drivers_in(
    con: Any,
    brand: str,
    start: datetime,
    end: datetime,
    *,
    baseline_days: int,
    limit: int,
    window: str = SCORED_WINDOW,
) -> Drivers:
    """`negative_drivers` on an open connection (`window`: resolved CTEs, else each query resolves its own)."""
    topics = topic_breakdown(con, brand, start, end, window=window)
    # Counted in SQL, both in one scan: only the terms of at least two negative mentions come back for the
    # window, whatever the history's size.
    selection, baseline = term_counts_in(
        con, brand, [(start, end), (start - timedelta(days=baseline_days), end)],
        label=["negative", None], min_count=[2, 1], window=window,
    )  # fmt: skip
    return Drivers(
        topics=topics[:limit], terms=rank_terms_by_lift(selection, baseline, limit=limit), baseline=baseline
    )


def find_emerging_themes(
    warehouse: Warehouse,
    embedder: Any,
    brand: str,
    start: datetime,
    end: datetime,
    *,
    baseline_days: int = THEME_BASELINE_DAYS,
    threshold: float | None = None,
    min_size: int = 3,
    baseline: TermTally | None = None,
) -> list[tuple[Theme, list[str]]]:
    """Emerging themes among a window's unexplained negative mentions, each with up to three example texts.

    `embedder` is a `ThemeEncoder` (stored vectors first), a function giving an encoder, or an encoder; `baseline`
    is the brand's term counts over the same stretch when already counted (`Drivers.baseline`).
    """
    encoder = as_theme_encoder(embedder)
    with warehouse.read() as con:
        rows, baseline, stored = _theme_inputs(con, encoder, brand, start, end, baseline_days, min_size, baseline)
    found = themes_of_rows(
        encoder, rows, baseline or TermTally({}, 0), stored=stored, threshold=threshold, min_size=min_size
    )
    return found or []


def drivers_and_themes(
    warehouse: Warehouse,
    embedder: Any,
    brand: str,
    start: datetime,
    end: datetime,
    *,
    baseline_days: int = THEME_BASELINE_DAYS,
    threshold: float | None = None,
    min_size: int = 3,
) -> tuple[Drivers, list[tuple[Theme, list[str]]]]:
    """`negative_drivers` and `find_emerging_themes` of one window from one connection that resolves the brand's
    scored mentions (the window and its baseline weeks) once, not once per query (seconds each at 1 M mentions)."""
    encoder = as_theme_encoder(embedder)
    with warehouse.read() as con, resolved_window(con, [brand], start - timedelta(days=baseline_days), end) as window:
        drivers = _drivers_in(con, brand, start, end, baseline_days=baseline_days, limit=10, window=window)
        rows, baseline, stored = _theme_inputs(
            con, encoder, brand, start, end, baseline_days, min_size, drivers.baseline, window=window
        )
    found = themes_of_rows(
        encoder, rows, baseline or TermTally({}, 0), stored=stored, threshold=threshold, min_size=min_size
    )
    return drivers, found or []


def _theme_inputs(
    con: Any,
    encoder: ThemeEncoder,
    brand: str,
    start: datetime,
    end: datetime,
    baseline_days: int,
    min_size: int,
    baseline: TermTally | None,
    *,
    window: str = SCORED_WINDOW,
) -> tuple[list[ThemeRow], TermTally | None, dict[tuple[str, str], Any]]:
    """What clustering needs from the warehouse: the unexplained negatives, the term baseline, the stored vectors."""
    rows = unexplained_negatives(con, brand, start, end, limit=MAX_THEME_ROWS, window=window)
    if baseline is None and len(rows) >= min_size:
        baseline = term_counts_in(con, brand, [(start - timedelta(days=baseline_days), end)], window=window)[0]
    return rows, baseline, encoder.stored(con, rows)


ThemeRow = tuple[str, str, str, str | None, list[str]]


class ThemeEncoder:
    """Vectors for emerging themes: the stored ones first; the encoder, loaded on first need, for the rest.

    `tag` names the stored vectors that match this encoder's own (`models.text.embedders.vector_tag`; None reads
    none). Each text is encoded at most once, however many windows ask for it.
    """

    def __init__(self, load: Callable[[], Any], tag: str | None = None) -> None:
        self.tag = tag
        self.threshold = similarity_for(tag)
        self.encoded = 0  # texts that had no stored vector and went through the encoder
        self._load = load
        self._encoder: list[Any] = []
        self._memo: dict[str, np.ndarray] = {}

    def __call__(self) -> Any | None:
        """The encoder, loaded on the first call; None (logged once) if it cannot be loaded."""
        if not self._encoder:
            try:
                self._encoder.append(self._load())
            except (ImportError, OSError, BrandpulseError) as exc:
                log.warning("emerging themes skipped: cannot load the encoder: %s", exc)
                self._encoder.append(None)
        return self._encoder[0]

    def stored(self, con: Any, rows: Sequence[ThemeRow]) -> dict[tuple[str, str], np.ndarray]:
        """The stored vectors of these rows' mentions (read in the caller's connection), by (channel, id)."""
        if self.tag is None or not rows:
            return {}
        from warehouse.topics import stored_embeddings

        return stored_embeddings(con, [(c, i) for c, i, *_ in rows], self.tag)

    def vectors(self, rows: Sequence[ThemeRow], stored: Mapping[tuple[str, str], np.ndarray]) -> np.ndarray | None:
        """One vector per row, stored or encoded now; None when some row needs the encoder and it cannot load."""
        missing = list(dict.fromkeys(t for c, i, t, *_ in rows if (c, i) not in stored and t not in self._memo))
        if missing:
            encoder = self()
            if encoder is None:
                return None
            self._memo.update(zip(missing, np.asarray(encoder.embed(missing), dtype=np.float32), strict=True))
            self.encoded += len(missing)
        return np.stack([stored[(c, i)] if (c, i) in stored else self._memo[t] for c, i, t, *_ in rows])


def as_theme_encoder(embedder: Any) -> ThemeEncoder:
    """A `ThemeEncoder` as is; a function giving an encoder, or an encoder itself, wrapped (no stored vectors)."""
    if isinstance(embedder, ThemeEncoder):
        return embedder
    if hasattr(embedder, "embed") and not isinstance(embedder, type):
        return ThemeEncoder(lambda: embedder)
    return ThemeEncoder(embedder)


def themes_of_rows(
    embedder: Any,
    rows: Sequence[ThemeRow],
    baseline: Sequence[Sequence[str]] | TermTally,
    *,
    stored: Mapping[tuple[str, str], np.ndarray] | None = None,
    threshold: float | None = None,
    min_size: int = 3,
) -> list[tuple[Theme, list[str]]] | None:
    """Cluster rows of `unexplained_negatives` (already read, connection closed) and label them by terms.

    Rows with a `stored` vector are not encoded again. None when vectors were needed but the encoder cannot load.
    """
    if len(rows) < min_size:
        return []
    encoder = as_theme_encoder(embedder)
    embeddings = encoder.vectors(rows, stored or {})
    if embeddings is None:
        return None
    themes = emerging_themes(
        embeddings,
        [terms for *_, terms in rows],
        baseline,
        keys=[(c, i) for c, i, *_ in rows],
        threshold=encoder.threshold if threshold is None else threshold,
        min_size=min_size,
    )
    return [(theme, [rows[i][2] for i in theme.members[:3]]) for theme in themes]


def theme_embedder(config: Config, sentiment_model: Any = None) -> Any:
    """The encoder `[model] encoder` names, for emerging themes (the bundled sentiment model's when it has one)."""
    from models.text.embedders import load_embedder

    base = Path(config.source).resolve().parent if config.source else None
    embedder, _ = load_embedder(config.model.encoder, sentiment_model=sentiment_model, base_dir=base)
    return embedder


def lazy_theme_embedder(config: Config, sentiment_model: Callable[[], Any] | None = None) -> ThemeEncoder:
    """The themes encoder of `[model] encoder`, loaded on its first call only (None if it cannot be loaded), with
    the tag of the vectors the topic step stored for it, so stored vectors are read instead wherever they exist.

    `sentiment_model` gives the in-process sentiment model (called then too), whose bundled encoder is reused.
    """
    from models.text.embedders import encoder_id, vector_tag

    base = Path(config.source).resolve().parent if config.source else None
    try:
        tag: str | None = vector_tag(encoder_id(config.model.encoder, base_dir=base))
    except BrandpulseError as exc:  # a missing encoder folder: loading fails too, and says so then
        log.debug("no stored vectors for themes: %s", exc)
        tag = None
    return ThemeEncoder(lambda: theme_embedder(config, sentiment_model() if sentiment_model else None), tag)
