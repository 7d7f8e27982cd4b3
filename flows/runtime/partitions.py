"""Which run may listen where: one Prefect tag per channel × brand, each limited to one running task at a time.

The run lock (flows/runtime/run_lock.py) only keeps runs on one host apart. With several workers in a work pool
on a shared lake, the `listen` task of each channel × brand carries the tag `listen:<channel>:<brand>`; a Prefect
tag concurrency limit of 1 per tag (`brandpulse partitions --create`) makes the server run at most one of them at
once, so two workers never read the same feed from the same cursor at the same time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from flows.runtime.config import Config

TAG_PREFIX = "listen"


def partition_tag(channel: str, brand: str) -> str:
    """The tag of one channel × brand: `listen:x:acme-corp` (lower case, spaces and odd characters as '-')."""
    slug = re.sub(r"[^\w]+", "-", brand.casefold(), flags=re.UNICODE).strip("-") or "brand"
    return f"{TAG_PREFIX}:{channel}:{slug}"


def partition_tags(config: Config) -> list[str]:
    """Every enabled channel × brand tag of this config, sorted."""
    enabled = [name for name, settings in config.channels.items() if settings.enabled]
    return sorted({partition_tag(channel, brand.name) for channel in enabled for brand in config.brands})


async def create_limits(tags: Iterable[str], *, limit: int = 1) -> list[str]:
    """Create (or reset) a tag concurrency limit of `limit` for each tag on the Prefect server; return the tags."""
    from prefect.client.orchestration import get_client

    created = []
    async with get_client() as client:
        for tag in tags:
            await client.create_concurrency_limit(tag=tag, concurrency_limit=limit)
            created.append(tag)
    return created
