"""An hourly `brandpulse run` that listens to live feeds: what it waits for, with the model loaded during listening.

    python tests/bench/hourly_run.py                                  # this checkout, 3 runs
    python tests/bench/hourly_run.py --before /tmp/old-checkout       # and another checkout, interleaved

The demo warehouse (the demo run first, or `--demo PATH`) is copied afresh for every run, so each run does the
same work: the RSS channel reads `--feeds` feed URLs per brand (three brands) from a server on 127.0.0.1 that
answers each request after `--latency` seconds, as a news or review API does, with `--items` new entries per feed
in Korean and English that name the brand (texts from the sample generator, of another seed). The imports stay
off, so the listening is the run's only source. Each run is `brandpulse run` in its own process, Prefect's
temporary server included; its wall time and its summary's `steps` (sources, score, topics, detect_alert) are
printed, then the medians per checkout. Record results in docs/benchmarks.md with the machine and the command.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

import duckdb

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1] / "examples"))

from history_scale import REPO, brandpulse, demo_warehouse, timed, write_config  # noqa: E402

SEED = 20261204  # not a seed the demo data or the pipeline benchmark use
BRANDS = {"Acme": "acme", "Globex": "globex", "Initech": "initech"}


def brand_texts(seed: int) -> dict[str, list[str]]:
    """The sample generator's mention texts of one seed, by the brand whose name they contain."""
    from generate_sample import render

    by_brand: dict[str, list[str]] = {name: [] for name in BRANDS}
    for line in render(seed)[0].splitlines():
        text = json.loads(line).get("text", "") if line.strip() else ""
        for name, term in BRANDS.items():
            if term in text.lower():
                by_brand[name].append(text)
                break
    return by_brand


def rss(brand: str, feed: int, texts: list[str], now: datetime) -> bytes:
    """An RSS document with one entry per text, published in the minutes before `now`."""
    items = []
    for i, text in enumerate(texts):
        published = format_datetime(now - timedelta(minutes=len(texts) - i))
        guid = f"https://news.example/{brand}/{feed}/{i}"
        items.append(
            f"<item><title>{escape(text[:60])}</title><description>{escape(text)}</description>"
            f"<link>{guid}</link><guid>{guid}</guid><pubDate>{published}</pubDate></item>"
        )
    body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>{brand}</title>{"".join(items)}</channel></rss>'
    return body.encode("utf-8")


class SlowFeeds(ThreadingHTTPServer):
    """Answers /BRAND/N.xml with that brand's entries after `latency` seconds."""

    def __init__(self, latency: float, items: int, texts: dict[str, list[str]]) -> None:
        self.latency, self.items, self.texts = latency, items, texts
        self.now = datetime.now(UTC)
        super().__init__(("127.0.0.1", 0), Handler)


class Handler(BaseHTTPRequestHandler):
    """One feed request: wait, then the feed's entries."""

    server: SlowFeeds

    def do_GET(self) -> None:
        time.sleep(self.server.latency)
        parts = urlsplit(self.path)
        brand, _, name = parts.path.strip("/").partition("/")
        feed = int(name.removesuffix(".xml") or 0)
        pool = self.server.texts.get(brand, [])
        start = feed * self.server.items
        texts = [pool[(start + i) % len(pool)] for i in range(self.server.items)] if pool else []
        assert parse_qs(parts.query).get("q"), "the feed URL carries the brand query"
        body = rss(brand, feed, texts, self.server.now)
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        """Quiet."""


def live_config(folder: Path, warehouse: Path, port: int, feeds: int) -> Path:
    """The demo config with no imports and the RSS channel reading `feeds` URLs per brand from the slow server."""
    text = write_config(folder, warehouse).read_text(encoding="utf-8")
    urls = [
        {"url": f"http://127.0.0.1:{port}/{name}/{n}.xml?q={{query}}", "brands": [name]}
        for name in BRANDS
        for n in range(feeds)
    ]
    start = text.index("files = ")
    text = text[:start] + "files = []" + text[text.index("\n", start):]
    rows = ",\n".join(f'  {{ url = "{u["url"]}", brands = ["{u["brands"][0]}"] }}' for u in urls)
    text += f"\n[channels.rss]\nenabled = true\nfeeds = [\n{rows}\n]\n"
    config = folder / "live.toml"
    config.write_text(text, encoding="utf-8")
    return config


def one_run(checkout: Path, demo: Path, folder: Path, port: int, feeds: int) -> dict[str, Any]:
    """A `brandpulse run` of `checkout` on a fresh copy of the demo warehouse; its time and its steps."""
    warehouse = folder / "hourly.duckdb"
    shutil.copyfile(demo, warehouse)
    config = live_config(folder, warehouse, port, feeds)
    result = timed([*brandpulse(), "run", "--config", str(config)], folder, env={"PYTHONPATH": str(checkout)})
    if result.rc != 0:
        raise SystemExit(f"the run failed ({result.rc}):\n{result.output[-3000:]}")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        summary = json.loads(con.execute("SELECT summary FROM runs ORDER BY started_at DESC LIMIT 1").fetchone()[0])
    finally:
        con.close()
    steps = {name: step.get("seconds") for name, step in summary.get("steps", {}).items()}
    return {"seconds": result.seconds, "peak_mb": result.peak_mb, "scored": summary.get("scored"), "steps": steps}


def main() -> int:
    """Run the demo (unless given), then the hourly runs of each checkout, interleaved; print each and the medians."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--demo", type=Path, help="a warehouse the demo run wrote (default: run the demo first)")
    parser.add_argument("--before", type=Path, help="another checkout to time the same way, interleaved")
    parser.add_argument("--runs", type=int, default=3, help="runs per checkout")
    parser.add_argument("--feeds", type=int, default=2, help="feed URLs per brand (one request each)")
    parser.add_argument("--items", type=int, default=50, help="new entries per feed")
    parser.add_argument("--latency", type=float, default=1.0, help="seconds each feed request takes")
    args = parser.parse_args()

    checkouts = {"this checkout": REPO}
    if args.before:
        checkouts = {"before": args.before.resolve(), **checkouts}
    with tempfile.TemporaryDirectory(prefix="bp-hourly-") as tmp:
        folder = Path(tmp)
        demo = args.demo.resolve() if args.demo else demo_warehouse(folder)
        server = SlowFeeds(args.latency, args.items, brand_texts(SEED))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        results: dict[str, list[dict[str, Any]]] = {name: [] for name in checkouts}
        try:
            for i in range(args.runs):
                for name, checkout in checkouts.items():
                    run = one_run(checkout, demo, folder, server.server_address[1], args.feeds)
                    results[name].append(run)
                    steps = ", ".join(f"{k} {v:.1f}" for k, v in run["steps"].items() if isinstance(v, int | float))
                    print(f"{name} run {i + 1}: {run['seconds']:.1f} s, {run['scored']} scored, "
                          f"peak RSS {run['peak_mb']:.0f} MB; steps: {steps}", flush=True)
        finally:
            server.shutdown()
    requests = args.feeds * len(BRANDS)
    print(f"\n{requests} feed requests of {args.latency:.1f} s, {args.items} entries each")
    for name, runs in results.items():
        medians = {
            step: statistics.median(r["steps"].get(step) or 0.0 for r in runs)
            for step in ("sources", "score", "topics", "detect_alert")
        }
        print(f"{name}: run {statistics.median(r['seconds'] for r in runs):.1f} s (median of {len(runs)}); "
              + ", ".join(f"{k} {v:.1f} s" for k, v in medians.items()))
    print(json.dumps({name: runs for name, runs in results.items()}, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
