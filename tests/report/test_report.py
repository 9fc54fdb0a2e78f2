"""`wanamaker report`: one self-contained HTML file, the scorecard first, every chart with its source and window,
the scorecard's numbers the analyses' own, a failing section shown not raised, and the PDF through Chromium."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from tests.demo.helpers import DemoRun
from tests.report.conftest import ReportRun
from tests.report.dom import Node, parse, table_rows

import wanamaker
from wanamaker.cli import app as cli_app
from wanamaker.errors import UsageError
from wanamaker.report import VIEW_KEYS, build_view, write_report
from wanamaker.report.html import format_cell


@pytest.fixture(scope="module")
def page(demo_report: ReportRun) -> Node:
    assert demo_report.exit_code == 0, demo_report.stderr
    return parse(demo_report.html)


def _section(page: Node, key: str) -> Node:
    return page.find("section", id=key)


def _table(section: Node, key: str) -> list[dict[str, str]]:
    return table_rows(section.find("table", **{"data-table": key}))


# ------------------------------------------------------------------------------------ the file and the CLI
def test_cli_writes_the_report_in_reports_and_prints_its_path(demo_report: ReportRun) -> None:
    assert demo_report.exit_code == 0, demo_report.stderr
    html = demo_report.paths[0]
    # the demo ends on 2026-06-30, so the scorecard's period is the last complete fiscal quarter
    assert html == (demo_report.root / "reports" / "wanamaker-report-FY2026-Q2.html").resolve()
    assert html.is_file() and html.stat().st_size > 10_000
    for step in ("Computing scorecard…", "Computing funnel…", "Computing attribution…", "Computing calendar…"):
        assert step in demo_report.stderr
    if demo_report.pdf_asked:
        assert demo_report.paths[1] == html.with_suffix(".pdf")


def test_the_page_is_self_contained(demo_report: ReportRun, page: Node) -> None:
    html = demo_report.html
    assert not page.find_all("script") and "<script" not in html.lower()
    assert not page.find_all("link") and not page.find_all("img") and not page.find_all("iframe")
    references = [(n.tag, k, v) for n in page.iter() for k, v in n.attrs.items()
                  if k in ("src", "href", "xlink:href", "srcset", "data", "action", "poster")]
    assert all(v.startswith("#") for _, _, v in references), references
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html, re.I)
    assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", html, re.I)
    assert not re.search(r"@import", html, re.I)
    style = page.find("style").text()
    assert "@page" in style and "A4" in style and "break-after: page" in style


def test_the_first_section_is_the_scorecard(page: Node) -> None:
    sections = page.find("main").find_all("section")
    assert [s.attrs["id"] for s in sections] == list(VIEW_KEYS)
    first = sections[0]
    assert first.find("h2").text().strip() == "Scorecard"
    assert "scorecard" in first.attrs["class"].split()
    tables = [t.attrs["data-table"] for t in first.find_all("table")]
    assert tables == ["goals", "effectiveness", "efficiency", "sourced_revenue", "unit_economics", "waste"]
    for section in sections:
        assert not section.find_all("div", **{"class": "error"}), section.text()[:500]


def test_every_chart_has_a_caption_with_its_source_and_window(page: Node, small_demo: DemoRun) -> None:
    figures = page.find_all("figure")
    assert len(figures) >= 8
    for fig in figures:
        assert fig.find_all("svg"), fig.attrs
        caption = " ".join(fig.find("figcaption").text().split())
        source = re.search(r"Source: (.+?)\. Window: (.+)\.$", caption)
        assert source and source.group(1).strip() and source.group(2).strip(), caption
    with wanamaker.open(small_demo.root, read_only=True) as ws:
        funnel = build_view(ws, "funnel")
    (chart,) = funnel.charts
    caption = " ".join(page.find("figure", id="chart-funnel-stages").find("figcaption").text().split())
    assert f"Source: {chart.source}." in caption and f"Window: {chart.window}." in caption
    assert chart.window == "all data: 2024-07-01 – 2026-06-30"


def test_scorecard_numbers_are_the_analyses_numbers(page: Node, small_demo: DemoRun) -> None:
    card = _section(page, "scorecard")
    with wanamaker.open(small_demo.root, read_only=True) as ws:
        currency = ws.config.currency
        score = ws.scorecard()
        goals = ws.goals()
        waste = ws.waste()
        economics = ws.economics()
    assert score.period == "FY2026-Q2"
    assert "FY2026-Q2 (2026-04-01 – 2026-06-30)" in card.find("p").text()
    shown = {row["name"]: row for column in ("effectiveness", "efficiency") for row in _table(card, column)}
    assert len(shown) == len(score.lines)
    for line in score.lines:
        row = shown[line.name]
        assert row["value"] == format_cell("value", line.value, currency, unit=line.unit), line.metric
        assert row["previous"] == format_cell("previous", line.previous, currency, unit=line.unit), line.metric
        assert row["change"] == format_cell("change", line.change, currency)
    revenue = next(ln for ln in score.lines if ln.metric == "revenue")
    assert revenue.value and shown[revenue.name]["value"].startswith("$") and "," in shown[revenue.name]["value"]
    goal_rows = _table(card, "goals")
    assert [r["name"] for r in goal_rows] == [g.name for g in goals.rows]
    for g, row in zip(goals.rows, goal_rows, strict=True):
        unit = goals.units.get(g.metric)
        assert row["target"] == format_cell("target", g.target, currency, unit=unit)
        assert row["actual"] == format_cell("actual", g.actual, currency, unit=unit)
        assert row["progress"] == format_cell("progress", g.progress, currency)
        assert row["expected_progress"] == format_cell("expected_progress", g.expected_progress, currency)
        assert row["status"] == g.status.replace("_", " ")
    wasted = {r["verdict"]: r for r in _table(card, "waste")}
    assert set(wasted) == set(waste.totals)
    for verdict, amount in waste.totals.items():
        assert wasted[verdict]["spend"] == format_cell("spend", amount, currency)
    (unit_row,) = _table(card, "unit_economics")
    overall = economics.rows[0]
    assert overall.key == "all"
    assert unit_row["cac"] == format_cell("cac", overall.cac, currency)
    assert unit_row["ltv_cac"] == format_cell("ltv_cac", overall.ltv_cac, currency)
    assert unit_row["payback_months"] == format_cell("payback_months", overall.payback_months, currency)


def test_pdf_is_printed_by_chromium(demo_report: ReportRun) -> None:
    if not demo_report.pdf_asked:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is missing on CI: apt-get install chromium")
        pytest.skip("Chromium is not installed (apt-get install chromium, or set WANAMAKER_CHROMIUM)")
    pdf = demo_report.paths[1]
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    pages = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))
    assert pages > 1  # the scorecard alone on the first page, the sections after


# ------------------------------------------------------------------------------------ errors a user can hit
def test_a_failing_section_shows_its_error(workspace: wanamaker.Workspace, tmp_path: Path) -> None:
    """An empty workspace: the analyses that need stage events raise DataError; the report still gets written,
    each such section saying why, the others saying they have no rows."""
    files = write_report(workspace, tmp_path / "out" / "empty.html")
    assert files.html == (tmp_path / "out" / "empty.html").resolve() and files.pdf is None
    page = parse(files.html.read_text(encoding="utf-8"))
    for key in ("scorecard", "funnel", "attribution"):
        error = _section(page, key).find("div", **{"class": "error"})
        assert "could not be computed" in error.text() and "Fix:" in error.text(), key
    assert "no stage events" in _section(page, "funnel").find("div", **{"class": "error"}).text()
    calendar = _section(page, "calendar")
    assert not calendar.find_all("div", **{"class": "error"})
    assert "No rows" in calendar.text() and "load the `campaigns` table" in calendar.text()
    view = build_view(workspace, "funnel")
    assert view.error and "no stage events" in view.error and not view.tables and not view.charts
    json.dumps(view.as_json())


def test_views_are_json_ready_with_inlined_data(small_demo: DemoRun) -> None:
    with wanamaker.open(small_demo.root, read_only=True) as ws:
        work = build_view(ws, "work", in_label="FY2026-Q1")
    assert work.window == "FY2026-Q1 (2026-01-01 – 2026-03-31)"
    payload = json.loads(json.dumps(work.as_json()))
    assert set(payload) == {"key", "title", "source", "window", "tables", "charts", "notes", "error"}
    assert payload["tables"][0]["columns"][0] == "key" and payload["tables"][0]["rows"][0]["key"] == "all"
    (chart,) = payload["charts"]
    assert chart["spec"]["data"]["values"] and '"url"' not in json.dumps(chart["spec"])
    assert chart["source"] and chart["window"] == work.window


def test_unknown_view_and_bad_period_are_usage_errors(workspace: wanamaker.Workspace) -> None:
    with pytest.raises(UsageError, match="scorecard, goals, waste"):
        build_view(workspace, "nope")
    with pytest.raises(UsageError, match="--in"):
        build_view(workspace, "work", in_label="Q1")


@pytest.fixture
def empty_root(tmp_path: Path) -> Path:
    """A new, empty workspace folder, closed (the CLI opens it itself)."""
    return wanamaker.init(tmp_path / "empty")


def _main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_:
        cli_app.main(args)
    code = exit_.value.code
    return int(code) if isinstance(code, int) else 1, capsys.readouterr().err


def test_unwritable_out_is_one_clear_error(empty_root: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code, err = _main(["report", "--out", str(blocker / "report.html"), "--workspace", str(empty_root)], capsys)
    assert code == 1
    assert f"cannot write the report to {blocker / 'report.html'}" in err and "fix:" in err
    assert "Traceback" not in err and "Computing" not in err  # refused before any work


def test_missing_browser_and_bad_period_exit_2(empty_root: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("WANAMAKER_CHROMIUM", "/nonexistent/chromium")
    code, err = _main(["report", "--pdf", "--workspace", str(empty_root)], capsys)
    assert code == 2 and "WANAMAKER_CHROMIUM" in err and "Computing" not in err
    monkeypatch.delenv("WANAMAKER_CHROMIUM")
    code, err = _main(["report", "--in", "Q1", "--workspace", str(empty_root)], capsys)
    assert code == 2 and "--in" in err
