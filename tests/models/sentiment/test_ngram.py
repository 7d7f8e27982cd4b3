"""The character n-gram expert: fitting on a toy set, the fusion maths, the file format and its errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from models.errors import ModelUnavailable
from models.sentiment.ngram import N_FEATURES, NGRAM_FORMAT, fuse_log_probs, load_ngram, ngram_counts, save_ngram
from models.training.data import Split, without_group
from models.training.train_ngram import fit

TOY = [
    ("배송 최악 ㅡㅡ 환불해줘요", 0), ("진짜 별로 ㅠㅠ 다신 안삼", 0), ("this is terrible, awful service", 0),
    ("worst app ever, hate it", 0), ("배송 언제 와요?", 1), ("매장 몇시까지 해요?", 1),
    ("the store opens at nine", 1), ("new version released today", 1), ("완전 좋아요 ㅋㅋ 최고", 2),
    ("넘 맛있어요 또 살게요", 2), ("love it, great service", 2), ("best purchase, amazing quality", 2),
]  # fmt: skip


def toy_split() -> Split:
    """Twelve labelled posts, four per class, Korean and English."""
    split = Split()
    for text, label in TOY:
        split.add(text, label, "ko" if any("가" <= ch <= "힣" for ch in text) else "en")
    return split


def test_a_fitted_expert_learns_the_toy_set_and_survives_a_round_trip(tmp_path: Path) -> None:
    split = toy_split()
    expert = fit(split, c=10.0, seed=0)
    assert expert.idf.shape == (N_FEATURES,) and expert.coef.shape == (3, N_FEATURES)
    log_probs = expert.log_probs(split.texts)
    assert np.allclose(np.exp(log_probs).sum(1), 1.0, atol=1e-5)
    assert (log_probs.argmax(1) == np.asarray(split.labels)).mean() == 1.0
    expert.weight, expert.weight_hangul = 0.75, 1.25
    path = tmp_path / "ngram.safetensors"
    save_ngram(expert, path, {"C": "10"})
    loaded = load_ngram(path)
    assert (loaded.weight, loaded.weight_hangul) == (0.75, 1.25)
    assert np.allclose(loaded.log_probs(split.texts), log_probs, atol=2e-2)  # fp16 storage
    assert path.stat().st_size < 4 * N_FEATURES * 2 + 4096  # idf and three rows of weights in fp16


def test_hangul_and_other_text_hash_into_separate_halves() -> None:
    counts = ngram_counts(["배송 최악 ㅋㅋ", "worst delivery", "ㅠㅠ"])
    half = N_FEATURES // 2
    assert counts.shape == (3, N_FEATURES)
    assert counts[0].indices.max() < half and counts[2].indices.max() < half
    assert counts[1].indices.min() >= half


def test_fusion_is_a_weighted_product_of_experts() -> None:
    transformer = np.array([[0.6, 0.3, 0.1], [0.2, 0.2, 0.6]])
    ngram = np.log(np.array([[0.1, 0.1, 0.8], [0.5, 0.25, 0.25]]))
    assert np.allclose(fuse_log_probs(np.log(transformer), ngram, 0.0), transformer)
    fused = fuse_log_probs(np.log(transformer), ngram, 1.0)
    expected = transformer * np.exp(ngram)
    assert np.allclose(fused, expected / expected.sum(1, keepdims=True))
    # The n-gram vote moves the first row from negative towards positive, and more so with a larger weight.
    assert fuse_log_probs(np.log(transformer), ngram, 2.0)[0, 2] > fused[0, 2] > transformer[0, 2]


def test_fuse_on_texts_uses_one_weight_for_hangul_and_one_for_the_rest() -> None:
    split = toy_split()
    expert = fit(split, c=10.0, seed=0)
    probs = np.full((len(split.texts), 3), 1 / 3)
    expert.weight, expert.weight_hangul = 0.0, 0.0
    assert np.allclose(expert.fuse(split.texts, probs), probs)
    expert.weight, expert.weight_hangul = 1.0, 1.0
    assert (expert.fuse(split.texts, probs).argmax(1) == np.asarray(split.labels)).all()
    expert.weight, expert.weight_hangul = 0.0, 1.0
    fused = expert.fuse(split.texts, probs)
    korean = np.asarray(split.groups) == "ko"
    assert np.allclose(fused[~korean], 1 / 3) and not np.allclose(fused[korean], 1 / 3)
    assert expert.weights(["ㅋㅋㅋ", "lol", "ok 좋아"]).ravel().tolist() == [1.0, 0.0, 1.0]
    assert expert.fuse([], np.zeros((0, 3))).shape == (0, 3)


def test_arabic_script_weight_and_label_bias_survive_a_round_trip(tmp_path: Path) -> None:
    expert = fit(toy_split(), c=10.0, seed=0)
    expert.weight, expert.weight_hangul, expert.weight_arabic = 0.5, 1.0, 1.5
    expert.bias = (0.0, 0.3, -0.1)
    save_ngram(expert, tmp_path / "n.safetensors", {})
    loaded = load_ngram(tmp_path / "n.safetensors")
    texts = ["الخدمة سيئة جدا", "bad service", "서비스 별로"]
    assert loaded.weights(texts).ravel().tolist() == [1.5, 0.5, 1.0]
    assert loaded.bias == (0.0, 0.3, -0.1)
    assert loaded.biases(texts).tolist() == [[0.0, 0.3, -0.1], [0.0, 0.3, -0.1], [0.0, 0.0, 0.0]]
    expert.bias_hangul = (0.0, 1.25, 0.1)
    save_ngram(expert, tmp_path / "h.safetensors", {})
    assert load_ngram(tmp_path / "h.safetensors").biases(texts).tolist()[2] == [0.0, 1.25, 0.1]
    # The bias is added to the fused log-probabilities of text without Hangul only.
    probs = np.full((3, 3), 1 / 3)
    loaded.weight = loaded.weight_hangul = loaded.weight_arabic = 0.0
    fused = loaded.fuse(texts, probs)
    assert fused[1, 1] > fused[1, 0] > fused[1, 2] and np.allclose(fused[2], 1 / 3)


def test_files_of_another_format_or_size_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="missing"):
        load_ngram(tmp_path / "absent.safetensors")
    tensors = {"idf": np.ones(16, np.float16), "coef": np.zeros((3, 16), np.float16)}
    tensors["intercept"] = np.zeros(3, np.float32)
    meta = {"format_version": NGRAM_FORMAT, "labels": "negative,neutral,positive", "n_features": "16",
            "ngram_range": "1,4", "weight": "1.0", "weight_hangul": "1.0"}  # fmt: skip
    save_file(tensors, str(tmp_path / "small.safetensors"), metadata=meta)
    with pytest.raises(ModelUnavailable, match=f"{N_FEATURES} features"):
        load_ngram(tmp_path / "small.safetensors")


def test_without_group_drops_only_that_group() -> None:
    split = toy_split()
    english = without_group(split, "ko")
    assert english.groups == ["en"] * 6
    assert english.texts == [t for t, g in zip(split.texts, split.groups, strict=True) if g == "en"]
