"""The workspace side of LTV (wanamaker.economics.ltv): cohort revenue curves, segments, sBG survivors from
subscription rows over several cohorts, local days in the workspace time zone, and option errors."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

import wanamaker
from wanamaker.economics.ltv import CohortRow, PeriodRow, ltv, rfm_summary
from wanamaker.errors import UsageError


def load_csv(ws: wanamaker.Workspace, folder: Path, table: str, text: str) -> None:
    path = folder / f"{table}.csv"
    path.write_text(text)
    result = ws.load([path], table=table)
    assert result.tables[0].files[0].loaded == text.count("\n") - 1, result.tables[0].quarantine_reasons


def with_timezone(ws: wanamaker.Workspace, tz: str) -> wanamaker.Workspace:
    path = ws.root / "wanamaker.yml"
    text, n = re.subn(r"^timezone: .*$", f"timezone: {tz}", path.read_text(), flags=re.M)
    assert n == 1
    path.write_text(text)
    root = ws.root
    ws.close()
    return wanamaker.open(root)


REVENUE = """revenue_id,account_id,person_id,ts,amount,currency,kind
1,a1,,2024-01-05 10:00:00,100,USD,new
2,a1,,2024-02-05 10:00:00,100,USD,renewal
3,a1,,2024-03-05 10:00:00,150,USD,expansion
4,a2,,2024-01-20 10:00:00,50,USD,new
5,a2,,2024-03-01 10:00:00,-50,USD,churn
6,,p9,2024-02-10 10:00:00,80,USD,new
7,,p9,2024-03-10 10:00:00,80,USD,renewal
"""


def test_historical_cohort_curves(workspace: wanamaker.Workspace, tmp_path: Path) -> None:
    load_csv(workspace, tmp_path, "revenue", REVENUE)
    res = ltv(workspace, model="historical")
    rows = [r for r in res.rows if isinstance(r, CohortRow)]
    got = [(r.cohort, r.months_since, r.customers, r.revenue_per_customer, r.cumulative) for r in rows]
    # January: a1 (100, 100, 150) and a2 (50, then churn -50) -> per customer 75, 50, 50
    assert got == [("2024-01", 0, 2, 75.0, 75.0), ("2024-01", 1, 2, 50.0, 125.0), ("2024-01", 2, 2, 50.0, 175.0),
                   ("2024-02", 0, 1, 80.0, 80.0), ("2024-02", 1, 1, 80.0, 160.0)]
    assert res.customers == 3 and res.params == {} and res.loglik is None
    assert "key" not in res.as_json()["rows"][0]  # type: ignore[index]
    cut = ltv(workspace, model="historical", calibration_end=date(2024, 1, 31))
    assert [(r.cohort, r.months_since) for r in cut.rows if isinstance(r, CohortRow)] == [("2024-01", 0)]


def test_historical_by_segment(workspace: wanamaker.Workspace, tmp_path: Path) -> None:
    load_csv(workspace, tmp_path, "accounts", "account_id,name,segment\na1,A,enterprise\na2,B,smb\n")
    load_csv(workspace, tmp_path, "people", "person_id,segment\np9,smb\n")
    load_csv(workspace, tmp_path, "revenue", REVENUE)
    res = ltv(workspace, model="historical", by="segment")
    first = {(r.key, r.cohort): r for r in res.rows if isinstance(r, CohortRow) and r.months_since == 0}
    assert first[("enterprise", "2024-01")].revenue_per_customer == 100
    assert first[("smb", "2024-01")].revenue_per_customer == 50
    assert first[("smb", "2024-02")].customers == 1


def test_sbg_pools_cohorts(workspace: wanamaker.Workspace, tmp_path: Path) -> None:
    """Two monthly cohorts, observed for 4 and 3 months; survivors are counted to each customer's last month."""
    lines = ["revenue_id,account_id,ts,amount,currency,kind"]
    plan = {"2024-01": [1, 2, 4, 4, 4, 4, 3, 3, 2, 4], "2024-02": [1, 3, 3, 3, 2, 3]}  # months alive each
    n = 0
    for start, spans in plan.items():
        month0 = int(start[5:])
        for c, span in enumerate(spans):
            for k in range(span):
                n += 1
                lines.append(f"{n},{start}-{c},2024-{month0 + k:02d}-10,10,USD,{'new' if k == 0 else 'renewal'}")
    load_csv(workspace, tmp_path, "revenue", "\n".join(lines) + "\n")
    res = ltv(workspace, model="sbg", calibration_end=date(2024, 4, 30))
    rows = [r for r in res.rows if isinstance(r, PeriodRow)]
    assert [(r.cohort, r.period, r.alive) for r in rows] == [
        ("2024-01", 0, 10), ("2024-01", 1, 9), ("2024-01", 2, 7), ("2024-01", 3, 5),
        ("2024-02", 0, 6), ("2024-02", 1, 5), ("2024-02", 2, 4)]
    assert res.customers == 16 and set(res.params) == {"alpha", "beta"}
    # a customer's residual value rises with each renewal made (the survivors are the loyal ones)
    jan = [r.derl for r in rows if r.cohort == "2024-01"]
    assert all(0 < a < b for a, b in zip(jan, jan[1:], strict=False))


def test_days_are_local_to_the_workspace_time_zone(workspace: wanamaker.Workspace, tmp_path: Path) -> None:
    """23:30 UTC on 30 March 2024 is already 31 March in Berlin (after the switch to summer time, 01:30 local)."""
    ws = with_timezone(workspace, "Europe/Berlin")
    try:
        load_csv(ws, tmp_path, "revenue", "revenue_id,person_id,ts,amount,currency,kind\n"
                 "1,p1,2024-03-01 10:00:00,10,USD,new\n"
                 "2,p1,2024-03-30 23:30:00+00:00,10,USD,renewal\n"
                 "3,p1,2024-03-31 09:00:00,10,USD,renewal\n")
        s = rfm_summary(ws, calibration_end=date(2024, 3, 31), unit="day")
        assert s.frequency.tolist() == [1.0] and s.recency.tolist() == [30.0] and s.T.tolist() == [30.0]
        assert s.monetary_value.tolist() == [20.0]
    finally:
        ws.close()


def test_option_errors(workspace: wanamaker.Workspace) -> None:
    with pytest.raises(UsageError, match="Unknown LTV model"):
        ltv(workspace, model="cohort")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="Unknown unit"):
        ltv(workspace, model="bgnbd", unit="year")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="--horizon must be positive"):
        ltv(workspace, model="bgnbd", horizon=0)
    with pytest.raises(UsageError, match="--by country"):
        ltv(workspace, model="historical", by="country")
    with pytest.raises(UsageError, match="--by channel is not available for the bgnbd model"):
        ltv(workspace, model="bgnbd", by="channel")
    with pytest.raises(UsageError, match="--by segment is not available for the sbg model"):
        ltv(workspace, model="sbg", by="segment")
    empty = ltv(workspace, model="sbg")
    assert empty.rows == () and empty.customers == 0 and empty.notes
