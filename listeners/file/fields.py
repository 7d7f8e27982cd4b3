"""One import row's values (CSV strings or JSON values) coerced into Mention fields, or a reason why not."""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

from models.mention import Mention, as_utc

REQUIRED_FIELDS = ("id", "text", "created_at")
_TEXT_FIELDS = ("channel", "id", "text", "url", "author_id", "author_handle", "lang", "kind", "parent_id")
_FIELDS = frozenset(Mention.model_fields) - {"raw"}


class FieldProblem(Exception):
    """One field of one row cannot become a Mention field."""


def json_type(value: Any) -> str:
    """How a JSON value is named in a reason: an array, an object, a string, a boolean, null, a number."""
    return {list: "an array", dict: "an object", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )



def _nul_field(value: Any, path: str) -> str | None:
    """The name of the first field holding a NUL character, looking inside nested objects."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _nul_field(item, f"{path}.{key}" if path else str(key))
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _nul_field(item, f"{path}[{index}]")
            if found:
                return found
    return None


def mention_fields(values: dict[str, Any], channel: Any) -> dict[str, Any]:
    """Coerce one row's values (CSV strings or JSON values) into Mention fields, or raise FieldProblem."""
    nul = _nul_field(values, "")
    if nul:
        raise FieldProblem(f"{nul} contains a NUL byte (\\x00); remove control characters from the export")
    for name in REQUIRED_FIELDS:
        value = values.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise FieldProblem(f"{name} is missing or empty (every row needs id, text and created_at)")
    data: dict[str, Any] = {"channel": channel}
    for name in _TEXT_FIELDS:
        if name in values and name != "channel":
            data[name] = _text(name, values[name])
    data["channel"] = _text("channel", channel)
    if data.get("kind"):
        data["kind"] = data["kind"].strip().lower()
    data["created_at"] = _timestamp(values["created_at"])
    if values.get("author_followers") is not None:
        data["author_followers"] = _whole_number("author_followers", values["author_followers"])
    if values.get("rating") is not None:
        data["rating"] = _number("rating", values["rating"])
    if values.get("rating_scale") is not None:
        data["rating_scale"] = _text("rating_scale", values["rating_scale"])
    data["metrics"] = _metrics(values)
    return {key: value for key, value in data.items() if key in _FIELDS and value is not None}


def _text(name: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value if name == "text" else (value.strip() or None)
    if isinstance(value, int) and not isinstance(value, bool) and name in ("id", "author_id", "parent_id"):
        return str(value)  # numeric ids straight from a platform's JSON
    raise FieldProblem(f"{name} must be a string, got {json_type(value)} {value!r}"[:300])


def _timestamp(value: Any) -> datetime:
    if not isinstance(value, str):
        raise FieldProblem(f"created_at must be an ISO-8601 string like 2026-11-19T10:00:00Z, got {value!r}")
    try:
        stamp = datetime.fromisoformat(value.strip())
        return as_utc(stamp)  # naive = UTC: survey tools rarely write an offset
    except (ValueError, OverflowError):
        raise FieldProblem(
            f"created_at {value.strip()[:60]!r} is not an ISO-8601 timestamp "
            "(e.g. 2026-11-19T10:00:00Z or 2026-11-19 19:00:00+09:00)"
        ) from None


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool):
        raise FieldProblem(f"{name} must be a number, got {value!r}")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip().replace(",", "").replace("_", ""))
        except ValueError:
            raise FieldProblem(f"{name} must be a number, got {value.strip()[:60]!r}") from None
    else:
        raise FieldProblem(f"{name} must be a number, got {json_type(value)}")
    if not math.isfinite(number):
        raise FieldProblem(f"{name} must be a finite number, got {value!r}")
    return number


def _whole_number(name: str, value: Any) -> int:
    number = _number(name, value)
    if not number.is_integer():
        raise FieldProblem(f"{name} must be a whole number, got {value!r}")
    return int(number)


def _metrics(values: dict[str, Any]) -> dict[str, float]:
    metrics: dict[str, float] = {}
    given = values.get("metrics")
    if isinstance(given, str):
        try:
            given = json.loads(given)
        except json.JSONDecodeError:
            given = None
        if not isinstance(given, dict):
            raise FieldProblem('metrics must be a JSON object like {"likes": 3, "reposts": 1}')
    if given is not None and not isinstance(given, dict):
        raise FieldProblem(f'metrics must be an object like {{"likes": 3}}, got {json_type(given)}')
    for key, value in (given or {}).items():
        if value is not None:
            metrics[str(key)] = _number(f"metrics.{key}", value)
    # Flat exports spell each metric as its own column: metrics.likes, metrics.reposts, …
    for key, value in values.items():
        if key.startswith("metrics.") and len(key) > 8 and value not in (None, ""):
            metrics[key[8:]] = _number(key, value)
    return metrics
