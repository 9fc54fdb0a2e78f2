"""``wanamaker calendar`` (wanamaker.work.calendar, docs/calendar.md): known answers on a small calendar, the
.ics file read back by the independent ``icalendar`` library, the demo's planted calendar and work problems,
engine parity and the CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
import typer
from tests.demo.helpers import DemoRun
from typer.testing import CliRunner

import wanamaker
from wanamaker.cli.calendar import register
from wanamaker.errors import UsageError
from wanamaker.work.calendar import ROW_FIELDS, Campaign, calendar, gaps, longest_idle, to_ics
from wanamaker.work.findings import calendar_findings

# A calendar for Q1 2026 (fiscal year = calendar year, max_gap 45 days, conflicting: discount / premium):
#   c1 discount   smb, mid_market  01-01 .. 01-31   first touch 01-03            on time
#   c2 premium    mid_market       01-20 .. 02-28   first spend 01-28 (+8 days)  missed launch; conflicts with c1
#                                                                                on mid_market 01-20 .. 01-31
#   c3 premium    smb              02-01 .. 03-31   first touch 02-08 (+7 days)  on time; no overlap with c1
#   c4 free_trial smb              01-10 .. 01-25   nothing at all               missed launch; overlaps c1, no clash
#   c5 demo       enterprise       01-01 .. 01-15   first touch 01-01
#   c6 demo       enterprise       03-02 .. 03-31   first spend 03-02
# Gaps: enterprise idle 01-16 .. 03-01 = 16 + 28 + 1 = 45 days = max_gap: a gap; mid_market idle 03-01 .. 03-31
# = 31 days: none; smb always covered. Unlinked work: w3 (nothing) and w4 (empty strings).
CAMPAIGNS = """campaign_id,name,channel,starts,ends,segments,offer
c1,Winter discount,email,2026-01-01,2026-01-31,"smb,mid_market",discount
c2,Premium launch,paid_social,2026-01-20,2026-02-28,mid_market,premium
c3,Premium SMB,email,2026-02-01,2026-03-31,smb,premium
c4,Trial push,display,2026-01-10,2026-01-25,smb,free_trial
c5,Enterprise demo,event,2026-01-01,2026-01-15,enterprise,demo
c6,Enterprise demo 2,event,2026-03-02,2026-03-31,enterprise,demo
"""
TOUCHES = """touch_id,person_id,ts,channel,campaign_id
t1,p1,2026-01-03T12:00:00,email,c1
t2,p1,2026-02-08T09:00:00,email,c3
t3,p2,2026-01-01T08:00:00,event,c5
t4,p2,2026-03-31T18:00:00,email,c3
t5,p2,2026-01-02T10:00:00,paid_search,
"""
SPEND = """date,channel,campaign_id,amount
2026-01-28,paid_social,c2,100
2026-03-02,event,c6,500
2026-01-05,paid_search,(none),50
"""
WORK = """work_id,title,hours,campaign_id,goal_id
w1,Email copy,4,c1,
w2,Pipeline review,2,,g-pipeline
w3,Ad-hoc deck,6,,
w4,Logo refresh,3,"",""
"""
EXPECTED = [
    ("conflicting_offers", "error", "c1,c2"),
    ("promotion_gap", "error", "enterprise FY2026-Q1"),
    ("missed_launch", "warning", "c4"),
    ("missed_launch", "warning", "c2"),
    ("unlinked_work", "error", "w3"),
    ("unlinked_work", "error", "w4"),
]


def load_calendar(ws: wanamaker.Workspace, folder: Path) -> None:
    for table, text in (("campaigns", CAMPAIGNS), ("touchpoints", TOUCHES), ("spend", SPEND), ("work_items", WORK)):
        path = folder / f"{table}.csv"
        path.write_text(text)
        result = ws.load([path], table=table)
        assert result.tables[0].files[0].quarantined == 0, table


@pytest.fixture
def cal_ws(workspace: wanamaker.Workspace, tmp_path: Path) -> wanamaker.Workspace:
    load_calendar(workspace, tmp_path)
    return workspace


def test_known_answers(cal_ws: wanamaker.Workspace) -> None:
    result = calendar(cal_ws)
    assert [(c.subject, c.offers, c.segments, c.overlap_from, c.overlap_to) for c in result.conflicts] == [
        ("c1,c2", ("discount", "premium"), ("mid_market",), date(2026, 1, 20), date(2026, 1, 31))]
    assert [(g.subject, g.gap_from, g.gap_to, g.days) for g in result.gaps] == [
        ("enterprise FY2026-Q1", date(2026, 1, 16), date(2026, 3, 1), 45)]
    assert [(m.campaign_id, m.first_activity) for m in result.missed_launches] == [
        ("c4", None), ("c2", date(2026, 1, 28))]
    found = calendar_findings(cal_ws)
    assert [(f.code, f.severity, f.subject) for f in found] == EXPECTED
    assert all(f.file is None and f.line is None for f in found)
    assert "2026-01-20 to 2026-01-31" in found[0].message and "mid_market" in found[0].message
    # the timeline: one row per campaign x segment (c1 twice), by segment then start
    assert len(result.rows) == 7
    assert [(r.segment, r.campaign_id) for r in result.rows[:3]] == [("enterprise", "c5"), ("enterprise", "c6"),
                                                                     ("mid_market", "c1")]


def test_window_segment_and_as_of(cal_ws: wanamaker.Workspace) -> None:
    # February only: c2 and c3 are active; no conflict (c1 ended in January); enterprise is idle all of
    # February (28 days < 45): no gap
    result = calendar(cal_ws, date_from="2026-02-01", date_to="2026-02-28")
    assert sorted(c.campaign_id for c in result.campaigns) == ["c2", "c3"]
    assert result.conflicts == [] and result.gaps == []
    # one segment: smb has c1, c3, c4 and no conflict (c3's premium starts after c1's discount ends)
    smb = calendar(cal_ws, segment="smb")
    assert {r.campaign_id for r in smb.rows} == {"c1", "c3", "c4"} and smb.conflicts == [] and smb.gaps == []
    # as of 2026-01-10: c2 has not started, c4 starts that day: nothing is late yet
    from datetime import datetime

    early = calendar(cal_ws, as_of=datetime(2026, 1, 11))
    assert early.missed_launches == []
    with pytest.raises(UsageError, match="not a segment"):
        calendar(cal_ws, segment="nobody")


def test_gap_boundary_and_non_conflicting_offers() -> None:
    a = Campaign("a", None, None, "demo", date(2026, 1, 1), date(2026, 1, 15), ("s",))
    b = Campaign("b", None, None, "demo", date(2026, 3, 2), date(2026, 3, 31), ("s",))
    quarter = [("FY2026-Q1", date(2026, 1, 1), date(2026, 3, 31))]
    assert [g.days for g in gaps([a, b], timedelta(days=45), quarter, ["s"])] == [45]  # exactly max_gap: a gap
    assert gaps([a, b], timedelta(days=46), quarter, ["s"]) == []  # one day short of max_gap
    assert longest_idle([], date(2026, 1, 1), date(2026, 1, 3)) == (date(2026, 1, 1), date(2026, 1, 3))
    from wanamaker.work.calendar import conflicts

    d = Campaign("d", None, None, "discount", date(2026, 1, 1), date(2026, 1, 31), ("s",))
    t = Campaign("t", None, None, "free_trial", date(2026, 1, 1), date(2026, 1, 31), ("s",))
    p = Campaign("p", None, None, "premium", date(2026, 1, 31), date(2026, 2, 5), ("s",))
    assert conflicts([d, t], [("discount", "premium")]) == []
    assert [c.subject for c in conflicts([p, d, t], [("premium", "discount")])] == ["d,p"]  # either order; one day


def test_ics_parses_with_icalendar(cal_ws: wanamaker.Workspace) -> None:
    icalendar = pytest.importorskip("icalendar")
    result = calendar(cal_ws)
    long = Campaign("long", "Überlange Kampagne für den Mittelstand, mit Rabatt; und Premium-Angebot " * 2,
                    "email", "discount", date(2026, 4, 1), date(2026, 4, 1), ("smb",))
    text = to_ics([*result.campaigns, long])
    raw = text.encode("utf-8")
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 75
    cal = icalendar.Calendar.from_ical(raw)
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    assert len(events) == 7
    c2 = events["c2@wanamaker"]
    assert c2.decoded("DTSTART") == date(2026, 1, 20) and c2.decoded("DTEND") == date(2026, 3, 1)
    assert str(c2["SUMMARY"]) == "Premium launch"
    assert "Offer: premium" in str(c2["DESCRIPTION"]) and "Segments: mid_market" in str(c2["DESCRIPTION"])
    assert str(events["c1@wanamaker"]["DESCRIPTION"]).endswith("Segments: smb, mid_market")
    one_day = events["long@wanamaker"]
    assert str(one_day["SUMMARY"]) == long.name
    assert (one_day.decoded("DTSTART"), one_day.decoded("DTEND")) == (date(2026, 4, 1), date(2026, 4, 2))


def test_demo_findings_are_the_planted_ones(small_demo: DemoRun) -> None:
    assert small_demo.exit_code == 0, small_demo.output
    codes = ("conflicting_offers", "promotion_gap", "unlinked_work")
    with wanamaker.open(small_demo.root, read_only=True) as ws:
        planted = ws.table("demo_planted").to_pyarrow().to_pylist()
        found = calendar_findings(ws)
    expected = sorted((r["code"], r["subject"]) for r in planted if r["code"] in codes)
    assert sorted((f.code, f.subject) for f in found if f.code in codes) == expected
    assert {c for c, _ in expected} == set(codes)


@pytest.mark.engines
def test_engine_parity(make_workspace: Callable[[], wanamaker.Workspace], tmp_path: Path) -> None:
    ws = make_workspace()
    load_calendar(ws, tmp_path)
    found = calendar_findings(ws)
    assert [(f.code, f.severity, f.subject) for f in found] == EXPECTED
    reference = [  # the DuckDB messages (dates and hours formatted the same everywhere)
        "c1 (discount) and c2 (premium) both reach mid_market from 2026-01-20 to 2026-01-31.",
        "No campaign targets enterprise for 45 days, 2026-01-16 to 2026-03-01 (calendar.max_gap: 45 days).",
    ]
    assert [f.message for f in found[:2]] == reference
    assert "2026-01-28, 8 days after" in found[3].message and "(6 hours)" in found[4].message


def cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """A group, as in `wanamaker`: the command is named on the command line."""

    register(app)
    return app


def test_cli(cal_ws: wanamaker.Workspace, tmp_path: Path) -> None:
    root = str(cal_ws.root)
    cal_ws.close()
    runner = CliRunner()
    out = runner.invoke(cli(), ["calendar", "--format", "json", "-w", root])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout)
    assert len(rows) == 7 and all(list(r) == list(ROW_FIELDS) for r in rows)
    assert rows[0] == {"segment": "enterprise", "campaign_id": "c5", "name": "Enterprise demo", "channel": "event",
                       "offer": "demo", "starts": "2026-01-01", "ends": "2026-01-15"}
    assert "conflicting_offers: c1,c2" in out.stderr and "promotion_gap: enterprise FY2026-Q1" in out.stderr
    ics = tmp_path / "out" / "calendar.ics"
    ics.parent.mkdir()
    out = runner.invoke(cli(), ["calendar", "--segment", "smb", "--ics", str(ics), "--format", "csv", "-w", root])
    assert out.exit_code == 0, out.output
    assert out.stdout.splitlines()[0] == ",".join(ROW_FIELDS)
    assert ics.read_bytes().count(b"BEGIN:VEVENT") == 3
    out = runner.invoke(cli(), ["calendar", "--from", "2026-03-01", "--to", "2026-02-01", "-w", root])
    assert isinstance(out.exception, UsageError) and "window is empty" in str(out.exception)
