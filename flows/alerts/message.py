"""Alert rendering: a Slack Block Kit message plus the same content as plain text, user text escaped (pure)."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from models.alerts.episodes import Episode
from models.alerts.signals import (
    SIGNAL_CHANNEL_VOLUME,
    SIGNAL_HIGH_REACH,
    SIGNAL_NEGATIVE_SHARE,
    SIGNAL_NEGATIVE_VOLUME,
    SIGNAL_TOPIC_SURGE,
)
from models.text.links import web_url

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
MAX_THEMES = 3
THEME_LIMIT = 80

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
class ResponseCare:
    """How the brand's own accounts answered the episode's negative mentions (`mention_responses`)."""

    negative: int
    responded: int
    median_minutes: float | None = None
    responders: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AlertContext:
    """What drove an episode: negative counts per channel, example posts, top terms, a command to dig in."""

    channels: list[tuple[str, int]]
    examples: list[ExamplePost]
    top_terms: list[str] = field(default_factory=list)
    dig_in_command: str = ""
    # Emerging themes: (label from top terms, mentions) of negatives no topic explains, largest first.
    themes: list[tuple[str, int]] = field(default_factory=list)
    # Replies from the brand's owned accounts; None when it has none configured (no line in the message).
    responses: ResponseCare | None = None


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


TITLES = {
    SIGNAL_NEGATIVE_VOLUME: "Negative spike",
    SIGNAL_CHANNEL_VOLUME: "Negative spike",
    SIGNAL_NEGATIVE_SHARE: "Negative share rising",
    SIGNAL_TOPIC_SURGE: "Topic surge",
    SIGNAL_HIGH_REACH: "High-reach negative post",
}
SIGNAL_NAMES = {
    SIGNAL_NEGATIVE_VOLUME: "negative volume",
    SIGNAL_CHANNEL_VOLUME: "channel volume",
    SIGNAL_NEGATIVE_SHARE: "negative share",
    SIGNAL_TOPIC_SURGE: "topic surge",
    SIGNAL_HIGH_REACH: "high-reach post",
}


def alert_title(episode: Episode, kind: str = "alert") -> str:
    """`Negative spike: Acme`, `Update — Negative spike: Acme`, `Resolved — …` (brand escaped)."""
    title = f"{TITLES.get(episode.signal, 'Negative spike')}: {slack_escape(_one_line(episode.brand))}"
    if episode.signal == SIGNAL_TOPIC_SURGE and episode.topics:
        title += f" ({slack_escape(_one_line(episode.topics[0].name))})"
    prefix = {"update": "Update — ", "resolved": "Resolved — "}.get(kind, "")
    return truncate(prefix + title, HEADER_LIMIT)


def render_alert(
    episode: Episode, context: AlertContext, *, kind: str = "alert", previous_observed: float | None = None
) -> RenderedAlert:
    """Block Kit blocks and plain text for one message about an episode; all user text is escaped and bounded.

    `kind` is "alert" (the first message), "update" (it grew since the last message, which counted
    `previous_observed` negatives) or "resolved" (it ended).
    """
    brand = slack_escape(_one_line(episode.brand))
    title = alert_title(episode, kind)
    window = _window(episode)
    counts = f"{episode.observed} vs {episode.expected:.1f} expected"
    lift = f"{episode.lift:.1f}× (p = {episode.p_value:.1e})"
    peak = f"{episode.peak_hour.astimezone(UTC):%Y-%m-%d %H:00} UTC"
    share = _share(episode)
    signals = ", ".join(SIGNAL_NAMES.get(s, s) for s in episode.signals) if episode.signals else ""
    drivers = _channel_drivers(episode) or _drivers(context.channels)
    topics = _topic_drivers(episode)
    terms = ", ".join(truncate(slack_escape(_one_line(t)), TERM_LIMIT) for t in context.top_terms[:MAX_TERMS] if t)
    themes = _themes(context.themes)
    examples = [_example(post) for post in context.examples[:MAX_EXAMPLES]] if kind != "resolved" else []
    command = (context.dig_in_command or default_dig_in_command(episode)).replace("`", "'")
    command = truncate(slack_escape(_one_line(command)), 500)
    status = _status_line(episode, kind, previous_observed)
    care = response_line(context.responses, brand)

    fields = [
        _mrkdwn(f"*Brand*\n{brand}", FIELD_LIMIT),
        _mrkdwn(f"*Window (UTC)*\n{window}", FIELD_LIMIT),
        _mrkdwn(f"*Negative mentions*\n{counts}", FIELD_LIMIT),
        _mrkdwn(f"*Lift*\n{lift}", FIELD_LIMIT),
    ]
    if share:
        fields.append(_mrkdwn(f"*Negative share*\n{share}", FIELD_LIMIT))
    fields.append(_mrkdwn(f"*Peak hour*\n{peak}", FIELD_LIMIT))
    if signals:
        fields.append(_mrkdwn(f"*Signals*\n{signals}", FIELD_LIMIT))
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": title, "emoji": True}}]
    if status:
        blocks.append({"type": "section", "text": _mrkdwn(status, SECTION_LIMIT)})
    # Slack allows at most 10 fields in a section.
    blocks.append({"type": "section", "fields": fields[:10]})
    driven = f"*Driven by*\n{drivers or 'no channel breakdown available'}"
    if topics:
        driven += f"\n*Topics*\n{topics}"
    if terms:
        driven += f"\n*Top terms*\n{terms}"
    if themes:
        driven += f"\n*Emerging themes* (no topic explains them)\n{themes}"
    if care:
        driven += f"\n*Response care*\n{care}"
    blocks.append({"type": "section", "text": _mrkdwn(driven, SECTION_LIMIT)})
    if examples:
        blocks.append({"type": "divider"})
        blocks.append({"type": "section", "text": _mrkdwn("*Representative posts*", SECTION_LIMIT)})
        for quote, byline, _plain in examples:
            blocks.append({"type": "section", "text": _mrkdwn(f"> {quote}\n{byline}", SECTION_LIMIT)})
    blocks.append({"type": "context", "elements": [_mrkdwn(f"Dig in: `{command}`", FIELD_LIMIT)]})

    lines = [title]
    if status:
        lines.append(status.replace("*", ""))
    lines += [
        f"Window (UTC): {window}",
        f"Negative mentions: {counts}, lift {lift}, peak {peak}",
    ]
    if share:
        lines.append(f"Negative share: {share}")
    if signals:
        lines.append(f"Signals: {signals}")
    lines.append(f"Driven by: {drivers or 'no channel breakdown available'}")
    if topics:
        lines.append(f"Topics: {topics}")
    if terms:
        lines.append(f"Top terms: {terms}")
    if themes:
        lines.append(f"Emerging themes: {themes}")
    if care:
        lines.append(f"Response care: {care}")
    if examples:
        lines.append("Representative posts:")
        lines.extend(f"  {n}. {plain}" for n, (_q, _b, plain) in enumerate(examples, 1))
    lines.append(f"Dig in: {command}")
    return RenderedAlert(title=title, text=truncate("\n".join(lines), TEXT_LIMIT), blocks=blocks)


def _status_line(episode: Episode, kind: str, previous_observed: float | None) -> str:
    """One sentence on where the episode stands: ongoing, grown since the last message, or over."""
    end = f"{episode.end.astimezone(UTC):%Y-%m-%d %H:00} UTC"
    if kind == "update":
        before = f" (was {previous_observed:.0f} at the last message)" if previous_observed is not None else ""
        return f"*Still growing:* {episode.observed} negative mentions so far{before}."
    if kind == "resolved":
        return f"*Back to normal* since {end}: this episode is over."
    if episode.open:
        return "*Ongoing:* updates follow if it grows markedly, and a note when it ends."
    return f"*Already over* (ended {end}): found after the fact."


def response_line(care: ResponseCare | None, brand: str) -> str:
    """`@acmehelp replied to 3 of 112 negative mentions, first reply after 14 min (median)`, escaped; "" for None."""
    if care is None or care.negative <= 0:
        return ""
    if not care.responded:
        return f"no reply yet from {brand}'s own accounts to the {care.negative} negative mentions"
    names = ", ".join(truncate(slack_escape(_one_line(name)), HANDLE_LIMIT) for name in care.responders[:3])
    more = f" and {len(care.responders) - 3} more" if len(care.responders) > 3 else ""
    line = f"{names or brand}{more} replied to {care.responded} of {care.negative} negative mentions"
    if care.median_minutes is not None:
        line += f", first reply after {duration_text(care.median_minutes)} (median)"
    return line


def duration_text(minutes: float) -> str:
    """14 min, 2.5 h, 3.0 days (the alert and the report say response times the same way)."""
    if minutes < 60:
        return f"{max(minutes, 0):.0f} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.1f} days"


def _share(episode: Episode) -> str:
    if episode.share is None or episode.usual_share is None:
        return ""
    return f"{100 * episode.share:.0f}% vs usual {100 * episode.usual_share:.0f}%"


def _channel_drivers(episode: Episode) -> str:
    """Channels by negative count, with their share of the episode's negatives and their lift over usual."""
    ranked = sorted((d for d in episode.channels if d.observed > 0), key=lambda d: (-d.observed, d.name))
    total = sum(d.observed for d in ranked)
    return " · ".join(
        f"{truncate(slack_escape(_one_line(d.name)), 40)} {d.observed} ({100 * d.observed / total:.0f}%, "
        f"{d.lift:.1f}× usual)"
        for d in ranked[:MAX_CHANNELS]
    )


