"""The report page as text: self-contained, user text escaped, script limited by its CSP, numbers where expected."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from helpers.report import MALICIOUS_HANDLE, MALICIOUS_TEXT, add_malicious_mention, build_small_warehouse

from flows.report.render import report_scope, resolve_period, spec_json, vega_bundle, write_report
from flows.runtime.config import parse_config
from models.errors import ConfigError, FatalError
from models.mention import BrandMatch, Mention
from models.text.links import web_url as safe_url
from warehouse import load_mentions
from warehouse.owned import sync_owned_accounts
from warehouse.queries.report import Period

CONFIG = parse_config(
    {
        "warehouse": {"path": "unused.duckdb"},
        "brands": [
            {"name": "Acme", "terms": ["acme"], "competitors": ["Globex"]},
            {"name": "Globex", "terms": ["globex"]},
            {"name": "Initech", "terms": ["initech"]},
        ],
    }
)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The report for Acme, Nov 10-11, on the tiny fixture plus one malicious post."""
    folder = tmp_path_factory.mktemp("html")
    warehouse = build_small_warehouse(folder / "small.duckdb")
    add_malicious_mention(warehouse, "Acme", datetime(2026, 11, 11, 12, tzinfo=UTC))
    result = write_report(
        warehouse,
        CONFIG,
        folder / "report.html",
        start=date(2026, 11, 10),
        end=date(2026, 11, 11),
        now=datetime(2026, 11, 12, 8, tzinfo=UTC),
    )
    assert result.scope.brands == ["Acme", "Globex"]
    assert result.mentions == 11 and result.alerts == 1
    return result.path.read_text(encoding="utf-8")


def _scripts(page: str) -> list[tuple[str, str]]:
    return re.findall(r"<script([^>]*)>(.*?)</script>", page, re.DOTALL)


def _markup(page: str) -> str:
    """The page without the bodies of its scripts (the chart library's code mentions <img> and the like)."""
    return re.sub(r"(<script[^>]*>).*?(</script>)", r"\1\2", page, flags=re.DOTALL)


def test_user_text_is_escaped_everywhere(page: str) -> None:
    assert MALICIOUS_TEXT not in page
    markup = _markup(page)
    assert "<img" not in markup and "onerror=\"window" not in markup and "<svg" not in markup
    assert "&lt;script&gt;window.__pwned" in page and "&lt;img src=x onerror=" in page
    assert "@&#34;&gt;&lt;svg onload=window.__pwned=1&gt;" in page
    # The javascript: link is shown nowhere as a link.
    assert 'href="javascript' not in page.lower()
    assert MALICIOUS_HANDLE not in page


def test_only_our_two_scripts_run_and_the_csp_allows_exactly_them(page: str) -> None:
    scripts = _scripts(page)
    runnable = [body for attrs, body in scripts if "application/json" not in attrs]
    assert len(runnable) == 2
    csp = html.unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1))
    allowed = re.findall(r"'sha256-([^']+)'", csp)
    digests = [base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() for body in runnable]
    assert sorted(allowed) == sorted(digests)
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "unsafe-eval" not in csp and "connect-src 'none'" in csp and "default-src 'none'" in csp


def test_chart_data_cannot_close_its_script_block(page: str) -> None:
    for attrs, body in _scripts(page):
        if "application/json" in attrs:
            assert "<" not in body and ">" not in body
            json.loads(body)  # still valid JSON
    specs = [json.loads(body) for attrs, body in _scripts(page) if "application/json" in attrs]
    terms = next(s for s in specs if any(v.get("term") for v in s.get("data", {}).get("values", [{}])))
    assert {"script", "배송"} & {v["term"] for v in terms["data"]["values"]}


def test_the_page_is_self_contained(page: str) -> None:
    assert not re.search(r"<(script|img|link|iframe)[^>]+(src|href)=", _markup(page))
    assert "cdn.jsdelivr" not in page and "unpkg.com" not in page
    assert "window.vegaEmbed=" in page  # the chart library is inlined
    assert '<meta charset="utf-8">' in page


