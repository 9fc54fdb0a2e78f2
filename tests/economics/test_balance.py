"""Short- vs long-term balance: spend and hours by campaign horizon per quarter, against the plan's target."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import wanamaker
from support.data import write_csv
from wanamaker.cli.app import app


def test_balance_known_answers(workspace: wanamaker.Workspace, tmp_path: Path) -> None:
    ws = workspace
    ws.load([write_csv(tmp_path / "c.csv", [
        {"campaign_id": "brand", "horizon": "long"}, {"campaign_id": "promo", "horizon": "short"},
        {"campaign_id": "misc", "horizon": ""},
    ])], table="campaigns")
    ws.load([write_csv(tmp_path / "s.csv", [
        {"date": "2026-01-10", "channel": "display", "campaign_id": "brand", "amount": "300", "currency": "USD"},
        {"date": "2026-02-10", "channel": "paid_search", "campaign_id": "promo", "amount": "700", "currency": "USD"},
        {"date": "2026-02-11", "channel": "paid_search", "campaign_id": "misc", "amount": "50", "currency": "USD"},
        {"date": "2026-04-10", "channel": "display", "campaign_id": "brand", "amount": "500", "currency": "USD"},
        {"date": "2026-04-11", "channel": "paid_search", "campaign_id": "promo", "amount": "500", "currency": "USD"},
    ])], table="spend")
    ws.load([write_csv(tmp_path / "w.csv", [
        {"work_id": "w1", "hours": "10", "campaign_id": "brand", "delivered_at": "2026-01-20"},
        {"work_id": "w2", "hours": "30", "campaign_id": "promo", "started_at": "2026-03-01"},
        {"work_id": "w3", "hours": "5", "requested_at": "2026-03-02"},
    ], header=["work_id", "hours", "campaign_id", "requested_at", "started_at", "delivered_at"])], table="work_items")
    rows = {(r.period, r.measure): r for r in ws.balance().rows}
    q1 = rows[("FY2026-Q1", "spend")]
    assert (q1.long, q1.short, q1.unknown) == (300, 700, 50)
    assert q1.long_share == pytest.approx(0.3) and q1.status == "below"  # target 0.46 (the default plan)
    q2 = rows[("FY2026-Q2", "spend")]
    assert q2.long_share == pytest.approx(0.5) and q2.status == "on_target"
    assert rows[("all", "spend")].long_share == pytest.approx(800 / 2000)
    h = rows[("FY2026-Q1", "hours")]
    assert (h.long, h.short, h.unknown, h.long_share) == (10, 30, 5, 0.25)
    ws.close()  # the command opens the workspace itself
    got = CliRunner().invoke(app, ["balance", "--format", "json", "-w", str(ws.root)])
    assert got.exit_code == 0 and '"measure": "hours"' in got.stdout
    bad = CliRunner().invoke(app, ["balance", "--period", "week", "-w", str(ws.root)])
    assert bad.exit_code != 0
