"""Taxonomy files: the format, its validation errors (naming key, topic and file), built-in and example taxonomies."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.errors import ConfigError
from models.text.hangul import has_hangul
from models.text.taxonomy import BUILTIN, load_taxonomy, parse_taxonomy

REPO = Path(__file__).resolve().parents[3]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "taxonomy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_ten_line_taxonomy_parses_with_optional_keys(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[[topic]]
name = "rooms"
description = "Hotel rooms"
examples = ["dirty room", "객실이 깨끗해요", "dirty room"]
label = "Rooms"
threshold = 0.2
parent = "stay"
aliases = ["bedroom"]
keywords = ["WiFi"]
""",
    )
    taxonomy = load_taxonomy(str(path))
    topic = taxonomy.topic("rooms")
    assert taxonomy.names == ("rooms",) and taxonomy.name == "taxonomy"
    assert topic.examples == ("dirty room", "객실이 깨끗해요")  # duplicates dropped, order kept
    assert (topic.display, topic.threshold, topic.parent, topic.keywords) == ("Rooms", 0.2, "stay", ("wifi",))
    assert topic.phrases == ("Hotel rooms", "dirty room", "객실이 깨끗해요", "bedroom")
    assert len(taxonomy.digest) == 64


def test_relative_paths_resolve_against_the_base_dir(tmp_path: Path) -> None:
    write(tmp_path, '[[topic]]\nname = "a"\ndescription = "x"\nexamples = ["y"]\n')
    assert load_taxonomy("taxonomy.toml", base_dir=tmp_path).names == ("a",)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('[[topic]]\nname = "rooms"\ndescription = "x"\nexamples = ["a"]\nexampels = ["b"]\n',
         "topic 'rooms': unknown key 'exampels'"),
        ('[[topic]]\nname = "rooms"\ndescription = "x"\nexamples = []\n', "topic 'rooms' is empty"),
        ('[[topic]]\nname = "rooms"\ndescription = "x"\n', "topic 'rooms' is empty"),
        ('[[topic]]\nname = "rooms"\ndescription = "x"\nexamples = ["a"]\n'
         '[[topic]]\nname = "Rooms"\ndescription = "y"\nexamples = ["b"]\n', "topic 'Rooms' is defined twice"),
        ('[[topic]]\ndescription = "x"\nexamples = ["a"]\n', "topic #1 has no 'name'"),
        ('[[topic]]\nname = "rooms"\ndescription = "x"\nexamples = ["a", " "]\n', "contains a blank phrase"),
        ('[[topic]]\nname = "rooms"\ndescription = "x"\nexamples = "a"\nthreshold = 2\n', "outside -1..1"),
        ('[[topic]]\nname = "my rooms"\ndescription = "x"\nexamples = ["a"]\n', "names are letters"),
        ('topics = []\n', "unknown top-level key 'topics'"),
        ('name = "hotel"\n', "no topics"),
        ('[[topic]\n', "not valid TOML"),
    ],
)
def test_validation_errors_name_the_key_the_topic_and_the_file(tmp_path: Path, body: str, expected: str) -> None:
    path = write(tmp_path, body)
    with pytest.raises(ConfigError) as info:
        load_taxonomy(str(path))
    assert expected in str(info.value)
    assert str(path) in str(info.value)


def test_a_missing_file_says_which_builtins_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"taxonomy file not found: .*built-in taxonomies: cx"):
        load_taxonomy(str(tmp_path / "nope.toml"))


def test_the_builtin_cx_taxonomy_has_ten_topics_with_korean_and_english_seeds() -> None:
    taxonomy = load_taxonomy("cx")
    assert taxonomy.source == str(BUILTIN["cx"]) and BUILTIN["cx"].parent.joinpath("__init__.py").is_file()
    assert len(taxonomy.topics) >= 10
    for topic in taxonomy.topics:
        assert topic.description and topic.label and topic.threshold is not None
        korean = [e for e in topic.examples if has_hangul(e)]
        english = [e for e in topic.examples if not has_hangul(e)]
        assert len(korean) >= 8 and len(english) >= 8, topic.name


def test_the_hotel_example_is_a_valid_custom_taxonomy() -> None:
    taxonomy = load_taxonomy(str(REPO / "examples" / "taxonomies" / "hotel.toml"))
    assert taxonomy.names == ("rooms", "service", "price", "location", "facilities", "food")
    assert all(t.threshold is None for t in taxonomy.topics)


def test_parse_taxonomy_accepts_a_dict() -> None:
    taxonomy = parse_taxonomy({"topic": [{"name": "a", "description": "", "examples": ["x"]}]}, source="inline")
    assert taxonomy.names == ("a",) and taxonomy.threshold is None
