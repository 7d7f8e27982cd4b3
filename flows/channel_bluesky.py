"""The Bluesky channel: one `searchPosts` feed per brand term; an app password is optional."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flows.brand_queries import plain_terms
from flows.channel_http import ClientFactory, HttpFeed, make_http_client
from flows.feeds import StrictOptions, channel_options, require_secret, scope_for
from flows.runtime.config import Brand, ChannelSettings, Secrets
from listeners.bluesky import CHANNEL, PASSWORD_SETTING, PDS_HOST, PUBLIC_HOST, BlueskyListener
from models.errors import ConfigError

SESSION_TTL_S = 3600.0  # access tokens live about two hours; renew well before


class SessionCache:
    """Access tokens per (host, handle) for this process: createSession allows ~300 logins a day per account."""

    def __init__(self, ttl_s: float = SESSION_TTL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self.clock = clock
        self._tokens: dict[tuple[str, str], tuple[str, float]] = {}

    def get(self, host: str, handle: str) -> str | None:
        """A token still within its time to live, or None."""
        entry = self._tokens.get((host, handle.casefold()))
        return entry[0] if entry and self.clock() < entry[1] else None

    def put(self, host: str, handle: str, token: str) -> None:
        """Remember a fresh token."""
        self._tokens[(host, handle.casefold())] = (token, self.clock() + self.ttl_s)


_SESSIONS = SessionCache()


class BlueskyOptions(StrictOptions):
    """`[channels.bluesky]` keys beyond `enabled` / `max_pages`."""

    host: str | None = None  # default: the public AppView, or bsky.social when logging in


def build_bluesky_feeds(
    settings: ChannelSettings, secrets: Secrets, brand: Brand, *, make_client: ClientFactory = make_http_client
) -> list[HttpFeed]:
    """One search feed per plain brand term (searchPosts has no reliable OR), logged in when a handle is set."""
    options = channel_options(settings, BlueskyOptions, channel=CHANNEL)
    login: tuple[str, str] | None = None
    if secrets.bluesky_handle:
        login = (secrets.bluesky_handle.strip(), require_secret(secrets.bluesky_app_password, PASSWORD_SETTING,
                                                                 channel=CHANNEL))
    elif secrets.bluesky_app_password is not None:
        raise ConfigError(
            f"{CHANNEL}: {PASSWORD_SETTING} is set but BRANDPULSE_BLUESKY_HANDLE is not; set both to log in",
            key="BRANDPULSE_BLUESKY_HANDLE",
        )
    host = options.host or (PDS_HOST if login else PUBLIC_HOST)
    if not host.startswith(("https://", "http://")):
        raise ConfigError(f"{CHANNEL}: host {host!r} must start with https://", key=f"channels.{CHANNEL}.host")

    def reader(term: str) -> Any:
        def read(client: Any, cursor: str | None) -> tuple[Any, BlueskyListener]:
            listener = BlueskyListener(client, host=host)
            if login is not None:
                token = _SESSIONS.get(host, login[0])
                if token is None:
                    _SESSIONS.put(host, login[0], listener.login(*login))
                else:
                    listener.use_session(token)
            return listener.search(term, since=cursor, max_pages=settings.max_pages), listener

        return read

    return [
        HttpFeed(CHANNEL, scope_for(brand, "search", term), reader(term), make_client)
        for term in plain_terms(brand)
    ]
