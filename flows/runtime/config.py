"""Configuration: `brandpulse.toml` for settings, `BRANDPULSE_*` environment variables for secrets."""

from __future__ import annotations

import os
import tomllib
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from listeners.reddit.client import USER_AGENT as REDDIT_USER_AGENT
from models.alerts.settings import AlertSettings
from models.brands import Brand
from models.channels import ChannelSettings
from models.errors import ConfigError
from models.mention import EARLIEST_DATE, FUTURE_TOLERANCE_HOURS, DateLimits
from models.sentiment.batching import BATCH_SIZE

CONFIG_FILENAME = "brandpulse.toml"
REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES_DIR = REPO_ROOT / "examples"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WarehouseSettings(_Strict):
    """Where the DuckDB file lives and how long a writer waits for the lock."""

    path: Path = Path("data/brandpulse.duckdb")
    lock_timeout_s: float = Field(default=120.0, gt=0)
    # A whole run holds a file lock beside the database; an overlapping run waits this long for it.
    run_lock_timeout_s: float = Field(default=3600.0, gt=0)
    # Mention text and raw payloads older than this many days are dropped by `brandpulse retention`; None keeps all.
    retention_days: int | None = Field(default=None, ge=1)
    # Every channel's mentions must be dated from earliest_date to now + future_tolerance_hours; others are rejected.
    earliest_date: date = EARLIEST_DATE
    future_tolerance_hours: float = Field(default=FUTURE_TOLERANCE_HOURS, ge=0, le=24 * 366)
    # The read snapshot readers open instead of the live file, so they never block a run (warehouse/snapshot.py):
    # None (unset) = `<stem>.read.duckdb` beside `path`; a path = there; "" or false = no snapshot.
    read_snapshot: Path | Literal[False] | None = None
    # "file" (one DuckDB file, the default) or "ducklake": a shared catalog + Parquet files that several workers
    # write at once (warehouse/lake.py, docs/warehouse.md "DuckLake").
    kind: Literal["file", "ducklake"] = "file"
    # The DuckLake catalog without its password: "postgres:dbname=lake host=db.internal user=brandpulse", or a
    # catalog file ("data/lake.ducklake", one process at a time). BRANDPULSE_WAREHOUSE_CATALOG replaces it whole.
    catalog: str | None = None
    # Where the lake's Parquet files go: a local or shared folder (relative to the config file), or s3://… .
    data_path: str | None = None

    @field_validator("catalog")
    @classmethod
    def _no_password(cls, value: str | None) -> str | None:
        if value and "password" in value.lower():
            raise ValueError(
                "a password does not belong in brandpulse.toml: set BRANDPULSE_WAREHOUSE_CATALOG (the whole catalog "
                "string) or PGPASSWORD in the environment instead"
            )
        return value

    @model_validator(mode="after")
    def _lake_settings(self) -> WarehouseSettings:
        if self.kind == "ducklake" and not self.data_path:
            raise ValueError('kind = "ducklake" needs data_path (a folder or s3://… for the Parquet files)')
        return self

    @field_validator("read_snapshot", mode="before")
    @classmethod
    def _snapshot_off(cls, value: Any) -> Any:
        # TOML has no null: "" and false both mean off, true means the default place.
        if value == "" or value is False:
            return False
        return None if value is True else value

    def read_snapshot_path(self) -> Path | None:
        """Where the read snapshot is published, or None when it is turned off."""
        from warehouse.snapshot import default_snapshot_path

        # Lake readers never block writers, so a DuckLake warehouse needs no snapshot.
        if self.read_snapshot is False or self.kind == "ducklake":
            return None
        return self.read_snapshot or default_snapshot_path(self.path)

    def describe(self) -> str:
        """How summaries name the warehouse: its file, or the lake's data folder (never the catalog's credentials)."""
        return f"DuckLake (data_path {self.data_path})" if self.kind == "ducklake" else str(self.path)

    def date_limits(self) -> DateLimits:
        """The accepted `created_at` range, for `Warehouse(..., dates=...)`."""
        return DateLimits(self.earliest_date, self.future_tolerance_hours)


class RunnerSettings(_Strict):
    """Where scoring runs: Prefect's thread pool on this machine, or a Dask cluster (local or at `address`)."""

    kind: Literal["thread", "dask"] = "thread"
    address: str | None = None  # e.g. "tcp://scheduler:8786"; None with kind = "dask" starts a local cluster
    workers: int = Field(default=1, ge=1, le=256)
    processes: bool = False  # local Dask cluster only: worker processes (True) or threads in this process
    device: str = Field(default="cpu", pattern=r"^(cpu|cuda(:\d+)?|mps)$")  # where scoring workers run the model


