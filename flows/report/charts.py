"""Vega-Lite chart specs for the HTML report, built with Altair from rows DuckDB already aggregated (pure)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import altair as alt

# Korean first-class: the first installed of these renders Hangul in the charts and the page alike.
FONT_STACK = (
    '"Noto Sans CJK KR", "Noto Sans KR", "Nanum Gothic", NanumGothic, "Malgun Gothic", '
    '"Apple SD Gothic Neo", system-ui, -apple-system, "Segoe UI", Roboto, sans-serif, '
    '"Apple Color Emoji", "Segoe UI Emoji", "Noto Color Emoji"'
)
NEGATIVE_COLOR = "#c0392b"
POSITIVE_COLOR = "#1e8449"
ALERT_COLOR = "#e74c3c"
WIDE = 700
NARROW = 300

Spec = dict[str, Any]


def _jsonable(value: Any) -> Any:
    """Dates and timestamps as ISO strings (UTC), everything else as is."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _data(rows: list[dict[str, Any]], *fields: str) -> alt.Data:
    """Inline chart data with only the fields a chart uses (keeps the page small and free of unused text)."""
    return alt.Data(values=[{name: _jsonable(row.get(name)) for name in fields} for row in rows])


def _finish(chart: alt.TopLevelMixin) -> Spec:
    """A Vega-Lite dict with the report's font, UTC time labels and no chrome."""
    return chart.configure(font=FONT_STACK).configure_view(stroke=None).to_dict()


def _time_x(bucket: str, title: str | None = None) -> alt.X:
    """The x axis of a trend: UTC days or weeks."""
    unit = "utcyearmonthdate"
    return alt.X("bucket:T", timeUnit=unit, title=title or ("Week of" if bucket == "week" else "Day (UTC)"))


def _alert_layer(alerts: list[dict[str, Any]]) -> alt.Chart:
    """Shaded bands over the alert episodes' windows."""
    return (
        alt.Chart(_data(alerts, "window_start", "window_end", "observed", "expected", "brand"))
        .mark_rect(color=ALERT_COLOR, opacity=0.18)
        .encode(
            x=alt.X("window_start:T", scale=alt.Scale(type="utc")),
            x2="window_end:T",
            tooltip=[
                alt.Tooltip("brand:N", title="Alert"),
                alt.Tooltip("window_start:T", title="From (UTC)", format="%Y-%m-%d %H:%M", formatType="utc"),
                alt.Tooltip("window_end:T", title="To (UTC)", format="%Y-%m-%d %H:%M", formatType="utc"),
                alt.Tooltip("observed:Q", title="Negative mentions"),
                alt.Tooltip("expected:Q", title="Expected", format=".1f"),
            ],
        )
    )


def volume_by_channel(trend: list[dict[str, Any]], alerts: list[dict[str, Any]], bucket: str) -> Spec:
    """Stacked mentions per day/week and channel, alert episodes shaded."""
    bars = (
        alt.Chart(_data(trend, "bucket", "channel", "mentions", "negative"))
        .mark_bar()
        .encode(
            x=_time_x(bucket),
            y=alt.Y("mentions:Q", title="Mentions", stack="zero"),
            color=alt.Color("channel:N", title="Channel", scale=alt.Scale(scheme="tableau10")),
            tooltip=[
                alt.Tooltip("bucket:T", title="Day", format="%Y-%m-%d", formatType="utc"),
                alt.Tooltip("channel:N", title="Channel"),
                alt.Tooltip("mentions:Q", title="Mentions"),
                alt.Tooltip("negative:Q", title="Negative"),
            ],
        )
    )
    layers = [_alert_layer(alerts), bars] if alerts else [bars]
    return _finish(alt.layer(*layers).properties(width=WIDE, height=220))


