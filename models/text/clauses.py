"""Split a mention into clauses so each topic gets its own sentiment ("delivery was slow but the product is great")."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from models.text.korean import analyse_korean, guess_lang, kiwi

# Contrast and sentence boundaries. English: sentence punctuation, ';', and a contrast word starting a clause.
_EN_SENTENCE = re.compile(r"(?<=[.!?…])\s+|\n+|;\s*|(?<=\))\s+(?=[A-Z])")
_EN_CONTRAST = re.compile(
    r"[,\s]+(?=\b(?:but|however|although|though|whereas|except that|on the other hand|otherwise|yet)\b)", re.I
)
# Korean: conjunctive endings that contrast or turn ("-지만", "-는데", "-으나"), sentence-final endings,
# and sentence-initial conjunctions ("하지만", "근데").
_KO_CONTRAST_EC = frozenset({"지만", "는데", "은데", "ㄴ데", "ᆫ데", "던데", "으나", "나", "는데도", "은데도", "지마는"})
_KO_CONTRAST_MAJ = frozenset(
    {"하지만", "그런데", "근데", "그러나", "그렇지만", "그래도", "반면", "반면에", "다만", "그치만"}
)
_KO_END_TAGS = frozenset({"EF", "SF"})
_MIN_CLAUSE_LETTERS = 3
_LETTER = re.compile(r"[^\W\d_]")
_JAMO = re.compile(r"[ㄱ-ㅎㅏ-ㅣ]")


# A cheap look for contrast before any morphology: the Korean markers above as they appear in text, and a word
# ending in 데 (빠른데, 좋은데). Over-matching only costs a split; missing one would cost a topic's own sentiment.
_KO_CONTRAST_TEXT = re.compile(
    "|".join(sorted({*_KO_CONTRAST_MAJ, "지만", "는데", "은데", "던데", "으나", "지마는"}, key=len, reverse=True))
    + r"|[가-힣]데(?=[\s,.!?~…]|$)"
)


def has_contrast(text: str) -> bool:
    """Whether a mention may turn within itself ("but", "하지만", "-는데"): the cue that clause sentiment can differ."""
    return bool(_EN_CONTRAST.search(text) or _KO_CONTRAST_TEXT.search(text))


def split_clauses(
    text: str, lang: str | None = None, *, analyser: Any = None, tokens: Sequence[Any] | None = None
) -> list[str]:
    """Clauses of one mention, in order; a single-clause mention gives a one-item list of the stripped text.

    `tokens`: Kiwi's analysis of the stripped text, when the caller analysed many texts at once.
    """
    stripped = text.strip()
    if not stripped:
        return []
    language = guess_lang(stripped, lang)
    pieces = _korean_pieces(stripped, analyser, tokens) if language == "ko" else _english_pieces(stripped)
    return _merge_short([p.strip() for p in pieces if p.strip()])


def split_clauses_many(texts: Sequence[str], langs: Sequence[str | None]) -> list[list[str]]:
    """`split_clauses` of each text; the Korean ones go through Kiwi in one batch, on all its threads."""
    stripped = [text.strip() for text in texts]
    analysed = analyse_korean(stripped, langs)
    pairs = enumerate(zip(stripped, langs, strict=True))
    return [split_clauses(text, lang, tokens=analysed.get(i)) for i, (text, lang) in pairs]


def _english_pieces(text: str) -> list[str]:
    """Sentences, then each sentence cut before a contrast word."""
    pieces: list[str] = []
    for sentence in _EN_SENTENCE.split(text):
        pieces += _EN_CONTRAST.split(sentence)
    return pieces


def _korean_pieces(text: str, analyser: Any = None, tokens: Sequence[Any] | None = None) -> list[str]:
    """Cut after sentence-final and contrastive endings and before contrastive conjunctions (kiwi morphemes)."""
    if tokens is None:
        tokens = (analyser or kiwi()).tokenize(text)
    cuts: set[int] = set()
    previous_tag = ""
    for token in tokens:
        end = token.start + token.len
        if token.tag == "MAJ" and token.form in _KO_CONTRAST_MAJ:
            cuts.add(token.start)
        elif (
            token.tag in _KO_END_TAGS
            or (token.tag == "EC" and token.form in _KO_CONTRAST_EC)
            or (token.tag == "NNB" and token.form == "데" and previous_tag == "ETM")  # 빠른데 = 빠르 + ᆫ + 데
        ):
            cuts.add(end)
        previous_tag = token.tag
    # Split on clause boundaries only at a space or punctuation, never inside a word.
    pieces, start = [], 0
    for cut in sorted(cuts):
        while cut < len(text) and not text[cut].isspace() and (not _LETTER.match(text[cut]) or _JAMO.match(text[cut])):
            cut += 1  # trailing punctuation and jamo emoticons (!!, ㅋㅋ, ㅠㅠ) stay with their clause
        if 0 < cut < len(text) and (text[cut].isspace() or text[cut - 1] in ",.!?~…"):
            pieces.append(text[start:cut])
            start = cut
    pieces.append(text[start:])
    return pieces


def _merge_short(pieces: Sequence[str]) -> list[str]:
    """Fold pieces with too few letters (ㅋㅋ, 'lol', '!!') into the clause before them (or after, for the first)."""
    merged: list[str] = []
    for piece in pieces:
        letters = len(_LETTER.findall(piece.replace("ㅋ", "").replace("ㅠ", "").replace("ㅎ", "")))
        if merged and (letters < _MIN_CLAUSE_LETTERS or len(_LETTER.findall(merged[-1])) < _MIN_CLAUSE_LETTERS):
            merged[-1] = f"{merged[-1]} {piece}"
        else:
            merged.append(piece)
    return merged
