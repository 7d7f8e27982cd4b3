"""Emerging themes: a synthetic burst of one new complaint clusters and is named by its lift-ranked terms."""

from __future__ import annotations

import numpy as np

from models.text.themes import communities, emerging_themes


def burst(seed: int = 3) -> tuple[np.ndarray, list[list[str]]]:
    """8 'login loop' complaints around one direction, 4 about a broken lid around another, 6 unrelated one-offs."""
    rng = np.random.default_rng(seed)
    login, lid = rng.normal(size=32), rng.normal(size=32)
    rows, terms = [], []
    for _ in range(8):
        rows.append(login + 0.15 * rng.normal(size=32))
        terms.append(["app", "login", "loop", "login loop", rng.choice(["again", "stuck", "phone"])])
    for _ in range(4):
        rows.append(lid + 0.15 * rng.normal(size=32))
        terms.append(["lid", "broken", "broken lid"])
    for i in range(6):
        rows.append(rng.normal(size=32))
        terms.append([f"word{i}", "app"])
    return np.array(rows), terms


def test_communities_find_the_burst_and_leave_one_offs_out() -> None:
    embeddings, _ = burst()
    clusters = communities(embeddings, threshold=0.9, min_size=3)
    assert [sorted(c) for c in clusters] == [list(range(8)), list(range(8, 12))]
    assert communities(np.zeros((0, 4))) == []


def test_themes_are_labelled_by_terms_ranked_by_lift() -> None:
    embeddings, terms = burst()
    baseline = terms + [["app", "delivery"]] * 40  # "app" is everywhere in the brand's usual talk
    keys = [("x", str(i)) for i in range(len(terms))]
    themes = emerging_themes(embeddings, terms, baseline, keys=keys, threshold=0.9)
    assert [t.size for t in themes] == [8, 4]
    first = themes[0]
    assert first.label.startswith("login loop")  # the bigram wins over its words, and "app" is no news
    assert "app" not in first.terms and "login" not in first.terms
    assert first.keys[:2] == [("x", str(first.members[0])), ("x", str(first.members[1]))]
    assert themes[1].terms[0] == "broken lid"
