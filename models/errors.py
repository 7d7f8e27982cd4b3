"""Exceptions sorted by what the caller should do: retry, fail the unit of work, or skip the record."""

from __future__ import annotations

import math


class BrandpulseError(Exception):
    """Base of every error brandpulse raises on purpose."""


class RetryableError(BrandpulseError):
    """A transient failure (429, 5xx, timeout, DuckDB lock): try again later with backoff."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(RetryableError):
    """The platform asked us to wait; `retry_after` seconds (or `resume_at`) says how long."""

    def __init__(self, message: str, *, retry_after: float | None = None, resume_at: float | None = None):
        super().__init__(message, retry_after=retry_after)
        self.resume_at = resume_at


class QuotaExhausted(RateLimited):
    """A daily API quota (or this run's share of it) is spent: stop the channel now, keep its cursor, never retry."""

    def __init__(self, message: str, *, resume_at: float | None = None) -> None:
        # An endless wait: the one retry loop re-raises at once instead of calling a spent quota again.
        super().__init__(message, retry_after=math.inf, resume_at=resume_at)


class WarehouseLocked(RetryableError):
    """Another process holds the DuckDB file; wait and retry, never drop the batch."""

    def __init__(
        self, message: str, *, path: object = None, pid: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, retry_after=retry_after)
        self.path = path
        self.pid = pid


class WarehouseConflict(RetryableError):
    """Another DuckLake writer committed a conflicting change first; run the transaction again."""


class FatalError(BrandpulseError):
    """Retrying will not help: stop this channel, brand or run and tell the user what to fix."""


class ConfigError(FatalError):
    """The configuration is wrong; the message names the key and the file."""

    def __init__(self, message: str, *, key: str | None = None, file: str | None = None) -> None:
        where = " ".join(part for part in (f"setting '{key}'" if key else "", f"in {file}" if file else "") if part)
        super().__init__(f"{message} ({where})" if where else message)
        self.key = key
        self.file = file


class CredentialError(FatalError):
    """A credential is missing or rejected (401/403); the message names the setting, never its value."""

    def __init__(self, message: str, *, setting: str | None = None) -> None:
        super().__init__(message)
        self.setting = setting


class WarehouseError(FatalError):
    """The warehouse file cannot be used as it is; the one-line message names the file, the cause and the fix."""

    def __init__(self, message: str, *, path: object = None, cause: str = "") -> None:
        super().__init__(message)
        self.path = path
        self.cause = cause


class WarehouseCorrupt(WarehouseError):
    """The file is truncated, not a DuckDB file, or fails a checksum: restore a backup; nothing is written to it."""


class WarehouseNotWritable(WarehouseError):
    """The file (or its folder) is read-only, or the path is a folder: fix permissions or the configured path."""


class WarehouseDiskFull(WarehouseError):
    """The disk holding the warehouse is full: free space, then run again (the failed transaction rolled back)."""


class AccessDenied(FatalError):
    """A server refused (401/403) a channel that sends no credential: the address or the server's policy is wrong."""


class ModelUnavailable(FatalError):
    """A sentiment model cannot be loaded (offline hub id, missing package, bad folder)."""


class RecordError(BrandpulseError):
    """One input record is bad: reject it with a reason, keep the rest of the batch going."""

    def __init__(self, reason: str, *, source: str | None = None, line: int | None = None) -> None:
        where = f"{source}:{line}: " if source and line is not None else (f"{source}: " if source else "")
        super().__init__(f"{where}{reason}")
        self.reason = reason
        self.source = source
        self.line = line
