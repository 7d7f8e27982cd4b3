"""Costs at 1 M stored mentions: the demo history copied to 300× its volume, timed next to the same figures at 1×.

Run from the repository root (about 5–8 minutes on 2 CPU cores):

    python tests/bench/history_scale.py --demo data/brandpulse.duckdb     # a warehouse `make demo` left
    python tests/bench/history_scale.py                                   # runs the demo first (~3 min more)

The copy keeps the same four weeks: every mention, brand match, score, topic, topic scan, term and stored embedding
is repeated with an id suffix (`~1` … `~299`) by `INSERT … SELECT` in DuckDB, so nothing is re-scored and the demo's
Acme spike becomes 300× its size. The stored Acme episode keeps its old count, so the first run after the jump has
an episode that grew. Each command runs as its own process (`brandpulse …` as a user types it, Prefect's temporary
server included) and is timed with its peak RSS. Before those runs, `detect_and_enqueue` alone is timed on a copy of
each warehouse with the theme embedder off and on (at 300× it finds every episode of the copied history new and
builds their messages). Results are recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
# Tables keyed by (channel, id): copied with the id suffix; every other table is left as the demo wrote it.
KEYED_TABLES = ("mentions", "mention_brands", "scores", "mention_topics", "topic_scans", "mention_terms",
                "mention_embeddings")
TARGETS = {"first_run": None, "detect_alert": 10.0, "idle_run": 15.0, "report": 15.0, "themes": 10.0,
           "backtest": 10.0}  # fmt: skip
RSS_TARGET_MB = 2500.0


@dataclass
class Timed:
    """One command's wall time, peak RSS and exit status."""

    seconds: float
    peak_mb: float
    rc: int
    output: str


def brandpulse() -> list[str]:
    """The CLI of this checkout (its console-script entry point), run with the interpreter running this script."""
    return [sys.executable, "-c", "from flows.cli.main import main; main()"]


def timed(args: list[str], cwd: Path, *, unset: tuple[str, ...] = (), env: dict[str, str] | None = None) -> Timed:
    """Run a command, wait for it with wait4 (its own peak RSS), and return the timing."""
    env = {**os.environ, "DO_NOT_TRACK": "1", "PYTHONPATH": str(REPO), "COLUMNS": "160", **(env or {})}
    for name in unset:
        env.pop(name, None)
    started = time.perf_counter()
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        log.seek(0)
        output = log.read().decode("utf-8", "replace")
    return Timed(seconds, usage.ru_maxrss / 1024, proc.returncode, output)


def write_config(folder: Path, warehouse: Path) -> Path:
    """The demo config with its warehouse in `folder` and the sample files of this checkout."""
    text = (EXAMPLES / "brandpulse.toml").read_text(encoding="utf-8")
    text = text.replace('path = "data/brandpulse.duckdb"', f'path = "{warehouse}"')
    files = [str(EXAMPLES / "sample_mentions.jsonl"), str(EXAMPLES / "survey_feedback.csv")]
    text = text.replace('files = ["sample_mentions.jsonl", "survey_feedback.csv"]', f"files = {json.dumps(files)}")
    config = folder / "brandpulse.toml"
    config.write_text(text, encoding="utf-8")
    return config


def demo_warehouse(folder: Path) -> Path:
    """Run the demo (`brandpulse run` on the sample data) into `folder` and return its warehouse."""
    warehouse = folder / "demo.duckdb"
    config = write_config(folder, warehouse)
    result = timed([*brandpulse(), "run", "--config", str(config)], folder)
    if result.rc != 0:
        raise SystemExit(f"the demo run failed ({result.rc}):\n{result.output[-3000:]}")
    print(f"demo run: {result.seconds:.0f} s, peak RSS {result.peak_mb:.0f} MB", flush=True)
    return warehouse


