"""How a pass is cut into batches: row and token limits, and the same rows whatever the cut."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers.models import WordTokenizer

from models.sentiment.batching import BATCH_SIZE, BATCH_TOKENS, batch_bounds
from models.sentiment.loader import run_batched


def check_bounds(lengths: list[int], batch_size: int, max_tokens: int) -> list[tuple[int, int]]:
    """batch_bounds, checked to cover every row once, in order, within both limits (a lone row may exceed)."""
    bounds = batch_bounds(lengths, batch_size, max_tokens)
    assert [start for start, _ in bounds] == [0, *(end for _, end in bounds[:-1])]
    assert bounds[-1][1] == len(lengths)
    for start, end in bounds:
        assert 1 <= end - start <= batch_size
        assert end - start == 1 or (end - start) * lengths[end - 1] <= max_tokens
    return bounds


def test_short_texts_fill_whole_batches_and_long_ones_smaller_ones() -> None:
    lengths = [10] * 130 + [200] * 50
    bounds = check_bounds(lengths, 64, 32 * 256)
    sizes = [end - start for start, end in bounds]
    # 64 rows while the batch's longest is short; 40 rows (8192 // 200) once 200-token texts are in it.
    assert sizes[:2] == [64, 64]
    assert max(sizes[2:]) == 8192 // 200
    assert sum(sizes) == 180


def test_a_text_longer_than_the_budget_runs_alone() -> None:
    assert check_bounds([3, 4, 500, 600], 8, 100) == [(0, 2), (2, 3), (3, 4)]


def test_nothing_to_cut_and_bad_sizes() -> None:
    assert batch_bounds([], 4, 100) == []
    with pytest.raises(ValueError, match="batch_size"):
        batch_bounds([1, 2], 0, 100)


def test_the_defaults_keep_the_old_peak_at_the_length_limit() -> None:
    # The attention scores of a batch grow with rows × length²: at 256 tokens the default cut is 32 rows, as before.
    bounds = batch_bounds([256] * 100)
    assert BATCH_SIZE == 64 and max(end - start for start, end in bounds) == BATCH_TOKENS // 256 == 32


def test_run_batched_keeps_to_the_token_budget_and_gives_the_same_rows() -> None:
    texts = [" ".join(["w"] * n) for n in (1, 9, 2, 8, 3, 7, 4, 6, 5, 9)]
    shapes: list[tuple[int, int]] = []

    def fn(batch: dict[str, torch.Tensor]) -> torch.Tensor:
        shapes.append(tuple(batch["input_ids"].shape))
        # Per-row values that depend on the row alone: its real length and the sum of its token ids.
        mask = batch["attention_mask"]
        return torch.stack([mask.sum(dim=1), (batch["input_ids"] * mask).sum(dim=1)], dim=1).float()

    budgeted = run_batched(texts, WordTokenizer(), fn, batch_size=4, max_tokens=16)  # type: ignore[arg-type]
    assert all(rows * width <= 16 or rows == 1 for rows, width in shapes)
    assert max(rows for rows, _ in shapes) == 4
    shapes.clear()
    one_by_one = run_batched(texts, WordTokenizer(), fn, batch_size=1)  # type: ignore[arg-type]
    assert np.array_equal(budgeted, one_by_one)
    assert budgeted[:, 0].tolist() == [1, 9, 2, 8, 3, 7, 4, 6, 5, 9]
