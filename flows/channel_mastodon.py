"""The Mastodon channel: each configured instance's hashtag timeline for a brand's hashtags (no credentials)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from pydantic import Field, field_validator

from flows.channel_http import ClientFactory, HttpFeed, make_http_client
from flows.feeds import StrictOptions, channel_options, scope_for
from flows.runtime.config import Brand, ChannelSettings, Secrets
from listeners.mastodon import CHANNEL, MastodonListener, normalise_instance
from models.errors import ConfigError

MAX_TAGS = 5  # one path tag plus `any[]` ones; longer lists make slow queries that instances may refuse
_NOT_TAG_CHARS = re.compile(r"[^\w]+")


class MastodonOptions(StrictOptions):
    """`[channels.mastodon]` keys beyond `enabled` / `max_pages`."""

    instances: list[str] = Field(min_length=1)
    hashtags: dict[str, list[str]] = Field(default_factory=dict)  # brand name → hashtags, overriding the terms

    @field_validator("instances")
    @classmethod
    def _instances(cls, instances: list[str]) -> list[str]:
        return list(dict.fromkeys(normalise_instance(instance) for instance in instances))


def hashtags_for(brand: Brand) -> list[str]:
    """Hashtags from a brand's terms: `#acme` and `acme` → `acme`, `acme corp` → `acmecorp`; @handles are not tags."""
    tags: dict[str, str] = {}
    for term in brand.terms:
        text = unicodedata.normalize("NFKC", term).strip()
        if text.startswith("@"):
            continue
        tag = _NOT_TAG_CHARS.sub("", text.lstrip("#"))
        if tag and not tag.isdigit():
            tags.setdefault(tag.casefold(), tag.casefold())
    return list(tags.values())


def build_mastodon_feeds(
    settings: ChannelSettings, secrets: Secrets, brand: Brand, *, make_client: ClientFactory = make_http_client
) -> list[HttpFeed]:
    """One feed per instance: the brand's hashtags in one timeline request (`any[]`), paged from a status id."""
    del secrets  # public hashtag timelines need no account
    options = channel_options(settings, MastodonOptions, channel=CHANNEL)
    override = {name.casefold(): tags for name, tags in options.hashtags.items()}
    tags = [t.strip().lstrip("#") for t in override.get(brand.name.casefold(), [])] or hashtags_for(brand)
    tags = [tag for tag in dict.fromkeys(tags) if tag]
    if not tags:
        raise ConfigError(
            f"{CHANNEL}: brand {brand.name!r} has no term usable as a hashtag; add one to its terms or set "
            f"[channels.mastodon] hashtags = {{ {brand.name} = [\"...\"] }}",
            key=f"channels.{CHANNEL}.hashtags",
        )
    if len(tags) > MAX_TAGS:
        raise ConfigError(
            f"{CHANNEL}: brand {brand.name!r} has {len(tags)} hashtags ({', '.join(tags)}); at most {MAX_TAGS} fit "
            "one timeline request, set the ones that matter in [channels.mastodon] hashtags",
            key=f"channels.{CHANNEL}.hashtags",
        )

    def reader(instance: str) -> Any:
        def read(client: Any, cursor: str | None) -> tuple[Any, MastodonListener]:
            listener = MastodonListener(client, instance)
            items = listener.hashtag(tags[0], any_tags=tags[1:], since_id=cursor, max_pages=settings.max_pages)
            return items, listener

        return read

    host = {instance: instance.split("://", 1)[1] for instance in options.instances}
    return [
        HttpFeed(CHANNEL, scope_for(brand, "tags", host[instance]), reader(instance), make_client)
        for instance in options.instances
    ]
