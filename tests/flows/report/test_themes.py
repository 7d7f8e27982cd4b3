"""The report's emerging themes: unexplained negatives clustered after the read connection closes, text escaped."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
from helpers.report import build_small_warehouse, sentiment_record

from flows.report.render import write_report
from flows.runtime.config import parse_config
from models.mention import BrandMatch, Mention
from warehouse import load_mentions, load_scores

CONFIG = parse_config(
    {
        "warehouse": {"path": "unused.duckdb"},
        "brands": [
            {"name": "Acme", "terms": ["acme"], "competitors": ["Globex"]},
            {"name": "Globex", "terms": ["globex"]},
        ],
    }
)
EVIL_TERM = "<b>login</b>"
EVIL_TEXT = "<script>alert(1)</script> login loop again"


class SameEmbedder:
    """Every text gets the same vector: the unexplained negatives form one theme."""

    def __init__(self) -> None:
        self.calls = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        return np.ones((len(texts), 4))


def _report(tmp_path: Path, *, unexplained: int, embedder: object) -> str:
    warehouse = build_small_warehouse(tmp_path / "small.duckdb")
    mentions = [
        Mention(
            channel="x",
            id=f"t{n}",
            text=f"{EVIL_TEXT} #{n}",
            created_at=datetime(2026, 11, 11, 12 + n, tzinfo=UTC),
            url=f"https://example.com/x/t{n}",
            lang="en",
            kind="post",
        )
        for n in range(unexplained)
    ]
    with warehouse.write() as con:
        load_mentions(con, mentions, {m.key: [BrandMatch(brand="Acme", terms=("acme",))] for m in mentions}, run_id="t")
        load_scores(con, [(m.key, sentiment_record("negative", -0.7)) for m in mentions])
        for m in mentions:
            con.execute(
                "INSERT INTO topic_scans VALUES (?, ?, 't1', 0, 0.1, '2026-11-12 00:00:00+00')", [m.channel, m.id]
            )
            con.executemany(
                "INSERT INTO mention_terms (channel, id, lang, term) VALUES (?, ?, 'en', ?)",
                [(m.channel, m.id, term) for term in (EVIL_TERM, "loop & co")],
            )
    result = write_report(
        warehouse, CONFIG, tmp_path / "report.html", start=date(2026, 11, 10), end=date(2026, 11, 11),
        now=datetime(2026, 11, 12, 8, tzinfo=UTC), embedder=embedder,
    )
    return result.path.read_text(encoding="utf-8")


def _section(page: str) -> str:
    return page.split('<section id="themes">', 1)[1].split("</section>", 1)[0]


def test_themes_section_shows_labels_counts_and_examples_escaped(tmp_path: Path) -> None:
    embedder = SameEmbedder()
    section = _section(_report(tmp_path, unexplained=4, embedder=embedder))
    assert embedder.calls == 1
    assert "Emerging themes" in section
    assert "&lt;b&gt;login&lt;/b&gt;" in section and "loop &amp; co" in section  # the label, escaped
    assert "<b>" not in section and "<script>" not in section
    assert '<td class="num">4</td>' in section
    assert section.count("&lt;script&gt;alert(1)&lt;/script&gt; login loop again") == 2  # two examples


def test_without_unexplained_negatives_a_note_and_no_encoder(tmp_path: Path) -> None:
    embedder = SameEmbedder()
    section = _section(_report(tmp_path, unexplained=2, embedder=embedder))
    assert embedder.calls == 0
    assert "No emerging themes" in section and "<table>" not in section
