"""Alert rendering: a Slack Block Kit message plus the same content as plain text, user text escaped (pure)."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from models.spikes import Episode

ZERO_WIDTH_SPACE = "\u200b"
# Slack limits: header text 150 chars, section text 3000, a section field 2000, message text 40000.
HEADER_LIMIT = 150
SECTION_LIMIT = 3000
FIELD_LIMIT = 2000
POST_LIMIT = 280
TERM_LIMIT = 40
HANDLE_LIMIT = 60
TEXT_LIMIT = 3000
URL_LIMIT = 1500
MAX_EXAMPLES = 3
MAX_CHANNELS = 6
MAX_TERMS = 10

_BROADCAST = re.compile(r"@(channel|here|everyone)", re.IGNORECASE)
_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,3}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SPACE = re.compile(r"\s+")


def slack_escape(text: str) -> str:
    """Make user text inert in Slack: escape `&`, `<`, `>` and break `@channel`, `@here`, `@everyone`."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # Slack only pings on exact words; a zero-width space after @ keeps the text readable but silent.
    return _BROADCAST.sub(lambda m: "@" + ZERO_WIDTH_SPACE + m.group(1), escaped)


def slack_unescape(text: str) -> str:
    """Undo the three entities of `slack_escape` for display outside Slack (the console)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters, ending in `…` when cut, never leaving half an escaped entity."""
    if limit < 1:
        raise ValueError("limit must be >= 1")
    if len(text) <= limit:
        return text
    cut = _PARTIAL_ENTITY.sub("", text[: limit - 1]).rstrip()
    return cut + "…"


@dataclass(frozen=True)
class ExamplePost:
    """A representative negative post shown in the alert."""

    text: str
    url: str | None
    channel: str
    author_handle: str | None = None
    author_followers: int | None = None
    score: float | None = None


@dataclass(frozen=True)
class AlertContext:
    """What drove an episode: negative counts per channel, example posts, top terms, a command to dig in."""

    channels: list[tuple[str, int]]
    examples: list[ExamplePost]
    top_terms: list[str] = field(default_factory=list)
    dig_in_command: str = ""


@dataclass(frozen=True)
class RenderedAlert:
    """One alert ready for the outbox: a title, Slack-safe plain text (fallback and console) and Block Kit."""

    title: str
    text: str
    blocks: list[dict[str, Any]]


def default_dig_in_command(episode: Episode) -> str:
    """A backtest command over the episode's days, for when the caller gives none."""
    day_before = episode.start.astimezone(UTC).date().isoformat()
    day_after = episode.end.astimezone(UTC).date().isoformat()
    return f"brandpulse alerts backtest --brand {shlex.quote(episode.brand)} --from {day_before} --to {day_after}"


def render_alert(episode: Episode, context: AlertContext) -> RenderedAlert:
    """Block Kit blocks and plain text for one episode; every piece of user text is escaped and bounded."""
    brand = slack_escape(episode.brand)
    title = truncate(f"Negative spike: {brand}", HEADER_LIMIT)
    window = _window(episode)
    counts = f"{episode.observed} vs {episode.expected:.1f} expected"
    lift = f"{episode.lift:.1f}× (p = {episode.p_value:.1e})"
    peak = f"{episode.peak_hour.astimezone(UTC):%Y-%m-%d %H:00} UTC"
    drivers = _drivers(context.channels)
    terms = ", ".join(truncate(slack_escape(_one_line(t)), TERM_LIMIT) for t in context.top_terms[:MAX_TERMS] if t)
    examples = [_example(post) for post in context.examples[:MAX_EXAMPLES]]
    command = (context.dig_in_command or default_dig_in_command(episode)).replace("`", "'")
    command = truncate(slack_escape(_one_line(command)), 500)

    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title, "emoji": True}},
        {
            "type": "section",
            "fields": [
                _mrkdwn(f"*Brand*\n{brand}", FIELD_LIMIT),
                _mrkdwn(f"*Window (UTC)*\n{window}", FIELD_LIMIT),
                _mrkdwn(f"*Negative mentions*\n{counts}", FIELD_LIMIT),
                _mrkdwn(f"*Lift*\n{lift}", FIELD_LIMIT),
                _mrkdwn(f"*Peak hour*\n{peak}", FIELD_LIMIT),
            ],
        },
    ]
    driven = f"*Driven by*\n{drivers or 'no channel breakdown available'}"
    if terms:
        driven += f"\n*Top terms*\n{terms}"
    blocks.append({"type": "section", "text": _mrkdwn(driven, SECTION_LIMIT)})
    if examples:
        blocks.append({"type": "divider"})
        blocks.append({"type": "section", "text": _mrkdwn("*Representative posts*", SECTION_LIMIT)})
        for quote, byline, _plain in examples:
            blocks.append({"type": "section", "text": _mrkdwn(f"> {quote}\n{byline}", SECTION_LIMIT)})
    blocks.append({"type": "context", "elements": [_mrkdwn(f"Dig in: `{command}`", FIELD_LIMIT)]})

    lines = [
        title,
        f"Window (UTC): {window}",
        f"Negative mentions: {counts}, lift {lift}, peak {peak}",
        f"Driven by: {drivers or 'no channel breakdown available'}",
    ]
    if terms:
        lines.append(f"Top terms: {terms}")
    if examples:
        lines.append("Representative posts:")
        lines.extend(f"  {n}. {plain}" for n, (_q, _b, plain) in enumerate(examples, 1))
    lines.append(f"Dig in: {command}")
    return RenderedAlert(title=title, text=truncate("\n".join(lines), TEXT_LIMIT), blocks=blocks)


