"""The Bluesky feeds of one brand: one `searchPosts` feed per brand term; an app password is optional."""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from listeners.bluesky import client as sessions
from listeners.bluesky.listener import CHANNEL, PASSWORD_SETTING, PDS_HOST, PUBLIC_HOST, BlueskyListener
from listeners.bluesky.options import BlueskyOptions
from listeners.feeds import ClientFactory, ListenerFeed, channel_options, per_fetch, require_secret, scope_for
from listeners.http import make_http_client
from listeners.queries import plain_terms
from models.brands import Brand
from models.channels import ChannelSettings
from models.errors import ConfigError


def build_bluesky_feeds(
    settings: ChannelSettings,
    brand: Brand,
    *,
    bluesky_handle: str | None = None,
    bluesky_app_password: SecretStr | str | None = None,
    make_client: ClientFactory = make_http_client,
) -> list[ListenerFeed[BlueskyListener]]:
    """One search feed per plain brand term (searchPosts has no reliable OR), logged in when a handle is set."""
    options = channel_options(settings, BlueskyOptions, channel=CHANNEL)
    login: tuple[str, str] | None = None
    if bluesky_handle:
        login = (bluesky_handle.strip(), require_secret(bluesky_app_password, PASSWORD_SETTING, channel=CHANNEL))
    elif bluesky_app_password is not None:
        raise ConfigError(
            f"{CHANNEL}: {PASSWORD_SETTING} is set but BRANDPULSE_BLUESKY_HANDLE is not; set both to log in",
            key="BRANDPULSE_BLUESKY_HANDLE",
        )
    host = options.host or (PDS_HOST if login else PUBLIC_HOST)
    if not host.startswith(("https://", "http://")):
        raise ConfigError(f"{CHANNEL}: host {host!r} must start with https://", key=f"channels.{CHANNEL}.host")

    def logged_in(client: Any) -> BlueskyListener:
        listener = BlueskyListener(client, host=host)
        if login is not None:
            token = sessions.SESSIONS.get(host, login[0])
            if token is None:
                sessions.SESSIONS.put(host, login[0], listener.login(*login))
            else:
                listener.use_session(token)
        return listener

    listener = per_fetch(logged_in, make_client)
    return [
        ListenerFeed(
            CHANNEL, scope_for(brand, "search", term), listener,
            lambda bsky, cursor, term=term: bsky.search(term, since=cursor, max_pages=settings.max_pages),
        )
        for term in plain_terms(brand)
    ]
