"""Alert rendering: Block Kit and plain text, with user text made inert."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rich.console import Console

from flows.alerts.message import (
    HEADER_LIMIT,
    POST_LIMIT,
    SECTION_LIMIT,
    ZERO_WIDTH_SPACE,
    AlertContext,
    ExamplePost,
    RenderedAlert,
    ResponseCare,
    default_dig_in_command,
    render_alert,
    slack_escape,
    slack_unescape,
    truncate,
)
from flows.alerts.senders import ConsoleSender, Delivered
from models.alerts.episodes import Episode
from warehouse.alerts.outbox import OutboxRow

START = datetime(2024, 5, 1, 9, tzinfo=UTC)
EVIL = "<!channel> @here @Everyone look <script>alert(1)</script> & <@U123|boss> <https://evil.example|click>"


def episode(brand: str = "Acme") -> Episode:
    return Episode(
        brand=brand,
        signal="negative_volume",
        start=START,
        end=START + timedelta(hours=3),
        observed=42,
        expected=6.1,
        lift=42 / 6.1,
        p_value=3.2e-12,
        peak_hour=START + timedelta(hours=1),
    )


def context(**changes: Any) -> AlertContext:
    base: dict[str, Any] = {
        "channels": [("reddit", 12), ("x", 30)],
        "examples": [
            ExamplePost(
                "Order never arrived, support ignores me", "https://x.com/alice/status/1", "x", "alice", 12_345, -0.92
            ),
            ExamplePost("Refund denied twice.", "https://reddit.com/r/acme/c/2", "reddit", "@bob", 87, -0.81),
            ExamplePost("worst delivery ever", None, "x", None, None, None),
            ExamplePost("a fourth post is not shown", "https://x.com/d/status/4", "x", "dan", 5, -0.5),
        ],
        "top_terms": ["delivery", "refund"],
        "dig_in_command": "brandpulse alerts backtest --brand Acme --from 2024-04-30 --to 2024-05-02",
    }
    base.update(changes)
    return AlertContext(**base)


def mrkdwn_texts(blocks: list[dict[str, Any]]) -> list[str]:
    """Every mrkdwn / plain_text string in the blocks."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text"):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(blocks)
    return found


def test_escape_neutralises_markup_and_broadcasts() -> None:
    escaped = slack_escape(EVIL)
    assert "<" not in escaped and ">" not in escaped
    assert "&lt;!channel&gt;" in escaped
    assert "&lt;script&gt;" in escaped
    assert " &amp; " in escaped
    for word in ("@here", "@Everyone"):
        assert word not in escaped
    assert f"@{ZERO_WIDTH_SPACE}here" in escaped
    assert slack_escape("a &amp; b") == "a &amp;amp; b"  # already-escaped text stays literal
    assert slack_unescape(slack_escape("<b> & c")) == "<b> & c"


def test_truncate_bounds_length_and_never_splits_an_entity() -> None:
    assert truncate("short", 10) == "short"
    assert truncate("abcdefghijkl", 6) == "abcde…"
    assert len(truncate("x" * 5000, 280)) == 280
    assert truncate(slack_escape("aaaaaaaa&b"), 10) == "aaaaaaaa…"
    assert truncate(slack_escape("aaaaaa<b"), 10) == "aaaaaa…"
    with pytest.raises(ValueError):
        truncate("x", 0)


