"""How the report shows a number (shared with the web app), and the charts' SVG: offline, escaped, ids apart."""

from __future__ import annotations

import re

import pytest

from wanamaker.report import charts
from wanamaker.report.html import format_cell, header


@pytest.mark.parametrize(("column", "value", "currency", "unit", "shown"), [
    ("spend", 173791.53, "USD", None, "$173,792"),
    ("cac", 44.547, "EUR", None, "€44.55"),
    ("won_amount", 1234.4, "CHF", None, "1,234 CHF"),
    ("incremental_value", -2500.0, "GBP", None, "-£2,500"),
    ("ltv_cac", 34.7586, "USD", None, "34.76×"),  # a ratio, not money
    ("revenue_share", 0.9155, "USD", None, "91.5 %"),  # a share, not money
    ("win_rate", 0.265625, "USD", None, "26.6 %"),
    ("change", 2.1098, "USD", None, "+211.0 %"),
    ("change", -0.0574, "USD", None, "-5.7 %"),
    ("value", 4564000.0, "USD", "currency", "$4,564,000"),
    ("value", 0.7844, "USD", "ratio", "78.4 %"),
    ("value", 39.263, "USD", "ratio", "39.26"),  # ROMI: a multiple
    ("actual", 228.0, "USD", "count", "228"),
    ("value", 74.551, "USD", "days", "74.55 days"),
    ("entered", 7527, "USD", None, "7,527"),
    ("p_value", 5.054e-05, "USD", None, "<0.0001"),  # never scientific notation
    ("roi_low", None, "USD", None, ""),
    ("starts", "2026-04-08", "USD", None, "2026-04-08"),
])
def test_format_cell(column: str, value: object, currency: str, unit: str | None, shown: str) -> None:
    assert format_cell(column, value, currency, unit=unit) == shown


def test_headers() -> None:
    assert [header(c) for c in ("ltv_cac", "share_markov_3", "won_amount", "expected_progress")] == [
        "LTV:CAC", "markov 3", "won amount", "pace"]


def test_svg_escapes_data_and_keeps_ids_apart() -> None:
    rows = [{"key": "<script>alert(1)</script>", "n": 3.0}, {"key": "a & b", "n": 5.0}]
    spec = charts.bars(rows, category="key", value="n", title="t", value_title="n")
    assert spec["data"]["values"] == rows and "url" not in spec["data"]
    svg = charts.to_svg(spec, id_prefix="x-")
    assert svg.startswith("<svg") and "<script" not in svg and "&lt;script&gt;" in svg and "a &amp; b" in svg
    ids = re.findall(r'\bid="([^"]+)"', svg)
    assert all(i.startswith("x-") for i in ids)
    assert all(ref.startswith("x-") for ref in re.findall(r"url\(#([^)]+)\)", svg))
    assert not re.search(r"""(?:src|href)="(?!#)""", svg)
