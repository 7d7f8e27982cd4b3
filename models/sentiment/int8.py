"""The opt-in `[model] precision = "int8"`: dynamic int8 quantisation of a loaded model's linear layers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from models.errors import ModelUnavailable

if TYPE_CHECKING:
    import torch

INT8 = "int8"
# Scores are keyed by model version: an int8 model's scores must never pass for the full-precision model's.
VERSION_SUFFIX = "+int8"


def quantise_linears(module: torch.nn.Module) -> torch.nn.Module:
    """`module` with every nn.Linear swapped, in place, for a dynamic int8 one (per-channel weights).

    Activations are quantised per batch at run time, so nothing is calibrated; the swap runs once, at load.
    """
    import torch

    try:
        from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

        return quantize_dynamic(module, {torch.nn.Linear: per_channel_dynamic_qconfig}, inplace=True)
    except (ImportError, RuntimeError) as exc:  # a torch build without quantised kernels, or one that dropped them
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ModelUnavailable(
            f'[model] precision = "int8": this torch {torch.__version__} cannot quantise ({reason}); '
            'set precision = "auto"'
        ) from exc


def int8_version(version: str, precision: str) -> str:
    """The model version as recorded with scores: `version` with "+int8" when `precision` is "int8"."""
    return version + VERSION_SUFFIX if is_int8(precision) else version


def is_int8(precision: str) -> bool:
    """Whether a `[model] precision` value asks for the int8 path."""
    return precision.strip().lower() == INT8
