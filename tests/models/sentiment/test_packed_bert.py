"""Packed bf16 BERT layers on tiny models built in the test: the autocast path's maths, every pass, every mask form."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import BertConfig, BertModel

from models.sentiment import loader
from models.sentiment.loader import E5Encoder, SentimentModel, load_bundled
from models.sentiment.packed_bert import PackedBertLayer, can_pack, onednn_bf16, pack_layers, score_mask
from models.sentiment.tuned_e5 import additive_mask, run_layers

TEXTS = [
    "acme is the best app",
    "globex broken refund worst",
    "애크미 최고 좋아요",
    "the order is late but the app is great today and the store is fast",
    "acme is the best app",
    "",
]
# oneDNN's packed bf16 kernels where this CPU has them; the plain bf16 matmul fallback everywhere.
KERNELS = [False, True] if onednn_bf16() else [False]
# bf16 keeps 8 bits of mantissa: a probability moves by ~1e-2 on these random tiny weights, as under autocast.
BF16_TOL = 3e-2


def packed_count(module: torch.nn.Module) -> int:
    """How many of a module's layers are packed."""
    return sum(isinstance(m, PackedBertLayer) for m in module.modules())


def tiny_layers(seed: int = 0, layers: int = 2, hidden_act: str = "gelu") -> BertModel:
    """A random BERT with a 48-wide hidden state (4 heads of 12), in eval mode."""
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=40, hidden_size=48, num_hidden_layers=layers, num_attention_heads=4, intermediate_size=96,
        max_position_embeddings=32, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, hidden_act=hidden_act,
    )  # fmt: skip
    return BertModel(config, add_pooling_layer=False).eval()


