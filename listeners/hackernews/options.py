"""`[channels.hackernews]`: the Hacker News channel's own settings (unknown keys are an error)."""

from __future__ import annotations

from listeners.feeds import StrictOptions
from listeners.hackernews.listener import DEFAULT_HOST


class HackerNewsOptions(StrictOptions):
    """`[channels.hackernews]` keys beyond `enabled` / `max_pages`."""

    host: str = DEFAULT_HOST  # a mirror or a test server
