"""The report as one self-contained HTML page (Jinja2, autoescaped; charts inlined as SVG, the style inlined, no
script), and :func:`format_cell`, the one way the report and the web app show a number."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from wanamaker.cli.output import cell
from wanamaker.report.charts import to_svg
from wanamaker.report.views import View

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "CNY": "¥", "KRW": "₩"}
#: columns holding money (the workspace currency) when the row does not say its unit
_MONEY = re.compile(r"(^|_)(spend|revenue|amount|pipeline|cac|ltv|cost|costs|budget|incremental_value|"
                    r"gross_profit)(_|$)")
_NOT_MONEY = re.compile(r"(^|_)(share|rate|days|months|hours|per|count|ltv_cac)(_|$)|^ltv_cac$")
#: columns whose value is measured in the row's ``unit`` (scorecard lines, goals)
_UNIT_COLUMNS = frozenset({"value", "previous", "baseline", "target", "actual"})
_RATIO = frozenset({"ltv_cac"})
_CHANGE = re.compile(r"(^|_)(change|relative)$")

#: statuses and verdicts shown as coloured words
BADGES = frozenset({"behind", "at_risk", "not_started", "on_track", "done", "wasted", "unproven", "working"})
LABELS = {"ltv_cac": "LTV:CAC", "cac": "CAC", "ltv": "LTV", "roi": "ROI", "roi_low": "ROI low", "roi_high": "ROI high",
          "romi": "ROMI", "romi_low": "ROMI low", "romi_high": "ROMI high", "expected_progress": "pace",
          "rollup_progress": "roll-up progress", "key": "", "ci_low": "90 % low", "ci_high": "90 % high",
          "p90_days": "p90 days", "p90_hours": "p90 hours", "median_cycle_days": "median cycle days"}


def money(value: float, currency: str) -> str:
    """An amount in the workspace currency: ``$4,564,000``, ``$44.55``, ``-€1,250``, ``1,234 CHF``.

    >>> money(4564000.0, "USD"), money(44.547, "USD"), money(-1250, "EUR"), money(1234.4, "CHF"), money(0.0, "USD")
    ('$4,564,000', '$44.55', '-€1,250', '1,234 CHF', '$0')
    """
    sign = "-" if value < 0 else ""
    amount = abs(value)
    text = f"{amount:,.0f}" if amount >= 100 or amount == 0 else f"{amount:,.2f}"
    symbol = SYMBOLS.get(currency.upper())
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency}"


def percent(value: float, *, signed: bool = False) -> str:
    """A fraction as a percentage: ``26.6 %``, ``<0.1 %``, ``+211.0 %`` (``signed``).

    >>> percent(0.265625), percent(0.0004), percent(2.1098, signed=True), percent(0.0, signed=True)
    ('26.6 %', '<0.1 %', '+211.0 %', '0.0 %')
    """
    pct = value * 100
    if 0 < abs(pct) < 0.1:
        return "<0.1 %" if pct > 0 else ">-0.1 %"
    return f"{'+' if signed and pct > 0 else ''}{pct:,.1f} %"


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def format_cell(column: str, value: Any, currency: str, *, unit: str | None = None) -> str:
    """One value as the report shows it: money with the currency, fractions (``rate``, ``share``, ``progress``
    columns) as percentages, relative changes signed, other numbers as the CLI's tables show them (separators, no
    scientific notation). ``unit`` (a metric's unit: ``currency``, ``ratio``, ``count``, ``days`` ...) rules the
    columns ``value``, ``previous``, ``baseline``, ``target`` and ``actual``, whose meaning depends on the row.

    >>> format_cell("spend", 173791.53, "USD"), format_cell("win_rate", 0.265625, "USD")
    ('$173,792', '26.6 %')
    >>> format_cell("change", -0.0574, "USD"), format_cell("value", 0.2656, "USD", unit="ratio")
    ('-5.7 %', '26.6 %')
    >>> format_cell("value", 74.551, "EUR", unit="days"), format_cell("ltv_cac", 34.7586, "USD")
    ('74.55 days', '34.76×')
    >>> format_cell("entered", 7527, "USD"), format_cell("roi_low", None, "USD"), format_cell("year", 2026, "USD")
    ('7,527', '', '2026')
    """
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if not _number(value):
        return value.isoformat() if isinstance(value, date) else str(value)
    name = column.lower()
    if unit is not None and name in _UNIT_COLUMNS:
        if unit == "currency":
            return money(float(value), currency)
        if unit == "ratio":  # a rate (26.6 %), or a multiple such as ROMI 39.26
            return percent(float(value)) if abs(value) <= 1.5 else cell(float(value))
        if unit in ("days", "months", "hours"):
            return f"{cell(float(value))} {unit}"
        return cell(value, "count")
    if _CHANGE.search(name):
        return percent(float(value), signed=True)
    if name in _RATIO:
        return f"{cell(float(value))}×"
    if _MONEY.search(name) and not _NOT_MONEY.search(name):
        return money(float(value), currency)
    return cell(value, column)


def header(column: str) -> str:
    """A column's heading: ``ltv_cac`` -> ``LTV:CAC``, ``share_markov_3`` -> ``markov 3``, ``won_amount`` ->
    ``won amount``."""
    if column in LABELS:
        return LABELS[column]
    if column.startswith("share_"):
        column = column[len("share_"):]
    return column.replace("_", " ")


def rows_for(columns: tuple[str, ...], rows: tuple[Mapping[str, Any], ...],
             currency: str) -> list[list[tuple[str, str]]]:
    """Each row's cells as (text, css class): numbers right-aligned, a status as a badge."""
    out: list[list[tuple[str, str]]] = []
    lead = next((c for c in columns if c in ("id", "name")), None)  # a goal tree is indented here
    for row in rows:
        unit = row.get("unit")
        cells: list[tuple[str, str]] = []
        for c in columns:
            value = row.get(c)
            css = "num" if _number(value) else ""
            if c in ("status", "verdict") and value in BADGES:
                css = f"badge {c}-{value}"
            text = format_cell(c, value, currency, unit=unit if isinstance(unit, str) else None)
            if css.startswith("badge"):
                text = text.replace("_", " ")
            if c == lead and isinstance(row.get("depth"), int) and row["depth"]:
                text = "\u2003" * int(row["depth"]) + text
            cells.append((text, css))
        out.append(cells)
    return out


def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape  # noqa: PLC0415

    env = Environment(loader=PackageLoader("wanamaker.report", "templates"),
                      autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.globals.update(header=header, rows_for=rows_for)
    return env


def render_report(views: Mapping[str, View], *, workspace: str, currency: str, period: str, generated: date) -> str:
    """The whole report page: the scorecard first (heading "Scorecard"), then each detail section; every chart as
    inline SVG with a caption naming its source and window."""
    from markupsafe import Markup  # noqa: PLC0415 - jinja2's own dependency

    svgs = {(v.key, c.key): Markup(to_svg(c.spec, id_prefix=f"{v.key}-{c.key}-"))  # noqa: S704 - vl-convert's SVG
            for v in views.values() for c in v.charts}
    template = _environment().get_template("report.html")
    html: str = template.render(views=list(views.values()), svgs=svgs, workspace=workspace, currency=currency,
                                period=period, generated=generated.isoformat())
    return html
