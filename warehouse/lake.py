"""A DuckLake warehouse: a catalog (PostgreSQL for a team, a file for one machine) and Parquet files in data_path.

Several workers on different machines write at once and any number of readers query while they do. Extensions
are LOADed from the installed `duckdb-ext-*` wheels, never downloaded. DuckLake has no primary keys: loads stay
idempotent through anti-join inserts and the write token (warehouse/upsert.py, warehouse/connection.py).
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb

from models.errors import ConfigError, FatalError, WarehouseError
from models.mention import DateLimits
from models.retry import RetryPolicy
from warehouse.connection import (
    LAKE_CONNECTIONS,
    SANDBOX_SETTINGS,
    WRITE_TOKEN,
    Warehouse,
    first_row,
)

ALIAS = "lake"
# Known extensions are never fetched: a connection to the lake loads only the files shipped in the wheels.
_OFFLINE = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
# One DuckDB instance per lake in this process for its writers (and a catalog file's readers), handing out cursors.
_ROOTS: dict[tuple[int, str, str], duckdb.DuckDBPyConnection] = {}
_ROOTS_LOCK = threading.Lock()
_CATALOG_BUSY = ("Failed to initialize DuckLake", "duplicate key value", "could not serialize")
_INIT_ATTEMPTS = 12
_INIT_BACKOFF = RetryPolicy(base_delay=0.1, max_delay=2.0, jitter=0.5)
_EXTENSION_FILES = {"ducklake": "ducklake", "postgres": "postgres_scanner"}


class _CatalogBusy(Exception):
    """The catalog was being initialised by another connection at the same moment."""


def extension_file(name: str) -> Path:
    """The `.duckdb_extension` file of `name` shipped in the installed duckdb-ext wheel for this DuckDB version."""
    try:
        import duckdb_ext  # the namespace package the duckdb-ext-* wheels install
    except ImportError:
        duckdb_ext = None
    wanted = f"{_EXTENSION_FILES[name]}.duckdb_extension"
    for root in getattr(duckdb_ext, "__path__", []):
        found = sorted(Path(root).glob(f"extensions/v{duckdb.__version__}/*/{wanted}"))
        if found:
            return found[0]
    raise FatalError(
        f"the DuckDB extension {name!r} for DuckDB {duckdb.__version__} is not installed, and brandpulse never "
        f"downloads one: pip install 'duckdb-ext-{name}=={duckdb.__version__}.*' (pyproject.toml pins the version)"
    )


def _literal(text: str) -> str:
    """A SQL string literal (ATTACH takes no parameters)."""
    return "'" + text.replace("'", "''") + "'"


def catalog_kind(catalog: str) -> str:
    """'postgres' for a `postgres:` catalog, 'file' for a DuckDB catalog file; ConfigError for anything else."""
    if catalog.startswith(("postgres:", "postgresql:")):
        return "postgres"
    if ":" in catalog.split("/")[0]:
        raise ConfigError(
            f"[warehouse] catalog {catalog.split(':')[0]!r}: only 'postgres:…' (a team) or a catalog file path "
            "(one machine, e.g. 'data/lake.ducklake') are supported",
            key="warehouse.catalog",
        )
    return "file"


class LakeWarehouse(Warehouse):
    """`[warehouse] kind = "ducklake"`: `write()` and `read()` connect to the lake instead of opening a file.

    `path` stays a local file path: the run lock beside it keeps two runs of the same config on one host apart
    (workers on other hosts are kept apart by Prefect, docs/prefect.md).
    """

    shared = True

    def __init__(
        self,
        catalog: str,
        data_path: Path | str,
        *,
        path: Path | str,
        lock_timeout_s: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        notify: Callable[[str], None] | None = None,
        dates: DateLimits | None = None,
    ) -> None:
        super().__init__(path, lock_timeout_s=lock_timeout_s, sleep=sleep, rng=rng, notify=notify, dates=dates)
        self.catalog = catalog
        self.kind = catalog_kind(catalog)
        self.data_path = str(data_path)

    def __repr__(self) -> str:
        # The catalog may carry a password (from BRANDPULSE_WAREHOUSE_CATALOG): never shown.
        return f"LakeWarehouse(kind={self.kind!r}, data_path={self.data_path!r})"

    @property
    def where(self) -> str:
        """How messages name this warehouse (no credentials)."""
        return f"the DuckLake warehouse (data_path {self.data_path})"

    def connect(self, *, read_only: bool) -> duckdb.DuckDBPyConnection:
        """A connection with the lake attached as the current database; WarehouseError naming what failed.

        Writers of this process share one DuckDB instance with the lake attached (each gets its own cursor and
        transactions): attaching costs about 0.7 s (two extensions, the catalog), and a run opens many short
        connections. A file catalog can be attached once per process, so its readers share it too; a PostgreSQL
        catalog gives each reader a fresh read-only instance.
        """
        if self.kind == "file" or not read_only:
            with _ROOTS_LOCK:
                # Keyed by process too: a forked child must never use (or close) its parent's catalog connection,
                # whose socket both would then share; it attaches its own.
                catalog = str(Path(self.catalog).resolve()) if self.kind == "file" else self.catalog
                key = (os.getpid(), catalog, self._data_folder())
                root = _ROOTS.get(key)
                if root is None:
                    root = _ROOTS[key] = self._attach(read_only=False)
                try:
                    con = root.cursor()
                    con.execute(f"USE {ALIAS}")
                except duckdb.Error:
                    # The shared instance broke (its catalog connection was lost): attach afresh once.
                    root = _ROOTS[key] = self._attach(read_only=False)
                    con = root.cursor()
                    con.execute(f"USE {ALIAS}")
            # A sandboxed reader locks the shared instance's settings; the root set UTC already.
            if first_row(con.execute("SELECT current_setting('TimeZone')")) != ("UTC",):
                con.execute("SET TimeZone = 'UTC'")
        else:
            con = self._attach(read_only=read_only)
        LAKE_CONNECTIONS.add(id(con))
        return con

    def _attach(self, *, read_only: bool) -> duckdb.DuckDBPyConnection:
        """A new DuckDB instance with the lake attached; a catalog being created by another worker is waited for."""
        for attempt in range(1, _INIT_ATTEMPTS + 1):
            try:
                return self._attach_once(read_only=read_only)
            except _CatalogBusy:
                self._sleep(_INIT_BACKOFF.backoff(attempt, self._rng))
        return self._attach_once(read_only=read_only, last=True)

    def _attach_once(self, *, read_only: bool, last: bool = False) -> duckdb.DuckDBPyConnection:
        """One try: extensions loaded from the wheels, the lake attached and in use."""
        con = duckdb.connect(":memory:", config=dict(_OFFLINE))
        try:
            con.execute(f"LOAD {_literal(str(extension_file('ducklake')))}")
            if self.kind == "postgres":
                con.execute(f"LOAD {_literal(str(extension_file('postgres')))}")
            options = [f"DATA_PATH {_literal(self._data_folder())}"]
            if read_only:
                options.append("READ_ONLY")
            con.execute(f"ATTACH {_literal('ducklake:' + self.catalog)} AS {ALIAS} ({', '.join(options)})")
            con.execute(f"USE {ALIAS}")
            con.execute("SET GLOBAL TimeZone = 'UTC'")  # GLOBAL: cursors of a shared instance inherit it
        except duckdb.Error as exc:
            con.close()
            # Two workers (or a reader) meeting a new catalog: both create its tables in PostgreSQL, one loses.
            if not last and any(marker in str(exc) for marker in _CATALOG_BUSY):
                raise _CatalogBusy from exc
            message = " ".join(str(exc).replace(self.catalog, "<catalog>").split())[:300]
            raise WarehouseError(
                f"cannot open {self.where}: {message}. Check [warehouse] catalog (or BRANDPULSE_WAREHOUSE_CATALOG) "
                "and that the catalog database is reachable; a catalog file serves one process at a time.",
                path=self.data_path,
                cause="lake unavailable",
            ) from None
        return con

    def _data_folder(self) -> str:
        # A local folder is made absolute and created; object storage (s3://…) is passed as given.
        if "://" in self.data_path:
            return self.data_path.rstrip("/") + "/"
        folder = Path(self.data_path).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        return f"{folder}/"

    @contextmanager
    def _opened(self, *, read_only: bool) -> Iterator[duckdb.DuckDBPyConnection]:
        con = self.connect(read_only=read_only)
        try:
            with self._translated(writing=not read_only):
                yield con
        finally:
            LAKE_CONNECTIONS.discard(id(con))
            con.close()

    @contextmanager
    def write(self, *, migrate_schema: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
        """A migrated connection to the lake, closed on exit; concurrent writers are fine (no lock to wait for)."""
        from warehouse.schema import migrate

        with self._opened(read_only=False) as con:
            ensure_write_token(con)
            if migrate_schema:
                migrate(con)
            yield con

    @contextmanager
    def read(self, *, sandboxed: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection to the lake; `sandboxed` allows no file but the lake's own data files."""
        from warehouse.schema import SCHEMA_VERSION, current_version

        with self._opened(read_only=True) as con:
            version = current_version(con)
            if version < SCHEMA_VERSION:
                raise FatalError(
                    f"{self.where} is at schema version {version}, this brandpulse needs {SCHEMA_VERSION}: run "
                    "`brandpulse run` (or any command that writes) once to create or upgrade it"
                )
            if sandboxed and "://" not in self.data_path:
                con.execute(f"SET allowed_directories = [{_literal(self._data_folder())}]")
            if sandboxed:
                for statement in SANDBOX_SETTINGS:
                    con.execute(statement)
            yield con

    def check(self, *, writing: bool = True) -> None:
        """Connect once: the catalog is reachable and the extensions load (Parquet files are checked by DuckLake)."""
        with self._opened(read_only=not writing):
            pass

    def forget_verified(self) -> None:
        """Nothing to forget: the lake is not one file to verify."""


def ensure_write_token(con: duckdb.DuckDBPyConnection) -> None:
    """Create the one-row write token table when the lake has none yet (two creators: one conflicts and reruns)."""

    def create() -> None:
        con.execute(f"CREATE TABLE IF NOT EXISTS {WRITE_TOKEN} (n BIGINT)")
        row = first_row(con.execute(f"SELECT count(*) FROM {WRITE_TOKEN}"))
        if not row or not row[0]:
            con.execute(f"INSERT INTO {WRITE_TOKEN} VALUES (0)")

    exists = first_row(
        con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND table_name = ?",
                    [ALIAS, WRITE_TOKEN])
    )
    if exists and exists[0]:
        return
    # Outside transaction(): the token it would update is what is being created.
    for attempt in range(1, 11):
        con.execute("BEGIN TRANSACTION")
        try:
            create()
            con.execute("COMMIT")
            return
        except duckdb.TransactionException:
            with suppress(duckdb.Error):
                con.execute("ROLLBACK")  # already rolled back when the COMMIT itself lost
            time.sleep(0.05 * attempt)
    raise WarehouseError("could not create the lake's write token: other writers kept conflicting; run again",
                         cause="write conflicts")