def padded_batch(lengths: list[int], seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """Random hidden states (len(lengths), max, 48) and the 0/1 mask of each row's real positions."""
    torch.manual_seed(seed)
    width = max(lengths)
    mask = (torch.arange(width)[None, :] < torch.tensor(lengths)[:, None]).long()
    return torch.randn(len(lengths), width, 48), mask


@pytest.mark.parametrize("onednn", KERNELS)
def test_packed_layers_compute_what_the_autocast_layers_compute(onednn: bool) -> None:
    model = tiny_layers()
    hidden, mask = padded_batch([7, 3, 5])
    with torch.inference_mode():
        exact = run_layers(model.encoder.layer, hidden, mask)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            autocast = run_layers(model.encoder.layer, hidden, mask)
        packed_stack = copy.deepcopy(model.encoder.layer)
        assert pack_layers(packed_stack, onednn=onednn) == 2
        packed = run_layers(packed_stack, hidden, mask)
    real = mask.bool()
    assert packed.dtype == torch.float32  # the residual stream stays fp32, as under autocast
    # Within the error autocast itself makes, at real positions (padding rows are never read).
    autocast_error = (autocast - exact)[real].abs().max().item()
    assert 0 < (packed - exact)[real].abs().max().item() < 2 * autocast_error + 1e-3


@pytest.mark.parametrize("onednn", KERNELS)
def test_padding_and_batch_company_do_not_change_a_row(onednn: bool) -> None:
    model = tiny_layers()
    pack_layers(model.encoder.layer, onednn=onednn)
    hidden, mask = padded_batch([4, 9])
    with torch.inference_mode():
        together = run_layers(model.encoder.layer, hidden, mask)
        alone = run_layers(model.encoder.layer, hidden[:1, :4], mask[:1, :4])
    assert torch.allclose(together[0, :4], alone[0], atol=1e-2)


def test_boolean_additive_and_absent_masks_agree() -> None:
    model = tiny_layers()
    pack_layers(model.encoder.layer, onednn=False)
    layer = model.encoder.layer[0]
    hidden, mask = padded_batch([6, 6])  # no padding: every mask form keeps everything
    with torch.inference_mode():
        additive = layer(hidden, additive_mask(mask, torch.float32))
        boolean = layer(hidden, mask.bool()[:, None, None, :])
        square = layer(hidden, mask.bool()[:, None, :, None] & mask.bool()[:, None, None, :])  # (b, 1, q, k)
        absent = layer(hidden, None)
    for other in (boolean, square, absent):
        assert torch.equal(additive, other)
    dropped = score_mask(torch.tensor([[True, False, True]]), 1, 2, 3, torch.bfloat16)
    assert dropped.shape == (2, 1, 3) and dropped[:, 0, 1].lt(-1e30).all() and dropped[:, 0, [0, 2]].eq(0).all()


def test_only_plain_gelu_encoder_layers_are_packed() -> None:
    relu = tiny_layers(hidden_act="relu")
    assert not can_pack(relu.encoder.layer[0]) and pack_layers(relu.encoder.layer) == 0
    quantised = torch.ao.quantization.quantize_dynamic(tiny_layers(), {torch.nn.Linear}, dtype=torch.qint8)
    assert not can_pack(quantised.encoder.layer[0])  # int8 layers keep their own kernels
    model = tiny_layers()
    assert pack_layers(model.encoder.layer) == 2 and pack_layers(model.encoder.layer) == 0  # once only
    assert not can_pack(torch.nn.Linear(4, 4))


@pytest.fixture(params=KERNELS, ids=lambda onednn: "onednn" if onednn else "plain")
def packed(request: pytest.FixtureRequest, tiny_bundled: Path, monkeypatch: pytest.MonkeyPatch) -> SentimentModel:
    """The tiny bundled model loaded in bf16 with each kernel this CPU has, so both are tested where it has both."""
    pack = loader.BundledEncoder.pack
    monkeypatch.setattr(loader.BundledEncoder, "pack", lambda self, **_: pack(self, onednn=request.param))
    model = load_bundled(precision="bf16", ngram=False)
    assert isinstance(model.encoder, loader.BundledEncoder)
    return model


def test_bundled_bf16_packs_every_pass_and_scores_as_autocast_does(packed: SentimentModel) -> None:
    encoder = packed.encoder
    assert encoder is not None
    # Lower and e5 upper layers (encoder.model) and the tuned layers (encoder.top), all packed, at load.
    assert packed_count(encoder.model) == 2 and packed_count(encoder.top) == 1
    full = load_bundled(precision="fp32", ngram=False)
    assert packed_count(full.encoder.model) == 0 and packed_count(full.encoder.top) == 0
    autocast = load_bundled(precision="fp32", ngram=False)
    autocast.autocast = autocast.encoder.autocast = torch.bfloat16  # the bf16 path as it was: autocast, unpacked
    got, expected, before = packed.predict_probs(TEXTS), full.predict_probs(TEXTS), autocast.predict_probs(TEXTS)
    assert np.allclose(got.sum(axis=1), 1.0, atol=1e-5)
    assert np.abs(got - expected).max() < BF16_TOL and np.abs(got - before).max() < BF16_TOL
    assert packed.version == full.version  # same model within bf16 rounding: scores need no rescore


def test_packed_joint_pass_gives_sentiments_and_the_embeddings_embed_gives(
    packed: SentimentModel, tiny_bundled: Path
) -> None:
    encoder = packed.encoder
    assert encoder is not None
    sentiments, embeddings = packed.predict_with_embeddings(TEXTS)
    assert len(sentiments) == len(TEXTS) and embeddings.shape == (len(TEXTS), 16)
    probs = np.array([[s.probs[k] for k in ("negative", "neutral", "positive")] for s in sentiments])
    assert np.allclose(probs, packed.predict_probs(TEXTS), atol=1e-6)
    reference = E5Encoder(tiny_bundled).embed(TEXTS)  # fp32, unpacked
    assert np.abs(embeddings - reference).max() < BF16_TOL
    # The memo's misses run the packed layers through BertModel's own forward and mask: the same embeddings.
    encoder._memo.clear()
    assert np.abs(encoder.embed(TEXTS) - embeddings).max() < 1e-2
