"""How a length-sorted pass is cut into batches: at most `batch_size` rows and `BATCH_TOKENS` padded positions each."""

from __future__ import annotations

from collections.abc import Sequence

# Rows per batch (`[model] batch_size`): 64 short texts per matmul beat 32 by about 10 % on CPU (docs/model.md).
BATCH_SIZE = 64
# Padded positions per batch (rows × its longest row), as 32 rows at the 256-token limit: long texts run in smaller
# batches, so attention's (rows × heads × length²) scores, the pass's peak memory, stay where they were at 32 rows.
BATCH_TOKENS = 32 * 256


def batch_bounds(
    lengths: Sequence[int], batch_size: int = BATCH_SIZE, max_tokens: int = BATCH_TOKENS
) -> list[tuple[int, int]]:
    """(start, end) of consecutive batches over ascending `lengths`: ≤ batch_size rows, rows × longest ≤ max_tokens.

    A text longer than `max_tokens` still gets a batch of its own.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    bounds: list[tuple[int, int]] = []
    start = 0
    while start < len(lengths):
        # rows × the last row's length grows with rows (ascending order): bisect for the most rows that fit.
        low, high = 1, min(batch_size, len(lengths) - start)
        while low < high:
            rows = (low + high + 1) // 2
            if rows * lengths[start + rows - 1] <= max_tokens:
                low = rows
            else:
                high = rows - 1
        bounds.append((start, start + low))
        start += low
    return bounds