def _topic_drivers(episode: Episode) -> str:
    """Topics whose negatives rose most over their usual level."""
    rising = [d for d in episode.topics if d.observed > d.expected]
    return " · ".join(
        f"{truncate(slack_escape(_one_line(d.name)), 40)} {d.observed} ({d.lift:.1f}× usual)"
        for d in rising[:MAX_CHANNELS]
    )


def _themes(themes: list[tuple[str, int]]) -> str:
    """`login loop / password (7) · refund delay (4)`: each theme's label (its top terms) and size, escaped."""
    return " · ".join(
        f"{truncate(slack_escape(_one_line(label)), THEME_LIMIT)} ({size})"
        for label, size in themes[:MAX_THEMES]
        if label and size > 0
    )


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


def _slack_url(url: str | None) -> str | None:
    """A mention's http(s) link (`web_url`) made safe inside Slack's `<url|label>` syntax, or None."""
    url = web_url(url)
    if url is None:
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
    url = _slack_url(post.url)
    details = [f"on {truncate(slack_escape(_one_line(post.channel)), 40)}"]
    if reach := _reach(post.author_followers):
        details.append(reach)
    if post.score is not None:
        details.append(f"sentiment {post.score:+.2f}")
    byline = " · ".join([f"<{url}|{who}>" if url else who, *details])
    plain = " · ".join([f'"{quote}"', who, *details, *([url] if url else [])])
    return quote, byline, plain
