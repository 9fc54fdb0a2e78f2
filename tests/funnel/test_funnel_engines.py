"""Engine parity: funnel, SLA and alignment give the same answers on DuckDB, PostgreSQL and Spark.

The data mixes the cases of the known-answer suites (skipped stages, re-entry, same timestamps, exits,
sales touches, an account opportunity, a survey). Each engine's results are compared with a DuckDB
reference workspace loaded from the same files, and a few known answers are asserted directly.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import wanamaker
from wanamaker.funnel import alignment, funnel, sla

pytestmark = pytest.mark.engines

STAGES = ["lead", "mql", "sal", "won"]


def tables(ev: Callable[..., list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    return {
        "accounts": [{"account_id": "acc1", "name": "Acme", "segment": "mid", "region": "emea"}],
        "people": [
            {"person_id": "p1", "account_id": "acc1", "lead_source": "paid_search", "owner_id": "r1"},
            {"person_id": "p2", "account_id": "acc1", "lead_source": "paid_search", "owner_id": "r2"},
            {"person_id": "p3", "lead_source": "event", "owner_id": "r1", "segment": "smb"},
            {"person_id": "p4", "lead_source": "event"},
            {"person_id": "p5", "lead_source": "event", "owner_id": "r2"},
        ],
        "team_members": [
            {"member_id": "r1", "team": "sales", "active_from": "2025-01-01"},
            {"member_id": "r2", "team": "sales", "active_from": "2025-01-01", "active_to": "2026-01-31"},
        ],
        "stage_events": ev(
            ("p1", "lead", "2026-01-01T00:00:00"), ("p1", "mql", "2026-01-03T00:00:00", "r1"),
            ("p1", "sal", "2026-01-04T00:00:00"), ("p1", "won", "2026-01-11T00:00:00"),
            ("p2", "lead", "2026-01-02T00:00:00"), ("p2", "mql", "2026-01-06T00:00:00"),
            ("p2", "won", "2026-02-05T00:00:00"),
            ("p3", "lead", "2026-01-10T00:00:00"), ("p3", "mql", "2026-01-12T00:00:00"),
            ("p3", "recycled", "2026-01-20T00:00:00"), ("p3", "mql", "2026-02-01T00:00:00"),
            ("p3", "sal", "2026-02-03T00:00:00"),
            ("p4", "lead", "2026-02-01T00:00:00"), ("p4", "mql", "2026-02-01T00:00:00"),
            ("p4", "rejected", "2026-02-02T00:00:00", "", "no_budget"),
            ("p5", "mql", "2026-02-10T00:00:00"),
        ),
        "touchpoints": [
            {"touch_id": "t1", "person_id": "p1", "ts": "2025-12-30T00:00:00", "channel": "paid_search",
             "campaign_id": "cmp1"},
            {"touch_id": "t2", "person_id": "p1", "ts": "2026-01-03T05:00:00", "channel": "outbound_sdr",
             "owner_id": "r1"},
            {"touch_id": "t4", "person_id": "p2", "ts": "2026-01-01T00:00:00", "channel": "webinar"},
            {"touch_id": "t3", "person_id": "p2", "ts": "2026-01-01T00:00:00", "channel": "direct"},
            {"touch_id": "t5", "person_id": "p3", "ts": "2026-01-13T00:00:00", "channel": "email", "owner_id": "r1"},
        ],
        "opportunities": [
            {"opportunity_id": "o1", "account_id": "acc1", "person_id": "p1", "created_at": "2026-01-05T00:00:00",
             "closed_at": "2026-01-11T00:00:00", "status": "won", "amount": 1000},
            {"opportunity_id": "o2", "account_id": "acc1", "created_at": "2026-01-15T00:00:00",
             "closed_at": "2026-02-05T00:00:00", "status": "won", "amount": 2500.5},
            {"opportunity_id": "o3", "person_id": "p3", "created_at": "2026-02-03T00:00:00", "status": "open",
             "amount": 700},
        ],
        "survey_responses": [
            {"response_id": "s1", "respondent_id": "r1", "team": "sales", "submitted_at": "2026-01-20T00:00:00",
             "question": "quality", "score": 4, "comment": "better"},
            {"response_id": "s2", "respondent_id": "r2", "team": "sales", "submitted_at": "2026-01-21T00:00:00",
             "question": "quality", "score": 1, "comment": "too many students"},
            {"response_id": "s3", "respondent_id": "r1", "team": "sales", "submitted_at": "2026-04-02T00:00:00",
             "question": "quality", "score": 5},
        ],
    }


def everything(ws: Any) -> dict[str, Any]:
    """Every public result, as plain rows."""
    out: dict[str, Any] = {}
    for name, kwargs in {
        "cohort": {"stages": STAGES, "by": "channel"},                       # overall rows + first-touch keys
        "period_month": {"by": "segment", "period": "month"},                # entries per period, all stages
        "within": {"stages": STAGES, "within": "10d", "by": "cohort_month", "period": "quarter", "cohort": True},
    }.items():
        res = funnel(ws, **kwargs)
        out[name] = res.rows()
        out[name + "_velocity"] = res.velocity_rows()
        out[name + "_leakage"] = res.leakage_rows()
    out["sla"] = sla(ws, by="rep", period="month").rows()
    out["sla_open"] = sla(ws, open=True).rows()
    out["alignment"] = alignment(ws).as_dict()
    return out


def assert_same(got: Any, want: Any, where: str = "") -> None:
    if isinstance(want, dict):
        assert isinstance(got, dict) and set(got) == set(want), where
        for k in want:
            assert_same(got[k], want[k], f"{where}.{k}")
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), (where, got, want)
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            assert_same(g, w, f"{where}[{i}]")
    elif isinstance(want, float):
        assert isinstance(got, (int, float)) and math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9), (where, got,
                                                                                                       want)
    else:
        assert got == want, (where, got, want)


def test_same_answers_on_every_engine(
    make_workspace: Callable[[], wanamaker.Workspace], engine: str, tmp_path: Path, load: Any, ev: Any
) -> None:
    data = tables(ev)
    ref_root = wanamaker.init(tmp_path / "reference")
    with wanamaker.open(ref_root) as ref:
        load(ref, data)
        want = everything(ref)
    ws = make_workspace()
    load(ws, data)
    got = everything(ws)
    assert_same(got, want, engine)
    # known answers (see test_funnel_known_answers.py): mql cohort 5 entered, 3 reached sal, median 11.5 days
    mql = next(r for r in got["cohort"] if r["key"] == "all" and r["stage"] == "mql")
    assert (mql["entered"], mql["converted_to_next"], mql["median_days_to_next"]) == (5, 3, 11.5)
    close = next(v for v in got["cohort_velocity"] if v["key"] == "all" and v["from_stage"] == "(entry)")
    assert (close["median_days"], close["p90_days"]) == (pytest.approx(22.0), pytest.approx(31.6))
    # the account opportunity o2 is sourced through p1's paid_search first touch
    assert got["alignment"]["sourced"]["revenue"] == pytest.approx(3500.5)
