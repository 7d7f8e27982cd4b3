"""Sentence vectors as stored per mention: int8 with one float scale per vector, and back.

A normalised e5-small vector (384 floats) becomes 384 bytes plus a 4-byte scale; decoded, its cosine to the
original is above 0.9999 (docs/topics.md), far inside what theme clustering can tell apart.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

INT8_MAX = 127.0


def quantise(vectors: np.ndarray) -> list[tuple[float, bytes] | None]:
    """(scale, int8 bytes) per row; None for a row with a NaN or infinity, which is better encoded again."""
    rows = np.asarray(vectors, dtype=np.float32)
    if rows.ndim != 2:
        raise ValueError(f"expected a (rows, dims) array of vectors, got shape {rows.shape}")
    finite = np.isfinite(rows).all(axis=1)
    peaks = np.abs(np.where(np.isfinite(rows), rows, 0.0)).max(axis=1, initial=0.0)
    scales = np.where(peaks > 0, peaks / INT8_MAX, 1.0).astype(np.float32)
    codes = np.rint(np.where(np.isfinite(rows), rows, 0.0) / scales[:, None]).clip(-INT8_MAX, INT8_MAX)
    codes = codes.astype(np.int8)
    return [(float(scales[i]), codes[i].tobytes()) if finite[i] else None for i in range(len(rows))]


def dequantise(scale: float, data: bytes, dims: int | None = None) -> np.ndarray | None:
    """The float32 vector back from its (scale, bytes); None when the bytes are not `dims` long (a damaged row)."""
    if not data or (dims is not None and len(data) != dims) or not np.isfinite(scale):
        return None
    return np.frombuffer(data, dtype=np.int8).astype(np.float32) * np.float32(scale)


def dequantise_all(rows: Sequence[tuple[float, bytes]]) -> list[np.ndarray | None]:
    """`dequantise` of many rows; rows whose length differs from the most common one are damaged (None)."""
    lengths = [len(data) for _, data in rows]
    dims = max(set(lengths), key=lengths.count) if lengths else None
    return [dequantise(scale, data, dims) for scale, data in rows]
