"""Two pipelines at once on the same cores: wall time of the pair against one alone (issue #16: ≤ 2.5×).

Run from the repository root: `python tests/bench/two_runs.py` (about 5 minutes on 2 idle CPU cores). Each
"pipeline" is `tests/bench/pipeline_speed.py --seeds 1 --naive-texts 20` in its own process (model load, import
of 3,600 sample mentions into its own warehouse, score, topics + terms, detect), first alone, then two started
together, unpinned: each sees every core, and the CPU share (models/sentiment/cpu_share.py) is all that keeps
them from oversubscribing. `--share-off` runs the pair with `BRANDPULSE_CPU_SHARE_DIR=off` (each takes every
core, as before the share) for comparison; `--pinned` pins them to disjoint CPUs with `sched_setaffinity`.

It prints a table and one JSON line; record results in docs/benchmarks.md. Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PIPELINE = [sys.executable, str(REPO / "tests" / "bench" / "pipeline_speed.py"), "--seeds", "1", "--naive-texts", "20"]


def start(env: dict[str, str], cpus: set[int] | None, log: Path) -> subprocess.Popen[bytes]:
    """One pipeline process, its output to `log`."""
    pin = (lambda: os.sched_setaffinity(0, cpus)) if cpus else None
    with log.open("wb") as out:
        return subprocess.Popen(PIPELINE, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, preexec_fn=pin)


def timed(env: dict[str, str], pins: list[set[int] | None], folder: Path, label: str) -> float:
    """Wall seconds until every pipeline of `pins` (started together) has finished; fails on a failed one."""
    began = time.perf_counter()
    procs = [start(env, cpus, folder / f"{label}-{i}.log") for i, cpus in enumerate(pins)]
    codes = [proc.wait() for proc in procs]
    elapsed = time.perf_counter() - began
    if any(codes):
        raise SystemExit(f"{label}: a pipeline failed (exit {codes}); see the logs in {folder}")
    return elapsed


def main() -> int:
    """One pipeline alone, then two at once; print the ratio."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--share-off", action="store_true", help="also run the pair with the CPU share switched off")
    parser.add_argument("--pinned", action="store_true", help="also run the pair pinned to disjoint CPUs")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(REPO), "DO_NOT_TRACK": "1"}
    cpus = sorted(os.sched_getaffinity(0))
    rows: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="brandpulse-two-runs-") as tmp:
        folder = Path(tmp)
        share = {**env, "BRANDPULSE_CPU_SHARE_DIR": str(folder / "share")}
        rows["one alone"] = timed(share, [None], folder, "alone")
        rows["two at once, unpinned (CPU share)"] = timed(share, [None, None], folder, "shared")
        if args.share_off:
            off = {**env, "BRANDPULSE_CPU_SHARE_DIR": "off"}
            rows["two at once, unpinned, share off"] = timed(off, [None, None], folder, "off")
        if args.pinned and len(cpus) >= 2:
            half = len(cpus) // 2
            rows["two at once, pinned to disjoint CPUs"] = timed(
                share, [set(cpus[:half]), set(cpus[half:])], folder, "pinned"
            )
    alone = rows["one alone"]
    print(f"{'how':<40} {'wall s':>8} {'× one':>7}")
    for how, seconds in rows.items():
        print(f"{how:<40} {seconds:>8.1f} {seconds / alone:>6.2f}×")
    print(json.dumps({"cpus": len(cpus), **{k: round(v, 1) for k, v in rows.items()}}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