def sentiment_by_channel(trend: list[dict[str, Any]], alerts: list[dict[str, Any]], bucket: str) -> Spec:
    """Net sentiment (-1 … 1) per channel over time, alert episodes shaded."""
    lines = (
        alt.Chart(_data(trend, "bucket", "channel", "mentions", "negative_share", "net_sentiment"))
        .mark_line(point=True, strokeWidth=2)
        .encode(
            x=_time_x(bucket),
            y=alt.Y("net_sentiment:Q", title="Net sentiment (−1 … 1)", scale=alt.Scale(domain=[-1, 1])),
            color=alt.Color("channel:N", title="Channel", scale=alt.Scale(scheme="tableau10")),
            tooltip=[
                alt.Tooltip("bucket:T", title="Day", format="%Y-%m-%d", formatType="utc"),
                alt.Tooltip("channel:N", title="Channel"),
                alt.Tooltip("mentions:Q", title="Mentions"),
                alt.Tooltip("negative_share:Q", title="Negative share", format=".0%"),
                alt.Tooltip("net_sentiment:Q", title="Net sentiment", format="+.2f"),
            ],
        )
    )
    zero = alt.Chart(alt.Data(values=[{"y": 0}])).mark_rule(color="#888", strokeDash=[4, 4]).encode(y="y:Q")
    layers = [_alert_layer(alerts), zero, lines] if alerts else [zero, lines]
    return _finish(alt.layer(*layers).properties(width=WIDE, height=260))


def share_over_time(rows: list[dict[str, Any]], bucket: str) -> Spec:
    """Each brand's share of the named brands' mentions, day by day (stacked to 100 %)."""
    chart = (
        alt.Chart(_data(rows, "bucket", "brand", "mentions", "share"))
        .mark_area()
        .encode(
            x=_time_x(bucket),
            y=alt.Y("mentions:Q", stack="normalize", title="Share of voice", axis=alt.Axis(format="%")),
            color=alt.Color("brand:N", title="Brand", scale=alt.Scale(scheme="set2")),
            tooltip=[
                alt.Tooltip("bucket:T", title="Day", format="%Y-%m-%d", formatType="utc"),
                alt.Tooltip("brand:N", title="Brand"),
                alt.Tooltip("mentions:Q", title="Mentions"),
                alt.Tooltip("share:Q", title="Share", format=".0%"),
            ],
        )
    )
    return _finish(chart.properties(width=WIDE, height=200))


def share_bars(rows: list[dict[str, Any]]) -> Spec:
    """Share of voice per brand in the period (bars) and in the period before (ticks)."""
    data = _data(rows, "brand", "mentions", "share", "prev_share")
    by_share = alt.EncodingSortField(field="share", order="descending")
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("brand:N", title=None, sort=by_share),
            x=alt.X("share:Q", title="Share of voice", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("brand:N", legend=None, scale=alt.Scale(scheme="set2")),
            tooltip=[
                alt.Tooltip("brand:N", title="Brand"),
                alt.Tooltip("mentions:Q", title="Mentions"),
                alt.Tooltip("share:Q", title="Share", format=".1%"),
                alt.Tooltip("prev_share:Q", title="Previous period", format=".1%"),
            ],
        )
    )
    ticks = (
        alt.Chart(data)
        .mark_tick(color="#333", thickness=2, size=22)
        .encode(y=alt.Y("brand:N", sort=by_share), x="prev_share:Q")
    )
    return _finish(alt.layer(bars, ticks).properties(width=NARROW, height=alt.Step(34)))


def net_sentiment_bars(rows: list[dict[str, Any]]) -> Spec:
    """Net sentiment per brand in the period (bars, red below zero) and in the period before (ticks)."""
    data = _data(rows, "brand", "scored", "net_sentiment", "prev_net_sentiment", "negative_share")
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("brand:N", title=None),
            x=alt.X("net_sentiment:Q", title="Net sentiment (−1 … 1)", scale=alt.Scale(domain=[-1, 1])),
            color=alt.condition(
                "datum.net_sentiment < 0", alt.value(NEGATIVE_COLOR), alt.value(POSITIVE_COLOR)
            ),
            tooltip=[
                alt.Tooltip("brand:N", title="Brand"),
                alt.Tooltip("net_sentiment:Q", title="Net sentiment", format="+.2f"),
                alt.Tooltip("prev_net_sentiment:Q", title="Previous period", format="+.2f"),
                alt.Tooltip("negative_share:Q", title="Negative share", format=".0%"),
            ],
        )
    )
    ticks = alt.Chart(data).mark_tick(color="#333", thickness=2, size=22).encode(y="brand:N", x="prev_net_sentiment:Q")
    return _finish(alt.layer(bars, ticks).properties(width=NARROW, height=alt.Step(34)))


