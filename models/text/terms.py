"""Terms of a mention (Korean nouns and predicates via kiwipiepy, English words and bigrams) and lift ranking."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from models.text.korean import guess_lang, kiwi

_EN_WORDS = """
a about above after again against all almost also am an and any are aren as at away back be because been before
being below between both but by can cannot could couldn did didn do does doesn doing don done down during each
else even ever every few for from further get gets getting got gonna had hadn has hasn have haven having he her
here hers herself him himself his how however i id if im in into is isn it its itself ive just ll lol lmao me
more most much must my myself no nor not now of off on once one only or other our ours out over own pls please
re really same she should shouldn so some still such than that thats the their theirs them then there these
they this those though through thru to too u under until up us ve very via was wasn way we were weren what
when where which while who whom why will with won would wouldn yet you your yours yourself amp rt http https www
com co t s d m oh ok okay yeah yes hey hi guys anyone anybody someone something thing things today yesterday
tomorrow day days week weeks time times also literally actually cant wont dont didnt doesnt isnt wasnt arent
anything everything nothing anyone everyone thanks thank
"""
_EN_STOP = frozenset(_EN_WORDS.split())
# Korean nouns that carry no topic on their own (kiwi already drops particles, endings and dependent nouns).
_KO_WORDS = """
것 거 수 때 등 중 좀 더 진짜 정말 너무 완전 그냥 오늘 어제 내일 지금 이번 요즘 이거 그거 저거 여기 거기 우리 저희 사람
정도 생각 경우 이유 하나 처음 이제 다음 자체 부분 이상 이하 동안 번 개 분 전 후 말 얘기 제 내 나 너 님 분들 데
하다 되다 있다 없다 같다 이다 아니다 보다 주다 싶다 않다 받다 오다 가다 알다 모르다 그렇다 이렇다 어떻다 말다
"""
_KO_STOP = frozenset(_KO_WORDS.split())
_KO_NOUN_TAGS = frozenset({"NNG", "NNP", "XR"})
_KO_PREDICATE_TAGS = frozenset({"VV", "VA"})
_KO_NEGATION = frozenset({"안", "못"})
_EN_WORD = re.compile(r"[a-z][a-z0-9]*(?:['’+-][a-z0-9]+)*")
_URL = re.compile(r"(?:https?://|www\.)\S+|[@#]\w+", re.I)
_LATIN_TOKEN = re.compile(r"^[a-z][a-z0-9+-]*$")
_JAMO_ONLY = re.compile(r"^[\u1100-\u11ff\u3130-\u318f]+$")


def normalise_term(term: str) -> str:
    """NFKC + case folding + leading #/@ removed: how brand terms and mention terms are compared."""
    return unicodedata.normalize("NFKC", term).casefold().lstrip("#@").strip()


def brand_stop_terms(brand_terms: Iterable[str]) -> frozenset[str]:
    """Normalised brand terms and each of their words: 'acme help' removes 'acme help', 'acme' and 'help'."""
    out: set[str] = set()
    for term in brand_terms:
        norm = normalise_term(term)
        if norm:
            out.add(norm)
            out.update(word.lstrip("#@") for word in norm.split() if word)
    return frozenset(out)


def english_terms(text: str, drop: frozenset[str] = frozenset()) -> list[str]:
    """Lower-cased content words (stop words, numbers and 1-letter words out) and bigrams of adjacent ones."""
    cleaned = _URL.sub(" | ", unicodedata.normalize("NFKC", text).casefold().replace("’", "'"))
    terms: list[str] = []
    previous: str | None = None
    # A stop word or punctuation between two words breaks a bigram: "late but cheap" gives no "late cheap".
    for chunk in re.split(r"[.,!?;:()\[\]\"/|…]+", cleaned):
        previous = None
        for raw in _EN_WORD.findall(chunk):
            word = raw.replace("'s", "").replace("'", "")
            if len(word) < 2 or word in _EN_STOP or word in drop or word.isdigit():
                previous = None
                continue
            terms.append(word)
            if previous is not None:
                terms.append(f"{previous} {word}")
            previous = word
    return list(dict.fromkeys(terms))


