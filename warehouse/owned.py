"""The brands' owned accounts in the warehouse: replaced from `[[brands]] owned` at each run (the views read them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import duckdb

from models.brands import Brand
from warehouse.connection import committed

_Row = tuple[str, str, str | None, str | None, str | None]


def owned_rows(brands: Sequence[Brand]) -> list[_Row]:
    """(brand, entry, channel, handle, author_id) for every owned account of these brands."""
    return [
        (brand.name, account.entry, account.channel, account.handle, account.author_id)
        for brand in brands
        for account in brand.owned_accounts()
    ]


def sync_owned_accounts(
    con: duckdb.DuckDBPyConnection, brands: Sequence[Brand], *, now: datetime | None = None
) -> bool:
    """Make `owned_accounts` list exactly the configured accounts, in one transaction; True when it changed."""
    wanted = sorted(set(owned_rows(brands)), key=repr)

    def unchanged() -> bool:
        stored = con.execute("SELECT brand, entry, channel, handle, author_id FROM owned_accounts").fetchall()
        return sorted(set(stored), key=repr) == wanted and len(stored) == len(wanted)

    # An unchanged list writes nothing, so runs starting together on a shared lake do not contend for its commits.
    if unchanged():
        return False

    def replace() -> bool:
        if unchanged():  # another writer applied the same list first
            return False
        con.execute("DELETE FROM owned_accounts")
        if wanted:
            con.executemany(
                "INSERT INTO owned_accounts VALUES (?, ?, ?, ?, ?, ?)",
                [(*row, now or datetime.now(UTC)) for row in wanted],
            )
        return True

    # committed: on a DuckLake warehouse a commit lost to another writer is rerun on its data, not raised.
    return committed(con, replace)
