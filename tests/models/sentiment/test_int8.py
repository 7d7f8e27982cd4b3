"""The opt-in int8 precision on tiny models built in the test: quantised once at load, close to fp32, told apart."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from models.errors import ConfigError, ModelUnavailable
from models.sentiment import loader
from models.sentiment.int8 import VERSION_SUFFIX
from models.sentiment.loader import E5Encoder, load_bundled, load_sentiment, resolve_precision

TEXTS = [
    "acme is the best app",
    "globex broken refund worst",
    "애크미 최고 좋아요",
    "the order is late but the app is great",
    "acme is the best app",
    "",
]


def dynamic_int8_layers(module: torch.nn.Module) -> int:
    """How many of a module's layers are dynamic int8 linears."""
    return sum(isinstance(m, torch.ao.nn.quantized.dynamic.Linear) for m in module.modules())


def plain_linears(module: torch.nn.Module) -> int:
    """How many float nn.Linear layers a module still has."""
    return sum(type(m) is torch.nn.Linear for m in module.modules())


def test_bundled_int8_quantises_every_pass_once_and_scores_close_to_fp32(tiny_bundled: Path) -> None:
    full = load_bundled(precision="fp32", ngram=False)
    int8 = load_bundled(precision="int8", ngram=False)
    encoder = int8.encoder
    assert isinstance(encoder, loader.BundledEncoder)
    # Lower and e5 upper layers (encoder.model) and the tuned layers and head (encoder.top): nothing left in float.
    assert plain_linears(encoder.model) == 0 and plain_linears(encoder.top) == 0
    assert dynamic_int8_layers(encoder.model) == 2 * 6 and dynamic_int8_layers(encoder.top) == 6 + 1
    assert int8.autocast is None and encoder.autocast is None
    got, expected = int8.predict_probs(TEXTS), full.predict_probs(TEXTS)
    assert got.shape == expected.shape == (len(TEXTS), 3)
    assert np.allclose(got.sum(axis=1), 1.0, atol=1e-5)
    assert np.abs(got - expected).max() < 0.05
    assert int8.version == full.version + VERSION_SUFFIX


def test_bundled_int8_joint_pass_gives_sentiments_and_e5_embeddings(tiny_bundled: Path) -> None:
    int8 = load_bundled(precision="int8", ngram=False)
    full = load_bundled(precision="fp32", ngram=False)
    sentiments, embeddings = int8.predict_with_embeddings(TEXTS)
    assert [s.model_version for s in sentiments] == [int8.version] * len(TEXTS)
    assert np.allclose([[s.probs[k] for k in ("negative", "neutral", "positive")] for s in sentiments],
                       int8.predict_probs(TEXTS), atol=1e-5)  # fmt: skip
    assert np.allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5)
    # The memoised rows the joint pass left are what `embed` (topics) returns, and near e5's fp32 embeddings.
    assert int8.encoder is not None
    assert np.allclose(int8.encoder.embed(TEXTS), embeddings, atol=1e-6)
    reference = E5Encoder(tiny_bundled).embed(TEXTS)
    assert (embeddings * reference).sum(axis=1).min() > 0.99
    assert full.predict_with_embeddings(TEXTS)[1].shape == embeddings.shape


def test_hugging_face_folder_int8(tiny_model_dir: Path) -> None:
    full = load_sentiment(str(tiny_model_dir), precision="fp32")
    int8 = load_sentiment(str(tiny_model_dir), precision="int8")
    assert int8.version == full.version + VERSION_SUFFIX and full.version.startswith("sha256:")
    texts = ["acme terrible refund", "globex love best", "acme order today", "애크미 최악 환불"]
    got, expected = int8.predict_probs(texts), full.predict_probs(texts)
    assert np.abs(got - expected).max() < 0.05
    assert [s.label for s in int8.predict(texts)] == [s.label for s in full.predict(texts)]
    assert [s.model_version for s in int8.predict(texts)] == [int8.version] * len(texts)


def test_unknown_precision_and_int8_off_the_cpu_are_config_errors(tiny_model_dir: Path) -> None:
    assert resolve_precision(" INT8 ") is None  # no autocast: the weights are quantised instead
    with pytest.raises(ConfigError, match=r"\[model\] precision must be one of .*\"int8\", got 'int4' "
                                          r"\(setting 'model\.precision'\)"):  # fmt: skip
        resolve_precision("int4")
    with pytest.raises(ConfigError, match=r"CPU only.*'cuda:0'"):
        resolve_precision("int8", "cuda:0")
    with pytest.raises(ConfigError, match=r"\[model\] precision"):
        load_sentiment(str(tiny_model_dir), precision="fp8")


def test_a_torch_that_cannot_quantise_says_which_setting_to_change(
    tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_kernels(*args: object, **kwargs: object) -> None:
        raise RuntimeError("Didn't find engine for operation quantized::linear_prepack NoQEngine")

    monkeypatch.setattr(torch.ao.quantization, "quantize_dynamic", no_kernels)
    with pytest.raises(ModelUnavailable, match=r'precision = "int8": this torch .* cannot quantise \(Didn.t find '
                                               r'engine.*set precision = "auto"'):  # fmt: skip
        load_sentiment(str(tiny_model_dir), precision="int8")
    assert load_sentiment(str(tiny_model_dir), precision="fp32").version.startswith("sha256:")
