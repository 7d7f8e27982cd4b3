"""Brand matching: case, width and Hangul normalisation, word boundaries, Korean particles, exclusions."""

from __future__ import annotations

import unicodedata

import pytest

from models.brands import Brand, BrandMatcher

MATCHER = BrandMatcher.from_brands(
    [
        Brand(name="Acme", terms=["acme", "#acme", "@acmehelp", "애크미"], exclude=["acme anvil"]),
        Brand(name="Globex", terms=["globex", "글로벡스"]),
    ]
)


def brands(text: str) -> list[str]:
    return [match.brand for match in MATCHER.match(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I love ACME!", ["Acme"]),
        ("ＡＣＭＥ delivery was late", ["Acme"]),  # full-width letters
        ("애크미가 최고ㅋㅋ", ["Acme"]),  # particle after a Hangul term
        (unicodedata.normalize("NFD", "애크미 배송"), ["Acme"]),  # decomposed Hangul
        ("#acme rocks", ["Acme"]),
        ("#Globex deals today", ["Globex"]),  # a hashtag of a plain term
        ("오늘도#애크미 배송 굿", ["Acme"]),
        ("진짜애크미 최고", ["Acme"]),  # a missing space before a Hangul term
        ("어제 Acme에서 주문함", ["Acme"]),  # a particle after a Latin term
        ("진짜Globex 직원 불친절", ["Globex"]),
        ("acmeㅋㅋ 최고", ["Acme"]),  # laughter jamo right after a Latin term (NFKC makes them conjoining jamo)
        ("acme2 is a different thing", []),
        ("ping @acmehelp please", ["Acme"]),
        ("acmeology is not a brand", []),
        ("myacme", []),
        ("the acme anvil fell", []),  # excluded phrase
        ("acme anvil, and the acme app crashed", ["Acme"]),  # exclusion removes only its own phrase
        ("Globex vs 애크미 which is better", ["Acme", "Globex"]),
    ],
)
def test_matching(text: str, expected: list[str]) -> None:
    assert brands(text) == expected


def test_records_which_terms_matched() -> None:
    [match] = MATCHER.match("#acme and acme and 애크미는")
    assert match.terms == ("acme", "#acme", "애크미")
    [handle] = MATCHER.match("thanks @acmehelp")
    assert handle.terms == ("@acmehelp",)  # "acme" inside a longer handle is not a word match


def test_explicit_brand_assignment_is_case_insensitive() -> None:
    match = MATCHER.named(" globex ")
    assert match is not None and match.brand == "Globex"
    assert MATCHER.named("Initech") is None
