"""Topic taxonomies: the `[[topic]]` TOML format, its validation, and the built-in CX taxonomy."""

from __future__ import annotations

import hashlib
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.errors import ConfigError

TAXONOMY_DIR = Path(__file__).resolve().parent / "taxonomies"
BUILTIN: dict[str, Path] = {"cx": TAXONOMY_DIR / "cx.toml"}
OFF = "none"  # `[model] taxonomy = "none"` turns topic scoring off
SETTING = "model.taxonomy"

TOPIC_KEYS_REQUIRED = ("name", "description", "examples")
# Extra keys a topic may carry; anything else is a typo and fails loudly.
TOPIC_KEYS_OPTIONAL = ("label", "aliases", "threshold", "parent", "keywords")
TOP_LEVEL_KEYS = ("topic", "name", "description", "threshold", "encoder")
MAX_PHRASE_CHARS = 300
_NAME = re.compile(r"^[\w][\w.-]*$")


@dataclass(frozen=True)
class Topic:
    """One topic: a machine name, what it covers, example phrases in any language, optional settings."""

    name: str
    description: str
    examples: tuple[str, ...]
    label: str = ""
    aliases: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    threshold: float | None = None
    parent: str | None = None

    @property
    def display(self) -> str:
        """The human label, or the name when none is given."""
        return self.label or self.name

    @property
    def phrases(self) -> tuple[str, ...]:
        """Every phrase that describes the topic: description, examples and aliases."""
        return tuple(p for p in (self.description, *self.examples, *self.aliases) if p)


@dataclass(frozen=True)
class Taxonomy:
    """A validated list of topics, where it came from, and a digest of its content (part of the model version)."""

    name: str
    topics: tuple[Topic, ...]
    source: str
    digest: str
    threshold: float | None = None
    encoder: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """Topic names in file order."""
        return tuple(t.name for t in self.topics)

    def topic(self, name: str) -> Topic:
        """The topic with this name, or KeyError."""
        for topic in self.topics:
            if topic.name == name:
                return topic
        raise KeyError(name)


def _fail(message: str, source: str, key: str | None = None) -> ConfigError:
    return ConfigError(f"taxonomy {source}: {message}", key=key, file=source)


def _phrases(value: Any, where: str, field: str, source: str, *, required: bool) -> tuple[str, ...]:
    """A list of non-blank strings (trimmed, duplicates dropped), or ConfigError naming the topic and key."""
    if value is None:
        if required:
            raise _fail(f"{where} has no {field!r}", source, field)
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(f"{where}: {field!r} must be a list of strings", source, field)
    cleaned = [v.strip() for v in value]
    if any(not v for v in cleaned):
        raise _fail(f"{where}: {field!r} contains a blank phrase", source, field)
    too_long = [v for v in cleaned if len(v) > MAX_PHRASE_CHARS]
    if too_long:
        raise _fail(f"{where}: {field!r} phrase longer than {MAX_PHRASE_CHARS} characters: {too_long[0][:40]!r}…",
                    source, field)
    return tuple(dict.fromkeys(cleaned))


