"""Stored vectors as float16 bytes: cosine fidelity, size, and rows that cannot be stored or read back."""

from __future__ import annotations

import numpy as np

from models.text.vector_codec import decode, decode_all, encode


def _unit(rows: int, dims: int = 384, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(rows, dims)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_decoded_vectors_keep_their_cosines_in_two_bytes_a_dimension() -> None:
    vectors = _unit(200)
    encoded = encode(vectors)
    assert all(data is not None and len(data) == 2 * 384 for data in encoded)
    decoded = np.stack([decode(data) for data in encoded if data is not None])
    assert np.abs(decoded - vectors).max() < 1e-3
    # What clustering compares: pairwise cosines, which must not move across a threshold.
    assert np.abs(decoded @ decoded.T - vectors @ vectors.T).max() < 2e-4


def test_a_vector_with_nan_or_beyond_float16_is_not_stored_and_a_zero_vector_round_trips() -> None:
    vectors = np.vstack([_unit(1), np.full((1, 384), np.nan), np.full((1, 384), 1e6), np.zeros((1, 384))])
    encoded = encode(vectors.astype(np.float32))
    assert encoded[0] is not None and encoded[1] is None and encoded[2] is None
    assert encoded[3] is not None and not decode(encoded[3]).any()  # type: ignore[union-attr]


def test_damaged_rows_read_back_as_missing() -> None:
    good = [data for data in encode(_unit(3)) if data is not None]
    nan = np.full(384, np.nan, dtype=np.float16).tobytes()
    decoded = decode_all([*good, good[0][:100], good[1][:-1], nan, b""])
    assert [v is not None for v in decoded] == [True, True, True, False, False, False, False]
