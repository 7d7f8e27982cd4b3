"""The settings every `[channels.NAME]` table shares; each channel validates its own extra keys."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ChannelSettings(BaseModel):
    """One `[channels.NAME]` table; channel-specific keys are kept for the listener to read."""

    model_config = ConfigDict(extra="allow")

    enabled: bool = False
    max_pages: int = Field(default=5, ge=1, le=100)