def test_rendered_blocks_carry_counts_channels_terms_posts_and_command() -> None:
    alert = render_alert(episode(), context())
    assert isinstance(alert, RenderedAlert)
    assert alert.title == "Negative spike: Acme"
    assert [b["type"] for b in alert.blocks][:2] == ["header", "section"]
    assert alert.blocks[-1]["type"] == "context"
    joined = "\n".join(mrkdwn_texts(alert.blocks))
    assert "42 vs 6.1 expected" in joined
    assert "6.9×" in joined
    assert "2024-05-01 09:00 → 12:00 (3 h)" in joined
    assert "x 30 (71%) · reddit 12 (29%)" in joined  # largest driver first
    assert "delivery, refund" in joined
    assert "<https://x.com/alice/status/1|@alice>" in joined
    assert "12.3k followers" in joined
    assert "<https://reddit.com/r/acme/c/2|@bob>" in joined  # a leading @ is not doubled
    assert "worst delivery ever" in joined
    assert "a fourth post" not in joined  # three examples at most
    assert "`brandpulse alerts backtest --brand Acme --from 2024-04-30 --to 2024-05-02`" in joined


def test_plain_text_has_the_same_content() -> None:
    text = render_alert(episode(), context()).text
    for expected in (
        "Negative spike: Acme",
        "42 vs 6.1 expected",
        "x 30 (71%)",
        "Top terms: delivery, refund",
        "https://x.com/alice/status/1",
        "@alice",
        "brandpulse alerts backtest --brand Acme",
    ):
        assert expected in text
    assert "<" not in text  # plain text has no Slack link syntax


def test_hostile_posts_handles_and_urls_are_neutralised_everywhere() -> None:
    hostile = ExamplePost(
        EVIL + "\n\n> fake quote",
        "https://example.com/a|b><!channel>",
        "x<!here>",
        "here",
        10,
        -1.0,
    )
    alert = render_alert(episode("Acme & <Sons>"), context(examples=[hostile], top_terms=["<!channel>", "@here"]))
    everything = [*mrkdwn_texts(alert.blocks), alert.text, alert.title]
    for text in everything:
        for forbidden in ("<!channel>", "<!here>", "<script>", "<@U123", "@here", "@Everyone", "<https://evil"):
            assert forbidden not in text
        # The only `<` left is the start of a link we built: `<https://…|label>`.
        assert all(text[m.start() :].startswith("<https://example.com/") for m in re.finditer("<", text))
    blob = json.dumps(alert.blocks, ensure_ascii=False)
    assert "&lt;script&gt;" in blob and "Acme &amp; &lt;Sons&gt;" in blob
    assert "https://example.com/a%7Cb%3E%3C!channel%3E" in blob
    assert f"@{ZERO_WIDTH_SPACE}here" in blob
    assert not any("\n&gt; fake quote" in text for text in everything)  # a newline cannot start a new quote


def test_long_texts_are_truncated_within_slack_limits() -> None:
    long_post = ExamplePost("&" * 5000, "https://x.com/" + "p" * 3000, "x", "h" * 500, 1, -0.5)
    alert = render_alert(episode("B" * 400), context(examples=[long_post] * 3, top_terms=["t" * 500] * 50))
    header = alert.blocks[0]["text"]["text"]
    assert len(header) <= HEADER_LIMIT and header.endswith("…")
    for text in mrkdwn_texts(alert.blocks):
        assert len(text) <= SECTION_LIMIT
        assert not re.search(r"&[a-z]{0,3}…", text)  # no half entity before the ellipsis
    quotes = [b["text"]["text"] for b in alert.blocks if b.get("text", {}).get("text", "").startswith("> ")]
    assert len(quotes) == 3
    assert all(len(q.split("\n")[0]) <= POST_LIMIT + 2 for q in quotes)
    assert "https://x.com/ppp" not in json.dumps(alert.blocks)  # a link too long to keep is dropped, not cut
    assert len(alert.blocks) <= 50
    assert all(len(b.get("fields", [])) <= 10 for b in alert.blocks)


def test_empty_context_still_renders() -> None:
    alert = render_alert(episode("Acme Corp"), AlertContext(channels=[], examples=[]))
    joined = "\n".join(mrkdwn_texts(alert.blocks))
    assert "no channel breakdown available" in joined
    assert "Top terms" not in joined and "Representative posts" not in joined
    assert default_dig_in_command(episode("Acme Corp")) in slack_unescape(alert.text)
    assert "--brand 'Acme Corp'" in default_dig_in_command(episode("Acme Corp"))


