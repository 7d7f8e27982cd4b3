"""`[channels.bluesky]`: the Bluesky channel's own settings (unknown keys are an error)."""

from __future__ import annotations

from listeners.feeds import StrictOptions


class BlueskyOptions(StrictOptions):
    """`[channels.bluesky]` keys beyond `enabled` / `max_pages`."""

    host: str | None = None  # default: the public AppView, or bsky.social when logging in
