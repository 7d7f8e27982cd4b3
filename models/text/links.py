"""Links found in mentions: which ones may become a clickable link in a report or a message."""

from __future__ import annotations

from urllib.parse import urlsplit


def web_url(url: str | None) -> str | None:
    """The link if it is http(s), else None: a `javascript:` or `data:` URL in a mention must not become a link."""
    if not url:
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in ("http", "https") else None
