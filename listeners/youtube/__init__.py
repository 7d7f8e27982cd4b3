"""The YouTube channel: `YouTubeListener` (Data API v3 search + comment threads), `[channels.youtube]`, feeds."""

from listeners.youtube.listener import YouTubeListener

__all__ = ["YouTubeListener"]
