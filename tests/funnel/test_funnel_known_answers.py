"""Known answers on small per-person timelines (each case states its expected numbers).

The stages are ``lead, mql, sal, won`` (``stages=`` picks them from the configured funnel).

    p1: lead 01-01, mql 01-03, sal 01-04, won 01-11          all observed; lead->mql 2d, mql->sal 1d,
                                                              sal->won 7d; time to close 10d
    p2: lead 01-02, mql 01-06, won 02-05                      skips sal (counted as passed at 02-05,
                                                              flagged); lead->mql 4d; close 34d
    p3: lead 01-10, mql 01-12, recycled 01-20, mql 02-01,     re-entry: first mql counts; mql->sal 22d;
        sal 02-03                                             two mql entries -> reentered
    p4: lead 02-01 00:00, mql 02-01 00:00, rejected 02-02     same timestamp: both entered, 0 days;
                                                              exits rejected at mql
    p5: mql 02-10                                             enters the funnel at mql (not a lead)
"""

from __future__ import annotations

from typing import Any

import pytest

from wanamaker.errors import UsageError
from wanamaker.funnel import funnel

STAGES = ["lead", "mql", "sal", "won"]

TIMELINES = [
    ("p1", "lead", "2026-01-01T00:00:00"), ("p1", "mql", "2026-01-03T00:00:00"),
    ("p1", "sal", "2026-01-04T00:00:00"), ("p1", "won", "2026-01-11T00:00:00"),
    ("p2", "lead", "2026-01-02T00:00:00"), ("p2", "mql", "2026-01-06T00:00:00"),
    ("p2", "won", "2026-02-05T00:00:00"),
    ("p3", "lead", "2026-01-10T00:00:00"), ("p3", "mql", "2026-01-12T00:00:00"),
    ("p3", "recycled", "2026-01-20T00:00:00"), ("p3", "mql", "2026-02-01T00:00:00"),
    ("p3", "sal", "2026-02-03T00:00:00"),
    ("p4", "lead", "2026-02-01T00:00:00"), ("p4", "mql", "2026-02-01T00:00:00"),
    ("p4", "rejected", "2026-02-02T00:00:00"),
    ("p5", "mql", "2026-02-10T00:00:00"),
]


@pytest.fixture
def ws(workspace: Any, load: Any, ev: Any) -> Any:
    people = [{"person_id": p, "lead_source": "paid_search" if p in ("p1", "p2") else "event"}
              for p in ("p1", "p2", "p3", "p4", "p5")]
    load(workspace, {"people": people, "stage_events": ev(*TIMELINES)})
    return workspace


def table(rows: list[dict[str, Any]], *fields: str) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    return {(r["key"], r["period"], r["stage"]): tuple(r[f] for f in fields) for r in rows}


