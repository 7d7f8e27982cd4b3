"""Text every tokenizer and analyser accepts: the one cleaning step in front of the models."""

from __future__ import annotations


def model_text(text: str) -> str:
    """The text with surrogate pairs joined and lone surrogates (broken input) as U+FFFD; valid text unchanged."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # Rust tokenizers and kiwi refuse lone surrogates (a JSON "\ud800" escape); the rest of the text still counts.
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def is_blank(text: str) -> bool:
    """Nothing to read: empty or only white space (emoji-only text is not blank, it says something)."""
    return not text.strip()
