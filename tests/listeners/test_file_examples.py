"""The offline sample data: it imports cleanly through the file listener and matches its generator."""

from __future__ import annotations

import importlib.util
import sys
import tomllib
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest

from flows.runtime.config import parse_config
from listeners.file import FileListener
from models.brands import BrandMatcher
from models.mention import Mention, Reject

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MENTIONS = EXAMPLES / "sample_mentions.jsonl"
SURVEY = EXAMPLES / "survey_feedback.csv"
CONFIG = EXAMPLES / "brandpulse.toml"


def load_generator() -> ModuleType:
    """examples/ is not a package: load the generator script as a module."""
    spec = importlib.util.spec_from_file_location("brandpulse_generate_sample", EXAMPLES / "generate_sample.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def mentions() -> list[Mention]:
    items = list(FileListener(MENTIONS).read())
    rejects = [item for item in items if isinstance(item, Reject)]
    assert rejects == [], rejects[:3]
    return [item for item in items if isinstance(item, Mention)]


@pytest.fixture(scope="module")
def survey() -> list[Mention]:
    items = list(FileListener(SURVEY).read())
    assert [item for item in items if isinstance(item, Reject)] == []
    return [item for item in items if isinstance(item, Mention)]


def test_config_is_valid_and_points_at_the_sample_files() -> None:
    with CONFIG.open("rb") as handle:
        config = parse_config(tomllib.load(handle), source=str(CONFIG))
    assert [brand.name for brand in config.brands] == ["Acme", "Globex", "Initech"]
    assert config.brand("acme").competitors == ["Globex", "Initech"]
    assert config.brand("Acme").exclude == ["acme anvil"]
    assert not any(channel.enabled for channel in config.channels.values())
    assert config.imports.files == [MENTIONS, SURVEY]
    assert config.model.sentiment == "bundled" and config.alerts.preset == "balanced"


def test_sample_size_and_shape(mentions: list[Mention], survey: list[Mention]) -> None:
    assert 2500 <= len(mentions) <= 3500
    assert 250 <= len(survey) <= 350
    assert MENTIONS.stat().st_size + SURVEY.stat().st_size < 2_000_000
    assert {m.channel for m in mentions} == {"x", "reddit", "appstore"}
    assert {m.kind for m in mentions} == {"post", "comment", "reply", "repost", "quote", "review"}
    langs = Counter(m.lang for m in mentions)
    assert set(langs) == {"ko", "en"} and 0.4 < langs["ko"] / len(mentions) < 0.6
    start, end = datetime(2026, 10, 26, tzinfo=UTC), datetime(2026, 11, 23, tzinfo=UTC)
    assert all(start <= m.created_at < end for m in mentions + survey)
    assert len({m.key for m in mentions}) == len(mentions)  # ids unique per channel
    reviews = [m for m in mentions if m.channel == "appstore"]
    assert all(m.kind == "review" and m.rating_scale == "stars" and m.rating in (1, 2, 3, 4, 5) for m in reviews)
    assert all(m.url and m.url.startswith("https://") for m in mentions)
    assert all(m.url.startswith(f"https://x.com/{m.author_handle}/status/{m.id}") for m in mentions if m.channel == "x")
    assert all(m.url.startswith("https://www.reddit.com/r/") for m in mentions if m.channel == "reddit")


def test_every_mention_names_a_configured_brand_or_comes_from_its_own_account(mentions: list[Mention]) -> None:
    with CONFIG.open("rb") as handle:
        config = parse_config(tomllib.load(handle), source=str(CONFIG))
    matcher = BrandMatcher.from_brands(config.brands)
    owned = [m for m in mentions if matcher.owner(m) is not None]
    assert {(m.author_handle, matcher.owner(m)) for m in owned} == {
        ("acmehelp", "Acme"), ("Acme_Official", "Acme"), ("globexcare", "Globex"),
    }
    # Many owned replies do not name their brand ("Sorry! Please DM us"): the owner match keeps them.
    assert sum(not matcher.match(m.text) for m in owned) >= 20
    terms = [term.casefold() for brand in config.brands for term in brand.terms]
    assert all(any(term in m.text.casefold() for term in terms) for m in mentions if m not in owned)
    two_brands = [
        m for m in mentions if sum(any(t.casefold() in m.text.casefold() for t in b.terms) for b in config.brands) > 1
    ]
    assert len(two_brands) >= 10  # comparisons between brands
    assert 1 <= sum("acme anvil" in m.text.casefold() for m in mentions) <= 5  # noise for the exclude rule


def test_replies_point_at_mentions_in_the_sample(mentions: list[Mention]) -> None:
    keys = {m.key for m in mentions}
    children = [m for m in mentions if m.parent_id]
    assert children and all((m.channel, m.parent_id) in keys for m in children)
    assert all(m.parent_id for m in mentions if m.kind in ("comment", "repost"))


def test_owned_accounts_answer_some_negative_posts_and_the_outage(mentions: list[Mention]) -> None:
    by_key = {m.key: m for m in mentions}
    replies = [m for m in mentions if m.author_handle in ("acmehelp", "globexcare", "Acme_Official") and m.parent_id]
    assert all(by_key[(m.channel, m.parent_id)].created_at < m.created_at for m in replies)
    outage = datetime(2026, 11, 19, 10, tzinfo=UTC), datetime(2026, 11, 19, 16, tzinfo=UTC)
    during = [m for m in replies if m.author_handle == "acmehelp" and outage[0] <= m.created_at < outage[1]]
    assert 3 <= len(during) <= 10
    assert any(m.channel == "reddit" and m.author_handle == "Acme_Official" for m in replies)  # the megathread
    assert sum(m.author_handle == "globexcare" for m in replies) > sum(m.author_handle == "acmehelp" for m in replies)


def test_survey_answers(survey: list[Mention]) -> None:
    scales = Counter(m.rating_scale for m in survey)
    assert set(scales) == {"nps", "csat", "ces"}
    assert all(m.kind == "survey" and m.channel == "survey" and m.lang in ("ko", "en") for m in survey)
    assert all(m.raw is not None and m.raw["brand"] == "Acme" for m in survey)


def test_acme_spike_on_november_19(mentions: list[Mention]) -> None:
    acme = [m for m in mentions if "acme" in m.text.casefold() or "애크미" in m.text]
    start = datetime(2026, 11, 19, 10, tzinfo=UTC)

    def in_window(day_offset: int) -> int:
        low = start + timedelta(days=day_offset)
        return sum(low <= m.created_at < low + timedelta(hours=6) for m in acme)

    spike = in_window(0)
    usual = sum(in_window(d) for d in range(-24, 4) if d != 0) / 27
    assert spike > 2.5 * usual  # all Acme talk in those six hours, whatever its sentiment
    big = [
        m for m in mentions if start <= m.created_at < start + timedelta(hours=6) and (m.author_followers or 0) > 1e5
    ]
    assert len(big) >= 2  # the high-reach posts


def test_generator_is_deterministic_and_the_committed_files_are_current(tmp_path: Path) -> None:
    generator = load_generator()
    first = generator.render()[:2]
    assert generator.render()[:2] == first
    assert first == (MENTIONS.read_text(encoding="utf-8"), SURVEY.read_text(encoding="utf-8")), (
        "examples/ is out of date: run `python examples/generate_sample.py`"
    )
    generator.main(["--out", str(tmp_path)])
    assert (tmp_path / "sample_mentions.jsonl").read_bytes() == MENTIONS.read_bytes()