def _mrkdwn(text: str, limit: int) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": truncate(text, limit)}


def _one_line(text: str) -> str:
    """Control characters dropped and whitespace collapsed, so a post cannot break the quote or layout."""
    return _SPACE.sub(" ", _CONTROL.sub("", text)).strip()


def _window(episode: Episode) -> str:
    start, end = episode.start.astimezone(UTC), episode.end.astimezone(UTC)
    hours = round((end - start).total_seconds() / 3600)
    end_text = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%Y-%m-%d %H:%M}"
    return f"{start:%Y-%m-%d %H:%M} → {end_text} ({hours} h)"


def _drivers(channels: list[tuple[str, int]]) -> str:
    """Channels by negative count, with their share of the episode's negatives."""
    ranked = sorted(((name, n) for name, n in channels if n > 0), key=lambda item: -item[1])
    total = sum(n for _, n in ranked)
    parts = [
        f"{truncate(slack_escape(_one_line(name)), 40)} {n} ({100 * n / total:.0f}%)"
        for name, n in ranked[:MAX_CHANNELS]
    ]
    return " · ".join(parts)


def _reach(followers: int | None) -> str:
    if followers is None:
        return ""
    if followers >= 1_000_000:
        return f"{followers / 1_000_000:.1f}M followers"
    if followers >= 1_000:
        return f"{followers / 1_000:.1f}k followers"
    return f"{followers} followers"


def _safe_url(url: str | None) -> str | None:
    """An http(s) URL made safe inside Slack's `<url|label>` syntax, or None."""
    if not url:
        return None
    url = url.strip()
    if not url.lower().startswith(("https://", "http://")):
        return None
    url = _SPACE.sub("%20", _CONTROL.sub("", url))
    url = url.replace("&", "&amp;").replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")
    # A link cannot be shortened without breaking it: drop absurdly long ones instead.
    return url if len(url) <= URL_LIMIT else None


def _example(post: ExamplePost) -> tuple[str, str, str]:
    """(quoted text, byline with link, plain-text line) for one example post."""
    quote = truncate(slack_escape(_one_line(post.text)), POST_LIMIT) or "(no text)"
    handle = _one_line(post.author_handle or "").lstrip("@")
    who = truncate(slack_escape(f"@{handle}"), HANDLE_LIMIT) if handle else "post"
    url = _safe_url(post.url)
    details = [f"on {truncate(slack_escape(_one_line(post.channel)), 40)}"]
    if reach := _reach(post.author_followers):
        details.append(reach)
    if post.score is not None:
        details.append(f"sentiment {post.score:+.2f}")
    byline = " · ".join([f"<{url}|{who}>" if url else who, *details])
    plain = " · ".join([f'"{quote}"', who, *details, *([url] if url else [])])
    return quote, byline, plain
