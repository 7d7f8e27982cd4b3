"""The accuracy guard's verdict on hand-made metric dicts, and its per-group sample."""

from __future__ import annotations

import pytest

from models.training.data import Split
from models.training.precision_guard import TARGETS, guard_verdicts, per_group, verdict_lines

BF16 = {"en_tweets_macro_recall": 0.7923, "multilingual_avg_macro_f1": 0.6604, "ko_reviews_binary_accuracy": 0.8912}
# The 2026-12-01 measurement of dynamic int8 on every linear layer (docs/benchmarks.md).
INT8 = {"en_tweets_macro_recall": 0.741, "multilingual_avg_macro_f1": 0.635, "ko_reviews_binary_accuracy": 0.894}


def test_measured_int8_fails_english_and_8_language_and_passes_korean() -> None:
    verdicts = {v.target: v for v in guard_verdicts(INT8, BF16)}
    assert list(verdicts) == list(TARGETS)
    assert not verdicts["en_tweets_macro_recall"].passed
    assert not verdicts["multilingual_avg_macro_f1"].passed
    assert verdicts["ko_reviews_binary_accuracy"].passed  # better than bf16 passes
    lines = verdict_lines(list(verdicts.values()), "int8")
    assert lines[0] == "FAIL English macro-recall: int8 0.7410 vs bf16 0.7923 (-5.13 point)"
    assert lines[2].startswith("PASS Korean binary accuracy: int8 0.8940 vs bf16 0.8912 (+0.28 point)")
    assert lines[-1].startswith("int8: FAIL")


def test_half_a_point_below_passes_and_just_more_fails() -> None:
    at_limit = {key: value - 0.005 for key, value in BF16.items()}
    assert all(v.passed for v in guard_verdicts(at_limit, BF16))
    assert verdict_lines(guard_verdicts(at_limit, BF16), "fp32")[-1].startswith("fp32: PASS")
    beyond = {**at_limit, "multilingual_avg_macro_f1": BF16["multilingual_avg_macro_f1"] - 0.0051}
    assert [v.passed for v in guard_verdicts(beyond, BF16)] == [True, False, True]
    # Extra metrics (per language, social posts, speed) are ignored, not judged.
    assert len(guard_verdicts({**BF16, "texts_per_second": 1.0}, BF16)) == len(TARGETS)


def test_a_missing_target_is_named() -> None:
    partial = {k: v for k, v in INT8.items() if k != "ko_reviews_binary_accuracy"}
    with pytest.raises(ValueError, match="candidate metrics lack ko_reviews_binary_accuracy"):
        guard_verdicts(partial, BF16)
    with pytest.raises(ValueError, match="reference metrics lack en_tweets_macro_recall"):
        guard_verdicts(INT8, {k: v for k, v in BF16.items() if k != "en_tweets_macro_recall"})


def test_per_group_sample_keeps_every_group_and_the_order() -> None:
    split = Split()
    for i in range(30):
        split.add(f"ko {i}", i % 3, "ko")
    for i in range(4):
        split.add(f"hi {i}", i % 3, "hi")
    sample = per_group(split, 10, seed=1)
    assert sample.groups.count("ko") == 10 and sample.groups.count("hi") == 4
    assert sample.texts == [t for t in split.texts if t in set(sample.texts)]  # original order kept
    pairs = zip(sample.texts, sample.labels, strict=True)
    assert all(split.labels[split.texts.index(text)] == label for text, label in pairs)
    assert per_group(split, 10, seed=1).texts == sample.texts
