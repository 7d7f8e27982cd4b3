"""The e5 encoder's BERT for inference, read straight from its folder without importing transformers.

`brandpulse run` loads the bundled model once per run, and importing transformers' BertModel and tokenizer
machinery took 3–4 s of each load (docs/benchmarks.md, "Model load"): more than reading the weights. The bundled
encoder needs only BERT's embeddings and post-LayerNorm layers, so they live here, with transformers' module and
parameter names (`encoder.layer.0.attention.self.query.weight`, …), so the converted e5 folder, a BertModel saved by
`save_pretrained`, the tuned top's file and the packed layers (`models/sentiment/packed_bert.py`) all fit as they
are. Training keeps transformers' BertModel (dropout, gradients); outputs of the two agree within float noise
(tests/models/sentiment/test_bert.py).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from models.errors import ModelUnavailable

# The activations BERT configs name, as transformers computes them ("gelu" is the exact erf GELU).
ACTIVATIONS = {
    "gelu": F.gelu,
    "gelu_new": lambda x: F.gelu(x, approximate="tanh"),
    "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "relu": F.relu,
}
# Keys a saved BertModel may hold that inference does not use.
IGNORED_KEYS = ("embeddings.position_ids", "embeddings.token_type_ids", "pooler.")


@dataclass(frozen=True)
class BertSettings:
    """The fields of a BERT `config.json` the encoder is built from (the rest is ignored)."""

    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    max_position_embeddings: int
    hidden_act: str = "gelu"
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12
    model_type: str = "bert"
    # Read by packed_bert.can_pack: this encoder never decodes or cross-attends.
    is_decoder: bool = False
    add_cross_attention: bool = False

    @classmethod
    def from_json(cls, data: Mapping[str, Any], source: str) -> BertSettings:
        """Settings from a parsed config.json; a missing field or an unknown activation names the file."""
        known = {field.name for field in fields(cls)}
        try:
            settings = cls(**{key: value for key, value in data.items() if key in known})
        except TypeError as exc:
            raise ModelUnavailable(f"{source} is not a BERT config: {exc}") from exc
        if settings.model_type != "bert" or settings.hidden_act not in ACTIVATIONS:
            raise ModelUnavailable(
                f"{source}: model_type {settings.model_type!r} with hidden_act {settings.hidden_act!r} is not a BERT "
                f"encoder this loader runs (model_type 'bert', hidden_act one of {sorted(ACTIVATIONS)})"
            )
        return settings


class Embeddings(torch.nn.Module):
    """Word + absolute position + token type (all type 0: one segment) embeddings, then LayerNorm."""

    def __init__(self, settings: BertSettings) -> None:
        super().__init__()
        # Left unset (the file's tensor replaces it): initialising 96 M random floats would cost more than reading them.
        unset = torch.empty(settings.vocab_size, settings.hidden_size)
        self.word_embeddings = torch.nn.Embedding(settings.vocab_size, settings.hidden_size, _weight=unset)
        self.position_embeddings = torch.nn.Embedding(settings.max_position_embeddings, settings.hidden_size)
        self.token_type_embeddings = torch.nn.Embedding(settings.type_vocab_size, settings.hidden_size)
        self.LayerNorm = torch.nn.LayerNorm(settings.hidden_size, eps=settings.layer_norm_eps)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        """(batch, seq) token ids → (batch, seq, hidden)."""
        positions = torch.arange(input_ids.shape[1], device=input_ids.device)
        hidden = self.word_embeddings(input_ids) + self.token_type_embeddings.weight[0]
        return self.LayerNorm(hidden + self.position_embeddings(positions))


class SelfAttention(torch.nn.Module):
    """Q/K/V projections and scaled dot-product attention over all heads."""

    def __init__(self, settings: BertSettings) -> None:
        super().__init__()
        self.config = settings
        self.num_attention_heads = settings.num_attention_heads
        self.attention_head_size = settings.hidden_size // settings.num_attention_heads
        self.query = torch.nn.Linear(settings.hidden_size, settings.hidden_size)
        self.key = torch.nn.Linear(settings.hidden_size, settings.hidden_size)
        self.value = torch.nn.Linear(settings.hidden_size, settings.hidden_size)

    def forward(self, hidden: torch.Tensor, attention_mask: torch.Tensor | None) -> torch.Tensor:
        """Context vectors (batch, seq, hidden); `attention_mask` is additive, broadcastable to the scores."""
        batch, length, width = hidden.shape
        heads = (batch, length, self.num_attention_heads, self.attention_head_size)
        query, key, value = (proj(hidden).view(heads).transpose(1, 2) for proj in (self.query, self.key, self.value))
        if attention_mask is not None:
            attention_mask = attention_mask.to(query.dtype)
        context = F.scaled_dot_product_attention(query, key, value, attn_mask=attention_mask)
        return context.transpose(1, 2).reshape(batch, length, width)


class DenseNorm(torch.nn.Module):
    """dense → residual add → LayerNorm (BERT's attention output and layer output)."""

    def __init__(self, width_in: int, width_out: int, eps: float) -> None:
        super().__init__()
        self.dense = torch.nn.Linear(width_in, width_out)
        self.LayerNorm = torch.nn.LayerNorm(width_out, eps=eps)

    def forward(self, hidden: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        """LayerNorm(dense(hidden) + residual)."""
        return self.LayerNorm(self.dense(hidden) + residual)


class Attention(torch.nn.Module):
    """Self-attention and its output projection (transformers' `attention.self` / `attention.output`)."""

    def __init__(self, settings: BertSettings) -> None:
        super().__init__()
        self.self = SelfAttention(settings)
        self.output = DenseNorm(settings.hidden_size, settings.hidden_size, settings.layer_norm_eps)


class Intermediate(torch.nn.Module):
    """The widening projection and its activation."""

    def __init__(self, settings: BertSettings) -> None:
        super().__init__()
        self.dense = torch.nn.Linear(settings.hidden_size, settings.intermediate_size)
        self.activation = ACTIVATIONS[settings.hidden_act]

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        """activation(dense(hidden))."""
        return self.activation(self.dense(hidden))


class Layer(torch.nn.Module):
    """One post-LayerNorm BERT encoder layer."""

    def __init__(self, settings: BertSettings) -> None:
        super().__init__()
        self.attention = Attention(settings)
        self.intermediate = Intermediate(settings)
        self.output = DenseNorm(settings.intermediate_size, settings.hidden_size, settings.layer_norm_eps)

    def forward(self, hidden: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Hidden states after the layer; `attention_mask` is additive (0 on real tokens, very negative on padding)."""
        attended = self.attention.output(self.attention.self(hidden, attention_mask), hidden)
        return self.output(self.intermediate(attended), attended)


class Encoder(torch.nn.Module):
    """The stack of layers (`encoder.layer`)."""

    def __init__(self, settings: BertSettings) -> None:
        super().__init__()
        self.layer = torch.nn.ModuleList(Layer(settings) for _ in range(settings.num_hidden_layers))


@dataclass
class EncoderOutput:
    """What transformers' BertModel returns, as far as mean pooling reads it."""

    last_hidden_state: torch.Tensor


class BertEncoder(torch.nn.Module):
    """Embeddings and encoder layers, without a pooler; `config` holds the settings it was built from."""

    def __init__(self, settings: BertSettings) -> None:
        super().__init__()
        self.config = settings
        self.embeddings = Embeddings(settings)
        self.encoder = Encoder(settings)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> EncoderOutput:
        """Last hidden states of a padded batch; `attention_mask` is 0/1 per token."""
        from models.sentiment.tuned_e5 import run_layers

        return EncoderOutput(run_layers(self.encoder.layer, self.embeddings(input_ids), attention_mask))


def load_bert(folder: Path) -> BertEncoder:
    """The BERT encoder saved in `folder` (config.json and model.safetensors), in fp32 and eval mode."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    config_path, weights_path = folder / "config.json", folder / "model.safetensors"
    try:
        settings = BertSettings.from_json(json.loads(config_path.read_text(encoding="utf-8")), str(config_path))
        state = load_file(str(weights_path))
    except (OSError, ValueError, SafetensorError) as exc:  # missing or unreadable file, bad JSON, damaged weights
        raise ModelUnavailable(f"cannot load the encoder in {folder}: {exc}") from exc
    # Built on the CPU, not the meta device: initialising meta tensors imports torch's compiler stack (about 2 s).
    model = BertEncoder(settings)
    state = {key: value.float() for key, value in state.items() if not key.startswith(IGNORED_KEYS)}
    try:
        missing, unexpected = model.load_state_dict(state, strict=False, assign=True)
    except RuntimeError as exc:  # a tensor's shape differs from what config.json says
        raise ModelUnavailable(f"{weights_path} does not fit its config.json: {str(exc).splitlines()[-1]}") from exc
    if missing or unexpected:
        raise ModelUnavailable(
            f"{weights_path} does not fit its config.json: missing {missing[:3]}, unexpected {unexpected[:3]}"
        )
    return model.eval()


def special_token(folder: Path, name: str) -> str | None:
    """A special token's text (`pad_token`, …) from the folder's tokenizer_config.json or special_tokens_map.json."""
    for file in ("tokenizer_config.json", "special_tokens_map.json"):
        path = folder / file
        if not path.is_file():
            continue
        value = json.loads(path.read_text(encoding="utf-8")).get(name)
        if isinstance(value, dict):  # transformers writes added tokens as {"content": "<pad>", …}
            value = value.get("content")
        if isinstance(value, str):
            return value
    return None


class FolderTokenizer:
    """The folder's tokenizer.json through the `tokenizers` library, called the way `run_batched` calls it."""

    padding_side = "right"

    def __init__(self, folder: Path) -> None:
        from tokenizers import Tokenizer

        path = folder / "tokenizer.json"
        try:
            self._tokenizer = Tokenizer.from_file(str(path))
            pad = special_token(folder, "pad_token")
        except Exception as exc:  # tokenizers raises a bare Exception on a damaged file, OSError on a missing one
            raise ModelUnavailable(f"cannot load the tokenizer {path}: {exc}") from exc
        self.pad_token_id = self._tokenizer.token_to_id(pad) if pad is not None else None
        self._tokenizer.no_padding()
        self._truncation: int | None = None
        # Truncation is a setting of the shared Rust tokenizer: set and encode under one lock (scoring threads).
        self._lock = threading.Lock()

    def __call__(
        self,
        texts: Sequence[str],
        *,
        truncation: bool = False,
        max_length: int | None = None,
        padding: bool = False,
        return_attention_mask: bool = True,
    ) -> dict[str, list[list[int]]]:
        """Token ids of each text with the special tokens, truncated to `max_length` when `truncation` is set."""
        if padding:
            raise ValueError("FolderTokenizer does not pad: run_batched pads each batch itself")
        limit = max_length if truncation else None
        with self._lock:
            if limit != self._truncation:
                if limit is None:
                    self._tokenizer.no_truncation()
                else:
                    self._tokenizer.enable_truncation(limit)
                self._truncation = limit
            encodings = self._tokenizer.encode_batch(list(texts))
        out = {"input_ids": [encoding.ids for encoding in encodings]}
        if return_attention_mask:
            out["attention_mask"] = [encoding.attention_mask for encoding in encodings]
        return out