def topics_chart(rows: list[dict[str, Any]]) -> Spec:
    """Mentions per CX topic (bars coloured by negative share), last period's volume as ticks."""
    data = _data(rows, "topic", "mentions", "prev_mentions", "negative_share", "prev_negative_share")
    by_mentions = alt.EncodingSortField(field="mentions", order="descending")
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("topic:N", title=None, sort=by_mentions),
            x=alt.X("mentions:Q", title="Mentions"),
            color=alt.Color(
                "negative_share:Q",
                title="Negative share",
                scale=alt.Scale(scheme="reds", domain=[0, 1]),
                legend=alt.Legend(format="%"),
            ),
            tooltip=[
                alt.Tooltip("topic:N", title="Topic"),
                alt.Tooltip("mentions:Q", title="Mentions"),
                alt.Tooltip("prev_mentions:Q", title="Previous period"),
                alt.Tooltip("negative_share:Q", title="Negative share", format=".0%"),
                alt.Tooltip("prev_negative_share:Q", title="Previous negative share", format=".0%"),
            ],
        )
    )
    ticks = (
        alt.Chart(data)
        .mark_tick(color="#333", thickness=2, size=20)
        .encode(y=alt.Y("topic:N", sort=by_mentions), x="prev_mentions:Q")
    )
    return _finish(alt.layer(bars, ticks).properties(width=WIDE - 160, height=alt.Step(26)))


def terms_chart(rows: list[dict[str, Any]], label: str) -> Spec:
    """Ranked bars of the terms in negative or positive mentions."""
    color = NEGATIVE_COLOR if label == "negative" else POSITIVE_COLOR
    chart = (
        alt.Chart(_data(rows, "term", "mentions"))
        .mark_bar(color=color)
        .encode(
            y=alt.Y("term:N", title=None, sort="-x", axis=alt.Axis(labelLimit=180)),
            x=alt.X("mentions:Q", title=f"{label.capitalize()} mentions using the term"),
            tooltip=[alt.Tooltip("term:N", title="Term"), alt.Tooltip("mentions:Q", title="Mentions")],
        )
    )
    return _finish(chart.properties(width=NARROW - 60, height=alt.Step(20)))


def comparable_scores(rows: list[dict[str, Any]], bucket: str) -> Spec:
    """Survey answers, review stars and social sentiment on one −1 … 1 scale, over time."""
    chart = (
        alt.Chart(_data(rows, "bucket", "source", "value", "responses"))
        .mark_line(point=True, strokeWidth=2)
        .encode(
            x=_time_x(bucket),
            y=alt.Y("value:Q", title="Score on one scale (−1 … 1)", scale=alt.Scale(domain=[-1, 1])),
            color=alt.Color("source:N", title="Source", scale=alt.Scale(scheme="dark2")),
            tooltip=[
                alt.Tooltip("bucket:T", title="From", format="%Y-%m-%d", formatType="utc"),
                alt.Tooltip("source:N", title="Source"),
                alt.Tooltip("value:Q", title="Score", format="+.2f"),
                alt.Tooltip("responses:Q", title="Answers / mentions"),
            ],
        )
    )
    zero = alt.Chart(alt.Data(values=[{"y": 0}])).mark_rule(color="#888", strokeDash=[4, 4]).encode(y="y:Q")
    return _finish(alt.layer(zero, chart).properties(width=WIDE, height=240))
