"""SLA, acceptance, rejection reasons, recycled leads, sourced/influenced and the survey (known answers).

Default rules: mql_followup (mql -> first_sales_touch within 24h), sal_decision (mql -> sal|rejected
within 48h). Reps r1 and r2 are in sales; r2 left at the end of 2025.

    a: mql 01-05 00:00 (owner r1 on the event); outbound_sdr touch 05:00 (5h, met); sal 10:00 (10h, met)
    b: mql 01-02 (person owner r2); no sales touch, no decision -> both rules breached, still open
    c: mql 01-02 (person owner r1); rejected 01-03 "bad_fit" (24h, met); sales rep r1's call 01-04
       (48h, mql_followup breached late -> not open)
    d: mql 01-20; recycled 01-21; mql 01-28 (a new clock) and sal 01-28 12:00; the email touch is not
       a sales touch -> mql_followup breached twice, both open
    as of the end of the data: 2026-02-01 (a's win)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from wanamaker.funnel import alignment, sla

PEOPLE = [
    {"person_id": "a", "account_id": "acc1", "lead_source": "paid_search", "owner_id": "r1"},
    {"person_id": "b", "account_id": "acc1", "lead_source": "organic_search", "owner_id": "r2"},
    {"person_id": "c", "lead_source": "direct", "owner_id": "r1"},
    {"person_id": "d", "lead_source": "event", "owner_id": "r2"},
]


@pytest.fixture
def ws(workspace: Any, load: Any, ev: Any) -> Any:
    load(workspace, {
        "accounts": [{"account_id": "acc1", "name": "Acme"}],
        "people": PEOPLE,
        "team_members": [
            {"member_id": "r1", "team": "sales", "active_from": "2025-01-01"},
            {"member_id": "r2", "team": "sales", "active_from": "2025-01-01", "active_to": "2025-12-31"},
            {"member_id": "m1", "team": "marketing", "active_from": "2025-01-01"},
        ],
        "stage_events": ev(
            ("a", "mql", "2026-01-05T00:00:00", "r1"), ("a", "sal", "2026-01-05T10:00:00"),
            ("a", "won", "2026-02-01T00:00:00"),
            ("b", "mql", "2026-01-02T00:00:00"),
            ("c", "mql", "2026-01-02T00:00:00"), ("c", "rejected", "2026-01-03T00:00:00", "", "bad_fit"),
            ("d", "mql", "2026-01-20T00:00:00"), ("d", "recycled", "2026-01-21T00:00:00"),
            ("d", "mql", "2026-01-28T00:00:00"), ("d", "sal", "2026-01-28T12:00:00"),
        ),
        "touchpoints": [
            {"touch_id": "t1", "person_id": "a", "ts": "2025-12-30T00:00:00", "channel": "paid_search",
             "campaign_id": "cmp1"},
            {"touch_id": "t2", "person_id": "a", "ts": "2026-01-05T05:00:00", "channel": "outbound_sdr",
             "owner_id": "r1"},
            {"touch_id": "t3", "person_id": "b", "ts": "2026-01-01T00:00:00", "channel": "organic_search"},
            {"touch_id": "t4", "person_id": "c", "ts": "2026-01-01T00:00:00", "channel": "direct"},
            {"touch_id": "t5", "person_id": "c", "ts": "2026-01-04T00:00:00", "channel": "email", "owner_id": "r1"},
            {"touch_id": "t6", "person_id": "d", "ts": "2026-01-29T00:00:00", "channel": "email"},
        ],
        "opportunities": [
            {"opportunity_id": "o1", "account_id": "acc1", "person_id": "a", "created_at": "2026-01-10T00:00:00",
             "closed_at": "2026-02-01T00:00:00", "status": "won", "amount": 1000},
            {"opportunity_id": "o2", "person_id": "c", "created_at": "2026-01-10T00:00:00", "status": "open",
             "amount": 500},
            # an account opportunity without a person: the account's people's touches count (b: organic)
            {"opportunity_id": "o3", "account_id": "acc1", "created_at": "2026-01-15T00:00:00",
             "closed_at": "2026-01-30T00:00:00", "status": "won", "amount": 3000},
        ],
        "survey_responses": [
            {"response_id": "s1", "respondent_id": "r1", "team": "sales", "submitted_at": "2026-01-20T00:00:00",
             "question": "lead quality", "score": 4, "comment": "good leads"},
            {"response_id": "s2", "respondent_id": "r1", "team": "sales", "submitted_at": "2026-01-21T00:00:00",
             "question": "alignment", "score": 2, "comment": " "},
            {"response_id": "s3", "respondent_id": "m1", "team": "marketing", "submitted_at": "2026-01-21T00:00:00",
             "question": "alignment", "score": 5},
        ],
    })
    return workspace


def test_sla_per_rule_and_rep(ws: Any) -> None:
    res = sla(ws, by="rep")
    assert res.as_of == datetime(2026, 2, 1)
    got = {(r["key"], r["rule"]): (r["events"], r["median_hours"], r["p90_hours"], r["breaches"], r["breach_rate"])
           for r in res.rows()}
    # mql_followup: a met (5h), c late (48h), b open, d open twice -> 5 decided clocks, 4 breaches;
    # response times [5, 48]: median 26.5, p90 = 5 + 0.9 * 43 = 43.7
    assert got[("all", "mql_followup")] == pytest.approx((5, 26.5, 43.7, 4, 0.8))
    # sal_decision: a 10h, c 24h, d's second clock 12h; b breached; d's first clock: sal 01-28 12:00 is
    # 204h after 01-20 -> late. Times [10, 12, 24, 204] -> median 18, p90 = 24 + 0.7 * 180 = 150
    assert got[("all", "sal_decision")] == pytest.approx((5, 18.0, 150.0, 2, 0.4))
    # per rep: the owner on the MQL event (r1 for a), else the person's owner
    assert got[("r1", "mql_followup")] == pytest.approx((2, 26.5, 43.7, 1, 0.5))
    assert got[("r2", "mql_followup")] == pytest.approx((3, None, None, 3, 1.0))


def test_sla_open_breaches_as_of(ws: Any) -> None:
    res = sla(ws, open=True)
    got = [(r["rule"], r["subject_id"], r["owner_id"], r["since"], r["overdue_hours"]) for r in res.rows()]
    # most overdue first; hours past the deadline at 2026-02-01 00:00
    assert got == [
        ("mql_followup", "b", "r2", "2026-01-02T00:00:00", pytest.approx(30 * 24 - 24)),
        ("sal_decision", "b", "r2", "2026-01-02T00:00:00", pytest.approx(30 * 24 - 48)),
        ("mql_followup", "d", "r2", "2026-01-20T00:00:00", pytest.approx(12 * 24 - 24)),
        ("mql_followup", "d", "r2", "2026-01-28T00:00:00", pytest.approx(4 * 24 - 24)),
    ]
    # as of 2026-01-02 12:00, b's clocks started but are not yet due: nothing open
    early = sla(ws, open=True, as_of=datetime(2026, 1, 2, 12))
    assert early.rows() == []


def test_sla_by_team_and_period(ws: Any) -> None:
    got = {(r["key"], r["rule"], r["period"]): r["events"] for r in sla(ws, by="team", period="month").rows()}
    assert got[("sales", "mql_followup", "2026-01")] == 5
    assert ("all", "sal_decision", "2026-01") in got


def test_alignment(ws: Any) -> None:
    res = alignment(ws)
    out = res.as_dict()
    # first_touch rule: o1's first touch is paid_search (marketing) -> sourced; o2's is direct -> not;
    # o3 (account acc1): first touch of its people is a's paid_search 12-30 -> sourced.
    # influenced: o1 (paid_search), o3 (marketing touches of a and b); o2 has only direct before creation
    assert out["total"] == {"opportunities": 3, "pipeline": 4500.0, "won": 2, "revenue": 4000.0}
    assert out["sourced"] == {"opportunities": 2, "pipeline": 4000.0, "won": 2, "revenue": 4000.0}
    assert out["influenced"] == {"opportunities": 2, "pipeline": 4000.0, "won": 2, "revenue": 4000.0}
    assert out["marketing_share_of_won_revenue"] == 1.0
    acc = {(r["by"], r["key"], r["period"]): (r["handed_off"], r["accepted"], r["rejected"], r["pending"])
           for r in out["acceptance"]}
    # a accepted (sal), c rejected, b pending, d accepted (its sal 01-28 comes before any rejection)
    assert acc[("all", "all", None)] == (4, 2, 1, 1)
    assert acc[("all", "all", "FY2026-Q1")] == (4, 2, 1, 1)
    assert acc[("channel", "direct", None)] == (1, 0, 1, 0)
    assert acc[("campaign", "cmp1", None)] == (1, 1, 0, 0)
    reasons = [(r["by"], r["key"], r["reason"], r["rejected"], r["share"]) for r in out["rejection_reasons"]]
    assert ("all", "all", "bad_fit", 1, 1.0) in reasons
    assert ("channel", "direct", "bad_fit", 1, 1.0) in reasons
    # d was recycled, came back (mql 01-28) and was accepted (sal), not won
    recycled = {(r["by"], r["key"]): r for r in out["recycled"]}
    assert {k: recycled[("all", "all")][k] for k in ("recycled", "reentered", "accepted_after", "won_after",
                                                    "dormant")} == {
        "recycled": 1, "reentered": 1, "accepted_after": 1, "won_after": 0, "dormant": 0}
    # survey: two sales responses from r1 (the marketing answer is not counted); r2 left in 2025, so one
    # active sales rep in FY2026-Q1 -> response rate 1.0; mean 3, scores 2 and 4; blank comments dropped
    (q1,) = out["survey"]
    assert q1 == {"period": "FY2026-Q1", "responses": 2, "respondents": 1, "active_sales": 1, "response_rate": 1.0,
                  "mean_score": 3.0, "median_score": 3.0, "distribution": {"2": 1, "4": 1},
                  "comments": ["good leads"], "acceptance_rate": 0.5}


def test_sourced_rules(ws: Any, reconfigure: Any) -> None:
    text = (ws.root / "wanamaker.yml").read_text()
    (ws.root / "wanamaker.yml").write_text(text.replace("sourced_rule: first_touch", "sourced_rule: lead_source"))
    ws2 = reconfigure(ws)
    out = alignment(ws2).as_dict()
    # lead_source: a paid_search (marketing) -> o1; c direct -> no; o3 has no person and no source -> no
    assert out["sourced"]["opportunities"] == 1 and out["marketing_share_of_won_revenue"] == 0.25
    ws2.close()
