"""Record types, sentiment models and pure scoring/detection maths (nothing here imports flows or listeners)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from models.sentiment.loader import SentimentModel


def load_sentiment(name_or_path: str | None = None, **options: Any) -> SentimentModel:
    """Load a sentiment model: None/"bundled" for the offline default, else a Hugging Face id or local folder."""
    # Imported here so that listeners and the warehouse can use the record types without loading torch.
    from models.sentiment.loader import load_sentiment as _load

    return _load(name_or_path, **options)
