"""Clauses and terms: contrast splitting, Korean tokenisation with kiwipiepy, brand terms removed, lift ranking."""

from __future__ import annotations

import pytest

from models.text.clauses import split_clauses, split_clauses_many
from models.text.korean import guess_lang
from models.text.terms import brand_stop_terms, extract_terms, extract_terms_many, lift, rank_terms_by_lift

BRAND = ["Acme", "#acme", "@acmehelp", "애크미"]


@pytest.mark.parametrize(
    ("text", "clauses"),
    [
        ("Delivery was slow but the product is great", ["Delivery was slow", "but the product is great"]),
        ("Love it. However the app crashes constantly!", ["Love it.", "However the app crashes constantly!"]),
        ("Support is slow; refund still pending", ["Support is slow", "refund still pending"]),
        ("The app is fine lol", ["The app is fine lol"]),
        ("배송은 빠른데 품질이 별로예요", ["배송은 빠른데", "품질이 별로예요"]),
        ("가격은 착하지만 배송이 느려요 ㅠㅠ", ["가격은 착하지만", "배송이 느려요 ㅠㅠ"]),
        ("애크미 배송 진짜 빠르네요 근데 포장이 엉망", ["애크미 배송 진짜 빠르네요", "근데 포장이 엉망"]),
        ("상담원 연결 안됨ㅋㅋ 앱도 먹통", ["상담원 연결 안됨ㅋㅋ", "앱도 먹통"]),
        ("배송 빨라서 너무 좋아요 ㅎㅎ", ["배송 빨라서 너무 좋아요 ㅎㅎ"]),
        ("  ", []),
    ],
)
def test_split_clauses(text: str, clauses: list[str]) -> None:
    assert split_clauses(text) == clauses


def test_clauses_of_many_mentions_are_each_mentions_own_clauses() -> None:
    texts = [
        "  배송은 빠른데 품질이 별로예요 ",
        "Delivery was slow but the product is great",
        "",
        "애크미 배송 진짜 빠르네요 근데 포장이 엉망",
        "late delivery 배송",
        "상담원 연결 안됨ㅋㅋ 앱도 먹통",
    ]
    langs = [None, "en", None, "ko", None, "ko-KR"]
    expected = [split_clauses(text, lang) for text, lang in zip(texts, langs, strict=True)]
    assert split_clauses_many(texts, langs) == expected
    assert expected[0] == ["배송은 빠른데", "품질이 별로예요"] and expected[2] == []
    assert split_clauses_many([], []) == []


def test_guess_lang() -> None:
    assert guess_lang("배송이 늦어요 app") == "ko"
    assert guess_lang("late delivery 배송") == "en"
    assert guess_lang("12345 !!") == "und"
    assert guess_lang("anything", "ko-KR") == "ko"


def test_korean_terms_are_nouns_compounds_and_predicate_lemmas_without_the_brand() -> None:
    assert extract_terms("애크미 배송이 너무 늦어요 근데 제품은 좋아요", "ko", brand_terms=BRAND) == [
        "배송", "늦다", "제품", "좋다",
    ]
    # 고객+센터 written together is one term; "안 돼요" keeps its negation; 앱 is a one-syllable term.
    assert extract_terms("앱 로그인이 계속 안 돼요. 고객센터는 연락도 안 되고", "ko") == [
        "앱", "로그인", "안되다", "고객센터", "연락",
    ]
    # A brand glued to a noun leaves the noun; jamo laughter and links are not terms.
    terms = extract_terms("애크미앱 결제 오류 ㅠㅠ ㅋㅋㅋ https://t.co/x", "ko", brand_terms=BRAND)
    assert terms == ["앱", "결제", "오류"]


def test_english_terms_drop_stop_words_numbers_links_and_brand_terms_and_keep_bigrams() -> None:
    terms = extract_terms("Acme app stuck in a login loop again, can't order anything!! #acme 2 https://x.co/a", "en",
                          brand_terms=BRAND)
    assert terms == ["app", "stuck", "app stuck", "login", "loop", "login loop", "order"]
    assert "acme" not in extract_terms("@acmehelp acme help is slow", brand_terms=BRAND)


def test_terms_of_many_mentions_are_each_mentions_own_terms() -> None:
    texts = [
        "애크미 배송이 너무 늦어요 근데 제품은 좋아요",
        "Acme app stuck in a login loop again, can't order anything!! #acme",
        "앱 로그인이 계속 안 돼요. 고객센터는 연락도 안 되고 @acmehelp",
        "",
        "late delivery 배송",
        "글로벡스 배송 빠르네요",
        "애크미앱 결제 오류 ㅠㅠ ㅋㅋㅋ https://t.co/x",
    ]
    langs = ["ko", "en", None, None, None, "ko-KR", "ko"]
    brands = [BRAND, BRAND, [], BRAND, [], ["글로벡스"], BRAND]
    expected = [extract_terms(t, lang, brand_terms=b) for t, lang, b in zip(texts, langs, brands, strict=True)]
    assert extract_terms_many(texts, langs, brands) == expected
    assert expected[5] == ["배송", "빠르다"] and "결제" in expected[6]  # each text kept its own brand terms
    assert extract_terms_many([], [], []) == []


def test_brand_stop_terms_split_multiword_terms() -> None:
    assert brand_stop_terms(["Acme Help", "#ACME"]) == {"acme help", "acme", "help"}


def test_lift_ranks_terms_over_the_baseline_not_by_raw_frequency() -> None:
    baseline = [["delivery", "app"]] * 50 + [["delivery"]] * 40 + [["login", "loop"]] * 2 + [["price"]] * 8
    selection = [["delivery", "login", "loop"]] * 6 + [["delivery"]] * 4 + [["price"]]
    ranked = rank_terms_by_lift(selection, baseline)
    assert [t.term for t in ranked] == ["login", "loop", "delivery"]  # "price" is seen once: below min_count
    login = ranked[0]
    assert login.mentions == 6 and login.baseline_mentions == 2
    assert login.lift == pytest.approx((6 / 11) / (3 / 101))
    delivery = ranked[-1]
    assert delivery.mentions == 10 and delivery.lift < 1.2  # most frequent, but as usual
    assert lift(0, 0, 5, 10) == 0.0
