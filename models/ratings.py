"""Every rating scale mapped onto one comparable score in [-1, 1], the same range as the sentiment `score` (pure).

Each scale is a piecewise-linear map given by its knots `(rating, score)`; a rating between two knots is
interpolated. Most scales are plain linear maps of their range (lowest → -1, midpoint → 0, highest → +1): CSAT,
CES (1 = very hard … top = very easy, so high is good), stars and smileys are symmetric agreement scales whose
midpoint really is "neutral".

NPS is not. Its 0-10 answers are read in three bands: detractors 0-6, passives 7-8, promoters 9-10; a linear
map would call a 7 (a passive) clearly positive (+0.4) and a 5 (a detractor) neutral (0.0). The NPS knots
keep every detractor below zero, every promoter well above it, and passives at zero to a quarter:
detractors 0 → -1 … 6 → -0.25, passives 7 → 0 and 8 → +0.25, promoters 9 → +0.75 and 10 → +1.
"""

from __future__ import annotations

import math
from itertools import pairwise

from models.mention import RATING_SCALES

Knots = tuple[tuple[float, float], ...]


def _linear(low: float, high: float) -> Knots:
    return ((low, -1.0), (high, 1.0))


SCALE_KNOTS: dict[str, Knots] = {
    "nps": ((0.0, -1.0), (6.0, -0.25), (7.0, 0.0), (8.0, 0.25), (9.0, 0.75), (10.0, 1.0)),
    **{name: _linear(float(low), float(high)) for name, (low, high) in RATING_SCALES.items() if name != "nps"},
}


def normalise_rating(rating: float, scale: str) -> float:
    """`rating` on `scale` as a score in [-1, 1]; ValueError for an unknown scale or a rating outside it."""
    key = scale.strip().lower()
    knots = SCALE_KNOTS.get(key)
    if knots is None:
        raise ValueError(f"unknown rating scale {scale!r}; known: {', '.join(SCALE_KNOTS)}")
    low, high = knots[0][0], knots[-1][0]
    if not math.isfinite(rating) or not low <= rating <= high:
        raise ValueError(f"rating {rating:g} is outside the {key} scale {low:g}-{high:g}")
    for (x0, y0), (x1, y1) in pairwise(knots):
        if rating <= x1:
            return y0 + (rating - x0) * (y1 - y0) / (x1 - x0)
    return knots[-1][1]


def rating_label(rating: float, scale: str) -> str:
    """`negative`, `neutral` or `positive`, from the sign of the normalised rating (NPS: its three bands)."""
    score = normalise_rating(rating, scale)
    if scale.strip().lower() == "nps":
        # Passives (7-8) are neutral in NPS even though 8 lands just above zero.
        return "negative" if rating <= 6 else ("neutral" if rating <= 8 else "positive")
    return "negative" if score < 0 else ("positive" if score > 0 else "neutral")
