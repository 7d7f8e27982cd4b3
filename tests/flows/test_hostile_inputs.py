"""Issue #14: hostile posts through import, the HTML report, the Slack payload, CSV export and terminal output."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import duckdb
import pytest
from helpers.alerts import FakeSlack
from helpers.config import write_config
from typer.testing import CliRunner

from flows.alerts.delivery import deliver_due
from flows.alerts.message import AlertContext, ExamplePost, render_alert
from flows.alerts.slack import SlackWebhookSender
from flows.cli.main import app
from flows.report.render import build_charts, collect, render_html, report_scope, resolve_period
from flows.runtime.config import Config, load_config
from flows.steps.score import score_with_model
from models.alerts.episodes import Episode
from models.scores import Sentiment, sentiment_from_probs
from warehouse import Warehouse
from warehouse.alerts import outbox
from warehouse.queries import alerts as alert_queries
from warehouse.snapshot import publish_snapshot

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "hostile_posts.jsonl"
DAY = date(2026, 11, 10)
# Posts the warehouse cannot hold, and the reason import gives for each (the rest of the file still loads).
REJECTED = {
    "h16": "text contains a NUL byte",
    "h19": "more than the 50000 allowed",
    "h20": "text: text is not valid UTF-8 (lone surrogate)",
    "h24": "author_handle is not valid UTF-8 (lone surrogate)",
}
# Cells a spreadsheet would run as a formula (OWASP: leading =, +, -, @, tab, CR).
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
# What must never reach a terminal raw: ESC (CSI/OSC sequences), BEL (ends OSC), the C1 controls (0x80-0x9f).
TERMINAL_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def corpus() -> list[dict[str, Any]]:
    """The hostile posts as JSON rows (lone surrogates and all)."""
    # Split on \n only, as the importer does: str.splitlines() would also break at the U+0085 inside a post.
    return [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").split("\n") if line]


class AllNegative:
    """A stand-in sentiment model: every post negative, so every post is an example for reports and alerts."""

    version = "all-negative-1"

    def predict(self, texts: list[str]) -> list[Sentiment]:
        """One negative Sentiment per text."""
        probs = {"negative": 0.9, "neutral": 0.05, "positive": 0.05}
        return [sentiment_from_probs(probs, "all-negative", self.version) for _ in texts]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A warehouse that imported the corpus through `brandpulse import`, scored; the folder and the CLI output."""
    folder = tmp_path_factory.mktemp("hostile")
    write_config(folder, model={"taxonomy": "none"})
    result = CliRunner().invoke(app, ["import", str(CORPUS), "--config", str(folder / "brandpulse.toml")])
    assert result.exit_code == 0, result.output
    config = load_config(folder / "brandpulse.toml")
    warehouse = Warehouse(config.warehouse.path)
    score_with_model(warehouse, AllNegative())
    # Scored outside a command, so published here as `brandpulse rescore` would: the report reads the snapshot.
    publish_snapshot(warehouse, config.warehouse.read_snapshot_path())  # type: ignore[arg-type]
    return folder, result.output


def config_of(folder: Path) -> Config:
    return load_config(folder / "brandpulse.toml")


