"""The scorecard: outcome and efficiency metrics side by side for one period, and the goals measured only by
efficiency -- the same numbers as the metric catalogue."""

from __future__ import annotations

import pytest
from tests.demo.helpers import DemoRun

import wanamaker
from wanamaker.economics.scorecard import EFFECTIVENESS, EFFICIENCY, scorecard


def test_scorecard_on_the_demo(small_demo: DemoRun) -> None:
    with wanamaker.open(small_demo.root, read_only=True) as ws:
        card = scorecard(ws, in_label="FY2026-Q1")
        planted = ws.sql("SELECT subject FROM demo_planted WHERE code = 'efficiency_only_chain'").to_pylist()
        out = card.as_json()
        assert [x["metric"] for x in out["effectiveness"]] == list(EFFECTIVENESS)
        assert [x["metric"] for x in out["efficiency"]] == list(EFFICIENCY)
        for line in card.lines:
            now = ws.metric(line.metric, in_label="FY2026-Q1").rows
            before = ws.metric(line.metric, in_label="FY2025-Q4").rows
            # the same query; a float sum may add in another order across threads
            assert line.value == pytest.approx(now[0].value if now else None, rel=1e-12), line.metric
            assert line.previous == pytest.approx(before[0].value if before else None, rel=1e-12), line.metric
            if line.value is not None and line.previous:
                assert line.change == pytest.approx(line.value / line.previous - 1)
        assert list(card.efficiency_only_goals) == [r["subject"] for r in planted]
        assert scorecard(ws).period == "FY2026-Q2"  # the demo ends on the quarter's last day
        with pytest.raises(wanamaker.UsageError):
            scorecard(ws, in_label="Q1")


def test_economics_numbers_are_catalogue_metrics(small_demo: DemoRun) -> None:
    """ltv, romi, cac_loaded, ltv_cac and payback_months are the overall row of `wanamaker economics` for the
    window, so goals can be set on them."""
    with wanamaker.open(small_demo.root, read_only=True) as ws:
        row = ws.economics(in_label="FY2025", replicates=5).rows[0]
        assert row.key == "all"
        for metric, want in (("ltv", row.ltv), ("romi", row.romi), ("cac_loaded", row.cac),
                             ("ltv_cac", row.ltv_cac), ("payback_months", row.payback_months)):
            got = ws.metric(metric, in_label="FY2025").rows
            assert got and got[0].value == pytest.approx(want, rel=1e-9), metric
        with pytest.raises(wanamaker.UsageError):
            ws.metric("romi", by="channel")  # computed metrics have no breakdowns: `economics --by`
        explain = ws.metric("ltv", in_label="FY2025", explain=True).sql
        assert explain[0][1].startswith("-- ltv is computed")
