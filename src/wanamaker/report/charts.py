"""The views' charts as Vega-Lite specs (altair, data inlined as values: no URL), and :func:`to_svg`, which renders
one offline through vl-convert for the self-contained report."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

WIDTH = 560
FONT = "Helvetica, Arial, sans-serif"


def _alt() -> Any:
    import altair as alt  # noqa: PLC0415 - loaded when a chart is made, not when the CLI starts

    return alt


def _finish(chart: Any, title: str) -> dict[str, Any]:
    spec: dict[str, Any] = chart.properties(title=title).configure(font=FONT).configure_view(
        stroke=None).configure_axis(labelFontSize=10, titleFontSize=10).configure_title(
        fontSize=12, anchor="start").to_dict()
    return spec


def _data(rows: Sequence[dict[str, Any]]) -> Any:
    return _alt().Data(values=[dict(r) for r in rows])


def bars(rows: Sequence[dict[str, Any]], *, category: str, value: str, title: str, value_title: str,
         category_title: str | None = None, color: str | None = None, percent: bool = False,
         sort: Sequence[str] | None = None) -> dict[str, Any]:
    """Horizontal bars of ``value`` per ``category`` (optionally coloured by ``color``, stacked)."""
    alt = _alt()
    fmt = ".0%" if percent else ",.0f"
    encoding: dict[str, Any] = {
        "y": alt.Y(f"{category}:N", title=category_title or "", sort=list(sort) if sort is not None else "-x"),
        "x": alt.X(f"{value}:Q", title=value_title, axis=alt.Axis(format=fmt)),
        "tooltip": [alt.Tooltip(f"{category}:N"), alt.Tooltip(f"{value}:Q", format=fmt)],
    }
    if color is not None:
        encoding["color"] = alt.Color(f"{color}:N", title=color.replace("_", " "))
    chart = alt.Chart(_data(rows)).mark_bar().encode(**encoding).properties(width=WIDTH, height=alt.Step(16))
    return _finish(chart, title)


def grouped_bars(rows: Sequence[dict[str, Any]], *, category: str, group: str, value: str, title: str,
                 value_title: str, percent: bool = False) -> dict[str, Any]:
    """Bars of ``value`` per ``category``, one bar per ``group`` side by side (``yOffset``)."""
    alt = _alt()
    fmt = ".0%" if percent else ",.0f"
    chart = alt.Chart(_data(rows)).mark_bar().encode(
        y=alt.Y(f"{category}:N", title=""),
        yOffset=alt.YOffset(f"{group}:N"),
        x=alt.X(f"{value}:Q", title=value_title, axis=alt.Axis(format=fmt)),
        color=alt.Color(f"{group}:N", title=group.replace("_", " ")),
        tooltip=[alt.Tooltip(f"{category}:N"), alt.Tooltip(f"{group}:N"), alt.Tooltip(f"{value}:Q", format=fmt)],
    ).properties(width=WIDTH - 120, height=alt.Step(5, **{"for": "offset"}))
    return _finish(chart, title)


def intervals(rows: Sequence[dict[str, Any]], *, category: str, value: str, low: str, high: str, title: str,
              value_title: str, rule: float | None = None, rule_label: str = "",
              color: str | None = None) -> dict[str, Any]:
    """A point per ``category`` with its interval ``low``–``high``, and an optional vertical ``rule``."""
    alt = _alt()
    base = alt.Chart(_data(rows))
    y = alt.Y(f"{category}:N", title="")
    span = base.mark_rule(strokeWidth=2, opacity=0.6).encode(y=y, x=alt.X(f"{low}:Q", title=value_title),
                                                            x2=f"{high}:Q")
    point_enc: dict[str, Any] = {"y": y, "x": alt.X(f"{value}:Q"),
                                 "tooltip": [alt.Tooltip(f"{category}:N"), alt.Tooltip(f"{value}:Q", format=",.2f"),
                                             alt.Tooltip(f"{low}:Q", format=",.2f"),
                                             alt.Tooltip(f"{high}:Q", format=",.2f")]}
    if color is not None:
        point_enc["color"] = alt.Color(f"{color}:N", title=color.replace("_", " "))
    layers = [span, base.mark_point(filled=True, size=60).encode(**point_enc)]
    if rule is not None:
        ref = alt.Chart(alt.Data(values=[{"x": rule, "label": rule_label}]))
        layers.append(ref.mark_rule(strokeDash=[4, 3], color="#b00").encode(x="x:Q"))
        layers.append(ref.mark_text(align="left", dx=4, dy=-4, color="#b00", fontSize=10).encode(
            x="x:Q", y=alt.value(0), text="label:N"))
    chart = alt.layer(*layers).properties(width=WIDTH, height=alt.Step(18))
    return _finish(chart, title)


def pace(rows: Sequence[dict[str, Any]], *, title: str) -> dict[str, Any]:
    """Each goal's progress (bar, coloured by status) against the pace it should be at (black tick)."""
    alt = _alt()
    base = alt.Chart(_data(rows))
    y = alt.Y("goal:N", title="", sort=None)
    progress = base.mark_bar().encode(
        y=y, x=alt.X("progress:Q", title="progress toward target", axis=alt.Axis(format=".0%")),
        color=alt.Color("status:N", title="status", scale=alt.Scale(
            domain=["behind", "at_risk", "not_started", "on_track", "done"],
            range=["#c0392b", "#e67e22", "#95a5a6", "#27ae60", "#2c7fb8"])),
        tooltip=[alt.Tooltip("goal:N"), alt.Tooltip("progress:Q", format=".0%"),
                 alt.Tooltip("expected_progress:Q", format=".0%"), alt.Tooltip("status:N")])
    tick = base.mark_tick(color="black", thickness=2, size=14).encode(y=y, x="expected_progress:Q")
    return _finish(alt.layer(progress, tick).properties(width=WIDTH, height=alt.Step(18)), title)


