"""Plain functions behind the topic task: score topics, aspect sentiment and terms; drivers and emerging themes."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flows.runtime.config import Config
from flows.runtime.failpoints import failpoint
from models.errors import BrandpulseError
from models.scores import Sentiment
from models.text.taxonomy import OFF, load_taxonomy
from models.text.terms import TermLift, TermTally, extract_terms, rank_terms_by_lift
from models.text.themes import Theme, emerging_themes
from models.text.topics import TopicScorer
from warehouse import Warehouse
from warehouse.topics import (
    PendingMention,
    ScanRow,
    TopicRow,
    load_topic_results,
    pending_topic_mentions,
    term_counts,
    topic_breakdown,
    unexplained_negatives,
)

log = logging.getLogger("brandpulse")

TOPIC_CHUNK = 256
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
        topics, scans, terms = [], [], []
        for mention, result in zip(part, results, strict=True):
            topics += [
                TopicRow(mention.channel, mention.id, match.topic, match.score, match.sentiment, match.sentiment_score)
                for match in result.topics
            ]
            scans.append(ScanRow(mention.channel, mention.id, len(result.topics), result.best_score))
            lang = _lang(mention)
            terms += [
                (mention.channel, mention.id, lang, term)
                for term in extract_terms(mention.text, lang, brand_terms=[*drop, *mention.brand_terms])
            ]
        with warehouse.write() as con:
            load_topic_results(con, scorer.version, topics, scans, terms)
        failpoint("topics.chunk")
        done += len(part)
        if progress:
            progress(done, len(pending))
    return done


def _lang(mention: PendingMention) -> str:
    from models.text.korean import guess_lang

    return guess_lang(mention.text, mention.lang)


@dataclass
class Drivers:
    """What drove a window of negative talk: its topics and its terms ranked by lift over the brand's baseline."""

    topics: list[tuple[str, int, float]] = field(default_factory=list)
    terms: list[TermLift] = field(default_factory=list)

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
        topics = topic_breakdown(con, brand, start, end)
        # Counted in SQL: only the terms of at least two negative mentions come back, whatever the history's size.
        selection = term_counts(con, brand, start, end, label="negative", min_count=2)
        baseline = term_counts(con, brand, start - timedelta(days=baseline_days), end)
    return Drivers(topics=topics[:limit], terms=rank_terms_by_lift(selection, baseline, limit=limit))


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
) -> list[tuple[Theme, list[str]]]:
    """Emerging themes among a window's unexplained negative mentions, each with up to three example texts."""
    with warehouse.read() as con:
        rows = unexplained_negatives(con, brand, start, end, limit=MAX_THEME_ROWS)
        baseline = term_counts(con, brand, start - timedelta(days=baseline_days), end)
    return themes_of_rows(embedder, rows, baseline, threshold=threshold, min_size=min_size)


def themes_of_rows(
    embedder: Any,
    rows: Sequence[tuple[str, str, str, str | None, list[str]]],
    baseline: Sequence[Sequence[str]] | TermTally,
    *,
    threshold: float | None = None,
    min_size: int = 3,
) -> list[tuple[Theme, list[str]]]:
    """Cluster rows of `unexplained_negatives` (already read, connection closed) and label them by terms."""
    if len(rows) < min_size:
        return []
    embeddings = embedder.embed([text for _, _, text, _, _ in rows])
    options: dict[str, Any] = {"min_size": min_size}
    if threshold is not None:
        options["threshold"] = threshold
    themes = emerging_themes(
        embeddings, [terms for *_, terms in rows], baseline, keys=[(c, i) for c, i, *_ in rows], **options
    )
    return [(theme, [rows[i][2] for i in theme.members[:3]]) for theme in themes]


def theme_embedder(config: Config, sentiment_model: Any = None) -> Any:
    """The encoder `[model] encoder` names, for emerging themes (the bundled sentiment model's when it has one)."""
    from models.text.embedders import load_embedder

    base = Path(config.source).resolve().parent if config.source else None
    embedder, _ = load_embedder(config.model.encoder, sentiment_model=sentiment_model, base_dir=base)
    return embedder


def lazy_theme_embedder(
    config: Config, sentiment_model: Callable[[], Any] | None = None
) -> Callable[[], Any | None]:
    """A function that loads the themes encoder on its first call only, and gives None if it cannot be loaded.

    `sentiment_model` gives the in-process sentiment model (called then too), whose bundled encoder is reused.
    """
    loaded: list[Any] = []

    def get() -> Any | None:
        if not loaded:
            try:
                loaded.append(theme_embedder(config, sentiment_model() if sentiment_model else None))
            except (ImportError, OSError, BrandpulseError) as exc:
                log.warning("emerging themes skipped: cannot load the encoder: %s", exc)
                loaded.append(None)
        return loaded[0]

    return get

