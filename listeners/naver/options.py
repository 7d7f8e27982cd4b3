"""`[channels.naver]`: the Naver channel's own settings (unknown keys are an error)."""

from __future__ import annotations

from pydantic import Field, field_validator

from listeners.feeds import StrictOptions
from listeners.naver.listener import DAILY_CALLS, DEVELOPERS_URL, ENDPOINTS, HUB_URL, Endpoint, Form


class NaverOptions(StrictOptions):
    """`[channels.naver]` keys beyond `enabled` / `max_pages`."""

    endpoints: list[Endpoint] = Field(default_factory=lambda: list(ENDPOINTS), min_length=1)
    form: Form = "developers"  # "hub": the NAVER API HUB form on Naver Cloud (other path and header names)
    api_url: str | None = None  # default: openapi.naver.com, or the API HUB gateway for form = "hub"
    daily_quota: int = Field(default=DAILY_CALLS, ge=1)  # calls a day for the application
    run_share: float = Field(default=0.05, gt=0, le=1)  # the most of the daily quota one run may spend
    max_wait_s: float = Field(default=120.0, ge=0, le=900)

    @field_validator("endpoints")
    @classmethod
    def _unique(cls, endpoints: list[Endpoint]) -> list[Endpoint]:
        return list(dict.fromkeys(endpoints))

    @field_validator("api_url")
    @classmethod
    def _url(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("https://", "http://")):
            raise ValueError(f"api_url {url!r} must start with https://")
        return url

    def base_url(self) -> str:
        """The API's base URL for the configured form."""
        return self.api_url or (HUB_URL if self.form == "hub" else DEVELOPERS_URL)
