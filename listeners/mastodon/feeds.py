"""The Mastodon feeds of one brand: each configured instance's hashtag timeline for its hashtags (no credentials)."""

from __future__ import annotations

from listeners.feeds import ClientFactory, ListenerFeed, channel_options, per_fetch, scope_for
from listeners.http import make_http_client
from listeners.mastodon.listener import CHANNEL, MastodonListener
from listeners.mastodon.options import MastodonOptions
from listeners.mastodon.query import brand_hashtags
from models.brands import Brand
from models.channels import ChannelSettings


def build_mastodon_feeds(
    settings: ChannelSettings, brand: Brand, *, make_client: ClientFactory = make_http_client
) -> list[ListenerFeed[MastodonListener]]:
    """One feed per instance: the brand's hashtags in one timeline request (`any[]`), paged from a status id."""
    options = channel_options(settings, MastodonOptions, channel=CHANNEL)
    tags = brand_hashtags(brand, options)

    def feed(instance: str) -> ListenerFeed[MastodonListener]:
        host = instance.split("://", 1)[1]
        return ListenerFeed(
            CHANNEL, scope_for(brand, "tags", host),
            per_fetch(lambda client: MastodonListener(client, instance), make_client),
            lambda masto, cursor: masto.hashtag(
                tags[0], any_tags=tags[1:], since_id=cursor, max_pages=settings.max_pages
            ),
        )

    return [feed(instance) for instance in options.instances]
