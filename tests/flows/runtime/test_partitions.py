"""One listen tag per channel × brand, limited to one running task on the Prefect server (tag concurrency)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from helpers.config import write_config
from typer.testing import CliRunner

from flows.cli.main import app
from flows.runtime.config import load_config
from flows.runtime.partitions import create_limits, partition_tag, partition_tags


def test_tags_name_the_channel_and_the_brand_and_never_collide() -> None:
    assert partition_tag("x", "Acme") == "listen:x:acme"
    assert partition_tag("reddit", "Acme Corp / KR") == "listen:reddit:acme-corp-kr"
    assert partition_tag("x", "애크미") == "listen:x:애크미"
    assert partition_tag("x", "Acme") != partition_tag("reddit", "Acme") != partition_tag("reddit", "Globex")


def test_the_config_gives_one_tag_per_enabled_channel_and_brand(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, channels={"hackernews": {"enabled": True},
                                                          "rss": {"enabled": False, "feeds": []}}))
    assert partition_tags(config) == ["listen:hackernews:acme", "listen:hackernews:globex"]


def test_create_sets_a_limit_of_one_per_tag_on_the_server(prefect_harness: None, tmp_path: Path) -> None:
    from prefect.client.orchestration import get_client

    write_config(tmp_path, channels={"hackernews": {"enabled": True}})
    result = CliRunner().invoke(app, ["partitions", "--create", "--config", str(tmp_path / "brandpulse.toml")])
    assert result.exit_code == 0, result.output
    assert result.output.split() == ["listen:hackernews:acme", "limit", "1", "listen:hackernews:globex", "limit", "1"]

    async def limits() -> dict[str, int]:
        async with get_client() as client:
            return {tag: (await client.read_concurrency_limit_by_tag(tag)).concurrency_limit
                    for tag in ("listen:hackernews:acme", "listen:hackernews:globex")}

    assert asyncio.run(limits()) == {"listen:hackernews:acme": 1, "listen:hackernews:globex": 1}
    assert asyncio.run(create_limits(["listen:hackernews:acme"])) == ["listen:hackernews:acme"]  # again: no error
