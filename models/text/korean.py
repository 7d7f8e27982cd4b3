"""Korean morphology through kiwipiepy, built lazily once per process (loading its model takes ~2 s)."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from models.errors import ModelUnavailable
from models.text.hangul import HANGUL_SYLLABLE

if TYPE_CHECKING:
    from kiwipiepy import Kiwi

_LATIN = re.compile(r"[A-Za-z]")
_lock = threading.Lock()
_kiwi: Kiwi | None = None


def kiwi() -> Kiwi:
    """The shared Kiwi analyser (thread-safe to build; kiwipiepy's own calls release the GIL)."""
    global _kiwi
    with _lock:
        if _kiwi is None:
            try:
                from kiwipiepy import Kiwi
            except ImportError as exc:
                raise ModelUnavailable(f"Korean terms and clauses need kiwipiepy: {exc}") from exc
            _kiwi = Kiwi()
        return _kiwi


def guess_lang(text: str, declared: str | None = None) -> str:
    """The mention's language if declared, else 'ko' when Hangul dominates the letters, 'en' for Latin, else 'und'."""
    if declared:
        return declared.split("-")[0].lower()
    hangul = len(HANGUL_SYLLABLE.findall(text))
    latin = len(_LATIN.findall(text))
    if hangul and hangul * 2 >= latin:  # one Hangul syllable carries about as much as two Latin letters
        return "ko"
    return "en" if latin else "und"


def analyse_korean(
    texts: Sequence[str], langs: Sequence[str | None], prepare: Callable[[str], str] = str
) -> dict[int, list[Any]]:
    """Kiwi's tokens of `prepare(text)` for each Korean text, by position: one batch call, on all Kiwi's threads.

    One call per text runs on one thread: 1.8 s of the topic step for 3,600 Korean mentions (docs/benchmarks.md).
    """
    korean = [i for i, (text, lang) in enumerate(zip(texts, langs, strict=True)) if guess_lang(text, lang) == "ko"]
    if not korean:
        return {}
    return dict(zip(korean, kiwi().tokenize([prepare(texts[i]) for i in korean]), strict=True))


def tokenize(text: str, analyser: Any = None) -> list[Any]:
    """Kiwi tokens (form, tag, start, len) of one text."""
    return list((analyser or kiwi()).tokenize(text))
