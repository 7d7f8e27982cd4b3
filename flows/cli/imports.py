"""`brandpulse import`: CSV/JSONL files of mentions or survey feedback into the warehouse, bad rows to rejects."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flows.cli.common import EXIT_ERROR, EXIT_PARTIAL, ConfigOption, edited_note, err, fail, out, resources, safe_text
from flows.runtime.config import load_config
from models.errors import BrandpulseError


def import_(
    files: Annotated[list[Path], typer.Argument(help="CSV or JSONL files of mentions or survey feedback.")],
    brand: Annotated[str | None, typer.Option(help="Assign every row to this brand (e.g. survey answers).")] = None,
    channel: Annotated[str, typer.Option(help="Channel for rows without a channel column.")] = "file",
    config: ConfigOption = None,
) -> None:
    """Import mentions or survey feedback; bad rows go to the rejects table with line and reason.

    A file that cannot be read is reported and skipped, the others are imported: exit status 3 (partial).
    """
    from flows.runtime.read_snapshot import refresh_read_snapshot
    from flows.runtime.runs import new_run_id
    from flows.steps.imports import import_file
    from models.brands import BrandMatcher
    from warehouse.owned import sync_owned_accounts

    try:
        cfg = load_config(config)
        if brand is not None:
            brand = cfg.brand(brand).name
        wh = resources(cfg).warehouse
        if cfg.brands:  # as a run does, so the imported owned posts are kept apart at once
            with wh.write() as con:
                sync_owned_accounts(con, cfg.brands)
        matcher = BrandMatcher.from_brands(cfg.brands)
        run_id = new_run_id("import-")
        failed: list[str] = []
        changed = False
        for path in files:
            result = import_file(
                wh, path, matcher, run_id=run_id, default_channel=channel, default_brand=brand, force=True
            )
            if result.error is not None:
                err.print(safe_text(f"{path}: failed: {result.error}", style="red"))
                failed.append(str(path))
                continue
            changed = changed or bool(result.inserted or result.edited)
            out.print(
                f"{path}: {result.read} valid rows, {result.inserted} new, {edited_note(result.edited)}"
                f"{result.duplicates} already stored, {result.rejected} rejected, {result.unmatched} matched no brand",
                markup=False,
            )
            for reject in result.rejects[:20]:
                where = f"line {reject.line}" if reject.line is not None else (reject.record_id or "?")
                err.print(safe_text(f"  rejected {where}: {reject.reason}"), highlight=False)
            if result.rejected > 20:
                err.print(f'  … and {result.rejected - 20} more: brandpulse sql "SELECT * FROM rejects"')
            if result.read == 0 and result.rejected > 0:
                failed.append(str(path))  # every row was rejected: nothing of this file got in
        snapshot = refresh_read_snapshot(wh, cfg, changed=changed)
    except BrandpulseError as exc:
        raise fail(exc) from None
    out.print(f"warehouse: {cfg.warehouse.describe()}", markup=False)
    if snapshot.path is not None:
        out.print(f"read snapshot: {snapshot.path} (published {snapshot.published_at or 'not yet'})", markup=False)
    if failed:
        # Nothing imported at all is a failure; some files in and some not is partial.
        raise typer.Exit(EXIT_ERROR if len(failed) == len(files) else EXIT_PARTIAL)
