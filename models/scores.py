"""Score records and the pure maths that maps model outputs onto negative/neutral/positive."""

from __future__ import annotations

from dataclasses import dataclass, field

LABELS: tuple[str, str, str] = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class Sentiment:
    """One text's sentiment: label, score = p(positive) - p(negative), the three probabilities, the model."""

    label: str
    score: float
    probs: dict[str, float]
    model: str
    model_version: str
    extra: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        """The JSON shape `brandpulse score` prints."""
        return {
            "label": self.label,
            "score": round(self.score, 4),
            "probs": {k: round(v, 4) for k, v in self.probs.items()},
            "model": self.model,
            "model_version": self.model_version,
        }


def sentiment_from_probs(probs: dict[str, float], model: str, model_version: str) -> Sentiment:
    """Build a Sentiment from three-label probabilities (missing labels count as 0)."""
    full = {label: float(probs.get(label, 0.0)) for label in LABELS}
    label = max(LABELS, key=lambda name: full[name])
    return Sentiment(label, full["positive"] - full["negative"], full, model, model_version)
