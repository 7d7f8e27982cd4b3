"""What counts as Hangul (syllables and jamo such as ㅋㅋ/ㅠㅠ): the character ranges and the checks built on them."""

from __future__ import annotations

import re

SYLLABLES = "\uac00-\ud7a3"
# Conjoining jamo: NFKC turns the typed ㅋ/ㅠ into these, so normalised text has them instead of the ones below.
JAMO = "\u1100-\u11ff"
COMPAT_JAMO = "\u3130-\u318f"  # compatibility jamo, as typed in ㅋㅋ and ㅠㅠ
HANGUL_CHARS = SYLLABLES + JAMO + COMPAT_JAMO

HANGUL = re.compile(f"[{HANGUL_CHARS}]")
HANGUL_SYLLABLE = re.compile(f"[{SYLLABLES}]")
JAMO_ONLY = re.compile(f"^[{JAMO}{COMPAT_JAMO}]+$")


def has_hangul(text: str) -> bool:
    """Whether the text has a Hangul syllable or jamo (ㅋㅋ and ㅠㅠ count)."""
    return HANGUL.search(text) is not None


def is_hangul(char: str) -> bool:
    """Whether one character is a Hangul syllable or jamo."""
    return HANGUL.fullmatch(char) is not None
