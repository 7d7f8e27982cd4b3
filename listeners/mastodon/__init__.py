"""The Mastodon channel: `MastodonListener` (hashtag timelines), `[channels.mastodon]` options, hashtags, feeds."""

from listeners.mastodon.listener import MastodonListener

__all__ = ["MastodonListener"]
