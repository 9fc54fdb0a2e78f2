"""``wanamaker economics`` gives the same known answers on DuckDB, PostgreSQL and Spark (docs/economics.md).

The world (USD, fiscal year = calendar year, gross margin 0.8, discount rate 0.1; model first_touch; --in FY2025):

    A0 (P0)  touch paid_search 2024-03-01; won O0 2024-04-01 500 and O0b 2025-05-01 700 (an old customer: its
             700 is "(no converting person)"); revenue new 500 2024-04-01, renewal 550 2025-04-01
    A1 (P1)  touches paid_search C1 2025-01-05, email C9 2025-01-20; won O1 2025-02-01 12000, O4 2025-08-01 1200
             revenue new 1200 2025-02-01, expansion 600 2025-08-01, renewal 1800 2026-02-01, churn -300 2026-06-01
    A2 (P2)  touch webinar C2 2025-02-01; won O2 2025-03-01 6000; revenue new 2400 2025-03-01, contraction -400 2025-12-01
    A3 (P3)  no touch; won O3 2025-06-01 2400; revenue new 3600 2025-06-01
    spend    paid_search C1 3000 (2025-01-10) + 999 (2024-06-01), webinar C2 1000, email C9 500 (FY2025: 4500)
    costs    sdr FY2025-Q1 9000

New customers in FY2025: A1, A2, A3. Blended CAC = (4500 + 9000) / 3 = 4500. First-touch credit: paid_search
1 customer and 13200, webinar 1 and 6000, (no touch) 1 and 2400. Team costs split by spend: paid_search 3000 + 6000,
webinar 1000 + 2000, email 500 + 1000. First-year revenue: A1 1800, A2 2000, A3 3600 -> 7400 / 3 / 12 a month.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import wanamaker
from support.data import write_csv
from wanamaker.economics.retention import retention
from wanamaker.economics.unit_economics import economics

pytestmark = pytest.mark.engines


def _opp(oid: str, acc: str, person: str, closed: str, amount: int) -> dict[str, Any]:
    return {"opportunity_id": oid, "account_id": acc, "person_id": person, "created_at": f"{closed[:8]}01 00:00:00",
            "closed_at": f"{closed} 00:00:00", "status": "won", "amount": str(amount), "currency": "USD"}


def _rev(rid: str, acc: str, ts: str, amount: int, kind: str) -> dict[str, Any]:
    return {"revenue_id": rid, "account_id": acc, "ts": f"{ts} 00:00:00", "amount": str(amount), "currency": "USD",
            "kind": kind}


TABLES: dict[str, list[dict[str, Any]]] = {
    "accounts": [{"account_id": a, "name": a, "segment": s} for a, s in
                 (("A0", "ent"), ("A1", "ent"), ("A2", "smb"), ("A3", "ent"))],
    "people": [{"person_id": f"P{i}", "account_id": f"A{i}"} for i in range(4)],
    "touchpoints": [
        {"touch_id": "T0", "person_id": "P0", "ts": "2024-03-01 09:00:00", "channel": "paid_search", "campaign_id": "C1"},
        {"touch_id": "T1", "person_id": "P1", "ts": "2025-01-05 09:00:00", "channel": "paid_search", "campaign_id": "C1"},
        {"touch_id": "T2", "person_id": "P1", "ts": "2025-01-20 09:00:00", "channel": "email", "campaign_id": "C9"},
        {"touch_id": "T3", "person_id": "P2", "ts": "2025-02-01 09:00:00", "channel": "webinar", "campaign_id": "C2"},
    ],
    "opportunities": [
        _opp("O0", "A0", "P0", "2024-04-01", 500), _opp("O0b", "A0", "P0", "2025-05-01", 700),
        _opp("O1", "A1", "P1", "2025-02-01", 12000), _opp("O4", "A1", "P1", "2025-08-01", 1200),
        _opp("O2", "A2", "P2", "2025-03-01", 6000), _opp("O3", "A3", "P3", "2025-06-01", 2400),
    ],
    "revenue": [
        _rev("R0", "A0", "2024-04-01", 500, "new"), _rev("R0b", "A0", "2025-04-01", 550, "renewal"),
        _rev("R1", "A1", "2025-02-01", 1200, "new"), _rev("R2", "A1", "2025-08-01", 600, "expansion"),
        _rev("R3", "A1", "2026-02-01", 1800, "renewal"), _rev("R4", "A1", "2026-06-01", -300, "churn"),
        _rev("R5", "A2", "2025-03-01", 2400, "new"), _rev("R6", "A2", "2025-12-01", -400, "contraction"),
        _rev("R7", "A3", "2025-06-01", 3600, "new"),
    ],
    "spend": [
        {"date": "2024-06-01", "channel": "paid_search", "campaign_id": "C1", "amount": "999", "currency": "USD"},
        {"date": "2025-01-10", "channel": "paid_search", "campaign_id": "C1", "amount": "3000", "currency": "USD"},
        {"date": "2025-02-10", "channel": "webinar", "campaign_id": "C2", "amount": "1000", "currency": "USD"},
        {"date": "2025-01-15", "channel": "email", "campaign_id": "C9", "amount": "500", "currency": "USD"},
    ],
}
COSTS = "costs: [{period: FY2025-Q1, team: sdr, amount: 9000}]"
MARGIN = 0.8
MONTHLY = 7400 / 3 / 12


def hand_ltv() -> float:
    """The pooled cohort curve (4 cohorts of one; months observed: 0-12 by all four, 13-15 by three, 16 by two)."""
    curve = {0: (500 + 1200 + 2400 + 3600) / 4, 6: 600 / 4, 9: -400 / 4, 12: (1800 + 550) / 4, 16: -300 / 2}
    d = 1.1 ** (1 / 12)
    return MARGIN * sum(v * d ** -m for m, v in curve.items())


def build(make: Callable[[], wanamaker.Workspace], folder: Path) -> wanamaker.Workspace:
    ws = make()
    path = ws.root / "wanamaker.yml"
    text, n = re.subn(r"^  model: markov_3(.*)\n  (.*)\n  costs: \[\]", r"  model: first_touch\1\n  \2\n  " + COSTS,
                      path.read_text(), flags=re.M)
    assert n == 1
    path.write_text(text)
    ws.close()
    ws = make()
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in TABLES.items():
        counts = ws.load([write_csv(folder / f"{name}.csv", rows)], table=name).tables[0].files[0]
        assert counts.loaded == len(rows), (name, counts)
    return ws


def check_known_answers(ws: wanamaker.Workspace) -> None:
    """The module docstring's answers (shared with the DuckDB-only tests)."""
    res = economics(ws, by="channel", in_label="FY2025", replicates=20)
    rows = {r["key"]: r for r in res.as_json()}
    assert res.as_json()[0]["key"] == "all" and res.params["window"] == "FY2025"
    ltv = hand_ltv()
    a = rows["all"]
    assert a["spend"] == pytest.approx(13500) and a["new_customers"] == 3
    assert a["cac"] == pytest.approx(4500) and a["ltv"] == pytest.approx(ltv)
    assert a["ltv_cac"] == pytest.approx(ltv / 4500)
    assert a["payback_months"] == pytest.approx(4500 / (MONTHLY * MARGIN))
    assert a["romi"] == pytest.approx(((13200 + 6000 + 2400) * MARGIN - 13500) / 13500)
    assert a["romi_low"] is None and a["romi_high"] is None
    ps = rows["paid_search"]
    assert (ps["spend"], ps["new_customers"], ps["cac"]) == pytest.approx((9000, 1, 9000))
    assert ps["romi"] == pytest.approx((13200 * MARGIN - 9000) / 9000)
    assert ps["payback_months"] == pytest.approx(9000 / (MONTHLY * MARGIN))
    assert ps["ltv_cac"] == pytest.approx(ltv / 9000)
    assert ps["romi_low"] <= ps["romi"] <= ps["romi_high"]
    web = rows["webinar"]
    assert (web["spend"], web["cac"], web["romi"]) == pytest.approx((3000, 3000, (6000 * MARGIN - 3000) / 3000))
    em = rows["email"]
    assert em["spend"] == pytest.approx(1500) and em["new_customers"] == 0
    assert em["cac"] is None and em["ltv_cac"] is None and em["payback_months"] is None and em["romi"] == -1
    assert rows["(no touch)"]["new_customers"] == 1 and rows["(no touch)"]["romi"] is None
    assert rows["(no converting person)"]["cac"] is None
    paid = rows["(paid)"]
    assert (paid["spend"], paid["new_customers"], paid["cac"]) == pytest.approx((3000, 1, 3000))
    assert any("split over channels in proportion to their spend" in n for n in res.notes)

    ret = [(r["key"], r["cohort"], r["new"], r["renewal"], r["expansion"], r["contraction"], r["churn"], r["nrr"])
           for r in retention(ws, by="channel").as_json()]
    assert ret == [
        ("all", "FY2024-Q2", 500, 550, 0, 0, 0, pytest.approx(1.1)),
        ("all", "FY2025-Q1", 3600, 1800, 600, -400, -300, None),
        ("all", "FY2025-Q2", 3600, 0, 0, 0, 0, None),
        ("paid_search", "FY2024-Q2", 500, 550, 0, 0, 0, pytest.approx(1.1)),
        ("paid_search", "FY2025-Q1", 1200, 1800, 600, 0, -300, None),
        ("webinar", "FY2025-Q1", 2400, 0, 0, -400, 0, None),
        ("(none)", "FY2025-Q2", 3600, 0, 0, 0, 0, None),
    ]


def test_same_known_answers_on_every_engine(make_workspace: Callable[[], wanamaker.Workspace], tmp_path: Path) -> None:
    ws = build(make_workspace, tmp_path / "in")
    check_known_answers(ws)