class ModelSettings(_Strict):
    """Which sentiment model scores mentions, which topics they are scored for, and with which encoder."""

    sentiment: str = "bundled"
    taxonomy: str = "cx"  # a built-in ("cx"), "none" (no topics), or a taxonomy TOML path (docs/topics.md)
    encoder: str = "bundled"  # sentence encoder for topics and themes: e5, or a local transformers encoder folder
    batch_size: int = Field(default=BATCH_SIZE, ge=1, le=1024)
    # "auto": bf16 autocast where the CPU/GPU runs bf16 natively (about 2.5× faster, accuracy unchanged), else fp32.
    # "int8" (CPU, opt-in): faster again but fails the 0.5-point accuracy guard, so "auto" never picks it.
    precision: Literal["auto", "bf16", "fp32", "int8"] = "auto"




class SampleSettings(_Strict):
    """Files imported on every run: the offline sample data by default."""

    files: list[Path] = Field(default_factory=list)


class Config(_Strict):
    """The whole `brandpulse.toml`."""

    warehouse: WarehouseSettings = Field(default_factory=WarehouseSettings)
    model: ModelSettings = Field(default_factory=ModelSettings)
    brands: list[Brand] = Field(default_factory=list)
    channels: dict[str, ChannelSettings] = Field(default_factory=dict)
    # Defined beside the detector (models/alerts/settings.py): the run and the backtest read the same schema.
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    imports: SampleSettings = Field(default_factory=SampleSettings)
    runner: RunnerSettings = Field(default_factory=RunnerSettings)
    source: str | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _competitors_exist(self) -> Config:
        names = [brand.name for brand in self.brands]
        seen: set[str] = set()
        for index, name in enumerate(names):
            if name.casefold() in seen:
                raise ValueError(f"brands.{index}.name: brand {name!r} is defined twice")
            seen.add(name.casefold())
        for index, brand in enumerate(self.brands):
            for competitor in brand.competitors:
                if competitor.casefold() not in seen:
                    raise ValueError(
                        f"brands.{index}.competitors: {competitor!r} is not the name of a [[brands]] entry"
                    )
        return self

    @model_validator(mode="after")
    def _owned_once(self) -> Config:
        owners: dict[tuple[str | None, str | None, str | None], str] = {}
        for index, brand in enumerate(self.brands):
            for account in brand.owned_accounts():
                key = (account.channel, account.handle, account.author_id)
                other = owners.setdefault(key, brand.name)
                if other != brand.name:
                    raise ValueError(
                        f"brands.{index}.owned: {account.entry!r} of brand {brand.name!r} is already an owned "
                        f"account of {other!r}; an account belongs to one brand"
                    )
        return self

    def require_brands(self, command: str) -> None:
        """ConfigError when no [[brands]] are configured: `command` would run and silently match nothing."""
        if not self.brands:
            raise ConfigError(
                f"no brands configured, so `{command}` would match nothing: add a [[brands]] table with a name "
                'and terms, e.g. [[brands]] name = "Acme" terms = ["acme"]',
                key="brands",
                file=self.source,
            )

    def brand(self, name: str) -> Brand:
        """The brand with this name (case-insensitive), or ConfigError."""
        for brand in self.brands:
            if brand.name.casefold() == name.casefold():
                return brand
        known = ", ".join(b.name for b in self.brands) or "none"
        raise ConfigError(f"unknown brand {name!r} (configured: {known})", key="brands", file=self.source)


class Secrets(BaseSettings):
    """Secrets, read only from the environment (or a Prefect Secret block); never from the TOML file."""

    model_config = SettingsConfigDict(env_prefix="BRANDPULSE_", extra="ignore")

    slack_webhook_url: SecretStr | None = None
    slack_bot_token: SecretStr | None = None
    x_bearer_token: SecretStr | None = None
    reddit_client_id: SecretStr | None = None
    reddit_client_secret: SecretStr | None = None
    reddit_user_agent: str = REDDIT_USER_AGENT
    bluesky_handle: str | None = None
    bluesky_app_password: SecretStr | None = None
    naver_client_id: SecretStr | None = None
    naver_client_secret: SecretStr | None = None
    youtube_api_key: SecretStr | None = None
    warehouse_catalog: SecretStr | None = None  # the whole DuckLake catalog string, password included


