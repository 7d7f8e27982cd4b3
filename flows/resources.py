"""What flows and commands use beyond the config, built in one place: warehouse, alert sender, model, channels."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from rich.console import Console

from flows.alerts.senders import Sender
from flows.alerts.slack import choose_sender
from flows.runtime.config import Config, Secrets, load_secrets
from listeners.registry import CHANNELS, Channel
from models.errors import ConfigError
from warehouse import Warehouse


@dataclass(frozen=True)
class Resources:
    """The configured warehouse, secrets, alert sender, sentiment model loader and channel builders of one run.

    A test or a deployment swaps any of them here (`build_resources(config, sender=..., channels=...)`);
    secrets and the sender are built on first use, so a read-only command never touches them.
    """

    config: Config
    warehouse: Warehouse
    channels: Mapping[str, Channel]
    load_model: Callable[[str | None], Any]
    given_secrets: Secrets | None = field(default=None, repr=False)
    given_sender: tuple[Sender, str] | None = field(default=None, repr=False)

    @cached_property
    def secrets(self) -> Secrets:
        """The secrets (environment, else Prefect Secret blocks), read once."""
        return self.given_secrets if self.given_secrets is not None else load_secrets()

    @cached_property
    def alerts(self) -> tuple[Sender, str]:
        """The alert sender and its destination ("console" without Slack settings)."""
        if self.given_sender is not None:
            return self.given_sender
        return choose_sender(
            self.secrets.slack_webhook_url,
            Console(),
            bot_token=self.secrets.slack_bot_token,
            channel=self.config.alerts.slack_channel,
            timeout_s=self.config.alerts.slack_timeout_s,
        )

    def sentiment(self, name: str | None = None) -> Any:
        """The sentiment model `name` (default `[model] sentiment`), loaded once per process."""
        return self.load_model(name)


def build_warehouse(config: Config, *, notify: Callable[[str], None] | None = None) -> Warehouse:
    """The warehouse with every `[warehouse]` setting that applies to it (kind, lock timeout, accepted dates)."""
    settings = config.warehouse
    if settings.kind == "ducklake":
        from warehouse.lake import LakeWarehouse

        secret = Secrets().warehouse_catalog  # the environment only: a catalog is needed before any flow runs
        catalog = secret.get_secret_value() if secret is not None else settings.catalog
        if not catalog or not settings.data_path:
            raise ConfigError(
                'kind = "ducklake" needs [warehouse] catalog (or BRANDPULSE_WAREHOUSE_CATALOG) and data_path',
                key="warehouse.catalog",
                file=config.source,
            )
        return LakeWarehouse(
            catalog, settings.data_path, path=settings.path, lock_timeout_s=settings.lock_timeout_s,
            dates=settings.date_limits(), notify=notify,
        )
    return Warehouse(settings.path, lock_timeout_s=settings.lock_timeout_s, dates=settings.date_limits(), notify=notify)


def build_resources(
    config: Config,
    *,
    notify: Callable[[str], None] | None = None,
    warehouse: Warehouse | None = None,
    secrets: Secrets | None = None,
    sender: tuple[Sender, str] | None = None,
    channels: Mapping[str, Channel] | None = None,
    load_model: Callable[[str | None], Any] | None = None,
) -> Resources:
    """Resources from the config; any one given here replaces the configured one."""
    model = config.model

    def configured_model(name: str | None = None) -> Any:
        # Imported here, not above: the score step imports Prefect (about 2 s), which read-only commands never need.
        from flows.steps.score import cached_model

        # The same cache the scoring tasks use, so the score step, topics and alerts share one loaded model.
        return cached_model(name or model.sentiment, model.batch_size, "cpu", model.precision)

    return Resources(
        config=config,
        warehouse=warehouse if warehouse is not None else build_warehouse(config, notify=notify),
        channels=channels if channels is not None else CHANNELS,
        load_model=load_model or configured_model,
        given_secrets=secrets,
        given_sender=sender,
    )
