"""The live channels: channel name → its feed builder and the secrets it needs. Adding a channel adds one line here.

A builder is `build(settings: ChannelSettings, brand: Brand, **secrets) -> list[Feed]`. It validates its own
`[channels.NAME]` keys, builds its client lazily (never at import), and raises `CredentialError` naming the
environment variable when a credential it needs is missing, before any network call. `secrets` names the fields of
the flows' `Secrets` (the `BRANDPULSE_*` variables) the builder takes as keyword arguments: listeners never read
the environment themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from listeners.bluesky.feeds import build_bluesky_feeds
from listeners.feeds import Feed
from listeners.hackernews.feeds import build_hackernews_feeds
from listeners.mastodon.feeds import build_mastodon_feeds
from listeners.naver.feeds import build_naver_feeds
from listeners.reddit.feeds import build_reddit_feeds
from listeners.rss.feeds import build_rss_feeds
from listeners.x.feeds import build_x_feeds
from listeners.youtube.feeds import build_youtube_feeds
from models.brands import Brand
from models.channels import ChannelSettings
from models.errors import BrandpulseError, CredentialError

ChannelBuilder = Callable[..., Sequence[Feed]]


@dataclass(frozen=True)
class Channel:
    """A live channel: the builder of its feeds for one brand, and the secrets it takes (by `Secrets` field name)."""

    build: ChannelBuilder
    secrets: tuple[str, ...] = ()

    def feeds(self, settings: ChannelSettings, brand: Brand, secrets: object) -> list[Feed]:
        """The channel's feeds for one brand; `secrets` holds the secrets as attributes (the flows' `Secrets`)."""
        built: Any = self.build(settings, brand, **{name: getattr(secrets, name) for name in self.secrets})
        return [built] if hasattr(built, "fetch") else list(built)  # a builder may return a single Feed

    def missing_credential(self, settings: ChannelSettings, brand: Brand, secrets: object) -> str | None:
        """Why the channel cannot run for lack of a credential, or None; builders make no network call."""
        try:
            self.feeds(settings, brand, secrets)
        except CredentialError as exc:
            return str(exc)
        except BrandpulseError:
            return None  # any other problem is the listen task's to report
        return None


CHANNELS: dict[str, Channel] = {
    "x": Channel(build_x_feeds, secrets=("x_bearer_token",)),
    "reddit": Channel(build_reddit_feeds, secrets=("reddit_client_id", "reddit_client_secret", "reddit_user_agent")),
    "hackernews": Channel(build_hackernews_feeds),
    "bluesky": Channel(build_bluesky_feeds, secrets=("bluesky_handle", "bluesky_app_password")),
    "mastodon": Channel(build_mastodon_feeds),
    "rss": Channel(build_rss_feeds),
    "naver": Channel(build_naver_feeds, secrets=("naver_client_id", "naver_client_secret")),
    "youtube": Channel(build_youtube_feeds, secrets=("youtube_api_key",)),
}
