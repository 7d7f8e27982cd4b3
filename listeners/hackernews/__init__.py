"""The Hacker News channel: `HackerNewsListener` (Algolia search), `[channels.hackernews]` options, its feeds."""

from listeners.hackernews.listener import HackerNewsListener

__all__ = ["HackerNewsListener"]