def lines(rows: Sequence[dict[str, Any]], *, x: str, value: str, title: str, value_title: str,
          color: str | None = None, percent: bool = False) -> dict[str, Any]:
    """A line per ``color`` (or one line) of ``value`` over the ordered periods ``x``."""
    alt = _alt()
    fmt = ".0%" if percent else ",.2f"
    enc: dict[str, Any] = {"x": alt.X(f"{x}:O", title=""),
                           "y": alt.Y(f"{value}:Q", title=value_title, axis=alt.Axis(format=fmt)),
                           "tooltip": [alt.Tooltip(f"{x}:O"), alt.Tooltip(f"{value}:Q", format=fmt)]}
    if color is not None:
        enc["color"] = alt.Color(f"{color}:N", title=color.replace("_", " "))
    chart = alt.Chart(_data(rows)).mark_line(point=True).encode(**enc).properties(width=WIDTH, height=180)
    return _finish(chart, title)


def columns(rows: Sequence[dict[str, Any]], *, x: str, group: str, value: str, title: str,
            value_title: str) -> dict[str, Any]:
    """Vertical bars of ``value`` per ordered period ``x``, one per ``group`` side by side."""
    alt = _alt()
    chart = alt.Chart(_data(rows)).mark_bar().encode(
        x=alt.X(f"{x}:O", title=""), xOffset=alt.XOffset(f"{group}:N"),
        y=alt.Y(f"{value}:Q", title=value_title, axis=alt.Axis(format="~s")),
        color=alt.Color(f"{group}:N", title=group.replace("_", " ")),
        tooltip=[alt.Tooltip(f"{x}:O"), alt.Tooltip(f"{group}:N"), alt.Tooltip(f"{value}:Q", format=",.0f")],
    ).properties(width=WIDTH, height=200)
    return _finish(chart, title)


def timeline(rows: Sequence[dict[str, Any]], *, title: str) -> dict[str, Any]:
    """Campaigns as bars from ``starts`` to ``ends``, one line each, coloured by segment."""
    alt = _alt()
    chart = alt.Chart(_data(rows)).mark_bar(height=6).encode(
        y=alt.Y("campaign_id:N", title="", sort=alt.EncodingSortField("starts", order="ascending"),
                axis=alt.Axis(labelFontSize=7)),
        x=alt.X("starts:T", title=""), x2="ends:T",
        color=alt.Color("segment:N", title="segment"),
        tooltip=[alt.Tooltip("campaign_id:N"), alt.Tooltip("segment:N"), alt.Tooltip("channel:N"),
                 alt.Tooltip("offer:N"), alt.Tooltip("starts:T"), alt.Tooltip("ends:T")],
    ).properties(width=WIDTH - 60, height=alt.Step(8))
    return _finish(chart, title)


_ID = re.compile(r'\bid="([^"]+)"')
_REF = re.compile(r'(\bid="|url\(#|href="#)([^")]+)')


def to_svg(spec: dict[str, Any], *, id_prefix: str = "") -> str:
    """The chart as standalone SVG (rendered offline by vl-convert). ``id_prefix`` is put before every id the SVG
    defines and refers to, so several charts inlined in one page never share a clip path."""
    import vl_convert  # noqa: PLC0415

    svg: str = vl_convert.vegalite_to_svg(spec)
    if id_prefix:
        ids = set(_ID.findall(svg))
        svg = _REF.sub(lambda m: m.group(1) + (id_prefix if m.group(2) in ids else "") + m.group(2), svg)
    return svg