def test_every_section_and_number_is_there(page: str) -> None:
    assert "Acme: what people said, 2026-11-10 – 2026-11-11" in page
    assert "compared with 2026-11-08 – 2026-11-09" in page and "against Globex" in page
    for section in ("trends", "share", "topics", "terms", "feedback", "responses", "alerts", "examples"):
        assert f'<section id="{section}">' in page
    for chart in ("volume", "sentiment", "share_trend", "share", "net_sentiment", "topics", "terms_negative",
                  "terms_positive", "comparable"):
        assert f'data-chart="{chart}"' in page
    # NPS 33 of 3 answers, CSAT 50 % of 2, 11 Acme mentions (10 + the malicious one).
    assert '<div class="value">33</div><div class="delta">3 answers</div>' in page
    assert '<div class="value">50%</div><div class="delta">2 answers</div>' in page
    assert '<div class="value">11</div>' in page
    # The alert: its numbers, drivers, example posts with links, and the stored text unescaped once.
    assert "2 negative mentions vs 0.2 expected (10.0×)" in page and "Driven by: x 2" in page
    assert 'href="https://example.com/x/a3"' in page
    assert "Negative spike: Acme &lt;b&gt; &amp; more" in page and "&amp;lt;" not in page
    # Korean text of the example mentions, marked as Korean for the right glyphs.
    assert 'lang="ko">Acme delivery late again, 배송 최악</td>' in page
    assert "Noto Sans CJK KR" in page and "Malgun Gothic" in page and "Apple SD Gothic Neo" in page


def test_empty_sections_say_so_instead_of_drawing_nothing(tmp_path: Path) -> None:
    warehouse = build_small_warehouse(tmp_path / "small.duckdb")
    result = write_report(warehouse, CONFIG, tmp_path / "r.html", brand="Globex",
                          start=date(2026, 11, 9), end=date(2026, 11, 9))
    page = result.path.read_text(encoding="utf-8")
    assert "No alerts in this period." in page
    assert "No topic scores for Globex in this period yet" in page
    assert 'data-chart="topics"' not in page and 'data-chart="volume"' in page
    assert result.scope.competitors == ("Acme", "Initech")


def test_safe_url_keeps_only_web_links() -> None:
    assert safe_url("https://x.com/a/status/1") == "https://x.com/a/status/1"
    assert safe_url(" http://example.com ") == "http://example.com"
    for bad in ("javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,<b>", "vbscript:x", "//evil", "", None):
        assert safe_url(bad) is None


def test_spec_json_escapes_markup_characters() -> None:
    text = spec_json({"values": [{"term": "</script><b>&"}]})
    assert "<" not in text and ">" not in text and "&" not in text.replace("\\u0026", "")
    assert json.loads(text) == {"values": [{"term": "</script><b>&"}]}


def test_the_vega_bundle_can_be_inlined() -> None:
    bundle = vega_bundle()
    assert "</script" not in bundle.lower() and "<!--" not in bundle
    assert "window.vegaEmbed" in bundle and "expressionInterpreter" in bundle


