"""The fine-tuned top on a tiny random BERT: split forward, save/load, precision, the bundled encoder's two branches."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file
from transformers import BertConfig, BertModel

from models.errors import ConfigError, ModelUnavailable
from models.sentiment.loader import resolve_precision, run_batched
from models.sentiment.tuned_e5 import (
    TUNED_FORMAT,
    TunedTop,
    load_tuned,
    lower_hidden,
    mean_pool,
    read_tuned_metadata,
    run_layers,
    save_tuned,
)


def tiny_bert(seed: int = 0) -> BertModel:
    """A 4-layer random BERT small enough to run in milliseconds."""
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=50, hidden_size=32, num_hidden_layers=4, num_attention_heads=2, intermediate_size=64,
        max_position_embeddings=40, pad_token_id=1,
    )  # fmt: skip
    return BertModel(config, add_pooling_layer=False).eval()


def padded_batch() -> tuple[torch.Tensor, torch.Tensor]:
    """Three rows of different lengths, right-padded with id 1."""
    ids = torch.tensor([[5, 6, 7, 8, 9, 10], [11, 12, 13, 1, 1, 1], [14, 15, 1, 1, 1, 1]])
    return ids, (ids != 1).long()


def test_split_forward_equals_the_full_model_on_padded_rows() -> None:
    model = tiny_bert()
    ids, mask = padded_batch()
    with torch.inference_mode():
        full = model(input_ids=ids, attention_mask=mask).last_hidden_state
        lower = lower_hidden(model, ids, mask, 2)
        upper = run_layers(model.encoder.layer[2:], lower, mask)
    real = mask.bool()
    assert torch.allclose(upper[real], full[real], atol=1e-5)
    # Padding changes nothing for the real tokens: row 2 alone gives the same states.
    with torch.inference_mode():
        alone = model(input_ids=ids[2:, :2], attention_mask=mask[2:, :2]).last_hidden_state
    assert torch.allclose(alone[0], full[2, :2], atol=1e-5)


def test_a_fresh_top_starts_as_the_base_layers_and_owns_copies() -> None:
    model = tiny_bert()
    top = TunedTop.from_base(model, 3).eval()
    ids, mask = padded_batch()
    with torch.inference_mode():
        pooled = mean_pool(model(input_ids=ids, attention_mask=mask).last_hidden_state, mask)
        logits = top(lower_hidden(model, ids, mask, 3), mask)
        assert torch.allclose(logits, top.head(pooled), atol=1e-5)
    with torch.no_grad():
        top.layers[0].output.dense.weight.add_(1.0)
    assert not torch.equal(top.layers[0].output.dense.weight, model.encoder.layer[3].output.dense.weight)
    with pytest.raises(ValueError, match="first_tuned"):
        TunedTop.from_base(model, 4)


def test_save_and_load_round_trip_in_fp16_with_an_fp32_head(tmp_path: Path) -> None:
    model = tiny_bert()
    top = TunedTop.from_base(model, 2).eval()
    path = tmp_path / "tuned.safetensors"
    save_tuned(top, path, {"encoder_weights_sha256": "abc", "prefix": "query: "})
    with safe_open(str(path), framework="pt") as fh:
        dtypes = {name: fh.get_tensor(name).dtype for name in fh.keys()}  # noqa: SIM118 - safe_open has no iterator
    assert dtypes["head.weight"] == torch.float32
    assert dtypes["layers.0.attention.self.query.weight"] == torch.float16
    meta = read_tuned_metadata(path)
    assert meta["format_version"] == TUNED_FORMAT and meta["first_tuned"] == "2"
    assert meta["encoder_weights_sha256"] == "abc"
    loaded, _ = load_tuned(path, tiny_bert(seed=1))  # the base only gives the shapes; weights come from the file
    ids, mask = padded_batch()
    with torch.inference_mode():
        lower = lower_hidden(model, ids, mask, 2)
        assert torch.allclose(loaded(lower, mask), top(lower, mask), atol=1e-2)
        assert not loaded.training


def test_unusable_files_raise_model_unavailable_naming_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "gone.safetensors"
    with pytest.raises(ModelUnavailable, match=r"gone\.safetensors.*missing"):
        read_tuned_metadata(missing)
    other = tmp_path / "other.safetensors"
    save_file({"x": torch.zeros(2)}, str(other), metadata={"format_version": "something-else"})
    with pytest.raises(ModelUnavailable, match=f"not a {TUNED_FORMAT}"):
        read_tuned_metadata(other)
    wrong_shape = tmp_path / "wrong.safetensors"
    save_tuned(TunedTop.from_base(tiny_bert(), 2), wrong_shape, {})
    narrow = BertModel(BertConfig(hidden_size=16, num_hidden_layers=4, num_attention_heads=2, intermediate_size=32))
    with pytest.raises(ModelUnavailable, match="does not fit"):
        load_tuned(wrong_shape, narrow)


def test_precision_settings() -> None:
    assert resolve_precision("fp32") is None
    assert resolve_precision(" BF16 ") is torch.bfloat16
    assert resolve_precision("auto", "cpu") in (None, torch.bfloat16)
    native = torch.ops.mkldnn._is_mkldnn_bf16_supported()
    assert resolve_precision("auto", "cpu") is (torch.bfloat16 if native else None)
    with pytest.raises(ConfigError, match=r"\[model\] precision"):
        resolve_precision("int4")


def test_bf16_autocast_stays_close_to_fp32() -> None:
    model = tiny_bert()

    class Tokenizer:
        pad_token_id = 1

        def __call__(self, texts: list[str], **_: object) -> dict[str, list[list[int]]]:
            return {"input_ids": [[2 + (ord(c) % 40) for c in t] for t in texts]}

    def fn(batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return mean_pool(model(**batch).last_hidden_state, batch["attention_mask"])

    texts = ["good service", "bad", "the product was very good", "good service"]
    exact = run_batched(texts, Tokenizer(), fn, batch_size=2)
    fast = run_batched(texts, Tokenizer(), fn, batch_size=2, autocast=torch.bfloat16)
    cosine = (exact * fast).sum(1) / np.linalg.norm(exact, axis=1) / np.linalg.norm(fast, axis=1)
    assert cosine.min() > 0.99
    assert not np.array_equal(exact, fast)  # autocast really ran in bf16
    assert np.array_equal(fast[0], fast[3])  # duplicates are computed once