def stored(folder: Path) -> dict[str, tuple[str, str | None, str | None]]:
    """id → (text, author_handle, url) as the warehouse holds them."""
    with duckdb.connect(str(folder / "wh.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT id, text, author_handle, url FROM mentions").fetchall()
    return {mid: (text, handle, url) for mid, text, handle, url in rows}


def test_import_rejects_what_cannot_be_stored_with_a_reason_and_keeps_the_rest_verbatim(
    project: tuple[Path, str],
) -> None:
    folder, output = project
    rows = corpus()
    assert len(rows) >= 16
    assert f"{len(rows) - len(REJECTED)} new, 0 already stored, {len(REJECTED)} rejected" in " ".join(output.split())
    with duckdb.connect(str(folder / "wh.duckdb"), read_only=True) as con:
        rejects = con.execute("SELECT record_id, line, reason FROM rejects ORDER BY line").fetchall()
        brands = dict(con.execute("SELECT id, brand FROM mention_brands").fetchall())
    assert {record_id for record_id, _, _ in rejects} == set(REJECTED)
    for record_id, line, reason in rejects:
        assert REJECTED[record_id] in reason, (record_id, reason)
        assert rows[line - 1]["id"] == record_id
    kept = stored(folder)
    assert set(kept) == {row["id"] for row in rows} - set(REJECTED)
    for row in rows:
        if row["id"] in kept:
            # Text is data: stored exactly as it came, markup, formulas, escape sequences, invisible marks and all.
            assert kept[row["id"]] == (row["text"], row["author_handle"].strip(), row["url"]), row["id"]
            assert brands[row["id"]] == "Acme"
    # The SQL-ish post was a parameter, not a statement.
    assert "'; DROP TABLE mentions; -- acme" in {text for text, _, _ in kept.values()}


class Page(HTMLParser):
    """Every tag and attribute of a page, each script's body, and the text of each `mention-text` element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.mention_texts: list[str] = []
        self._in: str | None = None
        self._buffer: list[str] = []
        self._script_attrs: dict[str, str | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append((tag, found))
        if tag == "script":
            self._in, self._buffer = "script", []
            self._script_attrs = found
        elif "mention-text" in (found.get("class") or "").split():
            self._in, self._buffer = "mention", []

    def handle_endtag(self, tag: str) -> None:
        if self._in == "script" and tag == "script":
            self.scripts.append((self._script_attrs, "".join(self._buffer)))
            self._in = None
        elif self._in == "mention" and tag in ("td", "p", "span"):
            self.mention_texts.append("".join(self._buffer))
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self._buffer.append(data)


def assert_inert_html(html: str) -> Page:
    """No tag, attribute, link or script in the page came from a post; return the parsed page."""
    page = Page()
    page.feed(html)
    page.close()
    names = {tag for tag, _ in page.tags}
    assert not names & {"img", "svg", "iframe", "object", "embed", "form", "base"}, names
    for tag, attrs in page.tags:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, value)
            assert not (value or "").strip().lower().startswith(("javascript:", "data:text/html")), (tag, name)
        if tag == "a":
            assert (attrs.get("href") or "").startswith(("https://", "http://", "#")), attrs
    for attrs, body in page.scripts:
        if attrs.get("type") == "application/json":
            json.loads(body)  # data stayed data: nothing in a post closed the block or broke the JSON
        else:
            for payload in ("alert('acme')", "onerror=alert", "onload=alert", "evil.example"):
                assert payload not in body, f"a post's {payload!r} ended up in a script block"
            assert "</script" not in body.lower()
    return page


def test_html_report_shows_hostile_posts_as_text_never_as_markup(project: tuple[Path, str]) -> None:
    folder, _ = project
    out = folder / "report.html"
    result = CliRunner().invoke(
        app, ["report", "--config", str(folder / "brandpulse.toml"), "--from", str(DAY), "--to", str(DAY),
              "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    page = assert_inert_html(out.read_text(encoding="utf-8"))
    kept = stored(folder)
    # The report shows the widest-reach examples (5): the corpus puts the markup-heavy posts first.
    shown = [text for text in page.mention_texts if text in {t for t, _, _ in kept.values()}]
    assert kept["h01"][0] in shown and kept["h02"][0] in shown and len(shown) >= 5

    # Every stored post through the same template: the period's data with all of them as negative examples.
    config = config_of(folder)
    scope = report_scope(config, "Acme")
    with Warehouse(config.warehouse.path).read() as con:
        period = resolve_period(DAY, DAY, DAY)
        data = collect(con, scope, period)
        columns = "created_at, channel, id, author_handle, author_followers, lang, kind, label, score, text, url"
        cursor = con.execute(f"SELECT {columns} FROM mentions_scored WHERE brand = 'Acme' ORDER BY id")
        data["examples_negative"] = [dict(zip(columns.split(", "), row, strict=True)) for row in cursor.fetchall()]
    html = render_html(data, scope, period, build_charts(data, scope), generated_at=datetime(2026, 11, 11, tzinfo=UTC))
    page = assert_inert_html(html)
    assert sorted(t for t in page.mention_texts if t in {t for t, _, _ in kept.values()}) == sorted(
        text for text, _, _ in kept.values()
    )
    # A `javascript:` post URL is no link at all; the handle with markup is text.
    assert "javascript:alert(document.cookie)" not in {attrs.get("href") for tag, attrs in page.tags if tag == "a"}
    assert "@&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in html


def strings_in(node: Any) -> Iterator[str]:
    """Every string anywhere in a JSON value."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from strings_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings_in(value)


def test_slack_payload_for_alerts_on_hostile_posts_pings_nobody_and_links_nowhere(project: tuple[Path, str]) -> None:
    folder, _ = project
    kept = stored(folder)
    warehouse = Warehouse(config_of(folder).warehouse.path)
    start = datetime(2026, 11, 10, tzinfo=UTC)
    fake = FakeSlack()
    fake.start()
    try:
        with warehouse.write() as con:
            # The production query that picks an alert's example posts, asked for all of them (one per author).
            posts = alert_queries.example_posts(con, "Acme", start, start + timedelta(days=1), limit=100)
            assert len(posts) == len(kept)
            for index in range(0, len(posts), 3):
                window = start + timedelta(hours=index)
                episode = Episode(brand="Acme", signal="negative_volume", start=window, end=window + timedelta(hours=1),
                                  observed=len(posts), expected=1.0, lift=float(len(posts)), p_value=1e-9,
                                  peak_hour=window)  # fmt: skip
                examples = [ExamplePost(**post) for post in posts[index : index + 3]]
                rendered = render_alert(episode, AlertContext(channels=[("x", len(posts))], examples=examples))
                outbox.enqueue(con, f"hostile-{index}", "Acme", "negative_volume", window, episode.end,
                               len(posts), 1.0, 1e-9, rendered, run_id="hostile", now=start)  # fmt: skip
        with warehouse.write() as con:
            report = deliver_due(con, SlackWebhookSender(fake.url, timeout=5), now=start, destination="slack")
    finally:
        fake.stop()
    assert report.sent == len(fake.requests) == -(-len(posts) // 3)
    payloads = [request["json"] for request in fake.requests]
    texts = [text for payload in payloads for text in strings_in(payload)]
    everything = "\n".join(texts)
    for live in ("<!channel>", "<!here>", "<!everyone>", "<!subteam", "<@U", "<#C", "<http://evil", "<script"):
        assert live not in everything, live
    # Broadcast words only with a zero-width space after the @: readable, but Slack pings nobody.
    assert not re.search("@(channel|here|everyone)", everything, re.IGNORECASE)
    for text in texts:
        # The only `<` left opens a link built from a post's http(s) URL: `<https://…|@handle>`.
        for match in re.finditer("<", text):
            link = text[match.start() :]
            assert link.startswith(("<https://x.com/", "<https://evil.example/a%7Cb%3E%3C!channel%3E|")), link[:80]
    assert "javascript:" not in "".join(re.findall(r"<[^>]*>", everything))
    # Posts are quoted escaped, not dropped: the reader still sees what was said.
    assert "&lt;!channel&gt; acme is down" in everything and "애크미 배송 최악 😡🔥" in everything
    assert "&lt;http://evil.example/phish|click here for your refund&gt;" in everything


def export_rows(folder: Path, tmp_path: Path) -> list[dict[str, str]]:
    """`brandpulse export --format csv --view mentions_scored`, read back with the csv module."""
    result = CliRunner().invoke(
        app, ["export", "--format", "csv", "--view", "mentions_scored", "--out", str(tmp_path),
              "--config", str(folder / "brandpulse.toml")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    [path] = list(tmp_path.glob("*.csv"))
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_csv_export_carries_every_hostile_post_and_keeps_scores_numeric(
    project: tuple[Path, str], tmp_path: Path
) -> None:
    folder, _ = project
    rows = {row["id"]: row for row in export_rows(folder, tmp_path)}
    kept = stored(folder)
    assert set(rows) == set(kept)
    for mid, (text, _, _) in kept.items():
        if not text.startswith(FORMULA_LEADS):
            assert rows[mid]["text"] == text, mid  # readable text is exported unchanged
    assert all(float(row["score"]) < 0 for row in rows.values())  # a negative score stays a number


def test_csv_export_neutralises_formula_cells(project: tuple[Path, str], tmp_path: Path) -> None:
    folder, _ = project
    rows = {row["id"]: row for row in export_rows(folder, tmp_path)}
    kept = stored(folder)
    formulas = {mid: text for mid, (text, _, _) in kept.items() if text.startswith(FORMULA_LEADS)}
    assert set(formulas) >= {"h07", "h08", "h09", "h10", "h11", "h12"}
    for mid, text in formulas.items():
        assert rows[mid]["text"] == "'" + text, mid
    assert rows["h07"]["author_handle"] == "'=cmd|' /C calc'!A0"
    assert rows["h10"]["author_handle"] == "'@SUM(1+1)"
    for row in rows.values():
        assert not row["text"].startswith(FORMULA_LEADS) and not row["author_handle"].startswith(FORMULA_LEADS)


def sql_output(folder: Path) -> str:
    """`brandpulse sql` printing every stored post as a terminal table."""
    result = CliRunner().invoke(
        app, ["sql", "SELECT id, text, author_handle FROM mentions ORDER BY id", "--config",
              str(folder / "brandpulse.toml")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return result.output


def test_sql_prints_hostile_posts_as_rows(project: tuple[Path, str]) -> None:
    folder, _ = project
    output = sql_output(folder)
    assert f"{len(stored(folder))} row(s)" in output
    assert "DROP TABLE mentions" in output and "애크미" in output and "h22" in output


def test_sql_terminal_output_carries_no_escape_sequences_or_control_characters(project: tuple[Path, str]) -> None:
    folder, _ = project
    output = sql_output(folder)
    assert "\x1b" not in output and "\x07" not in output and "\x9b" not in output and "\x9d" not in output
    assert not TERMINAL_CONTROLS.search(output.replace("\n", "")), repr(TERMINAL_CONTROLS.search(output))
    # What the sequences wrapped is still shown.
    assert "RED" in output and "click me" in output