def _location(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


def parse_config(data: dict[str, Any], *, source: str | None = None) -> Config:
    """Validate a TOML-shaped dict into Config, or raise ConfigError naming the key and the file."""
    if "brands" in data and isinstance(data["brands"], list):
        data = dict(data)
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = _location(err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = f"unknown setting {key!r}"
        more = f" (and {len(exc.errors()) - 1} more problem(s))" if len(exc.errors()) > 1 else ""
        raise ConfigError(f"invalid configuration: {message}{more}", key=key, file=source) from None
    base = Path(source).resolve().parent if source else Path.cwd()
    config.warehouse.path = _resolve(config.warehouse.path, base)
    if config.warehouse.data_path and "://" not in config.warehouse.data_path:
        config.warehouse.data_path = str(_resolve(Path(config.warehouse.data_path), base))
    catalog = config.warehouse.catalog
    if catalog and ":" not in catalog.split("/")[0]:  # a catalog file; postgres:… strings stay as written
        config.warehouse.catalog = str(_resolve(Path(catalog), base))
    if isinstance(config.warehouse.read_snapshot, Path):
        config.warehouse.read_snapshot = _resolve(config.warehouse.read_snapshot, base)
    config.imports.files = [_resolve(path, base) for path in config.imports.files]
    _resolve_topics(config, base, source)
    config.source = source
    return config


def _resolve_topics(config: Config, base: Path, source: str | None) -> None:
    """Resolve taxonomy and encoder paths against the config's folder; a broken taxonomy fails here, before a run."""
    from models.text.taxonomy import is_path_setting, load_taxonomy

    if is_path_setting(config.model.taxonomy):
        config.model.taxonomy = str(_resolve(Path(config.model.taxonomy), base))
    if config.model.taxonomy.strip().lower() != "none":
        try:
            load_taxonomy(config.model.taxonomy)
        except ConfigError as exc:
            raise ConfigError(str(exc).split(" (setting", 1)[0], key="model.taxonomy", file=source) from None
    if config.model.encoder.strip().lower() != "bundled":
        config.model.encoder = str(_resolve(Path(config.model.encoder), base))


def _resolve(path: Path, base: Path) -> Path:
    path = path.expanduser()
    return path if path.is_absolute() else base / path


def load_config(path: Path | None = None) -> Config:
    """Read `--config PATH`, else `./brandpulse.toml`, else the embedded offline demo defaults."""
    if path is None:
        candidate = Path.cwd() / CONFIG_FILENAME
        if not candidate.exists():
            return default_config()
        path = candidate
    if not path.exists():
        raise ConfigError(f"config file not found: {path}", file=str(path))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}", file=str(path)) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text", file=str(path)) from None
    return parse_config(data, source=str(path))


def default_config() -> Config:
    """The embedded demo: the sample brands, their sample files, a local DuckDB file, console alerts."""
    data = tomllib.loads((EXAMPLES_DIR / "brandpulse.toml").read_text(encoding="utf-8"))
    config = parse_config(data, source=str(EXAMPLES_DIR / "brandpulse.toml"))
    config.warehouse.path = Path.cwd() / "data" / "brandpulse.duckdb"
    config.source = None
    return config


# Prefect Secret blocks read when the environment variable is not set (block name = setting with dashes).
SECRET_BLOCKS: dict[str, str] = {
    name: "brandpulse-" + name.replace("_", "-")
    for name, field in Secrets.model_fields.items()
    if field.annotation is not None and "SecretStr" in str(field.annotation)
}


def load_secrets(*, prefect_blocks: bool | None = None) -> Secrets:
    """Secrets from `BRANDPULSE_*` environment variables, else from Prefect Secret blocks when a server is set."""
    secrets = Secrets()
    if prefect_blocks is None:
        prefect_blocks = bool(os.environ.get("PREFECT_API_URL"))
    if not prefect_blocks:
        return secrets
    found = {}
    for name, block in SECRET_BLOCKS.items():
        if getattr(secrets, name) is None and (value := _secret_block(block)):
            found[name] = SecretStr(value)
    return secrets.model_copy(update=found)


def _secret_block(name: str) -> str | None:
    """The value of the Prefect Secret block `name`, or None when there is no such block."""
    from prefect.blocks.system import Secret

    try:
        value = Secret.load(name).get()
    except ValueError:  # Prefect raises ValueError for a block that does not exist
        return None
    return str(value) if value else None
