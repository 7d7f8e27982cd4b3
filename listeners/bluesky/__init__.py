"""The Bluesky channel: `BlueskyListener` (searchPosts), its login sessions, `[channels.bluesky]` options, feeds."""

from listeners.bluesky.listener import BlueskyListener

__all__ = ["BlueskyListener"]