def copy_history(source: Path, target: Path, factor: int) -> int:
    """Copy the demo warehouse to `target` with every keyed table repeated `factor` times; return the mentions."""
    shutil.copyfile(source, target)
    con = duckdb.connect(str(target))
    try:
        con.execute("SET enable_progress_bar = false")
        # Import cursors name the files by absolute path: point them at this checkout's sample files, so the runs
        # below see them unchanged, as they would on the demo machine.
        for name in ("sample_mentions.jsonl", "survey_feedback.csv"):
            con.execute(
                "UPDATE cursors SET scope = ? WHERE channel = 'file' AND scope LIKE ?",
                [str(EXAMPLES / name), f"%/{name}"],
            )
        if factor > 1:
            present = {name for (name,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
            for table in [t for t in KEYED_TABLES if t in present]:  # a demo from before a table existed lacks it
                columns = [row[0] for row in con.execute(f"DESCRIBE {table}").fetchall()]
                select = ", ".join("t.id || '~' || CAST(k AS VARCHAR)" if c == "id" else f"t.{c}" for c in columns)
                # Mentions arrive in time order in a real warehouse, so the copies are stored that way too.
                order = " ORDER BY t.created_at" if table == "mentions" else ""
                con.execute(
                    f"INSERT INTO {table} ({', '.join(columns)}) "
                    f"SELECT {select} FROM {table} t, range(1, {factor}) r(k){order}"
                )
        con.execute("CHECKPOINT")
        return int(con.execute("SELECT count(*) FROM mentions").fetchone()[0])  # type: ignore[index]
    finally:
        con.close()


def build_in_child(source: Path, target: Path, factor: int) -> int:
    """`copy_history` in a child process: Linux keeps a process's peak RSS across exec, so the copy's memory must
    not be in the process that starts the timed commands."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); from pathlib import Path; "
        "from history_scale import copy_history; "
        "print(copy_history(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])))"
    )
    args = [sys.executable, "-c", code, str(Path(__file__).parent), str(source), str(target), str(factor)]
    done = subprocess.run(args, check=True, capture_output=True, text=True)
    return int(done.stdout.strip().splitlines()[-1])


def step_seconds(warehouse: Path, name: str) -> float | None:
    """Seconds the newest run spent in step `name`, from its summary in `runs`."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        row = con.execute("SELECT summary FROM runs ORDER BY started_at DESC LIMIT 1").fetchone()
    finally:
        con.close()
    steps = json.loads(row[0]).get("steps", {}) if row and row[0] else {}
    step = steps.get(name)
    return float(step["seconds"]) if step else None


def measure(folder: Path, warehouse: Path, server_url: str | None) -> dict[str, Timed | float | None]:
    """Time the commands of the issue on one warehouse: runs, report, themes, a three-week backtest."""
    config = write_config(folder, warehouse)
    cli = [*brandpulse()]
    results: dict[str, Timed | float | None] = {}

    def run(key: str, *args: str) -> Timed:
        result = timed([*cli, *args, "--config", str(config)], folder)
        if result.rc not in (0, 3):
            print(f"{key} exited {result.rc}:\n{result.output[-3000:]}", file=sys.stderr)
        results[key] = result
        print(f"  {key}: {result.seconds:.1f} s, peak RSS {result.peak_mb:.0f} MB (exit {result.rc})", flush=True)
        return result

    # The first run finds the copied history (at 300x: the Acme episode grew) and records the model versions;
    # the next one has nothing new at all.
    run("first_run", "run")
    results["detect_alert"] = step_seconds(warehouse, "detect_alert")
    run("idle_run", "run")
    if server_url:
        result = timed([*cli, "run", "--config", str(config)], folder, env={"PREFECT_API_URL": server_url})
        results["idle_run_server"] = result
        print(f"  idle_run with PREFECT_API_URL: {result.seconds:.1f} s (exit {result.rc})", flush=True)
    run("report", "report", "--out", str(folder / "report.html"), "--live")
    run("themes", "themes", "--live")
    run("backtest", "alerts", "backtest", "--brand", "Acme", "--from", "2026-11-01", "--to", "2026-11-21")
    results["file_mb"] = warehouse.stat().st_size / 1e6
    return results


def detect_alone(folder: Path, warehouse: Path, *, themes: bool) -> tuple[float, int]:
    """(seconds, new alerts) of `detect_and_enqueue` alone on a copy of `warehouse`, in a child process.

    The first run's `detect_alert` step includes delivery and, with themes, the encoder's load; this is the pass
    itself (the encoder loaded beforehand, as in a run that scored), with the theme embedder off or on; themes read
    the stored vectors first, as the run's do. The copy is a new file, so its full integrity read comes first and
    untimed, where `brandpulse run` does it: before its flow.
    """
    from warehouse.connection import stamp_path

    copy = folder / "detect-alone.duckdb"
    shutil.copyfile(warehouse, copy)
    config = write_config(folder, copy)
    code = (
        "import sys, time; from datetime import UTC, datetime; sys.path.insert(0, sys.argv[1]); "
        "from flows.alerts.enqueue import detect_and_enqueue; from flows.runtime.config import load_config; "
        "from flows.steps.topics import lazy_theme_embedder; from pathlib import Path; "
        "from warehouse import Warehouse; config = load_config(Path(sys.argv[2])); "
        "encoder = lazy_theme_embedder(config) if sys.argv[3] == '1' else None; encoder and encoder(); "
        "Warehouse(config.warehouse.path).check(); "  # as `brandpulse run` does before its flow: not detection's cost
        "started = time.perf_counter(); "
        "done = detect_and_enqueue(Warehouse(config.warehouse.path), config, run_id='bench', now=datetime.now(UTC), "
        "theme_embedder=encoder); "
        "print(time.perf_counter() - started, done.new)"
    )
    result = timed([sys.executable, "-c", code, str(REPO), str(config), "1" if themes else "0"], folder)
    copy.unlink(missing_ok=True)
    stamp_path(copy).unlink(missing_ok=True)  # the copy's integrity stamp goes with it
    if result.rc != 0:
        raise SystemExit(f"detect + alert alone failed ({result.rc}):\n{result.output[-3000:]}")
    seconds, new = result.output.strip().splitlines()[-1].split()
    return float(seconds), int(new)


def start_prefect_server(folder: Path, port: int = 4299) -> tuple[subprocess.Popen[bytes], str]:
    """`prefect server start` on 127.0.0.1 with its own PREFECT_HOME, once healthy: what PREFECT_API_URL reuses."""
    import urllib.request

    env = {**os.environ, "DO_NOT_TRACK": "1", "PREFECT_HOME": str(folder / "prefect-home"),
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}  # fmt: skip
    env.pop("PREFECT_API_URL", None)
    prefect = Path(sys.executable).parent / "prefect"
    args = [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-services"]
    server = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                if answer.status == 200:
                    return server, url
        except OSError:
            time.sleep(1)
    server.terminate()
    raise SystemExit("prefect server did not become healthy in 300 s")


def prefect_start_up(folder: Path, *, early: bool = False) -> Timed:
    """An empty Prefect flow in a fresh process, without PREFECT_API_URL: Prefect's import and its temporary server.

    early: the server started first thing, as brandpulse's flow commands do (flows/runtime/temporary_api.py).
    """
    code = "from prefect import flow\nflow(lambda: None, name='empty')()"
    if early:
        code = (
            f"import sys\nsys.path.insert(0, {str(REPO)!r})\nfrom flows.runtime.temporary_api import prefect_api\n"
            "with prefect_api() as api:\n    from prefect import flow\n    api.ready()\n"
            "    flow(lambda: None, name='empty')()"
        )
    return timed([sys.executable, "-c", code], folder, unset=("PREFECT_API_URL",))


def cell(value: Timed | float | None) -> str:
    """A table cell: seconds, or a dash."""
    if value is None:
        return "—"
    return f"{value.seconds:.1f} s" if isinstance(value, Timed) else f"{value:.1f} s"


def main() -> None:
    """Build the 1× and 300× warehouses, time the commands on each, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", type=Path, help="a warehouse the demo run wrote (default: run the demo first)")
    parser.add_argument("--factor", type=int, default=300, help="copies of the demo history (default 300)")
    parser.add_argument("--keep", type=Path, help="keep the warehouses in this folder")
    parser.add_argument("--no-server", dest="server", action="store_false",
                        help="skip the idle run against a running `prefect server start` (PREFECT_API_URL)")
    args = parser.parse_args()
    folder = Path(args.keep or tempfile.mkdtemp(prefix="bp-history-"))
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    demo = args.demo.resolve() if args.demo else demo_warehouse(folder)
    rows: dict[int, dict[str, Timed | float | None]] = {}
    alone: dict[tuple[int, bool], tuple[float, int]] = {}
    server, server_url = start_prefect_server(folder) if args.server else (None, None)
    for factor in (1, args.factor):
        warehouse = folder / f"history-{factor}x.duckdb"
        began = time.perf_counter()
        mentions = build_in_child(demo, warehouse, factor)
        print(f"{factor}×: {mentions:,} mentions built in {time.perf_counter() - began:.0f} s", flush=True)
        # Before the runs below store the episodes: the pass that finds them all and builds their messages.
        for themes in (False, True):
            seconds, new = detect_alone(folder, warehouse, themes=themes)
            alone[(mentions, themes)] = (seconds, new)
            print(f"  detect + alert alone, themes {'on' if themes else 'off'}: {seconds:.1f} s ({new} new alerts)",
                  flush=True)  # fmt: skip
        rows[mentions] = measure(folder, warehouse, server_url)
    if server is not None:
        server.terminate()
        server.wait(30)
    print()
    header = ("stored mentions", "first run after the jump", "of which detect + alert", "idle run", "report",
              "themes", "alerts backtest (3 weeks)", "peak RSS of a run", "DuckDB file")  # fmt: skip
    print("| " + " | ".join(header) + " |")
    print("|" + "---:|" * len(header))
    for mentions, r in rows.items():
        runs = [v for k, v in r.items() if k in ("first_run", "idle_run") and isinstance(v, Timed)]
        peak = max(t.peak_mb for t in runs) if runs else 0.0
        cells = [f"{mentions:,}", *(cell(r.get(k)) for k in TARGETS), f"{peak / 1000:.2f} GB",
                 f"{float(r['file_mb']):,.0f} MB"]  # type: ignore[arg-type]  # fmt: skip
        print("| " + " | ".join(cells) + " |")
    targets = [("—" if t is None else f"≤ {t:.0f} s") for t in TARGETS.values()]
    print("| target | " + " | ".join(targets) + f" | ≤ {RSS_TARGET_MB / 1000:.1f} GB | — |")
    empty, early = prefect_start_up(folder), prefect_start_up(folder, early=True)
    print(f"\nan empty Prefect flow in a fresh process (import + temporary server): {empty.seconds:.1f} s; "
          f"with the server started first thing, as brandpulse's commands do: {early.seconds:.1f} s")
    for mentions, r in rows.items():
        if isinstance(r.get("idle_run_server"), Timed):
            print(f"idle run at {mentions:,} mentions with PREFECT_API_URL set (no temporary server): "
                  f"{r['idle_run_server'].seconds:.1f} s")  # type: ignore[union-attr]
    for (mentions, themes), (seconds, new) in alone.items():
        print(f"detect + alert alone at {mentions:,} mentions, theme embedder {'on' if themes else 'off'}: "
              f"{seconds:.1f} s for {new} new alerts (target ≤ {TARGETS['detect_alert']:.0f} s)")  # fmt: skip
    print(f"\nwhole benchmark: {time.perf_counter() - started:.0f} s; warehouses in {folder}")
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
