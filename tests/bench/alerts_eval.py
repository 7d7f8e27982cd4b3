"""Evaluation harness for the spike detector on synthetic hourly series (docs/benchmarks.md, section "Alerts").

    .venv/bin/python tests/bench/alerts_eval.py                 # all presets, the documented run
    .venv/bin/python tests/bench/alerts_eval.py --series 40     # a quicker, noisier run
    .venv/bin/python tests/bench/alerts_eval.py --json out.json # also write the numbers as JSON

Each brand is eight weeks of hourly counts: four weeks of warm-up history, then a four-week evaluation window
(one brand-month). Volume follows a daily profile (quiet nights, evening peak) and a weekly one (busy Monday,
quiet Saturday), with a slow trend, overdispersed noise (gamma-Poisson: threads and repost waves), a negative
share that drifts from hour to hour, and on some brands a launch or sale that multiplies all volume for a day
while the share stays flat. Spikes add negatives only: `size`× the expected negatives for `length` hours.

Scoring: an episode that overlaps a spike (from its first hour to `length + cooldown` hours later) detects it;
hours to detect = the hour whose data raised the episode − the spike's first hour (0: the alert goes out as soon
as the first spike hour is complete). Every other episode in the evaluation window is a false alert.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from models.alerts.detector import detect
from models.alerts.series import BrandSeries, HourCount
from models.alerts.settings import PRESETS, DetectorSettings

T0 = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
H = timedelta(hours=1)
WARMUP_DAYS = 28
EVAL_DAYS = 28
# Mean negatives per hour of the brands: a niche brand, a mid-size one, a busy one, a very busy one.
TIERS = (0.5, 2.0, 6.0, 25.0)
SIZES = (2.0, 3.0, 5.0, 10.0)
LENGTHS = (1, 2, 4, 8)
# Below this many expected negatives an hour a 3× spike is a handful of posts: within noise for any test.
TARGET_MIN_BASE = 3.0
BASE_BINS = ((0.0, 1.0), (1.0, 3.0), (3.0, 10.0), (10.0, math.inf))
DAILY = np.array([0.3, 0.2, 0.15, 0.12, 0.12, 0.2, 0.4, 0.7, 0.9, 1.0, 1.1, 1.3,
                  1.4, 1.2, 1.1, 1.1, 1.2, 1.4, 1.6, 1.8, 1.9, 1.7, 1.2, 0.6])  # fmt: skip
WEEKLY = np.array([1.25, 1.05, 1.0, 1.0, 1.05, 0.7, 0.85])  # Monday .. Sunday


@dataclass(frozen=True)
class Spike:
    """An injected spike: hour index, length in hours, size as a multiple of expected negatives."""

    start: int
    length: int
    size: float
    base: float = 0.0  # expected negatives per hour during the spike, without it (set by make_series)


@dataclass
class Synthetic:
    """One synthetic brand: its counts, the spikes in it and what shaped it."""

    tier: float
    negative: list[int]
    total: list[int]
    spikes: list[Spike] = field(default_factory=list)
    launch: bool = False


def make_series(rng: np.random.Generator, tier: float, spikes: list[Spike], *, launch: bool) -> Synthetic:
    """Hourly (total, negative) counts with rhythm, trend, overdispersion, share drift, optional launch and spikes."""
    hours = (WARMUP_DAYS + EVAL_DAYS) * 24
    index = np.arange(hours)
    share = rng.uniform(0.12, 0.35)
    rhythm = DAILY[index % 24] / DAILY.mean() * WEEKLY[(index // 24) % 7] / WEEKLY.mean()
    trend = 1 + rng.uniform(-0.3, 0.5) * index / hours
    mean_total = tier / share * rhythm * trend
    if launch:
        # A launch or sale in the evaluation window: all volume ×2-3 for 12-30 hours, the same share.
        at = int(rng.integers(WARMUP_DAYS * 24, hours - 36))
        mean_total[at : at + int(rng.integers(12, 31))] *= rng.uniform(2.0, 3.0)
    dispersion = 0.15 if tier >= 6 else 0.05  # busy brands swing more than Poisson
    gamma = rng.gamma(1 / dispersion, dispersion, size=hours)
    total = rng.poisson(mean_total * gamma)
    hourly_share = np.clip(share * rng.lognormal(0, 0.15, size=hours), 0.01, 0.95)
    negative = rng.binomial(total, hourly_share)
    placed = []
    for spike in spikes:
        hours_of_spike = range(spike.start, spike.start + spike.length)
        for j in hours_of_spike:
            extra = int(rng.poisson((spike.size - 1) * mean_total[j] * share))
            negative[j] += extra
            total[j] += extra
        base = float(np.mean([mean_total[j] * share for j in hours_of_spike]))
        placed.append(Spike(spike.start, spike.length, spike.size, base))
    return Synthetic(tier, [int(n) for n in negative], [int(t) for t in total], placed, launch)


def episodes_of(series: Synthetic, settings: DetectorSettings) -> list[tuple[int, int, int]]:
    """(start, end, detected) hour indices of the episodes in the evaluation window."""
    counts = [HourCount(T0 + i * H, t, n) for i, (t, n) in enumerate(zip(series.total, series.negative, strict=True))]
    detection = detect(BrandSeries("synthetic", counts), settings)
    found = []
    for episode in detection.episodes(evaluate_from=T0 + WARMUP_DAYS * 24 * H):
        assert episode.detected_at is not None
        start, end = detection.index(episode.start), detection.index(episode.end)
        found.append((start, end, detection.index(episode.detected_at)))
    return found


@dataclass(frozen=True)
class Outcome:
    """One injected spike and how long the detector took (None: missed)."""

    tier: float
    size: float
    length: int
    base: float
    delay: int | None


@dataclass
class Scores:
    """Counts for one preset."""

    outcomes: list[Outcome] = field(default_factory=list)
    true_episodes: int = 0
    false_episodes: int = 0
    false_on_clean: int = 0
    clean_brand_months: int = 0
    false_on_launch: int = 0
    launch_brand_months: int = 0


def score(series: Synthetic, episodes: list[tuple[int, int, int]], scores: Scores, cooldown: int) -> None:
    """Match episodes to the injected spikes and count the rest as false alerts."""
    matched: set[int] = set()
    for spike in series.spikes:
        hits = [
            n for n, (start, end, _) in enumerate(episodes)
            if start < spike.start + spike.length + cooldown and end > spike.start
        ]  # fmt: skip
        matched.update(hits)
        delay = max(min(episodes[n][2] for n in hits) - spike.start, 0) if hits else None
        scores.outcomes.append(Outcome(series.tier, spike.size, spike.length, spike.base, delay))
    false = len(episodes) - len(matched)
    scores.true_episodes += len(matched)
    scores.false_episodes += false
    if not series.spikes:
        if series.launch:
            scores.false_on_launch += false
            scores.launch_brand_months += 1
        else:
            scores.false_on_clean += false
            scores.clean_brand_months += 1


def recall_and_delay(outcomes: list[Outcome]) -> tuple[float, float | None, int]:
    """Recall, median hours to detect (of the spikes found) and the number of spikes."""
    found = [o.delay for o in outcomes if o.delay is not None]
    recall = len(found) / len(outcomes) if outcomes else math.nan
    return recall, (float(statistics.median(found)) if found else None), len(outcomes)


def is_target(outcome: Outcome) -> bool:
    """The spikes the `balanced` target is stated for: ≥3× for ≥2 h, on at least 3 expected negatives an hour."""
    return outcome.size >= 3 and outcome.length >= 2 and outcome.base >= TARGET_MIN_BASE


def evaluate(presets: list[str], series_per_cell: int, seed: int) -> dict[str, object]:
    """Run every preset over the same synthetic brands; return a JSON-ready summary."""
    rng = np.random.default_rng(seed)
    brands: list[Synthetic] = []
    eval_start = WARMUP_DAYS * 24
    for tier in TIERS:
        for size in SIZES:
            for length in LENGTHS:
                for _ in range(series_per_cell):
                    # Two spikes per brand, a week or more apart, anywhere in the evaluation window.
                    first = eval_start + int(rng.integers(24, 8 * 24))
                    second = first + int(rng.integers(7 * 24, 14 * 24))
                    spikes = [Spike(first, length, size), Spike(second, length, size)]
                    brands.append(make_series(rng, tier, spikes, launch=bool(rng.random() < 0.25)))
        for _ in range(series_per_cell * 4):
            brands.append(make_series(rng, tier, [], launch=False))
            brands.append(make_series(rng, tier, [], launch=True))
    results: dict[str, object] = {"seed": seed, "brands": len(brands), "presets": {}}
    for name in presets:
        settings = PRESETS[name]
        scores = Scores()
        started = time.perf_counter()
        for brand in brands:
            score(brand, episodes_of(brand, settings), scores, settings.cooldown_hours)
        outcomes = scores.outcomes
        target_recall, target_delay, target_n = recall_and_delay([o for o in outcomes if is_target(o)])
        sized_recall, sized_delay, sized_n = recall_and_delay([o for o in outcomes if o.size >= 3 and o.length >= 2])
        all_recall, all_delay, _ = recall_and_delay(outcomes)
        detected = scores.true_episodes + scores.false_episodes
        by_cell = {}
        for tier in TIERS:
            for size in SIZES:
                for length in LENGTHS:
                    cell = [o for o in outcomes if (o.tier, o.size, o.length) == (tier, size, length)]
                    recall, delay, n = recall_and_delay(cell)
                    by_cell[f"{tier:g}|{size:g}|{length}"] = {"recall": recall, "median_hours_to_detect": delay, "n": n}
        by_base = {}
        for low, high in BASE_BINS:
            for size in SIZES:
                cell = [o for o in outcomes if low <= o.base < high and o.size == size and o.length >= 2]
                recall, delay, n = recall_and_delay(cell)
                by_base[f"{low:g}-{high:g}|{size:g}"] = {"recall": recall, "median_hours_to_detect": delay, "n": n}
        results["presets"][name] = {  # type: ignore[index]
            "precision": scores.true_episodes / detected if detected else math.nan,
            "recall_all_spikes": all_recall,
            "median_hours_to_detect_all": all_delay,
            "recall_3x_2h_any_volume": sized_recall,
            "median_hours_to_detect_3x_2h_any_volume": sized_delay,
            "spikes_3x_2h_any_volume": sized_n,
            "recall_target_spikes": target_recall,
            "median_hours_to_detect_target": target_delay,
            "target_spikes": target_n,
            "false_alerts_per_brand_month_clean": scores.false_on_clean / max(scores.clean_brand_months, 1),
            "false_alerts_per_brand_month_launch": scores.false_on_launch / max(scores.launch_brand_months, 1),
            "by_tier_size_length": by_cell,
            "by_base_size_2h_or_longer": by_base,
            "seconds": round(time.perf_counter() - started, 1),
        }
    return results


def _table(results: dict[str, object]) -> str:
    lines = [
        "| preset | precision | recall, all spikes | recall, ≥3× ≥2 h (any volume) | recall, target spikes "
        "| median h to detect, target | false alerts / brand-month | … with a launch (share flat) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, row in results["presets"].items():  # type: ignore[union-attr]
        lines.append(
            f"| `{name}` | {row['precision']:.2f} | {row['recall_all_spikes']:.2f} "
            f"| {row['recall_3x_2h_any_volume']:.2f} | {row['recall_target_spikes']:.2f} "
            f"| {_hours(row['median_hours_to_detect_target'])} | {row['false_alerts_per_brand_month_clean']:.2f} "
            f"| {row['false_alerts_per_brand_month_launch']:.2f} |"
        )
    return "\n".join(lines)


def _hours(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"


def _cell(cell: dict[str, object]) -> str:
    if not cell["n"]:
        return "–"
    delay = cell["median_hours_to_detect"]
    return f"{cell['recall']:.2f}" + (f" ({delay:g} h)" if delay is not None else "")


def _cells(results: dict[str, object], preset: str) -> str:
    row_data = results["presets"][preset]  # type: ignore[index]
    cells, bins = row_data["by_tier_size_length"], row_data["by_base_size_2h_or_longer"]
    lines = ["| brand negatives/h (mean) | size | 1 h | 2 h | 4 h | 8 h |", "|---|---|---|---|---|---|"]
    for tier in TIERS:
        for size in SIZES:
            row = [f"| {tier:g} | {size:g}×", *(_cell(cells[f"{tier:g}|{size:g}|{length}"]) for length in LENGTHS)]
            lines.append(" | ".join(row) + " |")
    lines += ["", "| expected negatives/h at the spike (spikes ≥2 h) | 2× | 3× | 5× | 10× |", "|---|---|---|---|---|"]
    for low, high in BASE_BINS:
        label = f"{low:g}–{high:g}" if high != math.inf else f"≥{low:g}"
        row = [f"| {label}", *(_cell(bins[f"{low:g}-{high:g}|{size:g}"]) for size in SIZES)]
        lines.append(" | ".join(row) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation and print Markdown tables (the ones in docs/benchmarks.md)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", type=int, default=10, help="brands per (tier, size, length) cell")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--preset", action="append", choices=sorted(PRESETS), help="default: all three")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    results = evaluate(args.preset or ["sensitive", "balanced", "strict"], args.series, args.seed)
    print(f"{results['brands']} synthetic brands, seed {results['seed']}\n")
    print(_table(results))
    for name in results["presets"]:  # type: ignore[union-attr]
        print(f"\nRecall (median hours to detect) by volume, size and length, `{name}`:\n")
        print(_cells(results, name))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=asdict), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
