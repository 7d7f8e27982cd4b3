"""How long loading the bundled model takes in a fresh process: the fixed cost of every run that scores something.

Run from the repository root: `python tests/bench/model_load.py [--runs 3]` (about 10 s a run). Each run is a new
Python process that imports brandpulse's model loader, loads the bundled model with the default settings
(`load_sentiment()`: e5 with the tuned top, the n-gram and Korean polarity experts, packed bf16 where the CPU has
it), scores two texts, and reports the seconds of each phase, its peak RSS and whether transformers or torch's
compiler stack were imported on the way. Record results in docs/benchmarks.md ("Model load") with the machine.
Not a test: timings belong here, never in the unit tests.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Runs in the child: one JSON line with the phases.
CHILD = """
import json, resource, sys, time
started = time.perf_counter()
import torch
imported = time.perf_counter()
from models import load_sentiment
model = load_sentiment(None)
loaded = time.perf_counter()
model.predict(["배송 언제 오나요?", "great phone"])
done = time.perf_counter()
print(json.dumps({
    "import torch": imported - started,
    "load_sentiment": loaded - imported,
    "first predict": done - loaded,
    "total": done - started,
    "peak RSS MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "transformers imported": "transformers" in sys.modules,
    "torch._dynamo imported": "torch._dynamo" in sys.modules,
}))
"""


def one_run() -> dict[str, float | bool]:
    """The phases of one fresh process."""
    out = subprocess.run([sys.executable, "-c", CHILD], cwd=REPO, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    """Load the model in `--runs` fresh processes and print each run and the median of each phase."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="fresh processes to time")
    args = parser.parse_args()

    from rich.console import Console
    from rich.table import Table

    runs = [one_run() for _ in range(args.runs)]
    table = Table(title=f"bundled model load, {args.runs} fresh processes")
    table.add_column("phase")
    for i in range(len(runs)):
        table.add_column(f"run {i + 1}", justify="right")
    table.add_column("median", justify="right")
    for phase in runs[0]:
        values = [run[phase] for run in runs]
        if isinstance(values[0], bool):
            table.add_row(phase, *map(str, values), "")
        else:
            table.add_row(phase, *(f"{v:.2f}" for v in values), f"{statistics.median(values):.2f}")
    Console().print(table)
    print(json.dumps(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
