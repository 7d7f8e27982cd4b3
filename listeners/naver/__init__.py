"""The Naver channel: `NaverListener` (Search API: blog, café, news, 지식iN), `[channels.naver]` options, feeds."""

from listeners.naver.listener import NaverListener

__all__ = ["NaverListener"]
