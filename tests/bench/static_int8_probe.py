"""Would static int8 (SmoothQuant-style, calibrated activations) keep accuracy, and what could it gain on this CPU?

Run from the repository root: `python tests/bench/static_int8_probe.py` (about 6 minutes on 2 idle cores;
`--validation` adds the accuracy guard's metrics for the chosen configuration, about 4 minutes more).
Issue #16 asks for int8 "with per-channel weights and calibrated/static activations where they keep accuracy".
Dynamic int8 is offered as `precision = "int8"` and fails the guard; this probe answers the static question
before anyone builds kernels for it, in two parts:

- **Accuracy, simulated.** The bundled model's sentiment layers (e5's layers 0–5 and the tuned 6–11) in fp32 with
  every linear layer's maths replaced by what static int8 computes: weights scaled by SmoothQuant's per-channel
  factor s = max|x|^α / max|w|^(1−α) and rounded per output channel to int8; inputs divided by s and rounded to
  int8 with one static scale from calibration. Optionally the FFN output layer's k widest input channels stay in
  float (outlier split). Calibration: 512 texts of the training split; comparison: 1,500 other training texts
  (label agreement and mean |Δp| against fp32, bf16 autocast as the yardstick). The training split is used on
  purpose, so choosing a configuration never reads validation data; `--validation` then measures the chosen one
  on the model card's validation split with the guard's metrics (models/training/precision_guard.py).
- **Speed ceiling.** oneDNN's int8 matmul (`torch.ops.onednn.qlinear_pointwise`, u8 activations, s8 per-channel
  weights, VNNI) against the bf16 packed matmul the default path runs (`mkldnn._linear_pointwise`), at the
  model's four matmul shapes for a typical batch (1,280 token rows), and the cost of quantising an input to u8.

It prints both tables and a JSON line; the numbers are recorded in docs/benchmarks.md. Not a test.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

# One configuration: (SmoothQuant α or None for none, linear kinds kept in float, outlier channels of the FFN output).
Config = tuple[float | None, frozenset[str], int]
KINDS = ("query", "key", "value", "attention_out", "ffn_in", "ffn_out")
CONFIGS: dict[str, Config] = {
    "every linear, no smoothing": (None, frozenset(), 0),
    "every linear, α 0.5": (0.5, frozenset(), 0),
    "every linear, α 0.8": (0.8, frozenset(), 0),
    "every linear, α 0.8, FFN output splits 16 outlier channels": (0.8, frozenset(), 16),
    "α 0.8, FFN output kept in bf16": (0.8, frozenset({"ffn_out"}), 0),
    "FFN output only, α 0.8": (0.8, frozenset(KINDS) - {"ffn_out"}, 0),
    "FFN output only, α 0.8, 8 outlier channels split": (0.8, frozenset(KINDS) - {"ffn_out"}, 8),
}
CHOSEN = "every linear, α 0.8, FFN output splits 16 outlier channels"


def linears(model: object) -> dict[tuple[int, str], torch.nn.Linear]:
    """The sentiment path's linear layers (e5 layers 0–5, then the tuned layers), keyed by (layer, kind)."""
    encoder = model.encoder  # type: ignore[attr-defined]
    layers = list(encoder.model.encoder.layer[: encoder.top.first_tuned]) + list(encoder.top.layers)
    found = {}
    for index, layer in enumerate(layers):
        attention = layer.attention.self
        for kind, module in zip(
            KINDS,
            (
                attention.query,
                attention.key,
                attention.value,
                layer.attention.output.dense,
                layer.intermediate.dense,
                layer.output.dense,
            ),
            strict=True,
        ):
            found[(index, kind)] = module
    return found


def input_maxima(model: object, texts: list[str], modules: dict[tuple[int, str], torch.nn.Linear]) -> dict:
    """Per-input-channel max |x| of each linear layer over `texts` (the calibration pass)."""
    maxima: dict[tuple[int, str], torch.Tensor] = {}

    def recorder(key: tuple[int, str]) -> Callable[..., None]:
        def record(_: torch.nn.Module, args: tuple[torch.Tensor, ...]) -> None:
            seen = args[0].detach().float().reshape(-1, args[0].shape[-1]).abs().amax(0)
            maxima[key] = seen if key not in maxima else torch.maximum(maxima[key], seen)

        return record

    hooks = [module.register_forward_pre_hook(recorder(key)) for key, module in modules.items()]
    try:
        model.predict_probs(texts)  # type: ignore[attr-defined]
    finally:
        for hook in hooks:
            hook.remove()
    return maxima


def simulate(modules: dict, weights: dict, maxima: dict, config: Config) -> None:
    """Give each linear layer the maths of static int8 under `config` (restoring fp32 first)."""
    alpha, in_float, outliers = config
    for key, module in modules.items():
        module.weight.data.copy_(weights[key])
        module.forward = torch.nn.Linear.forward.__get__(module)
        if key[1] in in_float:
            continue
        weight, seen = weights[key], maxima[key].clamp(min=1e-5)
        smooth = torch.ones_like(seen)
        if alpha is not None:
            smooth = (seen**alpha / weight.abs().amax(0).clamp(min=1e-5) ** (1 - alpha)).clamp(min=1e-5)
        scaled = weight * smooth[None, :]
        spread = seen / smooth
        keep = torch.topk(spread, outliers).indices if key[1] == "ffn_out" and outliers else None
        float_part = weight[:, keep].clone() if keep is not None else None
        if keep is not None:
            scaled[:, keep] = 0
            spread = spread.clone()
            spread[keep] = 0
        step = scaled.abs().amax(1, keepdim=True) / 127
        module.weight.data.copy_(torch.round(scaled / step) * step)
        activation_step = float(spread.max()) / 127

        def forward(x: torch.Tensor, module=module, smooth=smooth, step=activation_step, keep=keep, part=float_part):
            quantised = torch.clamp(torch.round(x / smooth / step), -128, 127) * step
            out = torch.nn.functional.linear(quantised, module.weight, module.bias)
            return out if keep is None else out + x[..., keep] @ part.T

        module.forward = forward


