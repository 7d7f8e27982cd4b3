"""Alert messages of a brand built together: the same context as one at a time, themes from a bounded sample."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from helpers.history import ACME, DAY, scored_history
from helpers.topics import KeywordEmbedder

from flows.alerts import enqueue
from flows.alerts.enqueue import build_context, build_contexts
from models.alerts.episodes import Episode
from warehouse import Warehouse


def episode(start_hours: int, hours: int) -> Episode:
    start = DAY + timedelta(hours=start_hours)
    return Episode("Acme", "negative_volume", start, start + timedelta(hours=hours), 10, 2.0, 5.0, 1e-6, start)


EPISODES = [episode(-168, 330), episode(0, 30), episode(48, 30)]


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    return scored_history(tmp_path)


def test_contexts_built_together_equal_contexts_built_one_by_one(warehouse: Warehouse) -> None:
    together_encoder, single_encoder = KeywordEmbedder(), KeywordEmbedder()
    with warehouse.read() as con:
        together = build_contexts(con, ACME, EPISODES, theme_embedder=lambda: together_encoder)
        single = [build_context(con, ACME, e, theme_embedder=lambda: single_encoder) for e in EPISODES]
    assert together == single
    assert all(c.examples for c in together) and any(c.top_terms for c in together)
    assert any(c.themes for c in together)  # the login-loop complaints fit no topic: a theme
    assert together_encoder.calls == single_encoder.calls


def test_themes_embed_a_capped_sample_and_skip_resolved_notes(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(enqueue, "MAX_THEME_ROWS", 4)
    encoder = KeywordEmbedder()
    asked: list[int] = []

    def embedder() -> KeywordEmbedder:
        asked.append(1)
        return encoder

    wide = [episode(-168, 330), episode(-60, 100), episode(-150, 300)]
    with warehouse.read() as con:
        build_contexts(con, ACME, wide, theme_embedder=embedder, with_themes=[True, True, False])
        assert asked == [1] and 0 < sum(encoder.calls) <= 2 * 4  # at most the cap per window, whatever its size
        notes = build_contexts(con, ACME, wide, theme_embedder=embedder, with_themes=[False] * 3)
    assert asked == [1] and all(c.themes == [] for c in notes)  # resolved notes: no encoder, no themes


def test_overlapping_episodes_embed_each_text_once(warehouse: Warehouse) -> None:
    encoder = KeywordEmbedder()
    wide = [episode(-168, 330), episode(-160, 300)]
    with warehouse.read() as con:
        contexts = build_contexts(con, ACME, wide, theme_embedder=lambda: encoder)
        alone = build_contexts(con, ACME, wide[1:], theme_embedder=KeywordEmbedder)
    assert contexts[1] == alone[0]  # the shared vectors give the same themes
    assert len(encoder.calls) == 1  # the second window's texts were all in the first: nothing embedded twice


def test_alert_themes_come_from_the_stored_vectors_without_an_encoder(warehouse: Warehouse) -> None:
    from flows.steps.topics import ThemeEncoder
    from models.text.embedders import vector_tag

    def no_encoder() -> None:
        raise AssertionError("the encoder was loaded although the topic step stored every vector")

    stored = ThemeEncoder(no_encoder, vector_tag("e5"))  # the tag the history's topic scorer stored them under
    with warehouse.read() as con:
        from_store = build_contexts(con, ACME, EPISODES, theme_embedder=stored)
        encoded = build_contexts(con, ACME, EPISODES, theme_embedder=KeywordEmbedder)
    assert any(c.themes for c in from_store) and from_store == encoded
    assert stored.encoded == 0
