"""The settings every `[channels.NAME]` table shares; each channel validates its own extra keys."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ChannelSettings(BaseModel):
    """One `[channels.NAME]` table; channel-specific keys are kept for the listener to read."""

    model_config = ConfigDict(extra="allow")

    # "auto": listen when the channel's credentials are set, otherwise skip it with a note (not a failure).
    enabled: bool | Literal["auto"] = False
    max_pages: int = Field(default=5, ge=1, le=100)
