"""The DuckDB warehouse: schema and migrations, short-lived connections, idempotent loads, views and queries."""

from __future__ import annotations

from warehouse.connection import Warehouse, is_lock_conflict, transaction
from warehouse.load import (
    LoadResult,
    abandon_runs,
    finish_run,
    get_cursor,
    load_mentions,
    load_scores,
    recent_runs,
    save_rejects,
    start_run,
    unscored_mentions,
)
from warehouse.queries import pipeline as queries
from warehouse.queries.pipeline import (
    SqlRefused,
    hourly_counts,
    negative_by_channel,
    newest_mention_time,
    run_readonly_sql,
    summary,
)
from warehouse.schema import SCHEMA_VERSION, current_version, migrate
from warehouse.views import VIEW_NAMES, create_views

__all__ = [
    "SCHEMA_VERSION",
    "VIEW_NAMES",
    "LoadResult",
    "SqlRefused",
    "Warehouse",
    "abandon_runs",
    "create_views",
    "current_version",
    "finish_run",
    "get_cursor",
    "hourly_counts",
    "is_lock_conflict",
    "load_mentions",
    "load_scores",
    "migrate",
    "negative_by_channel",
    "newest_mention_time",
    "queries",
    "recent_runs",
    "run_readonly_sql",
    "save_rejects",
    "start_run",
    "summary",
    "transaction",
    "unscored_mentions",
]
