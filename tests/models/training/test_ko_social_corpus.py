"""The generated Korean social corpus: deterministic, balanced, unique, every kind, and style is not the label."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from models.training import ko_social_corpus as corpus
from models.training.ko_social_corpus import KINDS, LABELS, SocialPost, generate, josa, main


@pytest.fixture(scope="module")
def posts() -> list[SocialPost]:
    """A small corpus shared by the tests below."""
    return generate(600, seed=7)


def test_deterministic_for_a_seed_and_different_for_another() -> None:
    first = generate(200, seed=11)
    assert first == generate(200, seed=11)
    assert [p.text for p in first] != [p.text for p in generate(200, seed=12)]


def test_exact_balance_and_valid_labels(posts: list[SocialPost]) -> None:
    assert Counter(p.label for p in posts) == dict.fromkeys(LABELS, 600)
    assert all(p.kind in KINDS[p.label] for p in posts)


def test_texts_are_unique_and_clean(posts: list[SocialPost]) -> None:
    texts = [p.text for p in posts]
    assert len(set(texts)) == len(texts)
    assert not any("\t" in t or "\n" in t or t != t.strip() or not t for t in texts)
    assert not any("{" in t or "}" in t for t in texts), "an unfilled slot"
    assert not any(re.search(r"애크미|acme", t, re.IGNORECASE) for t in texts)


def test_every_kind_present_per_class(posts: list[SocialPost]) -> None:
    present = {(p.label, p.kind) for p in posts}
    assert present == {(label, kind) for label in LABELS for kind in KINDS[label]}


def test_questions_in_neutral_and_negative(posts: list[SocialPost]) -> None:
    """Question form is not the label: neutral questions and negative complaint-questions both end in '?'."""
    assert sum(p.text.endswith("?") for p in posts if (p.label, p.kind) == ("neutral", "question")) >= 20
    assert sum(p.text.endswith("?") for p in posts if (p.label, p.kind) == ("negative", "complaint_question")) >= 20
    assert any("?" in p.text for p in posts if p.label == "positive")


def test_register_transforms_occur(posts: list[SocialPost]) -> None:
    glued = [p for p in posts if re.search(r"[가-힣]{14,}", p.text)]
    assert {p.label for p in glued} == set(LABELS), "붙여쓰기 in every class"
    assert any("ㅋㅋ" in p.text for p in posts if p.label == "neutral")
    assert any(re.search(r"[래대](요|여)?\b", p.text) for p in posts if p.label == "negative"), "hearsay in negative"
    for label in LABELS:
        texts = [p.text for p in posts if p.label == label]
        assert any(t.startswith("@") for t in texts) and any("#" in t for t in texts)
        assert any("https://" in t for t in texts)
        assert any(re.search(r"(했|됐|있|없)음\b", t) for t in texts), "음슴체"
        assert any(re.search(r"여(\?|\b)", t) for t in texts), "~여 endings"


def test_space_holds_fifteen_thousand_per_class() -> None:
    assert Counter(p.label for p in generate(15000)) == dict.fromkeys(LABELS, 15000)


def test_post_is_frozen() -> None:
    post = SocialPost("배송 보통 며칠 걸려요?", "neutral", "question")
    with pytest.raises(dataclasses.FrozenInstanceError):
        post.label = "negative"  # type: ignore[misc]


def test_every_frame_has_a_sector_and_known_groups() -> None:
    table = corpus._compatible()
    for kind, frames in corpus.FRAMES.items():
        assert len(table[kind]) == len(frames), kind
        for frame in frames:
            if ">" in frame:
                for token in frame.split(">", 1)[0].split(","):
                    assert token in corpus.GROUPS or token in corpus.SECTOR_BY_NAME, frame


@pytest.mark.parametrize(
    ("word", "particle", "expected"),
    [
        ("패딩", "이래", "이래"), ("에어프라이어", "을", "를"), ("서울", "으로", "로"), ("부산", "으로", "으로"),
        ("Skyline Mobile", "은", "은"), ("Lumo", "이", "가"), ("1588-1234", "으로", "로"),
        ("12,900원", "이에요", "이에요"),
    ],
)
def test_josa(word: str, particle: str, expected: str) -> None:
    assert josa(word, particle) == expected


@pytest.mark.parametrize(
    ("transform", "text", "expected"),
    [
        (corpus._banmal, "배송 언제 오나요?", "배송 언제 오나?"),
        (corpus._banmal, "예전으로 돌려주세요", "예전으로 돌려줘"),
        (corpus._banmal, "필요 없어요", "필요 없어"),
        (corpus._eum, "어제 주문했어요", "어제 주문했음"),
        (corpus._eum, "점검 안내드립니다", "점검 안내드림"),
        (corpus._yeo, "도착 예정이래요", "도착 예정이래여"),
    ],
)
def test_registers(transform: Callable[[str], str], text: str, expected: str) -> None:
    assert transform(text) == expected


def test_cli_writes_tsv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ko_social.tsv"
    assert main(["--per-class", "40", "--seed", "3", "--out", str(out)]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "label\tkind\ttext"
    rows = [line.split("\t") for line in lines[1:]]
    assert len(rows) == 120 and all(len(r) == 3 for r in rows)
    assert Counter(r[0] for r in rows) == dict.fromkeys(LABELS, 40)
    assert "complaint_question" in capsys.readouterr().out