def test_the_vega_bundle_is_built_once_then_read_from_the_cache(tmp_path: Path) -> None:
    built = vega_bundle(tmp_path)
    (cached,) = (tmp_path / "vega").glob("bundle-*.js")
    assert cached.read_text(encoding="utf-8") == built
    cached.write_text(built[: len(built) // 2], encoding="utf-8")  # damaged: built again and replaced
    vega_bundle.cache_clear()
    assert vega_bundle(tmp_path) == built and cached.read_text(encoding="utf-8") == built
    cached.write_text(built + "\n/* kept */;", encoding="utf-8")  # whole: read back as it is
    vega_bundle.cache_clear()
    assert vega_bundle(tmp_path).endswith("/* kept */;")
    assert [p.name for p in (tmp_path / "vega").iterdir()] == [cached.name]  # no temporary file left


def test_report_scope_defaults() -> None:
    assert report_scope(CONFIG).brands == ["Acme", "Globex"]
    assert report_scope(CONFIG, "initech").brands == ["Initech", "Acme", "Globex"]
    with pytest.raises(ConfigError, match="unknown brand"):
        report_scope(CONFIG, "Nobody")
    with pytest.raises(ConfigError, match="no \\[\\[brands\\]\\]"):
        report_scope(parse_config({}))


def test_resolve_period() -> None:
    newest = date(2026, 11, 22)
    assert resolve_period(newest, None, None) == Period(date(2026, 10, 26), newest)
    assert resolve_period(newest, None, None, days=7) == Period(date(2026, 11, 16), newest)
    assert resolve_period(newest, date(2026, 11, 1), None) == Period(date(2026, 11, 1), newest)
    assert resolve_period(None, date(2026, 11, 1), date(2026, 11, 3)) == Period(date(2026, 11, 1), date(2026, 11, 3))
    assert resolve_period(None, None, date(2026, 11, 3), days=3) == Period(date(2026, 11, 1), date(2026, 11, 3))
    with pytest.raises(FatalError, match="no mentions"):
        resolve_period(None, None, None)
    with pytest.raises(ConfigError, match="before --from"):
        resolve_period(newest, date(2026, 11, 5), date(2026, 11, 4))


def test_response_care_section_compares_the_brands_own_accounts(tmp_path: Path) -> None:
    warehouse = build_small_warehouse(tmp_path / "small.duckdb")
    config = parse_config(
        {
            "warehouse": {"path": "unused.duckdb"},
            "brands": [
                {"name": "Acme", "terms": ["acme"], "competitors": ["Globex", "Initech"], "owned": ["@acme_cs"]},
                {"name": "Globex", "terms": ["globex"], "owned": ["x:@globexcare"]},
                {"name": "Initech", "terms": ["initech"]},
            ],
        }
    )
    replies = [  # a3 (Nov 10 09:00) answered after 30 min; g1 (Nov 10 09:00) after 5 min; a4 never.
        Mention(channel="x", id="o1", text="Sorry! DM us <b>now</b>", created_at="2026-11-10T09:30:00Z",
                author_handle="acme_cs", kind="reply", parent_id="a3"),
        Mention(channel="x", id="o2", text="globex here, fixing it", created_at="2026-11-10T09:05:00Z",
                author_handle="GlobexCare", kind="reply", parent_id="g1"),
    ]
    with warehouse.write() as con:
        load_mentions(con, replies, {("x", "o1"): [BrandMatch(brand="Acme", terms=())],
                                     ("x", "o2"): [BrandMatch(brand="Globex", terms=("globex",))]}, run_id="own")
        sync_owned_accounts(con, config.brands)
    result = write_report(warehouse, config, tmp_path / "r.html", start=date(2026, 11, 10), end=date(2026, 11, 11))
    page = result.path.read_text(encoding="utf-8")
    assert result.mentions == 10  # the reply is Acme's voice, not a mention (the fixture has 10 on these days)
    row = re.sub(r"\s+", " ", page.split('<section id="responses">')[1].split("</section>")[0])
    assert ("<td>Acme</td><td>@acme_cs</td><td>all</td><td class=\"num\">2</td><td class=\"num\">1</td>"
            "<td class=\"num\">50%</td><td class=\"num\">30 min</td><td class=\"num\">1 (1)</td>") in row
    assert ("<td>Globex</td><td>x:@globexcare</td><td>all</td><td class=\"num\">1</td><td class=\"num\">1</td>"
            "<td class=\"num\">100%</td><td class=\"num\">5 min</td>") in row
    assert "<td>Initech</td><td colspan=\"7\" class=\"empty\">no own accounts configured" in row
    assert "DM us" not in page.split('<section id="examples">')[1]  # not an example mention either


def test_without_owned_accounts_the_response_section_says_how_to_add_them(page: str) -> None:
    assert '<section id="responses">' in page
    assert "No own accounts configured for Acme, Globex" in page
