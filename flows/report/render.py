"""The HTML report: choose brands and period, aggregate in DuckDB, render one self-contained, offline page."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import jinja2
import numpy as np
from markupsafe import Markup

from flows.alerts.message import duration_text, slack_unescape
from flows.report import charts
from flows.runtime.config import Config
from models.errors import ConfigError, FatalError
from models.text.links import web_url
from models.text.terms import TermTally
from warehouse import Warehouse
from warehouse.queries import alerts as alert_queries
from warehouse.queries import pipeline as queries
from warehouse.queries import report as rq
from warehouse.queries.report import Period

DEFAULT_DAYS = 28
THEME_MIN_SIZE = 3
MAX_THEMES = 8
THEME_EXAMPLES = 2
# Longer periods are drawn by week so a year-long report still has a readable number of bars.
DAILY_UP_TO_DAYS = 120
TEMPLATE = "report_template.html.j2"

# Runs every chart once the page has loaded; its hash goes into the page's Content-Security-Policy.
RUNNER_JS = """(function () {
  var jobs = [];
  document.querySelectorAll("figure.chart").forEach(function (fig) {
    var spec = JSON.parse(document.getElementById("spec-" + fig.dataset.chart).textContent);
    var target = fig.querySelector(".vis");
    // ast + the bundled interpreter: Vega expressions run without eval, so the page needs no unsafe-eval.
    jobs.push(vegaEmbed(target, spec, {renderer: "svg", actions: false, ast: true})
      .then(function () { fig.dataset.rendered = "true"; })
      .catch(function (error) { fig.dataset.rendered = "error"; console.error("chart " + fig.dataset.chart, error); }));
  });
  Promise.all(jobs).then(function () { document.body.dataset.chartsRendered = "true"; });
})();"""


@dataclass(frozen=True)
class ReportScope:
    """Whose report: the brand it is about and the competitors it is compared with."""

    brand: str
    competitors: tuple[str, ...]

    @property
    def brands(self) -> list[str]:
        """The brand first, then its competitors."""
        return [self.brand, *self.competitors]


@dataclass
class ReportResult:
    """What `write_report` wrote."""

    path: Path
    scope: ReportScope
    period: Period
    mentions: int
    alerts: int
    charts: list[str] = field(default_factory=list)


def report_scope(config: Config, brand: str | None = None) -> ReportScope:
    """The named brand (default: the first [[brands]] entry) and its competitors (default: every other brand)."""
    if not config.brands:
        raise ConfigError("no [[brands]] configured: nothing to report on", key="brands", file=config.source)
    chosen = config.brand(brand) if brand else config.brands[0]
    others = [b.name for b in config.brands if b.name != chosen.name]
    competitors = [config.brand(name).name for name in chosen.competitors] or others
    return ReportScope(chosen.name, tuple(competitors))


def resolve_period(newest: date | None, start: date | None, end: date | None, days: int = DEFAULT_DAYS) -> Period:
    """The report period: explicit days win; otherwise the `days` days up to the newest stored mention."""
    if end is None:
        if newest is None:
            raise FatalError("the warehouse has no mentions of these brands yet: run `brandpulse run` first")
        end = newest
    if start is not None and end < start:
        raise ConfigError(f"--to {end} is before --from {start}", key="--to")
    try:
        period = Period.ending(end, days) if start is None else Period(start, end)
        # The report also reads the period before this one and the instant after it: both must be real dates.
        period.previous().start_at, period.end_at
    except OverflowError:
        raise ConfigError(
            f"the report period ({start or f'{days} days'} to {end}) runs past the dates this tool can handle; "
            "give --from/--to between the years 2 and 9998",
            key="--to",
        ) from None
    return period


def collect(
    con: duckdb.DuckDBPyConnection, scope: ReportScope, period: Period, window: str | None = None
) -> dict[str, Any]:
    """Every aggregate the report shows, read in one short read-only connection (`window`: `rq.report_window`'s)."""
    if window is None:
        with rq.report_window(con, scope.brands, period) as resolved:
            return collect(con, scope, period, resolved)
    bucket = "day" if period.days <= DAILY_UP_TO_DAYS else "week"
    comparable_bucket = "week" if period.days > 14 else "day"
    alerts = rq.alerts_in(con, scope.brands, period)
    for alert in alerts:
        # The outbox keeps Slack-escaped text; the page escapes it again for HTML.
        alert["text"] = slack_unescape(alert["text"] or "")
        alert["drivers"] = queries.negative_by_channel(con, alert["brand"], alert["window_start"], alert["window_end"])
        # The same posts the Slack message of this alert quotes: one query picks them for both.
        alert["examples"] = alert_queries.example_posts(con, alert["brand"], alert["window_start"], alert["window_end"])
    return {
        "bucket": bucket,
        "headline": rq.headline(con, scope.brand, period, window=window),
        "channel_trend": rq.channel_trend(con, scope.brand, period, bucket, window=window),
        "share": rq.share_of_voice(con, scope.brands, period, window=window),
        "share_trend": rq.share_trend(con, scope.brands, period, bucket, window=window),
        "topics": rq.topic_changes(con, scope.brand, period, window=window),
        "terms_negative": rq.top_terms(con, scope.brand, period, "negative", window=window),
        "terms_positive": rq.top_terms(con, scope.brand, period, "positive", window=window),
        "feedback": rq.feedback_summary(con, scope.brand, period, window=window),
        "comparable_bucket": comparable_bucket,
        "comparable": rq.comparable_scores(con, scope.brand, period, comparable_bucket, window=window),
        "examples_negative": rq.example_mentions(con, scope.brand, period, "negative", window=window),
        "examples_positive": rq.example_mentions(con, scope.brand, period, "positive", window=window),
        "responses": rq.response_care(con, scope.brands, period, window=window),
        "alerts": alerts,
        # Filled in by `add_themes` once the connection is closed (clustering embeds texts).
        "themes": [],
        "themes_note": "",
    }


def add_themes(
    data: dict[str, Any],
    rows: list[tuple[str, str, str, str | None, list[str]]],
    baseline: TermTally | list[list[str]],
    embedder: Callable[[], Any | None],
    stored: Mapping[tuple[str, str], np.ndarray] | None = None,
) -> None:
    """Cluster the period's unexplained negatives into emerging themes: label, size, example mentions.

    `stored` are the vectors the topic step kept; only rows without one need `embedder` (loaded only then).
    """
    from flows.steps.topics import themes_of_rows

    if len(rows) < THEME_MIN_SIZE:
        data["themes_note"] = (
            f"No emerging themes: {len(rows)} negative mention(s) in this period fit no topic "
            f"(at least {THEME_MIN_SIZE} similar ones make a theme; topic scoring fills this in)."
        )
        return
    found = themes_of_rows(embedder, rows, baseline, stored=stored, min_size=THEME_MIN_SIZE)
    if found is None:
        data["themes_note"] = (
            f"{len(rows)} negative mentions fit no topic, but the sentence encoder could not be loaded."
        )
        return
    langs = {(c, i): lang for c, i, _t, lang, _terms in rows}
    themes = []
    for theme, texts in found[:MAX_THEMES]:
        keys = theme.keys[:THEME_EXAMPLES]
        themes.append(
            {
                "label": theme.label,
                "terms": theme.terms,
                "size": theme.size,
                "examples": [
                    {"text": text, "channel": key[0], "lang": langs.get(key)}
                    for key, text in zip(keys, texts[:THEME_EXAMPLES], strict=False)
                ],
            }
        )
    data["themes"] = themes
    if not themes:
        data["themes_note"] = (
            f"No emerging themes: the {len(rows)} negative mentions no topic explains are not similar enough "
            "to group (one-off complaints)."
        )


def build_charts(data: dict[str, Any], scope: ReportScope) -> dict[str, dict[str, Any]]:
    """The Vega-Lite specs, one per chart that has data (a section without data shows a note instead)."""
    bucket = data["bucket"]
    own_alerts = [a for a in data["alerts"] if a["brand"] == scope.brand]
    specs: dict[str, dict[str, Any]] = {}
    if data["channel_trend"]:
        specs["volume"] = charts.volume_by_channel(data["channel_trend"], own_alerts, bucket)
        specs["sentiment"] = charts.sentiment_by_channel(data["channel_trend"], own_alerts, bucket)
    if any(row["mentions"] for row in data["share"]):
        specs["share_trend"] = charts.share_over_time(data["share_trend"], bucket)
        specs["share"] = charts.share_bars(data["share"])
        specs["net_sentiment"] = charts.net_sentiment_bars(data["share"])
    if data["topics"]:
        specs["topics"] = charts.topics_chart(data["topics"])
    if data["terms_negative"]:
        specs["terms_negative"] = charts.terms_chart(data["terms_negative"], "negative")
    if data["terms_positive"]:
        specs["terms_positive"] = charts.terms_chart(data["terms_positive"], "positive")
    if data["comparable"]:
        specs["comparable"] = charts.comparable_scores(data["comparable"], data["comparable_bucket"])
    return specs


def spec_json(spec: dict[str, Any]) -> str:
    """JSON for a <script type="application/json"> block that no text in the data can close or break out of."""
    text = json.dumps(spec, ensure_ascii=False, separators=(",", ":"), default=str)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


@functools.lru_cache(maxsize=1)
def vega_bundle(cache_dir: Path | None = None) -> str:
    """Vega, Vega-Lite and vega-embed as one script, from the vl-convert-python package (no CDN, works offline).

    vl-convert builds the bundle in about 4 s; it is kept in the brandpulse cache folder (per vl-convert and
    Vega-Lite version), so later reports read it back instead.
    """
    import vl_convert

    try:  # the Vega-Lite version Altair writes specs for; a private helper, so fall back to vl-convert's newest
        from altair.utils._importers import vl_version_for_vl_convert

        version: str | None = vl_version_for_vl_convert()
    except ImportError:
        version = None
    from models.sentiment.e5 import default_cache_dir

    cached = (cache_dir or default_cache_dir()) / "vega" / f"bundle-{vl_convert.__version__}-{version or 'newest'}.js"
    try:
        text = cached.read_text(encoding="utf-8")
        if _usable_bundle(text):
            return text
    except (OSError, UnicodeDecodeError):
        pass
    bundle = vl_convert.javascript_bundle(vl_version=version)
    try:  # written beside it, then renamed: a report running at the same time never reads half a bundle
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_name(f"{cached.name}.{os.getpid()}.tmp")
        partial.write_text(bundle, encoding="utf-8")
        partial.replace(cached)
    except OSError:  # a read-only cache folder only costs the next report the 4 s again
        pass
    return bundle


def _usable_bundle(text: str) -> bool:
    """Whether a cached bundle looks whole and can be inlined (a damaged or edited file is built again)."""
    return "vegaEmbed" in text and "</script" not in text.lower() and text.rstrip().endswith((";", ")", "}"))


def _csp_hash(script: str) -> str:
    """The CSP source that allows exactly this inline script."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii") + "'"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent),
        autoescape=True,  # every mention text, handle, term and brand name is escaped
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = lambda v, digits=0: "–" if v is None else f"{v * 100:.{digits}f}%"
    env.filters["signed"] = lambda v, digits=2: "–" if v is None else f"{v:+.{digits}f}"
    env.filters["num"] = lambda v, digits=0: "–" if v is None else f"{v:,.{digits}f}"
    env.filters["pp"] = lambda v: "–" if v is None else f"{v * 100:+.1f} pp"
    env.filters["utc"] = lambda v, fmt="%Y-%m-%d %H:%M": "–" if v is None else v.astimezone(UTC).strftime(fmt)
    env.filters["safe_url"] = web_url
    env.filters["minutes"] = lambda v: "–" if v is None else duration_text(v)
    env.filters["reach"] = lambda v: "" if v is None else (f"{v / 1000:.1f}k" if v >= 1000 else str(v))
    return env


def render_html(
    data: dict[str, Any],
    scope: ReportScope,
    period: Period,
    specs: dict[str, dict[str, Any]],
    *,
    generated_at: datetime,
) -> str:
    """The whole report as one HTML string: data, charts and the chart library inlined."""
    bundle = vega_bundle()
    csp = (
        "default-src 'none'; "
        f"script-src {_csp_hash(bundle)} {_csp_hash(RUNNER_JS)}; "
        "style-src 'unsafe-inline'; img-src data:; font-src data:; connect-src 'none'; "
        "base-uri 'none'; form-action 'none'"
    )
    template = _environment().get_template(TEMPLATE)
    return template.render(
        scope=scope,
        period=period,
        previous=period.previous(),
        data=data,
        specs={name: spec_json(spec) for name, spec in specs.items()},
        generated_at=generated_at,
        csp=csp,
        font_stack=charts.FONT_STACK,
        # Trusted code, not data: the bundle has no "</script" in it (checked by the tests).
        vega_bundle=Markup(bundle),
        runner_js=Markup(RUNNER_JS),
    )


def default_report_path(scope: ReportScope, period: Period, folder: Path = Path("reports")) -> Path:
    """reports/brandpulse-<brand>-<last day>.html, the brand name made safe for a file name."""
    slug = re.sub(r"[^\w]+", "-", scope.brand, flags=re.UNICODE).strip("-").lower() or "brand"
    return folder / f"brandpulse-{slug}-{period.end.isoformat()}.html"


def write_report(
    warehouse: Warehouse,
    config: Config,
    out: Path | Callable[[ReportScope, Period], Path],
    *,
    brand: str | None = None,
    start: date | None = None,
    end: date | None = None,
    days: int = DEFAULT_DAYS,
    now: datetime | None = None,
    embedder: Any = None,
) -> ReportResult:
    """Read the warehouse (briefly, read-only), then render and write the report to `out` (or out(scope, period)).

    `embedder` clusters emerging themes; by default they use the vectors the topic step stored, and the
    `[model] encoder` is loaded only when some of the period's unexplained negatives have none.
    """
    from flows.steps.topics import as_theme_encoder, lazy_theme_embedder

    scope = report_scope(config, brand)
    encoder = lazy_theme_embedder(config) if embedder is None else as_theme_encoder(embedder)
    with warehouse.read() as con:
        period = resolve_period(rq.newest_day(con, scope.brands), start, end, days)
        # The newest scores of the report's span are resolved once for every query, not once per query (each such
        # resolution costs seconds at a million stored mentions: docs/report.md).
        with rq.report_window(con, scope.brands, period) as window:
            data = collect(con, scope, period, window)
            candidates, baseline = rq.theme_candidates(con, scope.brand, period, window=window)
        stored = encoder.stored(con, candidates) if len(candidates) >= THEME_MIN_SIZE else {}
    # Clustering (and encoding what has no stored vector) is done after the connection is closed, like rendering.
    add_themes(data, candidates, baseline, encoder, stored)
    # Rendering happens after the connection is closed, so a running pipeline is never kept waiting for it.
    specs = build_charts(data, scope)
    html = render_html(data, scope, period, specs, generated_at=now or datetime.now(UTC))
    if callable(out):
        out = out(scope, period)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(out)  # readers of the file (a browser, a web server) never see half a report
    return ReportResult(
        path=out,
        scope=scope,
        period=period,
        mentions=data["headline"]["mentions"],
        alerts=len(data["alerts"]),
        charts=list(specs),
    )
