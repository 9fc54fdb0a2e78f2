"""A small work timeline with known answers for ``wanamaker work``, ``--approvals``, ``--audit`` and ``queue``
(shared by the DuckDB tests and the engine-parity tests). Workspace time zone UTC, fiscal year = calendar year.

Team: M1 Ann Lee (ann@x.com, marketing), M2 Bob Ray (bob@x.com, marketing), M3 Cat Ng (cat@x.com, sales),
M5 and M6 both "Dan Wu" (a name that names two people stays unresolved). Owners are written as the tools export
them (an e-mail, a name, an id, in any case).

January 2026 (``--in 2026-01``, as of the end of 2026-01-12):

    W1 ann@x.com  blog     req 01-01 start 01-02 due 01-10 done 01-05  10 h  repeatable  C1         ev 1000
    W2 Ann Lee    webinar  req 01-01 start 01-03 due 01-06 done 01-11  20 h  ad hoc      G1         ev 3000
    W3 m2         blog     req 01-04 start 01-04 due 01-20 done 01-08   5 h  repeatable  (unlinked) ev  500
    W4 BOB@X.COM  deck     req 01-05 start 01-06 due 01-09 open         4 h  unknown     (unlinked) ev  120
    W5 M2         blog     req 01-02 never started, cancelled           1 h  unknown     C1

    items 5, hours 40; cycle days of the delivered: W1 4, W2 10, W3 4 -> median 4, p90 4 + 0.8 x 6 = 8.8;
    on time: W1 yes, W2 no (01-11 > 01-06), W3 yes -> 2/3; overdue: W4 (due 01-09, open at 01-12) -> 1;
    repeatable share 2/3 of items (known for W1-W3), hours share 15/35; unlinked hours W3 + W4 = 9.
    WIP. Ann: W1 01-02..01-05, W2 01-03..01-11 -> 1,2,2,2 then 1 x 6 days: 13 item-days over 10 busy days
    (avg 1.3, peak 2). Bob: W3 01-04..01-08, W4 01-06..01-12 (open: to the as-of day) -> 1,1,2,2,2 then 1 x 4:
    12 over 9 (avg 4/3, peak 2); W5 never started. Together 25 / 19, peak 2.
    Campaign C1 starts 2026-01-10; its first item (W1) was requested 01-01 -> development 9 days.

Approvals (reviewers by e-mail, name or id):

    W1 r1 cat@x.com 01-04 00:00 -> 01-04 12:00 approved          (0.5 days)
    W2 r1 M3        01-08 00:00 -> 01-09 00:00 changes_requested (1 day)
    W2 r2 Ann Lee   01-09 12:00 -> 01-10 00:00 changes_requested (0.5)
    W2 r3 m3        01-10 06:00 -> 01-10 18:00 approved          (0.5)
    W3 r1 cat@x.com 01-07 00:00 -> 01-07 06:00 approved          (0.25)

    all: 3 items, 5 rounds, avg rounds 5/3; review days 0.25, 0.5, 0.5, 0.5, 1 -> median 0.5, p90 0.5 + 0.6 x 0.5
    = 0.8; first pass: W1 yes, W2 no, W3 yes -> 2/3; 2 changes requested. By reviewer: M3 decided 4 rounds of
    W1, W2, W3 (avg rounds of those items 5/3, first pass 2/3); M1 decided 1 round of W2 (avg rounds 3, first
    pass none: it made no round-1 decision). By kind: webinar 1 item, 3 rounds, first pass 0; blog 2 items, 1 each,
    first pass 1.

The queue and the audit: see QUEUE and AUDIT below.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import wanamaker
from support.data import write_csv


def _item(wid: str, owner: str, kind: str, req: str, start: str | None, due: str | None, done: str | None,
          hours: float, rep: bool | None, campaign: str | None, goal: str | None, ev: float | None,
          status: str, est: float | None = None) -> dict[str, Any]:
    def ts(d: str | None) -> str | None:
        return None if d is None else (d if " " in d else f"{d} 00:00:00")

    return {"work_id": wid, "title": f"{kind} {wid}", "kind": kind, "requested_at": ts(req), "requested_by": "M3",
            "started_at": ts(start), "due_at": ts(due), "delivered_at": ts(done), "owner_id": owner,
            "hours": hours, "estimated_hours": est, "repeatable": None if rep is None else str(rep).lower(),
            "campaign_id": campaign, "goal_id": goal, "expected_value": ev, "status": status}


JAN = [
    _item("W1", "ann@x.com", "blog", "2026-01-01", "2026-01-02", "2026-01-10", "2026-01-05", 10, True, "C1", None,
          1000, "delivered"),
    _item("W2", "Ann Lee", "webinar", "2026-01-01", "2026-01-03", "2026-01-06", "2026-01-11", 20, False, None, "G1",
          3000, "delivered"),
    _item("W3", "m2", "blog", "2026-01-04", "2026-01-04", "2026-01-20", "2026-01-08", 5, True, None, None, 500,
          "delivered"),
    _item("W4", "BOB@X.COM", "deck", "2026-01-05", "2026-01-06", "2026-01-09", None, 4, None, "", "", 120,
          "in_progress"),
    _item("W5", "M2", "blog", "2026-01-02", None, None, None, 1, None, "C1", None, None, "cancelled"),
]

# The queue. History (delivered in July 2025, no due date): H1 video for goal G9 ev 1000 10 h; H2 video G9 ev 3000
# 30 h; H3 report ev 500 5 h. So G9's median value is 2000, video's median hours 20, report's median value 500.
#
#   Q1 ev 1000, estimate 10 h                -> 100 an hour, due 02-10
#   Q2 ev 2000, estimate 20 h                -> 100 an hour, due 02-05 (tied with Q1: same rank, earlier due first)
#   Q3 no ev, campaign C9 (goal G9), video, estimate 4 h -> 2000 (goal history) / 4 = 500
#   Q4 no ev, report, 2.5 h logged, no estimate         -> 500 (kind history) / 2.5 = 200
#   Q5 no ev, kind survey (no history), owner "Dan Wu"  -> no value: unranked, last
#   W4 (January) ev 120, 4 h logged                     -> 30
#
#   ranks: Q3 1, Q4 2, Q2 3, Q1 3, W4 5, Q5 none.
QUEUE = [
    _item("H1", "M1", "video", "2025-07-01", "2025-07-02", None, "2025-07-10", 10, False, None, "G9", 1000,
          "delivered"),
    _item("H2", "M1", "video", "2025-07-01", "2025-07-02", None, "2025-07-20", 30, False, None, "G9", 3000,
          "delivered"),
    _item("H3", "M2", "report", "2025-07-01", "2025-07-02", None, "2025-07-05", 5, False, None, None, 500,
          "delivered"),
    _item("Q1", "M1", "video", "2026-02-01", None, "2026-02-10", None, 0, None, None, "G9", 1000, "requested", est=10),
    _item("Q2", "M1", "video", "2026-02-02", None, "2026-02-05", None, 0, None, None, "G9", 2000, "requested", est=20),
    _item("Q3", "M2", "video", "2026-02-03", None, "2026-02-20", None, 0, None, "C9", None, None, "requested", est=4),
    _item("Q4", "M2", "report", "2026-02-03", "2026-02-04", "2026-02-25", None, 2.5, None, None, None, None,
          "in_progress"),
    _item("Q5", "Dan Wu", "survey", "2026-02-04", None, None, None, 0, None, None, None, None, "requested"),
]

# The audit. FY2025-Q1 is deadline-driven: A, B, C, D started in that order, which is the order of their due dates
# and the reverse of their returns (1, 2, 3, 4 an hour: ev 10..40 over 10 h each); delivered 01-05..01-08.
#   spearman(start, return order) = -1, spearman(start, deadline order) = 1 -> deadline.
#   In return order D, C, B, A would take the delivery days 5, 6, 7, 8: A came on 5 (not late), B on 6 (ideal 7:
#   not late), C on 7 (ideal 6: 1 day late), D on 8 (ideal 5: 3 days late) -> value delayed 30 + 40 = 70,
#   value x days 30 x 1 + 40 x 3 = 150.
# FY2025-Q2 is return-driven: E, F, G started in return order (4, 3, 2 an hour), due 04-20, 04-10, 04-15:
#   spearman(start, return) = 1; spearman(start, due) = 1 - 6 x (4 + 1 + 1) / (3 x 8) = -0.5 -> return;
#   delivered in return order: nothing delayed.
AUDIT = [
    _item(w, "M1", "task", f"2025-01-0{i + 1}", f"2025-01-0{i + 1}", f"2025-01-1{i}", f"2025-01-0{i + 5}", 10,
          True, "C0", None, 10 * (i + 1), "delivered")
    for i, w in enumerate("ABCD")
] + [
    _item(w, "M2", "task", f"2025-04-0{i + 1}", f"2025-04-0{i + 1}", due, f"2025-04-0{i + 5}", 10, True, "C0",
          None, ev, "delivered")
    for i, (w, due, ev) in enumerate((("E", "2025-04-20", 40), ("F", "2025-04-10", 30), ("G", "2025-04-15", 20)))
]


def _round(wid: str, n: int, sub: str, dec: str, who: str, decision: str) -> dict[str, Any]:
    return {"work_id": wid, "round": n, "submitted_at": f"2026-{sub}", "decided_at": f"2026-{dec}",
            "reviewer_id": who, "decision": decision}


TABLES: dict[str, list[dict[str, Any]]] = {
    "team_members": [
        {"member_id": "M1", "name": "Ann Lee", "team": "marketing", "email": "ann@x.com"},
        {"member_id": "M2", "name": "Bob Ray", "team": "marketing", "email": "bob@x.com"},
        {"member_id": "M3", "name": "Cat Ng", "team": "sales", "email": "cat@x.com"},
        {"member_id": "M5", "name": "Dan Wu", "team": "marketing", "email": "dan.wu@x.com"},
        {"member_id": "M6", "name": "Dan Wu", "team": "sales", "email": "dan.wu2@x.com"},
    ],
    "campaigns": [
        {"campaign_id": "C1", "name": "Launch", "channel": "email", "starts": "2026-01-10", "ends": "2026-02-10",
         "segments": "smb", "goal_id": "G1"},
        {"campaign_id": "C9", "name": "Video push", "channel": "paid_social", "starts": "2026-03-01",
         "ends": "2026-03-31", "segments": "smb", "goal_id": "G9"},
    ],
    "work_items": JAN + QUEUE + AUDIT,
    "approvals": [
        _round("W1", 1, "01-04 00:00:00", "01-04 12:00:00", "cat@x.com", "approved"),
        _round("W2", 1, "01-08 00:00:00", "01-09 00:00:00", "M3", "changes_requested"),
        _round("W2", 2, "01-09 12:00:00", "01-10 00:00:00", "Ann Lee", "changes_requested"),
        _round("W2", 3, "01-10 06:00:00", "01-10 18:00:00", "m3", "approved"),
        _round("W3", 1, "01-07 00:00:00", "01-07 06:00:00", "cat@x.com", "approved"),
    ],
}
AS_OF = "2026-01-12"


def build(make: Callable[[], wanamaker.Workspace], folder: Path) -> wanamaker.Workspace:
    ws = make()
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in TABLES.items():
        header = list(rows[0])
        counts = ws.load([write_csv(folder / f"{name}.csv", rows, header)], table=name).tables[0].files[0]
        assert counts.loaded == len(rows), (name, counts)
    return ws


def check_work(ws: wanamaker.Workspace) -> None:
    from wanamaker.config.options import moment_option

    as_of = moment_option("--as-of", AS_OF, "UTC", end_of_day=True)
    res = ws.work(by="person", in_label="2026-01", as_of=as_of)
    a = res.get("all")
    assert (a.items, a.hours, a.delivered, a.overdue) == (5, pytest.approx(40), 3, 1)
    assert (a.median_cycle_days, a.p90_cycle_days) == pytest.approx((4.0, 8.8))
    assert a.on_time_rate == pytest.approx(2 / 3)
    assert (a.repeatable_share, a.repeatable_hours_share) == pytest.approx((2 / 3, 15 / 35))
    assert a.unlinked_hours == pytest.approx(9)
    assert (a.avg_wip, a.peak_wip) == (pytest.approx(25 / 19), 2)
    assert a.development_days == 9
    ann, bob = res.get("M1"), res.get("M2")
    assert (ann.items, ann.hours, ann.avg_wip, ann.peak_wip) == (2, pytest.approx(30), pytest.approx(1.3), 2)
    assert (bob.items, bob.hours, bob.avg_wip, bob.peak_wip) == (3, pytest.approx(10), pytest.approx(4 / 3), 2)
    assert [r.key for r in res.rows_] == ["all", "M1", "M2"]
    team = ws.work(by="team", in_label="2026-01", as_of=as_of)
    assert [(r.key, r.items) for r in team.rows_] == [("all", 5), ("marketing", 5)]
    camp = ws.work(by="campaign", in_label="2026-01", as_of=as_of)
    assert {r.key: r.hours for r in camp.rows_} == {"all": 40, "C1": 11, "(none)": 29}
    assert camp.get("C1").development_days == 9


def check_approvals(ws: wanamaker.Workspace) -> None:
    res = ws.approvals(by="reviewer")
    a = res.get("all")
    assert (a.items, a.rounds, a.changes_requested, a.rejected) == (3, 5, 2, 0)
    assert (a.avg_rounds, a.median_review_days, a.p90_review_days, a.first_pass_rate) == pytest.approx(
        (5 / 3, 0.5, 0.8, 2 / 3))
    cat, ann = res.get("M3"), res.get("M1")
    assert (cat.items, cat.rounds, cat.avg_rounds, cat.first_pass_rate) == (3, 4, pytest.approx(5 / 3),
                                                                            pytest.approx(2 / 3))
    assert (ann.items, ann.rounds, ann.avg_rounds, ann.first_pass_rate) == (1, 1, 3, None)
    assert [r.key for r in res.rows_] == ["all", "M1", "M3"]  # the most rounds first
    kind = ws.approvals(by="kind")
    assert (kind.get("webinar").items, kind.get("webinar").rounds, kind.get("webinar").first_pass_rate) == (1, 3, 0)
    assert (kind.get("blog").items, kind.get("blog").avg_rounds, kind.get("blog").first_pass_rate) == (2, 1, 1)


def check_queue(ws: wanamaker.Workspace) -> None:
    rows = ws.queue().as_json()
    got = [(r["work_id"], r["rank"], r["return_per_hour"]) for r in rows]
    assert got == [("Q3", 1, pytest.approx(500)), ("Q4", 2, pytest.approx(200)), ("Q2", 3, pytest.approx(100)),
                   ("Q1", 3, pytest.approx(100)), ("W4", 5, pytest.approx(30)), ("Q5", None, None)]
    by_id = {r["work_id"]: r for r in rows}
    assert (by_id["Q3"]["expected_value"], by_id["Q3"]["value_source"]) == (2000, "goal history")
    assert (by_id["Q3"]["hours"], by_id["Q3"]["hours_source"]) == (4, "estimate")
    assert (by_id["Q4"]["value_source"], by_id["Q4"]["hours_source"]) == ("kind history", "logged")
    assert by_id["Q5"]["owner_id"] == "Dan Wu" and by_id["W4"]["owner_id"] == "M2"
    assert (by_id["Q4"]["state"], by_id["Q1"]["state"]) == ("in progress", "waiting")


def check_audit(ws: wanamaker.Workspace) -> None:
    res = ws.work_audit()
    q1, q2 = res.get("FY2025-Q1"), res.get("FY2025-Q2")
    assert (q1.items, q1.spearman_return, q1.spearman_deadline, q1.driven_by) == (
        4, pytest.approx(-1), pytest.approx(1), "deadline")
    assert (q1.value_delayed, q1.value_days_delayed) == pytest.approx((70, 150))
    assert (q2.items, q2.spearman_return, q2.spearman_deadline, q2.driven_by) == (
        3, pytest.approx(1), pytest.approx(-0.5), "return")
    assert (q2.value_delayed, q2.value_days_delayed) == (0, 0)
    assert [r.quarter for r in res.rows_] == ["FY2025-Q1", "FY2025-Q2", "FY2026-Q1"]
    assert res.notes and res.notes[0].startswith("3 delivered items")  # H1-H3 have no due date
