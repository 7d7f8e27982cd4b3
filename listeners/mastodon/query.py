"""A brand compiled to Mastodon hashtags (pure): hashtag timelines are the only public search."""

from __future__ import annotations

import re
import unicodedata

from listeners.mastodon.listener import CHANNEL
from listeners.mastodon.options import MastodonOptions
from models.brands import Brand
from models.errors import ConfigError

MAX_TAGS = 5  # one path tag plus `any[]` ones; longer lists make slow queries that instances may refuse
_NOT_TAG_CHARS = re.compile(r"[^\w]+")


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


def brand_hashtags(brand: Brand, options: MastodonOptions) -> list[str]:
    """The hashtags to follow for a brand: `[channels.mastodon] hashtags` for it, else from its terms; 1 to 5."""
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
    return tags
