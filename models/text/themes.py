"""Emerging themes: cluster recent negative mentions no topic explains, and name each cluster by its top terms.

A new complaint ("app login loop") shows up here before anyone adds it to the taxonomy. Clustering is the
community detection used for sentence embeddings (as in sentence-transformers' `community_detection`): the mention
with the most neighbours above a similarity threshold seeds a cluster of those neighbours, which are then taken out,
and so on. It is deterministic, needs no number of clusters, and leaves one-off complaints unclustered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from models.text.terms import TermTally, rank_terms_by_lift

# Neighbours: cosine similarity of e5 embeddings (their cosines sit high: 0.9 means "about the same thing").
SIMILARITY = 0.90
# The neighbour threshold belongs to the embedding space: per encoder family (a vector tag's part before ':').
# Other encoders are not calibrated yet and use the e5 value.
SIMILARITY_BY_ENCODER = {"e5": SIMILARITY}
MIN_SIZE = 3
LABEL_TERMS = 3


@dataclass(frozen=True)
class Theme:
    """One emerging theme: its label (top terms), size, the mentions in it, and the most central one."""

    label: str
    terms: list[str]
    size: int
    members: list[int]
    example: int
    keys: list[tuple[str, str]] = field(default_factory=list)


def similarity_for(tag: str | None) -> float:
    """The neighbour threshold for vectors of this tag (`models.text.embedders.vector_tag`)."""
    family = (tag or "").split(":", 1)[0]
    return SIMILARITY_BY_ENCODER.get(family, SIMILARITY)


def communities(embeddings: np.ndarray, *, threshold: float = SIMILARITY, min_size: int = MIN_SIZE) -> list[list[int]]:
    """Clusters (lists of row indices, the seed first) of rows with at least `min_size` members, largest first."""
    n = len(embeddings)
    if n == 0:
        return []
    vectors = np.asarray(embeddings, dtype=np.float64)
    vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True).clip(min=1e-12)
    similar = vectors @ vectors.T >= threshold
    free = np.ones(n, dtype=bool)
    clusters: list[list[int]] = []
    while True:
        degree = (similar & free[None, :]).sum(axis=1) * free
        seed = int(np.argmax(degree))
        if degree[seed] < min_size:
            break
        members = [seed] + [int(i) for i in np.flatnonzero(similar[seed] & free) if i != seed]
        clusters.append(members)
        free[members] = False
    return clusters


def emerging_themes(
    embeddings: np.ndarray,
    terms: Sequence[Sequence[str]],
    baseline_terms: Sequence[Sequence[str]] | TermTally,
    *,
    keys: Sequence[tuple[str, str]] | None = None,
    threshold: float = SIMILARITY,
    min_size: int = MIN_SIZE,
) -> list[Theme]:
    """Cluster the given (already filtered) mentions and label each cluster with its terms ranked by lift.

    `baseline_terms` is per-mention term lists or their `TermTally` (counted in SQL: the history stays in DuckDB).
    """
    themes: list[Theme] = []
    for members in communities(embeddings, threshold=threshold, min_size=min_size):
        ranked = rank_terms_by_lift([terms[i] for i in members], baseline_terms, min_count=2, limit=LABEL_TERMS * 2)
        # A bigram says more than its words: drop a word already inside a chosen bigram ("login loop" over "login").
        in_bigrams = {word for item in ranked if " " in item.term for word in item.term.split()}
        labels = [item.term for item in ranked if " " in item.term or item.term not in in_bigrams][:LABEL_TERMS]
        themes.append(
            Theme(
                label=" / ".join(labels) if labels else "(no shared terms)",
                terms=labels,
                size=len(members),
                members=members,
                example=members[0],
                keys=[keys[i] for i in members] if keys is not None else [],
            )
        )
    return themes
