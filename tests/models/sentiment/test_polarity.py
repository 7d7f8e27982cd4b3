"""The Korean polarity expert: fitting on a toy set, the shift maths, int8 storage, its errors, weight picking."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from models.errors import ModelUnavailable
from models.sentiment.polarity import (
    POLARITY_FEATURES,
    POLARITY_FORMAT,
    load_polarity,
    morphemes,
    polarity_counts,
    quantise,
    save_polarity,
    shift_polarity,
)
from models.training.data import Split
from models.training.train_ngram import fit_polarity, pick_weights

REVIEWS = [
    ("배송 최악 ㅡㅡ 환불해줘요", 0), ("진짜 별로 ㅠㅠ 다신 안삼", 0), ("노잼 시간 아까움", 0), ("어이없네 돈 버림", 0),
    ("완전 좋아요 ㅋㅋ 최고", 2), ("넘 맛있어요 또 살게요", 2), ("개꿀 강추합니다", 2), ("감동 최고의 영화", 2),
    ("그냥 그랬어요", 1),
]  # fmt: skip


def reviews() -> Split:
    """Nine Korean reviews: four negative, four positive, one mixed (ignored by the polarity expert)."""
    split = Split()
    for text, label in REVIEWS:
        split.add(text, label, "ko")
    return split


def test_fitted_expert_separates_the_toy_reviews_and_survives_int8_storage(tmp_path: Path) -> None:
    split = reviews()
    expert = fit_polarity(split, c=10.0, seed=0)
    assert expert.idf.shape == (POLARITY_FEATURES,) and expert.coef.shape == (POLARITY_FEATURES,)
    polar = [i for i, label in enumerate(split.labels) if label != 1]
    logits = expert.logits([split.texts[i] for i in polar])
    assert ((logits > 0) == np.array([split.labels[i] == 2 for i in polar])).all()
    expert.weight = 1.5
    path = tmp_path / "ko_polarity.safetensors"
    save_polarity(expert, path, {"C": "10"})
    loaded = load_polarity(path)
    assert loaded.weight == 1.5
    assert np.allclose(loaded.logits(split.texts), expert.logits(split.texts), atol=0.02)
    assert path.stat().st_size < 2 * POLARITY_FEATURES + 4096  # one byte per weight, one per idf


def test_shift_moves_mass_between_the_poles_and_keeps_neutral() -> None:
    probs = np.array([[0.5, 0.3, 0.2], [0.1, 0.8, 0.1], [0.3, 0.1, 0.6]])
    assert np.allclose(shift_polarity(probs, np.zeros(3), 1.0), probs)
    assert np.allclose(shift_polarity(probs, np.array([3.0, 1.0, -2.0]), 0.0), probs)
    shifted = shift_polarity(probs, np.array([2.0, 2.0, -2.0]), 1.0)
    assert np.allclose(shifted.sum(1), 1.0) and np.allclose(shifted[:, 1], probs[:, 1])
    # p(pos)/p(neg) is multiplied by exp(weight · logit).
    assert np.allclose(shifted[:, 2] / shifted[:, 0], probs[:, 2] / probs[:, 0] * np.exp([2.0, 2.0, -2.0]))
    assert shifted[0].argmax() == 2 and shifted[2].argmax() == 0 and shifted[1].argmax() == 1


def test_shift_on_texts_touches_only_text_with_hangul() -> None:
    expert = fit_polarity(reviews(), c=10.0, seed=0)
    texts = ["완전 좋아요 ㅋㅋ", "worst delivery ever", "진짜 별로 ㅠㅠ"]
    probs = np.full((3, 3), 1 / 3)
    out = expert.shift(texts, probs)
    assert np.allclose(out[1], 1 / 3)
    assert out[0, 2] > out[0, 0] and out[2, 0] > out[2, 2]
    expert.weight = 0.0
    assert np.allclose(expert.shift(texts, probs), probs)


def test_quantise_round_trips_within_half_a_step() -> None:
    values = np.array([-3.0, -0.01, 0.0, 0.5, 2.0])
    codes, offset, step = quantise(values, np.int8)
    assert codes.dtype == np.int8 and offset == 0.0 and codes.max() <= 127
    assert np.abs(codes * step - values).max() <= step / 2 + 1e-12
    idf = np.array([1.0, 4.2, 13.5])
    codes, offset, step = quantise(idf, np.uint8)
    assert codes.dtype == np.uint8 and codes.min() == 0 and codes.max() == 255
    assert np.abs(codes * step + offset - idf).max() <= step / 2 + 1e-12


def test_word_and_character_ngrams_share_one_hashed_space() -> None:
    counts = polarity_counts(["별로 최악", "별로"])
    assert counts.shape == (2, POLARITY_FEATURES)
    # "별로 최악" has the word bigram and more character n-grams than "별로" alone.
    assert counts[0].nnz > counts[1].nnz > 0


def test_morpheme_features_join_spacing_variants_and_survive_a_round_trip(tmp_path: Path) -> None:
    assert morphemes(["별로네요"]) == morphemes(["별로 네요"]) == ["별로/M 이/V 네요/E"]
    plain, tagged = polarity_counts(["별로네요", "별로 네요"]), polarity_counts(["별로네요", "별로 네요"], True)
    shared = lambda counts: len(set(counts[0].indices) & set(counts[1].indices))  # noqa: E731
    assert shared(tagged) > shared(plain)
    expert = fit_polarity(reviews(), c=10.0, seed=0, with_morphemes=True)
    save_polarity(expert, tmp_path / "m.safetensors", {})
    loaded = load_polarity(tmp_path / "m.safetensors")
    assert loaded.with_morphemes
    assert np.allclose(loaded.logits(["완전 좋아요 ㅋㅋ"]), expert.logits(["완전 좋아요 ㅋㅋ"]), atol=0.02)


def test_files_of_another_format_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="missing"):
        load_polarity(tmp_path / "absent.safetensors")
    meta = {"format_version": POLARITY_FORMAT, "n_features": "16", "char_range": "1,4", "word_range": "1,2"}
    save_file({"coef": np.zeros(16, np.int8), "idf": np.zeros(16, np.uint8)}, str(tmp_path / "p.safetensors"), meta)
    with pytest.raises(ModelUnavailable, match=f"{POLARITY_FEATURES} features"):
        load_polarity(tmp_path / "p.safetensors")


def test_pick_weights_guards_the_social_posts() -> None:
    # Rows 0–1: tweets; rows 2–3: Korean reviews; row 4: a Korean social post the polarity logit gets wrong.
    log_t = np.log(np.array([[0.6, 0.2, 0.2], [0.2, 0.2, 0.6], [0.45, 0.1, 0.45], [0.45, 0.1, 0.45], [0.2, 0.1, 0.7]]))
    log_n = np.log(np.full((5, 3), 1 / 3))
    logits = np.array([0.0, 0.0, 1.0, -1.0, -3.0])
    script = np.array(["other", "arabic", "hangul", "hangul", "hangul"])
    truth = np.array([0, 2, 2, 0, 2])

    def score(probs: np.ndarray) -> dict[str, float]:
        right = np.where(probs[:, 2] > probs[:, 0], 2, 0) == truth
        return {"other": float(right[:2].mean()), "korean": float(right[2:4].mean()),
                "social": float(right[4]), "social_binary": float(right[4])}  # fmt: skip

    choice, grid = pick_weights(log_t, log_n, logits, script, score)
    # Any polarity weight fixes the reviews (ties at 0.45/0.45) but flips the post: the guard keeps it at 0.
    assert choice["polarity_weight"] == 0.0
    assert max(r["korean"] for r in grid) == 1.0
    # The tweets are right already: every other setting stays at its smallest.
    assert choice["weight"] == choice["weight_arabic"] == choice["bias_neutral"] == choice["bias_positive"] == 0.0
    # With one post's slack the reviews win the trade.
    assert pick_weights(log_t, log_n, logits, script, score, slack=(1.0, 1.0))[0]["polarity_weight"] > 0.0
    logits[4] = 3.0
    assert pick_weights(log_t, log_n, logits, script, score)[0]["polarity_weight"] > 0.0


def test_pick_weights_biases_tweets_towards_an_under_predicted_label() -> None:
    # Three neutral tweets the transformer leans slightly negative on; a neutral bias fixes them.
    log_t = np.log(np.array([[0.45, 0.4, 0.15]] * 3 + [[0.1, 0.1, 0.8]]))
    truth = np.array([1, 1, 1, 2])

    def score(probs: np.ndarray) -> dict[str, float]:
        right = probs.argmax(1) == truth
        return {"other": float(right.mean()), "korean": 0.0, "social": 0.0, "social_binary": 0.0}

    script = np.array(["other"] * 4)
    choice, _ = pick_weights(log_t, np.zeros((4, 3)), np.zeros(4), script, score)
    assert choice["bias_neutral"] > 0.0 and choice["weight_hangul"] == choice["polarity_weight"] == 0.0


def test_pick_weights_gives_korean_posts_a_neutral_bias_by_the_social_set() -> None:
    # Korean questions the transformer leans negative on (rows 0–2), one complaint (row 3), one tweet (row 4).
    log_t = np.log(np.array([[0.5, 0.35, 0.15]] * 3 + [[0.8, 0.1, 0.1], [0.1, 0.1, 0.8]]))
    truth = np.array([1, 1, 1, 0, 2])
    script = np.array(["hangul"] * 4 + ["other"])

    def score(probs: np.ndarray) -> dict[str, float]:
        right = probs.argmax(1) == truth
        binary = np.where(probs[3, 2] > probs[3, 0], 2, 0) == truth[3]
        return {"other": float(right[4]), "korean": float(binary), "social": 1.0, "social_binary": 1.0,
                "social3": float(right[:4].mean())}  # fmt: skip

    choice, _ = pick_weights(log_t, np.zeros((5, 3)), np.zeros(5), script, score)
    assert choice["bias_hangul_neutral"] > 0.0
    assert choice["bias_neutral"] == 0.0  # the tweet was right: text without Hangul keeps no bias
    # The smallest bias that fixes the questions wins, and it leaves the complaint negative.
    assert choice["bias_hangul_neutral"] <= 0.5


def test_pick_weights_leaves_hangul_unbiased_without_the_social_set() -> None:
    log_t = np.log(np.array([[0.5, 0.35, 0.15], [0.1, 0.1, 0.8]]))

    def score(probs: np.ndarray) -> dict[str, float]:
        return {"other": 1.0, "korean": 1.0, "social": 1.0, "social_binary": 1.0}

    choice, _ = pick_weights(log_t, np.zeros((2, 3)), np.zeros(2), np.array(["hangul", "other"]), score)
    assert choice["bias_hangul_neutral"] == choice["bias_hangul_positive"] == 0.0


def test_pick_weights_keeps_the_floors_of_the_targets_it_trades() -> None:
    # A neutral bias fixes a neutral tweet (row 0) but flips a negative one (row 1) to neutral; the first counts
    # double in "other", so without a floor the bias wins, and a floor on the second target forbids it.
    log_t = np.log(np.array([[0.5, 0.4, 0.1], [0.45, 0.4, 0.15]]))
    truth = np.array([1, 0])

    def score(probs: np.ndarray) -> dict[str, float]:
        right = probs.argmax(1) == truth
        first, second = float(right[0]), float(right[1])
        return {"other": (2 * first + second) / 3, "second": second, "korean": 0.0, "social": 0.0,
                "social_binary": 0.0}  # fmt: skip

    script = np.array(["other"] * 2)
    free, _ = pick_weights(log_t, np.zeros((2, 3)), np.zeros(2), script, score)
    kept, _ = pick_weights(log_t, np.zeros((2, 3)), np.zeros(2), script, score, floors={"second": 1.0})
    assert free["bias_neutral"] >= 0.3
    assert kept["bias_neutral"] < 0.2
