"""Bluesky sessions: access tokens kept per (host, handle) for this process, so a run logs in once."""

from __future__ import annotations

import time
from collections.abc import Callable

SESSION_TTL_S = 3600.0  # access tokens live about two hours; renew well before


class SessionCache:
    """Access tokens per (host, handle) for this process: createSession allows ~300 logins a day per account."""

    def __init__(self, ttl_s: float = SESSION_TTL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self.clock = clock
        self._tokens: dict[tuple[str, str], tuple[str, float]] = {}

    def get(self, host: str, handle: str) -> str | None:
        """A token still within its time to live, or None."""
        entry = self._tokens.get((host, handle.casefold()))
        return entry[0] if entry and self.clock() < entry[1] else None

    def put(self, host: str, handle: str, token: str) -> None:
        """Remember a fresh token."""
        self._tokens[(host, handle.casefold())] = (token, self.clock() + self.ttl_s)


SESSIONS = SessionCache()
