"""Pure helpers for turning API items into Mentions: timestamps, HTML to text, a Reject for a malformed item."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from models.mention import as_utc


def parse_timestamp(value: Any) -> datetime:
    """An ISO-8601 string or epoch number as an aware UTC datetime (naive = UTC); ValueError when it is neither."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"not a timestamp: {value!r}")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError(f"not a timestamp: {value!r}")
        return datetime.fromtimestamp(value, UTC)
    text = str(value).strip()
    if not text[:4].isdigit():
        raise ValueError(f"not an ISO-8601 timestamp: {text[:40]!r}")
    when = datetime.fromisoformat(text)
    return as_utc(when)


_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "hr"}
)
_SKIP_TAGS = frozenset({"script", "style", "template"})


def html_to_text(markup: str | None) -> str:
    """Plain text from an HTML fragment (HN comments, Mastodon posts, feed summaries): tags out, entities decoded."""
    from html.parser import HTMLParser

    chunks: list[str] = []
    skipping = 0

    class _Text(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            nonlocal skipping
            if tag in _SKIP_TAGS:
                skipping += 1
            elif tag in _BLOCK_TAGS:
                chunks.append("\n")

        def handle_endtag(self, tag: str) -> None:
            nonlocal skipping
            if tag in _SKIP_TAGS:
                skipping = max(0, skipping - 1)
            elif tag in _BLOCK_TAGS:
                chunks.append("\n")

        def handle_data(self, data: str) -> None:
            if not skipping:
                chunks.append(data)

    parser = _Text(convert_charrefs=True)
    parser.feed(markup or "")
    parser.close()
    # Whitespace inside a line collapses as a browser would; block boundaries keep at most one blank line.
    lines = [" ".join(line.split()) for line in "".join(chunks).replace("\xa0", " ").splitlines()]
    text = "\n".join(lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip()

