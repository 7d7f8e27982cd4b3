"""Rating scales onto one comparable score: NPS by its bands, the others linear; the SQL view agrees."""

from __future__ import annotations

import duckdb
import pytest

from models.mention import RATING_SCALES
from models.ratings import SCALE_KNOTS, normalise_rating, rating_label
from warehouse.views import rating_norm_sql


@pytest.mark.parametrize(
    ("scale", "rating", "expected"),
    [
        ("nps", 0, -1.0), ("nps", 6, -0.25), ("nps", 7, 0.0), ("nps", 8, 0.25), ("nps", 9, 0.75), ("nps", 10, 1.0),
        ("nps", 3, -0.625),
        ("csat", 1, -1.0), ("csat", 3, 0.0), ("csat", 4, 0.5), ("csat", 5, 1.0),
        ("ces", 1, -1.0), ("ces", 4, 0.0), ("ces", 7, 1.0), ("ces7", 6, 2 / 3), ("ces5", 2, -0.5),
        ("stars", 1, -1.0), ("stars", 3, 0.0), ("stars", 5, 1.0), ("stars10", 10, 1.0), ("stars10", 1, -1.0),
        ("smiley", 2, -0.5), ("SMILEY ", 5, 1.0),
    ],
)
def test_normalise_rating(scale: str, rating: float, expected: float) -> None:
    assert normalise_rating(rating, scale) == pytest.approx(expected)


def test_every_scale_is_mapped_monotonically_onto_minus_one_to_one() -> None:
    assert set(SCALE_KNOTS) == set(RATING_SCALES)
    for scale, (low, high) in RATING_SCALES.items():
        steps = [low + (high - low) * i / 20 for i in range(21)]
        scores = [normalise_rating(r, scale) for r in steps]
        assert scores[0] == -1.0 and scores[-1] == 1.0
        assert scores == sorted(scores), scale


def test_nps_bands_decide_the_sign_where_linear_would_not() -> None:
    assert all(normalise_rating(r, "nps") < 0 for r in range(7))  # a 5 is a detractor, not neutral
    assert [rating_label(r, "nps") for r in (6, 7, 8, 9)] == ["negative", "neutral", "neutral", "positive"]
    assert [rating_label(r, "stars") for r in (2, 3, 4)] == ["negative", "neutral", "positive"]


def test_out_of_range_and_unknown_scales_are_refused() -> None:
    with pytest.raises(ValueError, match="outside the nps scale 0-10"):
        normalise_rating(11, "nps")
    with pytest.raises(ValueError, match="unknown rating scale 'likert'"):
        normalise_rating(3, "likert")


def test_the_warehouse_view_uses_the_same_mapping() -> None:
    con = duckdb.connect()
    cases = [(scale, low + (high - low) * i / 10) for scale, (low, high) in RATING_SCALES.items() for i in range(11)]
    sql = f"SELECT {rating_norm_sql()} FROM (SELECT ? AS rating_scale, ? AS rating) AS m"
    for scale, rating in cases:
        assert con.execute(sql, [scale, rating]).fetchone()[0] == pytest.approx(normalise_rating(rating, scale))
