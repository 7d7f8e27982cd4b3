"""The RSS / Atom channel: `RssListener` (feedparser), `[channels.rss]` feeds, news-search URLs, its feeds."""

from listeners.rss.listener import RssListener

__all__ = ["RssListener"]
