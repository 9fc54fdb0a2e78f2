"""Money in the workspace currency (wanamaker.metrics.money): converted at the rate of the day it is placed,
left out (never 1:1) without a rate, and the same in attribution and alignment, on every engine."""

from __future__ import annotations

from pathlib import Path

import pytest

import wanamaker
from wanamaker.metrics.money import opportunity_money

OPPS = ("opportunity_id,account_id,person_id,created_at,closed_at,status,amount,currency\n"
        "o1,A,p1,2026-01-10,2026-02-10,won,1000,USD\n"      # home currency: as it is
        "o2,A,p1,2026-01-11,2026-02-11,won,1000,EUR\n"      # 1.10 at creation, 1.20 at closing
        "o3,B,p2,2026-01-12,,open,500,EUR\n"                 # pipeline at 1.30
        "o4,B,p2,2026-01-13,2026-03-01,won,200,GBP\n")       # no GBP rate: left out
RATES = "date,currency,rate_to_workspace_currency\n2026-01-11,EUR,1.10\n2026-02-11,EUR,1.20\n2026-01-12,EUR,1.30\n"


@pytest.mark.engines
def test_amounts_are_converted_at_the_days_rate(engine_workspace: wanamaker.Workspace, tmp_path: Path) -> None:
    ws = engine_workspace
    data = {"accounts": "account_id\nA\nB\n", "people": "person_id,account_id,created_at\np1,A,2026-01-01\np2,B,2026-01-01\n",
            "opportunities": OPPS, "fx_rates": RATES}
    for table, text in data.items():
        path = tmp_path / f"{table}.csv"
        path.write_text(text)
        ws.load([path], table=table)
    rows = {r["opportunity_id"]: r for r in opportunity_money(ws, "USD").to_pyarrow().to_pylist()}
    assert rows["o1"]["pipeline_amount"] == 1000 and rows["o1"]["won_amount"] == 1000
    assert rows["o2"]["pipeline_amount"] == pytest.approx(1100) and rows["o2"]["won_amount"] == pytest.approx(1200)
    assert rows["o3"]["pipeline_amount"] == pytest.approx(650) and rows["o3"]["won_amount"] is None
    assert rows["o4"]["pipeline_amount"] is None and rows["o4"]["won_amount"] is None  # left out, not 200
    assert rows["o4"]["pipeline_unconverted"] and rows["o4"]["won_unconverted"]
    assert not any(rows[k]["won_unconverted"] for k in ("o1", "o2", "o3"))
    sourced = ws.alignment().sourced
    assert sourced.total.pipeline == pytest.approx(1000 + 1100 + 650)
    assert sourced.total.revenue == pytest.approx(1000 + 1200)


def test_check_names_opportunities_without_a_days_rate(workspace: wanamaker.Workspace, tmp_path: Path) -> None:
    data = {"accounts": "account_id\nA\nB\n", "people": "person_id,account_id,created_at\np1,A,2026-01-01\np2,B,2026-01-01\n",
            "opportunities": OPPS + "o5,B,p2,2026-01-20,,open,100,EUR\n", "fx_rates": RATES}
    for table, text in data.items():
        path = tmp_path / f"{table}.csv"
        path.write_text(text)
        workspace.load([path], table=table)
    findings = {(f.code, f.subject): f.count for f in workspace_check(workspace)}
    assert findings[("no_fx_rate_for_day", "opportunities.EUR")] == 1  # o5: EUR is known, its day is not
    assert findings[("no_fx_rate", "opportunities.GBP")] == 1  # o4: no GBP rate at all


def workspace_check(ws: wanamaker.Workspace) -> list:  # type: ignore[type-arg]
    from wanamaker.check import check

    return check(ws)