def approx(values: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(pytest.approx(v) if isinstance(v, float) else v for v in values)


def test_cohort_all_time(ws: Any) -> None:
    rows = funnel(ws, stages=STAGES).rows()
    assert list(rows[0]) == ["key", "period", "stage", "entered", "converted_to_next", "rate", "to_final_rate",
                             "median_days_to_next"]
    got = table(rows, "entered", "converted_to_next", "rate", "to_final_rate", "median_days_to_next")
    # lead: p1-p4 entered (p5 entered at mql); all reached mql; p1, p2 won; days [2, 4, 2, 0] -> median 2
    assert got[("all", None, "lead")] == approx((4, 4, 1.0, 0.5, 2.0))
    # mql: 5 entered; p1, p2 (skipped sal counts as passing), p3 reached sal; days [1, 22] (p2 has no sal time)
    assert got[("all", None, "mql")] == approx((5, 3, 0.6, 0.4, 11.5))
    # sal: p1, p2 (skipped), p3; p1, p2 won; sal->won days only p1 (7)
    assert got[("all", None, "sal")] == approx((3, 2, 2 / 3, 2 / 3, 7.0))
    assert got[("all", None, "won")] == (2, None, None, 1.0, None)


def test_cohort_within(ws: Any) -> None:
    got = table(funnel(ws, stages=STAGES, within="10d").rows(), "entered", "converted_to_next", "to_final_rate",
                "median_days_to_next")
    # lead: all reach mql within 4 days; only p1 wins within 10 days of its lead (exactly 10d counts)
    assert got[("all", None, "lead")] == approx((4, 4, 0.25, 2.0))
    # mql: only p1 reaches sal within 10d (p2 30d, p3 22d); median over p1 only
    assert got[("all", None, "mql")] == approx((5, 1, 0.2, 1.0))


def test_cohort_by_month(ws: Any) -> None:
    got = table(funnel(ws, stages=STAGES, period="month", cohort=True).rows(), "entered", "converted_to_next",
                "rate", "to_final_rate", "median_days_to_next")
    # January leads p1, p2, p3: all reach mql, p1 and p2 win
    assert got[("all", "2026-01", "lead")] == approx((3, 3, 1.0, 2 / 3, 2.0))
    # February lead p4: mql at the same instant (0 days), never wins
    assert got[("all", "2026-02", "lead")] == approx((1, 1, 1.0, 0.0, 0.0))
    # January MQLs p1, p2, p3 all reach sal (p2 by skipping)
    assert got[("all", "2026-01", "mql")] == approx((3, 3, 1.0, 2 / 3, 11.5))
    # February MQLs p4, p5: none reaches sal (p3's February re-entry is not a new MQL)
    assert got[("all", "2026-02", "mql")] == approx((2, 0, 0.0, 0.0, None))


def test_period_based_counts_entries(ws: Any) -> None:
    got = table(funnel(ws, stages=STAGES, period="month").rows(), "entered", "converted_to_next", "rate",
                "to_final_rate", "median_days_to_next")
    # January: leads 3, MQL entries 3, sal 1 (p1), won 1 (p1)
    assert got[("all", "2026-01", "lead")] == approx((3, 3, 1.0, 1 / 3, 2.0))
    assert got[("all", "2026-01", "mql")] == approx((3, 1, 1 / 3, 1 / 3, 1.0))
    assert got[("all", "2026-01", "sal")] == approx((1, 1, 1.0, 1.0, 7.0))
    # February: 1 lead (p4) but 2 MQL entries (p4, p5): the rate exceeds 1
    assert got[("all", "2026-02", "lead")] == approx((1, 2, 2.0, 1.0, 0.0))
    # sal entries p2 (skipped, at its win) and p3; p3's 22 days is the only observed transition
    assert got[("all", "2026-02", "mql")] == approx((2, 2, 1.0, 0.5, 22.0))
    assert got[("all", "2026-02", "sal")] == approx((2, 1, 0.5, 0.5, None))


def test_velocity(ws: Any) -> None:
    res = funnel(ws, stages=STAGES)
    got = {(v.from_stage, v.to_stage): (v.subjects, v.median_days, v.p90_days) for v in res.velocity}
    # lead->mql [0, 2, 2, 4]: median 2, p90 = 2 + 0.7 * (4 - 2) = 3.4 (linear interpolation)
    assert got[("lead", "mql")] == approx((4, 2.0, 3.4))
    # mql->sal [1, 22]: median 11.5, p90 = 1 + 0.9 * 21 = 19.9
    assert got[("mql", "sal")] == approx((2, 11.5, 19.9))
    assert got[("sal", "won")] == approx((1, 7.0, 7.0))
    # time to close from funnel entry: p1 10d, p2 34d
    assert got[("(entry)", "won")] == approx((2, 22.0, 31.6))


def test_leakage_skips_reentry_and_exits(ws: Any) -> None:
    res = funnel(ws, stages=STAGES)  # as of the last event (02-10); stall 30d
    got = {r["stage"]: r for r in res.leakage_rows()}
    # mql: p4 stopped (rejected), p5 stopped (open: its only event is the last of the data); p3 re-entered
    assert (got["mql"]["reached"], got["mql"]["stopped_here"], got["mql"]["exited_rejected"],
            got["mql"]["open"], got["mql"]["reentered"]) == (5, 2, 1, 1, 1)
    # sal: p2 passed it without an event; p3 stopped there
    assert (got["sal"]["reached"], got["sal"]["skipped"], got["sal"]["stopped_here"]) == (3, 1, 1)
    short = {r["stage"]: r for r in funnel(ws, stages=STAGES, stall="5d").leakage_rows()}
    # with a 5-day stall, p3 (last event 02-03) is stalled; p5 (02-10) still open
    assert (short["sal"]["stalled"], short["mql"]["open"]) == (1, 1)


def test_breakdown_by_lead_source(ws: Any) -> None:
    got = table(funnel(ws, stages=STAGES, by="lead_source").rows(), "entered", "converted_to_next",
                "to_final_rate")
    # overall rows come first with key "all"; paid_search = p1, p2 (both won); event = p3, p4, p5
    assert got[("all", None, "lead")] == approx((4, 4, 0.5))
    assert got[("paid_search", None, "mql")] == approx((2, 2, 1.0))
    assert got[("event", None, "mql")] == approx((3, 1, 0.0))


def test_configured_stages_flag_skips(ws: Any) -> None:
    res = funnel(ws)  # default stages: visitor, lead, mql, sal, sql, opportunity, won
    got = table(res.rows(), "entered", "converted_to_next")
    # nobody has a visitor event: zero row; sql and opportunity are passed (skipped) by p1 and p2
    assert got[("all", None, "visitor")] == (0, 0)
    assert got[("all", None, "sql")] == (2, 2)
    leak = {r["stage"]: r for r in res.leakage_rows()}
    assert leak["opportunity"]["skipped"] == 2


def test_usage_errors(ws: Any) -> None:
    with pytest.raises(UsageError):
        funnel(ws, by="colour")
    with pytest.raises(UsageError):
        funnel(ws, period="week")
    with pytest.raises(UsageError):
        funnel(ws, period="month", within="30d")
    with pytest.raises(UsageError):
        funnel(ws, stages=["mql", "closed"])
