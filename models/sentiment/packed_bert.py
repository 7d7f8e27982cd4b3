"""Inference-only BERT layers for the bf16 path: weights cast and packed once, fused Q/K/V, GELU inside the matmul.

Under bf16 autocast each `nn.Linear` of a BERT layer casts its fp32 input to bf16, lets oneDNN re-lay the weight
out on every call, and runs GELU as one more pass over the widest activation; attention on 20–60 token texts goes
through a flash kernel built for long sequences. A packed layer does the same maths with the weights already in
bf16 and in oneDNN's blocked layout, Q/K/V as one matmul, GELU fused into the intermediate matmul, and attention
as two small batched matmuls with an fp32 softmax. The residual stream and LayerNorm stay fp32, as under autocast,
so outputs match the autocast path within bf16 rounding (tests/models/sentiment/test_packed_bert.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

if TYPE_CHECKING:
    from transformers.models.bert.modeling_bert import BertLayer

# The activations oneDNN fuses into a matmul, by the name BERT configs use (exact erf GELU).
FUSED_ACTIVATIONS = {"gelu": ("gelu", "none")}


def onednn_bf16() -> bool:
    """Whether this torch build packs bf16 weights for oneDNN on this CPU (native AVX512-BF16 or AMX)."""
    mkldnn = torch.ops.mkldnn
    return (
        torch.backends.mkldnn.is_available()
        and hasattr(mkldnn, "_linear_pointwise")
        and hasattr(mkldnn, "_reorder_linear_weight")
        and bool(mkldnn._is_mkldnn_bf16_supported())
    )


class PackedLinear(torch.nn.Module):
    """A linear layer's weights in `dtype`, packed for oneDNN when `onednn` is set, with an optional fused GELU."""

    def __init__(self, weights: torch.Tensor, bias: torch.Tensor, dtype: torch.dtype, *, onednn: bool) -> None:
        super().__init__()
        weight = weights.detach().to(dtype).contiguous()
        # Buffers, not parameters: nothing here trains, and state_dict-based tooling must not mistake them for BERT's.
        packed = torch.ops.mkldnn._reorder_linear_weight(weight) if onednn else weight
        self.register_buffer("weight", packed, persistent=False)
        self.register_buffer("bias", bias.detach().to(dtype).contiguous(), persistent=False)
        self.onednn = onednn

    def forward(self, x: torch.Tensor, activation: str | None = None) -> torch.Tensor:
        """x @ weight.T + bias, then `activation` (a FUSED_ACTIVATIONS name) if given."""
        if self.onednn:
            attr, algorithm = FUSED_ACTIVATIONS[activation] if activation else ("none", "")
            return torch.ops.mkldnn._linear_pointwise(x, self.weight, self.bias, attr, [], algorithm)
        out = F.linear(x, self.weight, self.bias)
        return F.gelu(out) if activation else out


class PackedBertLayer(torch.nn.Module):
    """One BERT encoder layer (post-LayerNorm, GELU) for inference, computing in `dtype` with an fp32 residual."""

    def __init__(self, layer: BertLayer, dtype: torch.dtype = torch.bfloat16, *, onednn: bool | None = None) -> None:
        super().__init__()
        attention = layer.attention.self
        onednn = onednn_bf16() if onednn is None else onednn
        self.dtype = dtype
        self.heads = attention.num_attention_heads
        self.head_size = attention.attention_head_size
        self.qkv = PackedLinear(
            torch.cat([attention.query.weight, attention.key.weight, attention.value.weight]),
            torch.cat([attention.query.bias, attention.key.bias, attention.value.bias]),
            dtype,
            onednn=onednn,
        )
        self.attention_out = PackedLinear(
            layer.attention.output.dense.weight, layer.attention.output.dense.bias, dtype, onednn=onednn
        )
        self.intermediate = PackedLinear(
            layer.intermediate.dense.weight, layer.intermediate.dense.bias, dtype, onednn=onednn
        )
        self.output = PackedLinear(layer.output.dense.weight, layer.output.dense.bias, dtype, onednn=onednn)
        # LayerNorms stay fp32 modules: the residual stream is fp32, as under autocast.
        self.attention_norm = layer.attention.output.LayerNorm
        self.output_norm = layer.output.LayerNorm

    def forward(
        self, hidden: torch.Tensor, attention_mask: torch.Tensor | None = None, *_: object, **__: object
    ) -> torch.Tensor:
        """Hidden states after the layer; `attention_mask` is additive (0 / large negative) or boolean (True = keep)."""
        batch, length, width = hidden.shape
        qkv = self.qkv(hidden.to(self.dtype)).view(batch, length, 3, self.heads, self.head_size)
        query, key, value = (
            part.reshape(batch * self.heads, length, self.head_size) for part in qkv.permute(2, 0, 3, 1, 4)
        )
        # Two small batched matmuls: the flash kernel SDPA picks is built for long sequences and costs 3× more here.
        mask = score_mask(attention_mask, batch, self.heads, length, self.dtype)
        scores = torch.baddbmm(mask, query, key.transpose(1, 2), alpha=self.head_size**-0.5)
        weights = torch.softmax(scores, dim=-1, dtype=torch.float32).to(self.dtype)
        context = torch.bmm(weights, value).view(batch, self.heads, length, self.head_size)
        context = context.transpose(1, 2).reshape(batch, length, width)
        # fp32 + bf16 promotes to fp32 in one pass: the same sums as casting the bf16 output first, one buffer less.
        hidden = self.attention_norm(torch.add(hidden, self.attention_out(context)))
        inner = self.intermediate(hidden.to(self.dtype), activation="gelu")
        return self.output_norm(torch.add(hidden, self.output(inner)))


def score_mask(
    attention_mask: torch.Tensor | None, batch: int, heads: int, length: int, dtype: torch.dtype
) -> torch.Tensor:
    """An additive (0 / large negative) or boolean (True = keep) mask as (batch · heads, rows, length) scores."""
    if attention_mask is None:
        return torch.zeros((1, 1, length), dtype=dtype)
    if attention_mask.dtype == torch.bool:
        attention_mask = torch.zeros((), dtype=dtype).masked_fill(~attention_mask, torch.finfo(dtype).min)
    mask = attention_mask.to(dtype).reshape(batch, 1, -1, length)
    return mask.expand(batch, heads, mask.shape[2], length).reshape(batch * heads, -1, length)


def can_pack(layer: torch.nn.Module) -> bool:
    """Whether `layer` is a plain BERT self-attention layer with exact GELU and float linear weights (not int8)."""
    try:
        config = layer.attention.self.config
        linears = (
            layer.attention.self.query,
            layer.attention.self.key,
            layer.attention.self.value,
            layer.attention.output.dense,
            layer.intermediate.dense,
            layer.output.dense,
        )
    except AttributeError:
        return False
    return (
        not getattr(config, "is_decoder", False)
        and not getattr(config, "add_cross_attention", False)
        and getattr(config, "hidden_act", None) in FUSED_ACTIVATIONS
        and all(isinstance(linear, torch.nn.Linear) and linear.weight.is_floating_point() for linear in linears)
    )


def pack_layers(layers: torch.nn.ModuleList, dtype: torch.dtype = torch.bfloat16, *, onednn: bool | None = None) -> int:
    """Swap each packable layer of `layers` for a PackedBertLayer, in place; returns how many were swapped."""
    swapped = 0
    for i, layer in enumerate(layers):
        if isinstance(layer, PackedBertLayer) or not can_pack(layer):
            continue
        layers[i] = PackedBertLayer(layer, dtype, onednn=onednn).eval()
        swapped += 1
    return swapped
