"""The X channel: `XListener` (tweepy), its client, `[channels.x]` options, the brand's query, its feeds."""

from listeners.x.listener import XListener

__all__ = ["XListener"]
