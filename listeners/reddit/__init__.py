"""The Reddit channel: `RedditListener` (praw), its client, `[channels.reddit]` options, the query, its feeds."""

from listeners.reddit.listener import RedditListener

__all__ = ["RedditListener"]
