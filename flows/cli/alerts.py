"""`brandpulse alerts …`: replay spike detection to tune the alert settings; re-queue alerts Slack did not take."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer

from flows.alerts.enqueue import history_days, load_series
from flows.alerts.message import SIGNAL_NAMES
from flows.cli.common import EXIT_CONFIG, ConfigOption, day_option, err, fail, out, resources
from flows.runtime.config import load_config
from models.alerts.detector import detect
from models.alerts.episodes import Driver, Episode, ReplayedEpisode, replay
from models.errors import BrandpulseError
from warehouse.alerts import outbox

alerts_app = typer.Typer(
    help="Spike alerts: replay detection over stored history; re-queue alerts for delivery.", no_args_is_help=True
)


def episode_record(brand: str, replayed: ReplayedEpisode) -> dict[str, Any]:
    """One JSON object per episode: what it was and when each message would have gone out."""
    episode = replayed.latest

    def iso(moment: datetime | None) -> str | None:
        return None if moment is None else moment.astimezone(UTC).isoformat()

    def drivers(items: tuple[Driver, ...]) -> list[dict[str, Any]]:
        return [{"name": d.name, "observed": d.observed, "expected": round(d.expected, 2)} for d in items]

    return {
        "brand": brand,
        "key": replayed.key,
        "signal": episode.signal if replayed.first.signal == episode.signal else replayed.first.signal,
        "signals": list(episode.signals),
        "start": iso(episode.start),
        "end": iso(episode.end),
        "observed": episode.observed,
        "expected": round(episode.expected, 2),
        "lift": round(episode.lift, 2),
        "p_value": episode.p_value,
        "share": None if episode.share is None else round(episode.share, 3),
        "usual_share": None if episode.usual_share is None else round(episode.usual_share, 3),
        "detected_at": iso(replayed.first.detected_at),
        "alert_at": iso(replayed.alert_at),
        "updates_at": [iso(t) for t in replayed.update_times],
        "resolved_at": iso(replayed.resolved_at),
        "channels": drivers(episode.channels),
        "topics": drivers(episode.topics),
    }


def describe(replayed: ReplayedEpisode) -> str:
    """Two or three plain lines about one replayed episode, for the terminal."""
    episode: Episode = replayed.latest
    hours = round((episode.end - episode.start).total_seconds() / 3600)
    signals = ", ".join(SIGNAL_NAMES.get(s, s) for s in episode.signals)
    share = (
        f", negative share {100 * episode.share:.0f}% vs usual {100 * episode.usual_share:.0f}%"
        if episode.share is not None and episode.usual_share is not None
        else ""
    )
    lines = [
        f"{episode.brand} · {SIGNAL_NAMES.get(replayed.first.signal, replayed.first.signal)} · "
        f"{episode.start:%Y-%m-%d %H:00} → {episode.end:%Y-%m-%d %H:00} UTC ({hours} h)",
        f"  {episode.observed} negative mentions vs {episode.expected:.1f} expected ({episode.lift:.1f}×){share}; "
        f"signals: {signals}",
    ]
    channels = " · ".join(f"{d.name} {d.observed} ({d.lift:.1f}×)" for d in episode.channels[:4])
    topics = " · ".join(f"{d.name} {d.observed} ({d.lift:.1f}×)" for d in episode.topics[:4] if d.observed > d.expected)
    if channels or topics:
        lines.append("  driven by: " + "; ".join(part for part in (channels, topics) if part))
    sent = [f"alert at {replayed.alert_at:%m-%d %H:00}"]
    sent += [f"update at {t:%m-%d %H:00}" for t in replayed.update_times]
    if replayed.resolved_at is not None:
        sent.append(
            f"resolved at {replayed.resolved_at:%m-%d %H:00}"
            if replayed.resolved_at != replayed.alert_at
            else "(already over when found)"
        )
    lines.append("  would have sent: " + ", ".join(sent))
    return "\n".join(lines)


@alerts_app.command()
def backtest(
    brand: Annotated[str, typer.Option("--brand", "-b", help="Brand name, as in [[brands]].")],
    since: Annotated[datetime, day_option("--from", "First hour to replay: ISO date or date-time (UTC).", times=True)],
    until: Annotated[
        datetime,
        day_option("--to", "End of the replay (exclusive; a bare date includes that day).", times=True, end=True),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per episode instead of text.")] = False,
    preset: Annotated[
        str | None, typer.Option("--preset", help="sensitive | balanced | strict (default: the config's).")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Replay detection hour by hour over stored mentions and print the alerts it would have sent."""
    if until <= since:
        raise typer.BadParameter("--to must be after --from", param_hint="--to")
    try:
        cfg = load_config(config)
        name = cfg.brand(brand).name
        alerts = cfg.alerts
        settings = alerts.detector(preset)
        with resources(cfg).warehouse.read() as con:
            series = load_series(con, name, since - timedelta(days=history_days(settings)), until, settings)
    except BrandpulseError as exc:
        raise fail(exc) from None
    episodes = [] if series is None else replay(detect(series, settings), evaluate_from=since, until=until)
    if as_json:
        for replayed in episodes:
            typer.echo(json.dumps(episode_record(name, replayed), ensure_ascii=False))
        return
    label = preset or alerts.preset
    if not episodes:
        out.print(f"No alerts for {name} from {since:%Y-%m-%d %H:00} to {until:%Y-%m-%d %H:00} UTC ({label}).",
                  markup=False)  # fmt: skip
        return
    out.print(f"{len(episodes)} episode(s) for {name}, {since:%Y-%m-%d %H:00} → {until:%Y-%m-%d %H:00} UTC ({label}):",
              markup=False)  # fmt: skip
    for replayed in episodes:
        out.print(describe(replayed), markup=False, highlight=False, soft_wrap=True)


@alerts_app.command()
def resend(
    failed: Annotated[bool, typer.Option("--failed", help="Alerts Slack refused as messages (status failed).")] = False,
    blocked: Annotated[
        bool, typer.Option("--blocked", help="Alerts parked because the destination refused them (blocked).")
    ] = False,
    expired: Annotated[bool, typer.Option("--expired", help="Alerts past [alerts] delivery_horizon_hours.")] = False,
    unknown: Annotated[
        bool, typer.Option("--unknown", help="Posts whose outcome is unknown (may already be in Slack).")
    ] = False,
    console: Annotated[bool, typer.Option("--console", help="Alerts that only went to the console.")] = False,
    key: Annotated[
        list[str] | None, typer.Option("--key", "-k", help="One alert by its key (repeatable), whatever its state.")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Put alerts back in the delivery queue with fresh attempts and horizon; the next `brandpulse run` sends them."""
    flags = {
        outbox.FAILED: failed,
        outbox.BLOCKED: blocked,
        outbox.EXPIRED: expired,
        outbox.UNKNOWN: unknown,
        outbox.CONSOLE: console,
    }
    statuses = tuple(status for status, chosen in flags.items() if chosen)
    if not statuses and not key:
        err.print("say which alerts to re-queue: --failed, --blocked, --expired, --unknown, --console or --key KEY")
        raise typer.Exit(EXIT_CONFIG)
    try:
        cfg = load_config(config)
        with resources(cfg).warehouse.write() as con:
            missing = [k for k in key or [] if outbox.get(con, k) is None]
            count = outbox.requeue(con, now=datetime.now(UTC), statuses=statuses, keys=list(key or []))
    except BrandpulseError as exc:
        raise fail(exc) from None
    for name in missing:
        err.print(f"no alert with key {name!r} in the outbox", markup=False)
    out.print(f"re-queued {count} alert(s); the next `brandpulse run` delivers them", markup=False)