def _threshold(value: Any, where: str, source: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _fail(f"{where}: 'threshold' must be a number", source, "threshold")
    if not -1.0 <= float(value) <= 1.0:
        raise _fail(f"{where}: 'threshold' {value} is outside -1..1 (a cosine similarity)", source, "threshold")
    return float(value)


def parse_topic(table: Any, index: int, source: str) -> Topic:
    """Validate one `[[topic]]` table; `index` is 1-based, for messages."""
    if not isinstance(table, dict):
        raise _fail(f"topic #{index} is not a table; write it as [[topic]]", source, "topic")
    raw_name = table.get("name")
    if not isinstance(raw_name, str) or not raw_name.strip():
        raise _fail(f"topic #{index} has no 'name'", source, "name")
    name = raw_name.strip()
    where = f"topic {name!r}"
    if not _NAME.match(name):
        raise _fail(f"{where}: names are letters, digits, '_', '-' and '.' (e.g. 'delivery', 'front_desk')",
                    source, "name")
    unknown = sorted(set(table) - set(TOPIC_KEYS_REQUIRED) - set(TOPIC_KEYS_OPTIONAL))
    if unknown:
        allowed = ", ".join((*TOPIC_KEYS_REQUIRED, *TOPIC_KEYS_OPTIONAL))
        raise _fail(f"{where}: unknown key {unknown[0]!r} (allowed: {allowed})", source, unknown[0])
    description = table.get("description", "")
    if not isinstance(description, str):
        raise _fail(f"{where}: 'description' must be a string", source, "description")
    examples = _phrases(table.get("examples"), where, "examples", source, required=False)
    aliases = _phrases(table.get("aliases"), where, "aliases", source, required=False)
    keywords = _phrases(table.get("keywords"), where, "keywords", source, required=False)
    if not examples:
        raise _fail(f"{where} is empty: give it 'examples', a list of short phrases people would write",
                    source, "examples")
    label = table.get("label", "")
    parent = table.get("parent")
    for key, value in (("label", label), ("parent", parent)):
        if value is not None and not isinstance(value, str):
            raise _fail(f"{where}: {key!r} must be a string", source, key)
    return Topic(
        name=name,
        description=description.strip(),
        examples=examples,
        label=(label or "").strip(),
        aliases=aliases,
        keywords=tuple(k.casefold() for k in keywords),
        threshold=_threshold(table.get("threshold"), where, source),
        parent=(parent or "").strip() or None,
    )


def parse_taxonomy(data: dict[str, Any], *, source: str, name: str | None = None, digest: str = "") -> Taxonomy:
    """Validate a TOML-shaped dict into a Taxonomy, or raise ConfigError naming the key, the topic and the file."""
    unknown = sorted(set(data) - set(TOP_LEVEL_KEYS))
    if unknown:
        raise _fail(f"unknown top-level key {unknown[0]!r} (a topic is written as [[topic]])", source, unknown[0])
    tables = data.get("topic")
    if not isinstance(tables, list) or not tables:
        raise _fail("no topics: add at least one [[topic]] table with name, description and examples",
                    source, "topic")
    topics = [parse_topic(table, i, source) for i, table in enumerate(tables, start=1)]
    seen: dict[str, int] = {}
    for i, topic in enumerate(topics, start=1):
        folded = topic.name.casefold()
        if folded in seen:
            raise _fail(f"topic {topic.name!r} is defined twice (topics #{seen[folded]} and #{i})", source, "name")
        seen[folded] = i
    title = data.get("name", name or Path(source).stem)
    encoder = data.get("encoder")
    if not isinstance(title, str) or (encoder is not None and not isinstance(encoder, str)):
        raise _fail("top-level 'name' and 'encoder' must be strings", source, "name")
    if not digest:
        digest = hashlib.sha256(repr(sorted(data.items(), key=lambda kv: kv[0])).encode()).hexdigest()
    return Taxonomy(
        name=title,
        topics=tuple(topics),
        source=source,
        digest=digest,
        threshold=_threshold(data.get("threshold"), "the taxonomy", source),
        encoder=encoder,
    )


def is_path_setting(value: str) -> bool:
    """`[model] taxonomy` names a built-in ("cx", "none") unless it looks like a file path."""
    return value.strip().lower() not in (*BUILTIN, OFF)


def load_taxonomy(name_or_path: str | Path = "cx", *, base_dir: Path | None = None) -> Taxonomy:
    """A built-in taxonomy by name, or a TOML file (relative paths resolve against `base_dir`)."""
    text_value = str(name_or_path).strip()
    if text_value.lower() in BUILTIN:
        path, name = BUILTIN[text_value.lower()], text_value.lower()
    else:
        path = Path(text_value).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        name = path.stem
        if not path.is_file():
            known = ", ".join(BUILTIN)
            raise ConfigError(f"taxonomy file not found: {path} (built-in taxonomies: {known})", key=SETTING)
    raw = path.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise _fail("not UTF-8 text", str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise _fail(f"not valid TOML: {exc}", str(path)) from None
    return parse_taxonomy(data, source=str(path), name=name, digest=hashlib.sha256(raw).hexdigest())
