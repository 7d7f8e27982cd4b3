"""Plain functions behind the pipeline's tasks: import files, score what is unscored. Tested without Prefect."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from listeners.file import FileListener, file_cursor
from models.brands import BrandMatcher
from models.errors import FatalError
from models.mention import BrandMatch, Mention, Reject
from warehouse import (
    Warehouse,
    get_cursor,
    load_mentions,
)

log = logging.getLogger("brandpulse")


@dataclass
class ImportResult:
    """What importing one file did."""

    source: str
    read: int = 0
    inserted: int = 0
    duplicates: int = 0
    rejected: int = 0
    unmatched: int = 0
    edited: int = 0
    skipped_unchanged: bool = False
    error: str | None = None  # why the file could not be read at all (missing, a directory, unreadable)
    rejects: list[Reject] = field(default_factory=list)


def assign_brands(
    mention: Mention, matcher: BrandMatcher, default_brand: str | None = None
) -> list[BrandMatch] | Reject:
    """Brands for one mention: an explicit `brand` column (or `--brand`) wins, else the terms and owned accounts."""
    explicit = (mention.raw or {}).get("brand") or default_brand
    if isinstance(explicit, str) and explicit.strip():
        match = matcher.named(explicit)
        if match is None:
            known = ", ".join(brand.name for brand in matcher.brands) or "none configured"
            return Reject(
                source=mention.channel,
                reason=f"brand {explicit!r} is not a configured brand (configured: {known})",
                channel=mention.channel,
                record_id=mention.id,
            )
        return [match]
    return matcher.match_mention(mention)


def import_file(
    warehouse: Warehouse,
    path: Path,
    matcher: BrandMatcher,
    *,
    run_id: str,
    default_channel: str = "file",
    default_brand: str | None = None,
    force: bool = False,
) -> ImportResult:
    """Load one CSV/JSONL file: valid rows with their brand matches, bad rows into `rejects`, cursor with the data.

    A file that cannot be read at all (missing, a directory, no permission, unsupported type) is this source's
    failure: `result.error` says why and nothing is stored; warehouse errors still raise.
    """
    result = ImportResult(source=str(path))
    try:
        cursor = file_cursor(path)
        listener = FileListener(path, default_channel=default_channel)
    except FatalError as exc:
        result.error = str(exc)
        log.warning("import %s failed: %s", path, result.error)
        return result
    if not force:
        with warehouse.write() as con:
            if get_cursor(con, cursor.channel, cursor.scope) == cursor.value:
                result.skipped_unchanged = True
                return result
    batch: list[Mention] = []
    matches: dict[tuple[str, str], list[BrandMatch]] = {}
    for item in listener.read():
        if isinstance(item, Reject):
            result.rejects.append(item)
            continue
        result.read += 1
        brands = assign_brands(item, matcher, default_brand)
        if isinstance(brands, Reject):
            result.rejects.append(
                brands.model_copy(update={"source": str(path), "line": (item.raw or {}).get("_line")})
            )
            continue
        if not brands:
            result.unmatched += 1
        batch.append(item)
        matches[item.key] = brands
    # One transaction for the rows, their matches, the rejects and the cursor: a crash leaves none of them.
    with warehouse.write() as con:
        loaded = load_mentions(
            con, batch, matches, run_id=run_id, cursor=cursor, rejects=result.rejects, dates=warehouse.dates,
            source=str(path),
        )
    result.inserted, result.duplicates, result.edited = loaded.inserted, loaded.duplicates, loaded.edited
    result.rejects.extend(loaded.refused)  # rows dated out of range, rejected by the load
    result.rejected = len(result.rejects)
    return result


