"""The demo's experiments (`wanamaker demo --size small --seed 5`): the log's new columns, every lift test measured at
the opportunity milestone too, and the true effects of ground_truth_experiments inside the intervals."""

from __future__ import annotations

import pytest
from tests.demo.helpers import DemoRun

import wanamaker
from wanamaker.demo import experiments as demo_experiments
from wanamaker.experiments import experiments, lift_tests, pricing


def _truth(ws: wanamaker.Workspace) -> dict[str, dict[str, object]]:
    rows = ws.sql("SELECT * FROM ground_truth_experiments").to_pylist()
    return {str(r["experiment_id"]): r for r in rows}


def test_demo_log_has_the_new_columns(small_demo: DemoRun) -> None:
    assert small_demo.exit_code == 0, small_demo.output
    with wanamaker.open(small_demo.root, read_only=True) as ws:
        rows = ws.sql("SELECT kind, milestone, min(allocation) AS lo, max(allocation) AS hi, count(price) AS priced, "
                      "count(*) FILTER (WHERE converted AND converted_at IS NULL) AS undated, "
                      "count(*) FILTER (WHERE converted_at < assigned_at) AS before "
                      "FROM experiments GROUP BY 1, 2 ORDER BY 1, 2").to_pylist()
    by = {(r["kind"], r["milestone"]): r for r in rows}
    assert set(by) == {("lift", "lead"), ("lift", "mql"), ("lift", "opportunity"), ("pricing", "won")}
    assert (by[("lift", "lead")]["lo"], by[("lift", "lead")]["hi"]) == pytest.approx((0.15, 0.85))
    assert by[("pricing", "won")]["lo"] == by[("pricing", "won")]["hi"] == 0.5
    assert by[("pricing", "won")]["priced"] > 0 and by[("lift", "lead")]["priced"] == 0
    assert all(r["undated"] == 0 and r["before"] == 0 for r in rows)


def test_lift_tests_are_measured_at_the_opportunity_milestone(small_demo: DemoRun) -> None:
    """Each lift test is logged at its milestone and again at opportunity, for the same units; at opportunity the
    true incremental opportunities (the world with the channel on minus off, over the exposed) lie inside the
    90 % interval of every test."""
    with wanamaker.open(small_demo.root, read_only=True) as ws:
        truth = _truth(ws)
        every = {t.experiment_id: t for t in lift_tests(ws)}
        at_opportunity = lift_tests(ws, milestone="opportunity")
    names = [f"{t.experiment_id}@opportunity" for t in demo_experiments.LIFT_TESTS]
    assert sorted(t.experiment_id for t in at_opportunity) == sorted(names)
    for test in demo_experiments.LIFT_TESTS:
        own, opp = every[test.experiment_id], every[f"{test.experiment_id}@opportunity"]
        assert (own.treated_units, own.control_units) == (opp.treated_units, opp.control_units)
        assert own.milestone == test.milestone and opp.milestone == "opportunity" and opp.channel == test.channel
        assert truth[opp.experiment_id]["units"] == opp.treated_units
    for t in at_opportunity:
        true_effect = float(truth[t.experiment_id]["true_effect"])  # type: ignore[arg-type]
        assert t.incremental_low <= true_effect <= t.incremental_high, (t.experiment_id, true_effect)
        assert not t.sequential_significant  # small demo: too few opportunities to call any of them
    assert truth["lift-display-retargeting@opportunity"]["true_effect"] == 0


def test_pricing_truth_inside_its_interval(small_demo: DemoRun) -> None:
    """ground_truth_experiments holds price B's won revenue minus price A's over the same deals; per deal it lies
    inside the 90 % interval of the revenue per unit difference (``experiments``) and of the revenue per visitor
    difference (``pricing``)."""
    with wanamaker.open(small_demo.root, read_only=True) as ws:
        truth = _truth(ws)[demo_experiments.PRICING_ID]
        row = experiments(ws, experiment=demo_experiments.PRICING_ID).get(demo_experiments.PRICING_ID, "price_b")
        priced = pricing(ws)
    per_unit = float(truth["true_effect_per_unit"])  # type: ignore[arg-type]
    assert row.revenue_lift_low is not None and row.revenue_lift_high is not None
    assert row.revenue_lift_low <= per_unit <= row.revenue_lift_high, (per_unit, row)
    b = priced.get(demo_experiments.PRICING_ID, "price_b")
    assert b.price == 125.0 and priced.get(demo_experiments.PRICING_ID, "price_a").price == 100.0
    assert (b.revenue_lift_low, b.revenue_lift_high) == pytest.approx((row.revenue_lift_low, row.revenue_lift_high))
    assert b.margin == pytest.approx(1 - (1 - priced.gross_margin) * 100 / 125)
    assert sum(r.prob_best or 0 for r in priced.rows_) == pytest.approx(1.0)
    assert truth["units"] == sum(r.units for r in priced.rows_)
