"""Terms of a mention (Korean nouns and predicates via kiwipiepy, English words and bigrams) and lift ranking."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from models.text.hangul import JAMO_ONLY
from models.text.korean import analyse_korean, guess_lang, kiwi
from models.text.stopwords import EN_STOP, KO_STOP

_KO_NOUN_TAGS = frozenset({"NNG", "NNP", "XR"})
_KO_PREDICATE_TAGS = frozenset({"VV", "VA"})
_KO_NEGATION = frozenset({"안", "못"})
_EN_WORD = re.compile(r"[a-z][a-z0-9]*(?:['’+-][a-z0-9]+)*")
_URL = re.compile(r"(?:https?://|www\.)\S+|[@#]\w+", re.I)
_LATIN_TOKEN = re.compile(r"^[a-z][a-z0-9+-]*$")


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
            if len(word) < 2 or word in EN_STOP or word in drop or word.isdigit():
                previous = None
                continue
            terms.append(word)
            if previous is not None:
                terms.append(f"{previous} {word}")
            previous = word
    return list(dict.fromkeys(terms))


def korean_input(text: str) -> str:
    """What Kiwi reads of a Korean mention for its terms: NFC, links, @handles and #tags blanked out."""
    # NFC, not NFKC: NFKC turns compatibility jamo (ㅠㅠ) into conjoining jamo that kiwi reads as letters.
    return _URL.sub(" ", unicodedata.normalize("NFC", text))


def korean_terms(
    text: str, drop: frozenset[str] = frozenset(), *, analyser: Any = None, tokens: Sequence[Any] | None = None
) -> list[str]:
    """Nouns (adjacent ones joined: 고객+센터 → 고객센터), predicates as lemmas (늦다, 안되다), Latin words.

    `tokens`: Kiwi's analysis of `korean_input(text)`, when the caller analysed many texts at once.
    """
    if tokens is None:
        tokens = (analyser or kiwi()).tokenize(korean_input(text))
    terms: list[str] = []
    compound: list[Any] = []

    def flush() -> None:
        # A brand glued to a noun (애크미앱) leaves the noun; a lone syllable noun (앱, 맛, 값) is a term.
        noun = "".join(t.form for t in compound if normalise_term(t.form) not in drop)
        if noun and noun not in KO_STOP and normalise_term(noun) not in drop and not JAMO_ONLY.match(noun):
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
                if lemma not in KO_STOP and len(lemma) >= 2:
                    terms.append(lemma)
            elif token.tag in ("SL", "SH"):
                word = token.form.casefold()
                if _LATIN_TOKEN.match(word) and len(word) >= 2 and word not in EN_STOP and word not in drop:
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


def extract_terms_many(
    texts: Sequence[str], langs: Sequence[str | None], brand_terms: Sequence[Iterable[str]]
) -> list[list[str]]:
    """`extract_terms` of each text; the Korean ones go through Kiwi in one batch (the same analyses)."""
    analysed = analyse_korean(texts, langs, korean_input)
    drops: dict[tuple[str, ...], frozenset[str]] = {}
    out = []
    for i, (text, terms) in enumerate(zip(texts, brand_terms, strict=True)):
        key = tuple(terms)
        drop = drops.setdefault(key, brand_stop_terms(key))
        out.append(korean_terms(text, drop, tokens=analysed[i]) if i in analysed else english_terms(text, drop))
    return out


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


@dataclass(frozen=True)
class TermTally:
    """In how many mentions each term occurs (a mention counts a term once), and how many mentions were counted."""

    counts: Mapping[str, int]
    docs: int

    @classmethod
    def of(cls, mentions: Sequence[Iterable[str]]) -> TermTally:
        """The tally of per-mention term lists."""
        return cls(Counter(term for terms in mentions for term in set(terms)), len(mentions))


def rank_terms_by_lift(
    selection: Sequence[Iterable[str]] | TermTally,
    baseline: Sequence[Iterable[str]] | TermTally,
    *,
    min_count: int = 2,
    limit: int = 20,
    prior: float = 1.0,
) -> list[TermLift]:
    """Terms of the selected mentions ranked by lift against the baseline mentions (each mention counts a term once).

    Either side is per-mention term lists or a `TermTally` already counted (in SQL, say): the ranking is the same.
    Terms seen in fewer than `min_count` selected mentions are left out: lift alone would crown one-off words.
    Ties break on count, then alphabetically.
    """
    chosen = selection if isinstance(selection, TermTally) else TermTally.of(selection)
    usual = baseline if isinstance(baseline, TermTally) else TermTally.of(baseline)
    n_sel, n_base = chosen.docs, usual.docs
    ranked = [
        TermLift(
            term,
            n,
            n / n_sel,
            usual.counts.get(term, 0),
            usual.counts.get(term, 0) / n_base if n_base else 0.0,
            lift(n, n_sel, usual.counts.get(term, 0), n_base, prior=prior),
        )
        for term, n in chosen.counts.items()
        if n >= min_count
    ]
    ranked.sort(key=lambda t: (-round(t.lift, 9), -t.mentions, t.term))
    return ranked[:limit]
