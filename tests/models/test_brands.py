"""Brand matching: case, width and Hangul normalisation, word boundaries, Korean particles, exclusions."""

from __future__ import annotations

import re
import unicodedata

import pytest

from models.brands import Brand, BrandMatcher, parse_owned
from models.mention import Mention

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


@pytest.mark.parametrize(
    ("entry", "channel", "handle", "author_id"),
    [
        ("@AcmeHelp", None, "acmehelp", None),
        ("x:@acmehelp", "x", "acmehelp", None),
        ("x:1102938475610293847", "x", None, "1102938475610293847"),
        ("youtube:UC" + "a1_-" * 5 + "bc", "youtube", None, "UC" + "a1_-" * 5 + "bc"),
        ("reddit:Acme_Support", "reddit", "acme_support", "Acme_Support"),
        ("reddit:t2_4kq9xw1z", "reddit", "t2_4kq9xw1z", "t2_4kq9xw1z"),
        ("naver:acme_official", "naver", "acme_official", "acme_official"),
        ("@acme@mastodon.social", None, "acme@mastodon.social", None),
        (" Bluesky:@acme.bsky.social ", "bluesky", "acme.bsky.social", None),
    ],
)
def test_owned_entries_parse(entry: str, channel: str | None, handle: str | None, author_id: str | None) -> None:
    account = parse_owned(entry)
    assert (account.channel, account.handle, account.author_id) == (channel, handle, author_id)


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ("", "neither @handle nor channel:account"),
        ("acmehelp", "neither @handle nor channel:account"),
        ("@", "is not a handle"),
        ("@acme help", "is not a handle"),
        ("x:", "neither @handle nor channel:account"),
        ("x:acmehelp", "x takes a numeric user id"),
        ("youtube:UCshort", "UC + 22 characters"),
        ("youtube:@", "is not a handle"),
        ("X Corp:123", "is not a channel name"),
        ("reddit:ab", "reddit takes a username"),
    ],
)
def test_bad_owned_entries_say_what_is_wrong(entry: str, says: str) -> None:
    with pytest.raises(ValueError, match=re.escape(says)):
        parse_owned(entry)
    with pytest.raises(ValueError, match=rf"brand 'Acme', owned entry 2: .*{re.escape(says)}"):
        Brand(name="Acme", terms=["acme"], owned=["@acmehelp", entry])


def test_a_post_by_an_owned_account_belongs_to_its_brand_even_unnamed() -> None:
    matcher = BrandMatcher.from_brands(
        [
            Brand(name="Acme", terms=["acme"], owned=["@acmehelp", "reddit:acme_support"]),
            Brand(name="Globex", terms=["globex"], owned=["youtube:UC" + "x" * 22]),
        ]
    )

    def owner(channel: str, text: str, **author: str) -> list[tuple[str, tuple[str, ...]]]:
        post = Mention(channel=channel, id="1", text=text, created_at="2026-11-19T10:00:00Z", **author)
        return [(m.brand, m.terms) for m in matcher.match_mention(post)]

    assert owner("x", "Sorry, please DM us", author_handle="@AcmeHelp") == [("Acme", ())]
    assert owner("x", "acme is back up", author_handle="acmehelp") == [("Acme", ("acme",))]  # named: kept once
    assert owner("x", "globex is down too", author_handle="acmehelp") == [("Globex", ("globex",)), ("Acme", ())]
    assert owner("reddit", "refund sent", author_handle="acme_support") == [("Acme", ())]
    assert owner("x", "refund sent", author_handle="acme_support") == []  # that handle is owned on Reddit only
    assert owner("youtube", "fixed in 2.1", author_id="UC" + "x" * 22, author_handle="Globex") == [("Globex", ())]
    assert owner("x", "Sorry, please DM us", author_handle="acmehelp2") == []
