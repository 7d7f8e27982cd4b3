"""int8 vectors with one scale each: cosine fidelity, size, and rows that cannot be stored or read back."""

from __future__ import annotations

import numpy as np

from models.text.vector_codec import dequantise, dequantise_all, quantise


def _unit(rows: int, dims: int = 384, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(rows, dims)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_decoded_vectors_keep_their_direction_in_a_quarter_of_the_bytes() -> None:
    vectors = _unit(200)
    encoded = quantise(vectors)
    assert all(code is not None and len(code[1]) == 384 for code in encoded)  # 1 byte a dimension, plus a scale
    decoded = np.stack([dequantise(*code) for code in encoded if code is not None])
    cosines = (decoded * vectors).sum(axis=1) / np.linalg.norm(decoded, axis=1)
    assert cosines.min() > 0.9999
    assert np.abs(decoded - vectors).max() <= max(code[0] for code in encoded if code is not None) / 2 + 1e-7


def test_a_vector_with_nan_is_not_stored_and_a_zero_vector_round_trips() -> None:
    vectors = np.vstack([_unit(1), np.full((1, 384), np.nan), np.zeros((1, 384))]).astype(np.float32)
    encoded = quantise(vectors)
    assert encoded[0] is not None and encoded[1] is None
    assert encoded[2] is not None and not dequantise(*encoded[2]).any()  # type: ignore[misc]


def test_damaged_rows_read_back_as_missing() -> None:
    good = [code for code in quantise(_unit(3)) if code is not None]
    rows = [*good, (good[0][0], good[0][1][:100]), (float("nan"), good[1][1]), (0.1, b"")]
    decoded = dequantise_all(rows)
    assert [v is not None for v in decoded] == [True, True, True, False, False, False]