def korean_terms(text: str, drop: frozenset[str] = frozenset(), *, analyser: Any = None) -> list[str]:
    """Nouns (adjacent ones joined: 고객+센터 → 고객센터), predicates as lemmas (늦다, 안되다), Latin words."""
    # NFC, not NFKC: NFKC turns compatibility jamo (ㅠㅠ) into conjoining jamo that kiwi reads as letters.
    cleaned = _URL.sub(" ", unicodedata.normalize("NFC", text))
    tokens = (analyser or kiwi()).tokenize(cleaned)
    terms: list[str] = []
    compound: list[Any] = []

    def flush() -> None:
        # A brand glued to a noun (애크미앱) leaves the noun; a lone syllable noun (앱, 맛, 값) is a term.
        noun = "".join(t.form for t in compound if normalise_term(t.form) not in drop)
        if noun and noun not in _KO_STOP and normalise_term(noun) not in drop and not _JAMO_ONLY.match(noun):
            terms.append(noun)
        compound.clear()

    previous: Any = None
    for token in tokens:
        if token.tag in _KO_NOUN_TAGS:
            # Only nouns written together form one compound; a space starts a new term.
            if compound and compound[-1].start + compound[-1].len != token.start:
                flush()
            compound.append(token)
        else:
            flush()
            if token.tag in _KO_PREDICATE_TAGS:
                lemma = f"{token.form}다"
                if previous is not None and previous.tag == "MAG" and previous.form in _KO_NEGATION:
                    lemma = f"{previous.form}{lemma}"  # 안 되다 → 안되다: the negation is the complaint
                if lemma not in _KO_STOP and len(lemma) >= 2:
                    terms.append(lemma)
            elif token.tag in ("SL", "SH"):
                word = token.form.casefold()
                if _LATIN_TOKEN.match(word) and len(word) >= 2 and word not in _EN_STOP and word not in drop:
                    terms.append(word)
        previous = token
    flush()
    return list(dict.fromkeys(t for t in terms if normalise_term(t) not in drop))


def extract_terms(
    text: str, lang: str | None = None, *, brand_terms: Iterable[str] = (), analyser: Any = None
) -> list[str]:
    """Distinct terms of one mention in its language (Korean via kiwipiepy), brand terms removed."""
    drop = brand_stop_terms(brand_terms)
    if guess_lang(text, lang) == "ko":
        return korean_terms(text, drop, analyser=analyser)
    return english_terms(text, drop)


@dataclass(frozen=True)
class TermLift:
    """A term's frequency in a selection of mentions against the brand's baseline."""

    term: str
    mentions: int
    share: float
    baseline_mentions: int
    baseline_share: float
    lift: float


def lift(count: int, docs: int, baseline_count: int, baseline_docs: int, *, prior: float = 1.0) -> float:
    """Share in the selection ÷ share in the baseline, the baseline smoothed so unseen terms do not divide by zero."""
    if docs <= 0:
        return 0.0
    base = (baseline_count + prior) / (baseline_docs + prior)
    return (count / docs) / base


def rank_terms_by_lift(
    selection: Sequence[Iterable[str]],
    baseline: Sequence[Iterable[str]],
    *,
    min_count: int = 2,
    limit: int = 20,
    prior: float = 1.0,
) -> list[TermLift]:
    """Terms of the selected mentions ranked by lift against the baseline mentions (each mention counts a term once).

    Terms seen in fewer than `min_count` selected mentions are left out: lift alone would crown one-off words.
    Ties break on count, then alphabetically.
    """
    counts = Counter(term for terms in selection for term in set(terms))
    base = Counter(term for terms in baseline for term in set(terms))
    n_sel, n_base = len(selection), len(baseline)
    ranked = [
        TermLift(
            term,
            n,
            n / n_sel,
            base[term],
            base[term] / n_base if n_base else 0.0,
            lift(n, n_sel, base[term], n_base, prior=prior),
        )
        for term, n in counts.items()
        if n >= min_count
    ]
    ranked.sort(key=lambda t: (-round(t.lift, 9), -t.mentions, t.term))
    return ranked[:limit]


def log_lift(value: float) -> float:
    """log2 of a lift, for display (0 = as usual, 1 = twice as common)."""
    return math.log2(value) if value > 0 else float("-inf")
