"""The hand-labelled topic evaluation sets in tests/data: present, well-formed, parallel, covering the CX taxonomy."""

from __future__ import annotations

import json

from models.text.taxonomy import load_taxonomy
from models.training.eval_topics import DEFAULT_FILES, read_examples

SENTIMENTS = {"negative", "neutral", "positive"}


def test_the_english_and_korean_sets_exist_parse_and_are_parallel() -> None:
    en_path, ko_path = DEFAULT_FILES
    rows = {}
    for lang, path in (("en", en_path), ("ko", ko_path)):
        assert path.is_file(), f"{path} is missing (is tests/data ignored by git?)"
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        rows[lang] = [json.loads(line) for line in lines]
        assert [r["id"] for r in rows[lang]] == [f"{lang}-{n:03d}" for n in range(1, len(lines) + 1)]
        assert all(r["lang"] == lang and r["text"].strip() for r in rows[lang])
    assert len(rows["en"]) == len(rows["ko"])
    # Row n is the same situation in both languages: same topics, same sentiments.
    assert [r["topics"] for r in rows["en"]] == [r["topics"] for r in rows["ko"]]


def test_labels_are_cx_topics_and_both_halves_cover_every_topic() -> None:
    names = set(load_taxonomy("cx").names)
    examples = read_examples(DEFAULT_FILES)
    for example in examples:
        assert set(example.topics) <= names, example.id
        assert set(example.topics.values()) <= SENTIMENTS, example.id
    for lang in ("en", "ko"):
        subset = [e for e in examples if e.lang == lang]
        for calibration in (True, False):
            half = [e for e in subset if e.calibration is calibration]
            covered = {t for e in half for t in e.topics}
            assert covered == names, (lang, calibration, names - covered)
            assert any(not e.topics for e in half), "each half needs mentions about no topic"
