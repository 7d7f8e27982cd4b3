"""Brand definitions compiled to X and Reddit queries (listeners/x, listeners/reddit), plain terms for the others."""

from __future__ import annotations

import pytest

from listeners.queries import plain_terms
from listeners.reddit.query import reddit_query
from listeners.x.query import x_query
from models.brands import Brand
from models.errors import ConfigError

ACME = Brand(
    name="Acme",
    terms=["acme", "#acme", "@acmehelp", "애크미", "Acme Store", "ＡＣＭＥ"],
    exclude=["acme anvil"],
    languages=["ko", "en"],
)


def test_x_query_keeps_operators_quotes_phrases_and_adds_languages() -> None:
    assert x_query(ACME) == '(acme OR #acme OR @acmehelp OR 애크미 OR "Acme Store") -"acme anvil" (lang:ko OR lang:en)'


def test_x_query_also_reads_the_brands_own_x_accounts() -> None:
    brand = Brand(name="Acme", terms=["acme"], owned=["@acmehelp", "x:1102938475610293847", "reddit:acme_cs",
                                                       "@acme@mastodon.social", "x:@AcmeKR"])
    assert x_query(brand) == "(acme OR from:acmehelp OR from:1102938475610293847 OR from:acmekr)"


def test_x_query_can_leave_retweets_out_and_single_items_need_no_parentheses() -> None:
    brand = Brand(name="Globex", terms=["globex"], languages=["en"])
    assert x_query(brand, exclude_retweets=True) == "globex lang:en -is:retweet"


def test_reddit_query_drops_hash_and_at_and_negates_exclusions() -> None:
    assert reddit_query(ACME) == '(acme OR acmehelp OR 애크미 OR "Acme Store") NOT "acme anvil"'


def test_reserved_words_and_quotes_inside_terms_are_made_safe() -> None:
    brand = Brand(name="Or", terms=['say "or"', "OR"])
    assert x_query(brand) == '("say or" OR "OR")'


def test_plain_terms_for_channels_without_a_query_language() -> None:
    assert plain_terms(ACME) == ["acme", "acmehelp", "애크미", "Acme Store"]


def test_a_query_over_the_platform_limit_names_the_brand_and_the_fix() -> None:
    brand = Brand(name="Long", terms=[f"term{i}" for i in range(120)])
    with pytest.raises(ConfigError, match=r"brand 'Long' is .* over the platform's 512; .*query_max_chars"):
        x_query(brand)
    assert len(x_query(brand, max_chars=2000)) > 512


def test_optional_location_narrows_x_to_countries() -> None:
    brand = Brand(name="Acme", terms=["acme"], location=["kr", "US", "KR"])
    assert brand.location == ["KR", "US", "KR"]
    assert x_query(brand) == "acme (place_country:KR OR place_country:US)"
    assert x_query(Brand(name="Acme", terms=["acme"], location=["KR"])) == "acme place_country:KR"
    assert "place_country" not in reddit_query(brand)  # Reddit has no location filter


def test_location_must_be_country_codes() -> None:
    with pytest.raises(ValueError, match="two-letter country codes"):
        Brand(name="Acme", terms=["acme"], location=["Korea"])
