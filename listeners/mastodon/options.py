"""`[channels.mastodon]`: the Mastodon channel's own settings (unknown keys are an error)."""

from __future__ import annotations

from pydantic import Field, field_validator

from listeners.feeds import StrictOptions
from listeners.mastodon.listener import normalise_instance


class MastodonOptions(StrictOptions):
    """`[channels.mastodon]` keys beyond `enabled` / `max_pages`."""

    instances: list[str] = Field(min_length=1)
    hashtags: dict[str, list[str]] = Field(default_factory=dict)  # brand name → hashtags, overriding the terms

    @field_validator("instances")
    @classmethod
    def _instances(cls, instances: list[str]) -> list[str]:
        return list(dict.fromkeys(normalise_instance(instance) for instance in instances))
