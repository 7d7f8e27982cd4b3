"""Training helpers: near-duplicate tweet keys, per-class sampling, the metrics, length buckets and padding."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import numpy as np
import torch

from models.sentiment.loader import pad_rows
from models.training.data import (
    EN_SEEN_GROUP,
    EN_VAL_GROUP,
    KO_FILE,
    KO_SOCIAL_VAL_GROUP,
    Split,
    evaluate,
    in_validation,
    load_korean,
    read_ko_social,
    sample_per_class,
    tweet_key,
    without_group,
)
from models.training.train import collate, headline, length_batches


def test_tweet_key_joins_near_duplicates_and_keeps_different_tweets_apart() -> None:
    original = "@normanisnachos I may or may not have searched it up on google https://t.co/abc"
    anonymised = "@user I may or may not have searched it up on Google!"
    assert tweet_key(original) == tweet_key(anonymised)
    assert tweet_key("Tom &amp; Jerry http://t.co/x") == tweet_key("tom & jerry")
    assert tweet_key("I love it") != tweet_key("I hate it")


def test_sample_per_class_takes_one_count_or_one_per_label() -> None:
    items = [("t", label) for label in [0] * 10 + [1] * 10 + [2] * 3]
    rng = np.random.default_rng(0)
    labels = [items[i][1] for i in sample_per_class(items, (4, 1, 5), rng)]
    assert labels.count(0) == 4 and labels.count(1) == 1 and labels.count(2) == 3  # only 3 positives exist
    assert len(sample_per_class(items, 2, rng)) == 6


def test_korean_validation_is_split_by_movie_and_independent_of_the_training_sample(tmp_path: Path) -> None:
    rows = ["review_id\tmovie_id\trating\ttext"]
    for movie in range(40):
        for i, rating in enumerate((1, 2, 6, 9, 10, 10)):
            rows.append(f"{movie}-{i}\t{movie}\t{rating}\t영화 {movie} 리뷰 {i}")
    with gzip.open(tmp_path / KO_FILE, "wt", encoding="utf-8") as fh:
        fh.write("\n".join(rows) + "\n")
    small_train, val = load_korean(tmp_path, np.random.default_rng(1), (5, 2, 5), 3)
    big_train, same_val = load_korean(tmp_path, np.random.default_rng(1), (50, 20, 50), 3)
    assert val.texts == same_val.texts and sorted(val.labels) == [0, 0, 0, 2, 2, 2]  # NSMC: no 5–8 stars
    assert len(small_train.texts) == 12 and len(big_train.texts) > len(small_train.texts)
    val_movies = {text.split()[1] for text in val.texts}
    assert all(in_validation(f"movie:{movie}", 15) for movie in val_movies)
    assert not val_movies & {text.split()[1] for text in big_train.texts}


def test_evaluate_reports_english_on_unseen_tweets_and_binary_korean() -> None:
    split = Split()
    for label in (0, 1, 2):
        split.add(f"clean {label}", label, EN_VAL_GROUP)
        split.add(f"seen {label}", label, EN_SEEN_GROUP)
    split.add("좋아요", 2, "ko")
    split.add("별로", 0, "ko")
    for label in (0, 1, 2):
        split.add(f"de {label}", label, "de")
    probs = np.zeros((len(split.labels), 3))
    labels = np.asarray(split.labels)
    probs[np.arange(len(labels)), labels] = 1.0
    seen = np.asarray(split.groups) == EN_SEEN_GROUP
    probs[seen] = [0.0, 1.0, 0.0]  # wrong on the near-duplicates only
    probs[6] = [0.3, 0.6, 0.1]  # Korean: neutral wins the argmax, but the binary convention compares the poles
    metrics = evaluate(probs, split)
    assert metrics["en_tweets_macro_recall"] == 1.0
    assert metrics["en_tweets_macro_recall_with_near_duplicates"] < 1.0
    assert metrics["ko_reviews_binary_accuracy"] == 0.5
    assert metrics["multilingual_avg_macro_f1"] == 1.0 and set(metrics) >= {"multilingual_macro_f1_de"}
    assert headline(metrics) == (1.0 + 0.5 + 1.0) / 3


def test_length_batches_cover_every_example_once_with_similar_lengths() -> None:
    lengths = [random.Random(1).randint(3, 90) for _ in range(200)]
    batches = length_batches(lengths, 16, random.Random(0))
    assert sorted(i for batch in batches for i in batch) == list(range(200))
    assert max(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches) <= 12
    assert batches != length_batches(lengths, 16, random.Random(1))  # shuffled differently per epoch


def test_padding_helpers() -> None:
    ids, mask = pad_rows([[5, 6, 7], [8]], 1)
    assert ids.tolist() == [[5, 6, 7], [8, 1, 1]] and mask.tolist() == [[1, 1, 1], [1, 0, 0]]
    ids, mask = pad_rows([[5, 6, 7], [8]], 0, left=True)
    assert ids.tolist() == [[5, 6, 7], [0, 0, 8]] and mask.tolist() == [[1, 1, 1], [0, 0, 1]]
    batch, mask = collate([torch.ones(2, 4, dtype=torch.bfloat16), torch.full((3, 4), 2.0)])
    assert batch.shape == (2, 3, 4) and batch.dtype == torch.float32
    assert mask.tolist() == [[1, 1, 0], [1, 1, 1]] and batch[0, 2].abs().sum() == 0


def test_korean_social_set_is_scored_three_ways_and_kept_out_of_the_languages(tmp_path: Path) -> None:
    path = tmp_path / "social.tsv"
    rows = [("neutral", "question", "배송 언제 와요?"), ("neutral", "announcement", "내일 점검 있습니다"),
            ("neutral", "share", "오늘 오픈했대요"), ("negative", "complaint", "로그인 안돼요"),
            ("positive", "praise", "최고예요")]  # fmt: skip
    path.write_text("label\tkind\ttext\n" + "".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")
    split = Split()
    split.add("clean", 1, EN_VAL_GROUP)
    split.add("좋아요", 2, "ko")
    split.add("de", 1, "de")
    split.extend(read_ko_social(path))
    assert split.groups[-5:][0] == f"{KO_SOCIAL_VAL_GROUP}:question"
    probs = np.zeros((len(split.labels), 3))
    probs[np.arange(len(split.labels)), split.labels] = 1.0
    probs[3] = [1.0, 0.0, 0.0]  # the question read as a complaint: neutral recall on questions is 0 of 1
    metrics = evaluate(probs, split)
    assert "multilingual_macro_f1_ko-social-val:question" not in metrics
    assert metrics["multilingual_avg_macro_f1"] == 1.0
    assert metrics["ko_social_neutral_recall_qa"] == 0.5 and metrics["ko_social_neutral_recall"] == 2 / 3
    assert metrics["ko_social_accuracy_3class"] == 0.8 and 0.7 < metrics["ko_social_macro_f1"] < 0.9
    # The checkpoint headline counts the Korean social set as a fourth target when it is there.
    assert headline(metrics) == (1.0 + 1.0 + 1.0 + metrics["ko_social_macro_f1"]) / 4


def test_without_group_drops_near_copies_of_evaluation_posts() -> None:
    train, near = Split(), Split()
    train.add("배송 언제 와요??", 1, "gen")
    train.add("배송 언제 와요 ㅋㅋ 궁금", 1, "gen")
    near.add("배송 언제 와요?", 1, "val")
    assert without_group(train, "", near=near).texts == ["배송 언제 와요 ㅋㅋ 궁금"]
