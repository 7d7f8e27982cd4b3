"""brandpulse.toml for tests: a warehouse in the folder, Acme and its competitor Globex, and any overrides."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ACME = {"name": "Acme", "terms": ["acme", "애크미"], "competitors": ["Globex"]}
GLOBEX = {"name": "Globex", "terms": ["globex"]}
DEFAULTS: dict[str, Any] = {"warehouse": {"path": "wh.duckdb"}, "brands": [ACME, GLOBEX]}


def config_text(**overrides: Any) -> str:
    """The TOML of `DEFAULTS` with `overrides`: a table given as a dict is merged key by key, anything else replaces."""
    data = dict(DEFAULTS)
    for key, value in overrides.items():
        base = data.get(key)
        data[key] = {**base, **value} if isinstance(base, Mapping) and isinstance(value, Mapping) else value
    return toml_text(data)


def write_config(folder: Path, **overrides: Any) -> Path:
    """Write `folder/brandpulse.toml` (see `config_text`) and return its path."""
    path = folder / "brandpulse.toml"
    path.write_text(config_text(**overrides), encoding="utf-8")
    return path


def toml_text(data: Mapping[str, Any], prefix: str = "") -> str:
    """A small TOML writer for config shapes: scalars and lists, tables (`[a.b]`) and arrays of tables (`[[a]]`)."""
    lines: list[str] = []
    tables: list[str] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            tables.append(f"[{name}]\n" + toml_text(value, f"{name}."))
        elif isinstance(value, list) and value and all(isinstance(item, Mapping) for item in value):
            tables += [f"[[{name}]]\n" + toml_text(item, f"{name}.") for item in value]
        else:
            lines.append(f"{key} = {_value(value)}\n")
    # Keys of a table come before its sub-tables, or TOML would file them under the last sub-table.
    return "".join(lines) + "".join(tables)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Path):
        return json.dumps(value.as_posix(), ensure_ascii=False)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # JSON string escapes are valid TOML basic-string escapes
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    raise TypeError(f"no TOML for {value!r}")
