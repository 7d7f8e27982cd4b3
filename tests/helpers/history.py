"""Two weeks of scored Acme mentions with topics, terms and re-scored mentions, for the window-query tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from helpers.topics import KeywordEmbedder, KeywordSentiment, small_taxonomy

from flows.steps.topics import score_topics_pending
from models.brands import Brand
from models.mention import BrandMatch, Mention
from models.scores import sentiment_from_probs
from models.text.topics import TopicScorer
from warehouse import Warehouse, load_mentions, load_scores

DAY = datetime(2024, 1, 8, 9, tzinfo=UTC)
NEG = {"negative": 0.8, "neutral": 0.1, "positive": 0.1}
POS = {"negative": 0.1, "neutral": 0.1, "positive": 0.8}
ACME = Brand(name="Acme", terms=["acme", "애크미"])
TEXTS = [
    ("acme login loop again, stuck on login", NEG),
    ("acme package late, courier lost it", NEG),
    ("애크미 배송이 너무 늦어요", NEG),
    ("acme delivery was fast, great courier", POS),
    ("acme refund still missing, support ignores me", NEG),
    ("acme price is cheap, love it", POS),
]


def scored_history(tmp_path: Path, *, rescored: bool = True, version: str = "v1") -> Warehouse:
    """Two weeks of Acme mentions every three hours, topics and terms scored, and some mentions re-scored later.

    Without `rescored` every score comes from the one model `version`.
    """
    wh = Warehouse(tmp_path / "wh.duckdb", lock_timeout_s=5.0)
    mentions, first, second = [], [], []
    for n in range(14 * 8):
        text, probs = TEXTS[n % len(TEXTS)]
        at = DAY - timedelta(days=7) + timedelta(hours=3 * n, minutes=n % 50)
        mention = Mention(
            channel="x" if n % 3 else "reddit",
            id=f"m{n}",
            text=text,
            created_at=at,
            author_handle=f"user{n % 9}",
            author_followers=1000 * (n % 7),
        )
        mentions.append(mention)
        first.append((mention.key, sentiment_from_probs(probs, "m", version)))
        if rescored and n % 4 == 0:  # a newer model flips these: the newest score is the one that counts
            flipped = POS if probs is NEG else NEG
            second.append((mention.key, sentiment_from_probs(flipped, "m", "v2")))
    with wh.write() as con:
        load_mentions(con, mentions, {m.key: [BrandMatch(brand="Acme", terms=("acme",))] for m in mentions}, run_id="r")
        load_scores(con, first)
    if second:
        with wh.write() as con:
            load_scores(con, second)
    score_topics_pending(wh, TopicScorer(small_taxonomy(), KeywordEmbedder(), KeywordSentiment()),
                         brand_terms=["Acme", "애크미"])  # fmt: skip
    return wh


