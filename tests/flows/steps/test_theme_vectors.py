"""Stored per-mention vectors: the topic step keeps its embeddings, themes read them instead of loading an encoder,
and the clusters equal those of encoding now (with a tiny transformer built in the test)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pytest
from helpers.topics import KeywordEmbedder, KeywordSentiment, small_taxonomy

from flows.runtime.config import parse_config
from flows.steps.topics import (
    ThemeEncoder,
    find_emerging_themes,
    lazy_theme_embedder,
    score_topics_pending,
    themes_of_rows,
)
from models.mention import BrandMatch, Mention
from models.scores import sentiment_from_probs
from models.text.embedders import FolderEncoder, encoder_id, vector_tag
from models.text.themes import SIMILARITY, similarity_for
from models.text.topics import TopicScorer
from warehouse import Warehouse, load_mentions, load_scores
from warehouse.retention import drop_text_before
from warehouse.topics import stored_embeddings, unexplained_negatives

DAY = datetime(2026, 11, 9, 9, tzinfo=UTC)
NEG = {"negative": 0.8, "neutral": 0.1, "positive": 0.1}
# Words of the tiny model's vocabulary (tests/helpers/tiny_model.py), so its vectors differ between groups.
TEXTS = ["acme app broken broken", "the acme app is broken", "acme refund late late", "refund late the acme order",
         "acme worst store today", "the worst store acme", "acme terrible update", "globex love great"]  # fmt: skip


def _store(warehouse: Warehouse, count: int = 24, start: int = 0) -> None:
    mentions = [
        Mention(channel="x", id=f"m{n}", text=TEXTS[n % len(TEXTS)] + f" {n}", created_at=DAY + timedelta(hours=n))
        for n in range(start, start + count)
    ]
    with warehouse.write() as con:
        load_mentions(con, mentions, {m.key: [BrandMatch(brand="Acme", terms=("acme",))] for m in mentions}, run_id="r")
        load_scores(con, [(m.key, sentiment_from_probs(NEG, "m", "s1")) for m in mentions])


def _boom() -> None:
    raise AssertionError("the encoder was loaded although every vector is stored")


@pytest.fixture
def config(tiny_model_dir: Path) -> object:
    return parse_config({"warehouse": {"path": "unused.duckdb"}, "model": {"encoder": str(tiny_model_dir)},
                         "brands": [{"name": "Acme", "terms": ["acme"]}]})  # fmt: skip


@pytest.fixture
def tiny_scorer(tiny_model_dir: Path) -> TopicScorer:
    folder = encoder_id(str(tiny_model_dir))
    return TopicScorer(small_taxonomy(), FolderEncoder(tiny_model_dir), KeywordSentiment(), encoder_id=folder)


def _themes(warehouse: Warehouse, encoder: object) -> list[tuple[str, int, list[tuple[str, str]]]]:
    found = find_emerging_themes(warehouse, encoder, "Acme", DAY, DAY + timedelta(days=3))
    return [(theme.label, theme.size, sorted(theme.keys)) for theme, _ in found]


def test_the_topic_step_stores_one_tagged_vector_per_mention_once(tmp_path: Path, tiny_scorer: TopicScorer) -> None:
    warehouse = Warehouse(tmp_path / "wh.duckdb", lock_timeout_s=5.0)
    _store(warehouse)
    assert score_topics_pending(warehouse, tiny_scorer, chunk=5) == 24
    assert score_topics_pending(warehouse, tiny_scorer) == 0
    tag = vector_tag(tiny_scorer.encoder_id)
    with warehouse.read() as con:
        rows = con.execute("SELECT embedder, count(*), min(octet_length(vec)) FROM mention_embeddings GROUP BY 1")
        assert rows.fetchall() == [(tag, 24, 32)]  # the tiny model's 16 dimensions, two bytes each
        keys = [("x", f"m{n}") for n in range(24)]
        stored = stored_embeddings(con, keys, tag)
        assert stored_embeddings(con, keys, "e5:another") == {}  # vectors of another encoder never mix in
    fresh = tiny_scorer.embedder.embed([TEXTS[n % len(TEXTS)] + f" {n}" for n in range(24)])
    decoded = np.stack([stored[key] for key in keys])
    cosines = (decoded * fresh).sum(axis=1) / np.linalg.norm(decoded, axis=1) / np.linalg.norm(fresh, axis=1)
    assert cosines.min() > 0.99999


def test_themes_from_stored_vectors_equal_themes_encoded_now(
    tmp_path: Path, tiny_scorer: TopicScorer, config: object, tiny_model_dir: Path
) -> None:
    warehouse = Warehouse(tmp_path / "wh.duckdb", lock_timeout_s=5.0)
    _store(warehouse)
    score_topics_pending(warehouse, tiny_scorer)
    encoded_now = _themes(warehouse, FolderEncoder(tiny_model_dir))  # no tag: every text is encoded
    lazy = lazy_theme_embedder(config)  # type: ignore[arg-type]
    assert lazy.tag == vector_tag(tiny_scorer.encoder_id)
    from_store = _themes(warehouse, lazy)
    assert encoded_now and from_store == encoded_now
    assert lazy.encoded == 0 and _themes(warehouse, ThemeEncoder(_boom, lazy.tag)) == encoded_now


def test_only_mentions_without_a_stored_vector_are_encoded(
    tmp_path: Path, tiny_scorer: TopicScorer, tiny_model_dir: Path
) -> None:
    warehouse = Warehouse(tmp_path / "wh.duckdb", lock_timeout_s=5.0)
    _store(warehouse, 16)
    score_topics_pending(warehouse, tiny_scorer)
    with warehouse.write() as con:  # as in a warehouse scored before vectors were stored
        rows = unexplained_negatives(con, "Acme", DAY, DAY + timedelta(days=3))
        assert len(rows) > 3
        con.execute("DELETE FROM mention_embeddings WHERE list_contains(?, id)", [[i for _, i, *_ in rows[:3]]])
    tag = vector_tag(tiny_scorer.encoder_id)
    mixed = ThemeEncoder(lambda: FolderEncoder(tiny_model_dir), tag)
    assert _themes(warehouse, mixed) == _themes(warehouse, FolderEncoder(tiny_model_dir))
    assert mixed.encoded == 3


def test_an_encoder_that_cannot_load_is_only_a_problem_without_stored_vectors(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path / "wh.duckdb", lock_timeout_s=5.0)
    _store(warehouse, 8)
    score_topics_pending(warehouse, TopicScorer(small_taxonomy(), KeywordEmbedder(), KeywordSentiment()))

    def missing() -> None:
        raise OSError("no such folder")

    with warehouse.read() as con:
        rows = unexplained_negatives(con, "Acme", DAY, DAY + timedelta(days=1))
        with_tag = ThemeEncoder(missing, vector_tag("e5"))
        stored = with_tag.stored(con, rows)
    assert len(stored) == len(rows) >= 3
    assert themes_of_rows(with_tag, rows, [], stored=stored, threshold=0.5) is not None
    assert themes_of_rows(ThemeEncoder(missing), rows, [], threshold=0.5) is None  # nothing stored: no themes


def test_edits_and_retention_drop_the_vectors_of_old_text(tmp_path: Path, tiny_scorer: TopicScorer) -> None:
    warehouse = Warehouse(tmp_path / "wh.duckdb", lock_timeout_s=5.0)
    _store(warehouse, 6)
    score_topics_pending(warehouse, tiny_scorer)
    edited = Mention(channel="x", id="m5", text="acme app great now", created_at=DAY + timedelta(hours=5))
    with warehouse.write() as con:
        assert load_mentions(con, [edited], run_id="r2").edited == 1
        assert _vector_ids(con) == ["m0", "m1", "m2", "m3", "m4"]
    assert score_topics_pending(warehouse, tiny_scorer) == 1  # the new text is pending again, with its vector
    with warehouse.write() as con:
        assert _vector_ids(con) == ["m0", "m1", "m2", "m3", "m4", "m5"]
        drop_text_before(con, DAY + timedelta(hours=2))
        assert _vector_ids(con) == ["m2", "m3", "m4", "m5"]


def _vector_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [i for (i,) in con.execute("SELECT id FROM mention_embeddings ORDER BY id").fetchall()]


def test_the_threshold_follows_the_encoder_family() -> None:
    assert similarity_for(vector_tag("e5")) == SIMILARITY == ThemeEncoder(_boom, vector_tag("e5")).threshold
    assert similarity_for(None) == SIMILARITY