def bench_ms(fn: Callable[[], object], repeat: int = 60) -> float:
    """Milliseconds per call, after two warm-up calls."""
    fn()
    fn()
    started = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - started) / repeat * 1e3


SHAPES = (("Q/K/V", 384, 1152), ("attention out", 384, 384), ("FFN in", 384, 1536), ("FFN out", 1536, 384))


def matmul_speed(rows: int, inner: int, outer: int) -> dict[str, float]:
    """ms per call of the bf16 packed and the oneDNN int8 matmul of one shape, and of quantising its input to u8."""
    x, weight, bias = torch.randn(rows, inner), torch.randn(outer, inner), torch.randn(outer)
    x16, w16 = x.to(torch.bfloat16), torch.ops.mkldnn._reorder_linear_weight(weight.to(torch.bfloat16))
    b16 = bias.to(torch.bfloat16)
    bf16 = bench_ms(lambda: torch.ops.mkldnn._linear_pointwise(x16, w16, b16, "none", [], ""))
    scales = (weight.abs().amax(1) / 127).float()
    packed = torch.ops.onednn.qlinear_prepack(torch.round(weight / scales[:, None]).to(torch.int8), [rows, inner])
    step = float(x.abs().max() / 127)
    xq = torch.quantize_per_tensor(x, step, 128, torch.quint8).int_repr()
    zeros = torch.zeros(outer, dtype=torch.long)
    int8 = bench_ms(
        lambda: torch.ops.onednn.qlinear_pointwise(
            xq, step, 128, packed, scales, zeros, bias, 1.0, 0, torch.bfloat16, "none", [], ""
        )
    )
    quantise = bench_ms(lambda: torch.quantize_per_tensor(x, step, 128, torch.quint8).int_repr())
    return {"bf16_ms": bf16, "int8_ms": int8, "quantise_input_ms": quantise}


def main() -> int:
    """Simulate the configurations, time the kernels, optionally measure the chosen one on validation."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--validation", action="store_true", help="the guard's metrics for the chosen configuration")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=DeprecationWarning)

    from rich.console import Console
    from rich.table import Table

    from models.sentiment.loader import load_bundled, set_torch_threads
    from models.training.evaluate_bundled import recorded_splits

    set_torch_threads()
    train, validation, _ = recorded_splits()
    picked = random.Random(1).sample(range(len(train.texts)), 2000)
    calibration = [train.texts[i] for i in picked[:512]]
    compare = [train.texts[i] for i in picked[512:]]

    model = load_bundled(precision="fp32")
    modules = linears(model)
    weights = {key: module.weight.detach().clone() for key, module in modules.items()}
    reference = model.predict_probs(compare)
    maxima = input_maxima(model, calibration, modules)

    rows = []
    with torch.autocast("cpu", dtype=torch.bfloat16):
        probs = model.predict_probs(compare)
    rows.append(("bf16 autocast (the yardstick)", probs))
    for name, config in CONFIGS.items():
        simulate(modules, weights, maxima, config)
        rows.append((name, model.predict_probs(compare)))
    console = Console()
    title = f"static int8, simulated: {len(compare)} training texts against fp32 (calibrated on 512 others)"
    table = Table(title=title)
    for column in ("configuration", "label agreement", "mean |Δp|"):
        table.add_column(column, justify="left" if column == "configuration" else "right")
    result: dict[str, object] = {"agreement": {}}
    for name, probs in rows:
        agreement = float((probs.argmax(1) == reference.argmax(1)).mean())
        table.add_row(name, f"{agreement:.4f}", f"{np.abs(probs - reference).mean():.4f}")
        result["agreement"][name] = round(agreement, 4)  # type: ignore[index]
    console.print(table)

    speeds = [{"matmul": name, **matmul_speed(1280, inner, outer)} for name, inner, outer in SHAPES]
    table = Table(title="one matmul, 1,280 token rows, ms (2 threads)")
    for column in ("matmul", "bf16 packed", "int8 oneDNN", "quantise input to u8"):
        table.add_column(column, justify="left" if column == "matmul" else "right")
    for row in speeds:
        times = (f"{row[key]:.2f}" for key in ("bf16_ms", "int8_ms", "quantise_input_ms"))
        table.add_row(str(row["matmul"]), *times)
    console.print(table)
    result["matmuls"] = [{key: round(v, 3) if isinstance(v, float) else v for key, v in row.items()} for row in speeds]

    if args.validation:
        from models.training.data import evaluate
        from models.training.precision_guard import TARGETS, guard_verdicts, verdict_lines

        simulate(modules, weights, maxima, (None, frozenset(KINDS), 0))
        with torch.autocast("cpu", dtype=torch.bfloat16):
            bf16 = evaluate(model.predict_probs(validation.texts), validation)
        simulate(modules, weights, maxima, CONFIGS[CHOSEN])
        static = evaluate(model.predict_probs(validation.texts), validation)
        result["validation"] = {
            side: {target: round(metrics[target], 4) for target in TARGETS}
            for side, metrics in (("bf16", bf16), ("static int8", static))
        }
        console.print("\n".join(verdict_lines(guard_verdicts(static, bf16), f"static int8 ({CHOSEN})")))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
