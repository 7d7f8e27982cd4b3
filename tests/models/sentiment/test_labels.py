"""Label-scheme mapping onto negative/neutral/positive."""

from __future__ import annotations

import numpy as np
import pytest

from models.errors import ModelUnavailable
from models.sentiment.labels import label_map


@pytest.mark.parametrize(
    ("id2label", "scheme", "targets"),
    [
        ({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}, "generic", ("negative", "neutral", "positive")),
        ({"0": "LABEL_0", "1": "LABEL_1"}, "generic", ("negative", "positive")),
        ({0: "negative", 1: "neutral", 2: "positive"}, "names", ("negative", "neutral", "positive")),
        ({0: "Positive", 1: "NEGATIVE", 2: "Neutral"}, "names", ("positive", "negative", "neutral")),
        ({0: "NEG", 1: "NEU", 2: "POS"}, "names", ("negative", "neutral", "positive")),
        ({0: "neg", 1: "pos"}, "names", ("negative", "positive")),
        ({0: "POS", 1: "NEG"}, "names", ("positive", "negative")),
        (
            {0: "1 star", 1: "2 stars", 2: "3 stars", 3: "4 stars", 4: "5 stars"},
            "stars",
            ("negative", "negative", "neutral", "positive", "positive"),
        ),
        (
            {0: "Very Negative", 1: "Negative", 2: "Neutral", 3: "Positive", 4: "Very_Positive"},
            "names",
            ("negative", "negative", "neutral", "positive", "positive"),
        ),
    ],
)
def test_schemes(id2label: dict, scheme: str, targets: tuple[str, ...]) -> None:
    mapping = label_map(id2label)
    assert mapping.scheme == scheme
    assert mapping.targets == targets
    assert mapping.matrix.shape == (len(id2label), 3)
    assert (mapping.matrix.sum(axis=1) == 1).all()  # every model label lands on exactly one of ours


def test_stars_fold_probabilities() -> None:
    mapping = label_map({i: f"{i + 1} star{'s' if i else ''}" for i in range(5)})
    folded = mapping(np.array([[0.1, 0.2, 0.3, 0.25, 0.15]]))
    np.testing.assert_allclose(folded, [[0.3, 0.3, 0.4]])
    assert mapping.as_dicts(np.array([[0.0, 0.0, 1.0, 0.0, 0.0]])) == [
        {"negative": 0.0, "neutral": 1.0, "positive": 0.0}
    ]


def test_two_class_generic_has_no_neutral_mass() -> None:
    mapping = label_map({0: "LABEL_0", 1: "LABEL_1"})
    np.testing.assert_allclose(mapping(np.array([[0.7, 0.3]])), [[0.7, 0.0, 0.3]])


def test_order_follows_ids_not_dict_order() -> None:
    mapping = label_map({2: "positive", 0: "negative", 1: "neutral"})
    assert mapping.labels == ("negative", "neutral", "positive")


@pytest.mark.parametrize(
    "id2label",
    [
        {0: "joy", 1: "anger", 2: "sadness"},
        {0: "LABEL_0"},
        {0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2", 3: "LABEL_3"},
        {0: "positive", 1: "neutral"},  # no negative pole
        {0: "positive", 1: "Positive", 2: "negative"},  # ambiguous duplicate
        {0: "1 star", 1: "2 stars", 2: "3 stars"},  # not a 1–5 scale
        {0: "negative", 1: "LABEL_1", 2: "positive"},  # mixed schemes
    ],
)
def test_unknown_schemes_raise_naming_the_labels(id2label: dict) -> None:
    with pytest.raises(ModelUnavailable) as info:
        label_map(id2label, "acme/model")
    message = str(info.value)
    assert "acme/model" in message
    for label in id2label.values():
        assert repr(label) in message


def test_ids_must_be_contiguous() -> None:
    with pytest.raises(ModelUnavailable, match=r"0\.\.1"):
        label_map({0: "negative", 2: "positive"})


def test_shape_mismatch_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="shape"):
        label_map({0: "negative", 1: "positive"})(np.ones((2, 3)))
