"""The praw client the Reddit listener is given: application-only OAuth, read-only, no retries of its own."""

from __future__ import annotations

from typing import Any

from listeners.reddit.options import RedditOptions

USER_AGENT = "brandpulse/0.1 (social listening)"  # the default of BRANDPULSE_REDDIT_USER_AGENT


def _single_try_strategy() -> type:
    """A prawcore retry strategy that never retries nor sleeps: brandpulse's retry loop is the only one."""
    from prawcore.sessions import FiniteRetryStrategy

    class SingleTry(FiniteRetryStrategy):
        def _sleep_seconds(self) -> float | None:
            return None

        def should_retry_on_failure(self) -> bool:
            return False

    return SingleTry


def reddit_client(client_id: str, client_secret: str, user_agent: str, options: RedditOptions) -> Any:
    """A read-only (application-only OAuth) praw.Reddit that never checks PyPI for updates nor retries by itself."""
    import praw

    reddit = praw.Reddit(
        client_id=client_id,
        client_secret=client_secret,
        user_agent=user_agent,
        check_for_updates=False,
        oauth_url=options.oauth_url.rstrip("/"),
        reddit_url=options.reddit_url.rstrip("/"),
        timeout=options.timeout_s,
    )
    # prawcore retries 5xx and connection errors twice with its own sleeps; stacked under call_with_retries that
    # would multiply requests in an outage. It has no public switch, so its sessions get a single-try strategy.
    for core in (reddit._read_only_core, reddit._authorized_core):
        if core is not None and hasattr(core, "_retry_strategy_class"):
            core._retry_strategy_class = _single_try_strategy()
    return reddit