def test_console_sender_prints_readable_text_without_markup() -> None:
    alert = render_alert(episode(), context(examples=[ExamplePost("[bold red]loud[/] & <b>", None, "x")]))
    console = Console(record=True, width=200, color_system=None)
    row = OutboxRow(
        alert_key="k", brand="Acme", signal="negative_volume", window_start=START, window_end=START, observed=42,
        expected=6.1, p_value=1e-9, title=alert.title, text=alert.text, blocks=alert.blocks, status="pending",
        attempts=0, next_attempt_at=None, last_error=None, destination=None, created_at=START, sent_at=None,
        run_id=None,
    )  # fmt: skip
    assert ConsoleSender(console).send(row) == Delivered()
    shown = console.export_text()
    assert "Negative spike: Acme" in shown
    assert "[bold red]loud[/] & <b>" in shown  # rich markup in a post is shown, not applied


def test_emerging_themes_are_shown_escaped_in_blocks_and_text() -> None:
    themes = [("login loop / <b>password</b>", 7), ("refund @here", 4), ("third", 3), ("a fourth theme", 3)]
    rendered = render_alert(episode(), context(themes=themes))
    driven = next(t for t in mrkdwn_texts(rendered.blocks) if t.startswith("*Driven by*"))
    assert "*Emerging themes*" in driven
    assert "login loop / &lt;b&gt;password&lt;/b&gt; (7) · refund @\u200bhere (4) · third (3)" in driven
    assert "a fourth theme" not in driven and "<b>" not in rendered.text
    assert "Emerging themes: login loop / &lt;b&gt;password&lt;/b&gt; (7)" in rendered.text


def test_no_emerging_themes_line_without_themes() -> None:
    rendered = render_alert(episode(), context())
    assert "Emerging themes" not in rendered.text
    assert not any("Emerging themes" in t for t in mrkdwn_texts(rendered.blocks))


def test_response_care_names_the_owned_accounts_and_the_median_first_reply() -> None:
    care = ResponseCare(negative=112, responded=3, median_minutes=14.4, responders=["@acmehelp"])
    rendered = render_alert(episode(), context(responses=care))
    driven = next(t for t in mrkdwn_texts(rendered.blocks) if t.startswith("*Driven by*"))
    line = "@acmehelp replied to 3 of 112 negative mentions, first reply after 14 min (median)"
    assert f"*Response care*\n{line}" in driven
    assert f"Response care: {line}" in rendered.text


@pytest.mark.parametrize(
    ("care", "line"),
    [
        (ResponseCare(40, 0), "no reply yet from Acme's own accounts to the 40 negative mentions"),
        (ResponseCare(40, 2, 150.0, ["@a", "@b"]),
            "@a, @b replied to 2 of 40 negative mentions, first reply after 2.5 h"),
        (ResponseCare(40, 5, 4320.0, ["@a", "@b", "@c", "@d"]), "@a, @b, @c and 1 more replied to 5 of 40"),
        (ResponseCare(40, 5, 4320.0, ["@a"]), "first reply after 3.0 days (median)"),
        (ResponseCare(9, 1, 3.0, ["<!channel> @here"]), "&lt;!channel&gt; @\u200bhere replied to 1 of 9"),
    ],
)
def test_response_care_lines(care: ResponseCare, line: str) -> None:
    rendered = render_alert(episode(), context(responses=care))
    assert line in rendered.text
    assert "<!channel>" not in json.dumps(rendered.blocks)


def test_no_response_line_without_owned_accounts_or_negatives() -> None:
    for care in (None, ResponseCare(0, 0)):
        rendered = render_alert(episode(), context(responses=care))
        assert "Response care" not in rendered.text
        assert not any("Response care" in t for t in mrkdwn_texts(rendered.blocks))
