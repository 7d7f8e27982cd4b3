"""The tweepy client the X listener is given: raw responses (for the rate-limit headers), a timeout, no sleeping."""

from __future__ import annotations

import logging
from typing import Any

import requests

from listeners.x.options import X_API_URL, XOptions


class ApiSession(requests.Session):
    """A requests session with a default timeout that can send X API calls to another base URL (proxy, test)."""

    def __init__(self, *, api_url: str = X_API_URL, timeout: float = 15.0) -> None:
        super().__init__()
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        """Send with the default timeout; tweepy hard-codes the X host, so the base URL is swapped here."""
        url = url.decode() if isinstance(url, bytes) else url
        if self.api_url != X_API_URL and url.startswith(X_API_URL):
            url = self.api_url + url[len(X_API_URL):]
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)


def x_client(token: str, options: XOptions) -> Any:
    """A tweepy.Client that returns raw responses (for the rate-limit headers) and never sleeps on a 429."""
    import tweepy

    # tweepy logs request headers, the bearer token included, at DEBUG: keep that logger above DEBUG.
    tweepy_log = logging.getLogger("tweepy.client")
    if tweepy_log.getEffectiveLevel() < logging.INFO:
        tweepy_log.setLevel(logging.INFO)
    client = tweepy.Client(bearer_token=token, return_type=requests.Response, wait_on_rate_limit=False)
    client.session = ApiSession(api_url=options.api_url, timeout=options.timeout_s)
    return client
