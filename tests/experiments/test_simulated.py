"""A simulated multi-arm experiment with known lifts (tests/experiments/simulated.py): loaded once through a mapping
as a user would, its rows are the statistics of its counts and the sample-ratio mismatch is flagged; over 500 seeds
each arm's intervals cover the truth at their stated rate (the statistics run directly on the simulated counts)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from tests.experiments import simulated
from tests.experiments.simulated import BANNER, CHECKOUT

import wanamaker
from wanamaker.experiments import experiments, lift_tests, stats

Loaded = tuple[wanamaker.Workspace, dict[str, dict[str, simulated.ArmData]]]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    folder = tmp_path_factory.mktemp("simulated")
    rng = np.random.default_rng(2026)
    data = {"checkout": simulated.simulate(rng, CHECKOUT, 20_000), "banner": simulated.simulate(rng, BANNER, 6_000)}
    csv, mapping = simulated.export({"checkout": (CHECKOUT, data["checkout"]), "banner": (BANNER, data["banner"])},
                                    folder / "export")
    ws = wanamaker.open(wanamaker.init(folder / "ws"))
    result = ws.load([csv], mapping=mapping)
    assert result.tables[0].quarantine_reasons == {}
    yield ws, data
    ws.close()


def test_rows_are_the_statistics_of_the_loaded_counts(loaded: Loaded) -> None:
    ws, data = loaded
    result = experiments(ws)
    assert [(r.experiment_id, r.variant) for r in result.rows_] == [
        ("banner", "old"), ("banner", "new"),
        ("checkout", "control"), ("checkout", "express"), ("checkout", "one_click"), ("checkout", "upsell")]
    control = data["checkout"]["control"]
    row = result.get("checkout", "control")
    assert row.is_control and row.units == control.units and row.lift is None and row.allocation == 0.4
    assert row.milestone == "purchase" and row.kind == "ab"
    for arm in ("one_click", "upsell", "express"):
        d, row = data["checkout"][arm], result.get("checkout", arm)
        assert (row.units, row.conversions) == (d.units, d.conversions)
        counts = (d.conversions, d.units, control.conversions, control.units)
        assert row.lift == pytest.approx(d.conversions / d.units - control.conversions / control.units, abs=1e-15)
        assert (row.lift_low, row.lift_high) == pytest.approx(stats.newcombe(*counts, 0.9), abs=1e-15)
        assert row.p_value == pytest.approx(stats.two_proportion_p_value(*counts), rel=1e-12)
        assert row.lift_relative == pytest.approx(row.lift / (control.conversions / control.units))
        welch = stats.welch(d.revenue.mean(), d.revenue.var(ddof=1), d.units, control.revenue.mean(),
                            control.revenue.var(ddof=1), control.units, 0.9)
        assert row.revenue_per_unit == pytest.approx(d.revenue.mean(), rel=1e-9)
        assert (row.revenue_lift, row.revenue_lift_low, row.revenue_lift_high) == pytest.approx(
            (welch.diff, welch.low, welch.high), rel=1e-6)  # the engine's variance against numpy's
        assert row.method.startswith("wilson; newcombe_hybrid_score; z_pooled")
        assert "msprt_normal_mixture(alpha=0.1, n*=1000)" in row.method
    assert sum(r.share or 0 for r in result.rows_ if r.experiment_id == "checkout") == pytest.approx(1.0)


def test_the_sample_ratio_mismatch_is_flagged(loaded: Loaded) -> None:
    ws, data = loaded
    result = experiments(ws)
    checkout = [r for r in result.rows_ if r.experiment_id == "checkout"]
    units = [data["checkout"][a].units for a in CHECKOUT]
    assert all(r.srm for r in checkout) and checkout[0].srm_p_value == pytest.approx(
        stats.srm_p_value(units, [0.4, 0.2, 0.2, 0.2]), rel=1e-9)
    assert checkout[0].srm_p_value is not None and checkout[0].srm_p_value < 1e-6
    assert not any(r.srm for r in result.rows_ if r.experiment_id == "banner")
    assert result.mismatched == ("checkout",)
    note = next(n for n in result.notes if n.startswith("sample-ratio mismatch in checkout"))
    assert "express" in note and "20.0% planned" in note
    assert experiments(ws, experiment="banner").mismatched == ()


def test_lift_tests_are_for_kind_lift_only(loaded: Loaded) -> None:
    ws, _ = loaded
    assert lift_tests(ws) == []  # the simulated tests are A/B tests, not channel holdouts


def test_intervals_cover_the_truth_at_their_stated_rate_over_500_seeds() -> None:
    """500 replications of the checkout experiment (3 treated arms each): Newcombe's 90 % interval of the lift,
    Welch's 90 % interval of the revenue per unit and the 90 % credible interval each cover the true difference in
    about 90 % of them; the sequential interval (valid at every look) in at least 90 %; the mismatched arm's
    estimate is unbiased. The SRM check flags the lossy arm's experiment almost every time (its power against a 10 %
    loss of one arm's units) and the clean banner test about 0.1 % of the time."""
    rng = np.random.default_rng(7)
    arms = [a for a in CHECKOUT if a != "control"]
    hits = {k: {a: 0 for a in arms} for k in ("lift", "revenue", "credible", "sequential")}
    srm_flags = clean_flags = 0
    seeds = 500
    for _ in range(seeds):
        data = simulated.simulate(rng, CHECKOUT, 20_000)
        c = data["control"]
        for arm in arms:
            d = data[arm]
            truth = simulated.true_rate(CHECKOUT, arm) - simulated.true_rate(CHECKOUT, "control")
            counts = (d.conversions, d.units, c.conversions, c.units)
            low, high = stats.newcombe(*counts, 0.9) or (np.nan, np.nan)
            hits["lift"][arm] += low <= truth <= high
            post = stats.beta_difference(*counts, 0.9, draws=20_000)
            hits["credible"][arm] += post.low <= truth <= post.high
            seq = stats.sequential(*counts, 0.1)
            assert seq is not None
            hits["sequential"][arm] += seq.low <= truth <= seq.high
            rev_truth = (simulated.true_revenue_per_unit(CHECKOUT, arm)
                         - simulated.true_revenue_per_unit(CHECKOUT, "control"))
            w = stats.welch(d.revenue.mean(), d.revenue.var(ddof=1), d.units, c.revenue.mean(),
                            c.revenue.var(ddof=1), c.units, 0.9)
            assert w.low is not None and w.high is not None
            hits["revenue"][arm] += w.low <= rev_truth <= w.high
        p = stats.srm_p_value([data[a].units for a in CHECKOUT], [CHECKOUT[a][0] for a in CHECKOUT])
        srm_flags += p is not None and p < stats.SRM_ALPHA
        banner = simulated.simulate(rng, BANNER, 6_000)
        p = stats.srm_p_value([banner[a].units for a in BANNER], [0.5, 0.5])
        clean_flags += p is not None and p < stats.SRM_ALPHA
    rates = {k: {a: n / seeds for a, n in v.items()} for k, v in hits.items()}
    for kind in ("lift", "revenue", "credible"):
        overall = sum(rates[kind].values()) / len(arms)
        assert 0.875 <= overall <= 0.925, (kind, rates[kind])  # 1,500 intervals: sd of the rate 0.8 points
        assert all(0.85 <= r <= 0.95 for r in rates[kind].values()), (kind, rates[kind])  # 500 each: sd 1.3 points
    assert all(r >= 0.9 for r in rates["sequential"].values()), rates["sequential"]
    assert srm_flags >= 0.95 * seeds and clean_flags <= 5  # power ~97 % against a 10 % loss; 0.1 % false alarms


def test_pooled_arms_are_the_arms_together(loaded: Loaded) -> None:
    """A lift test's treated arms are pooled (arms.pool): counts add up and the revenue moments are those of the
    units together."""
    from wanamaker.experiments.arms import pool, read_experiments

    ws, data = loaded
    found, _ = read_experiments(ws, experiment="checkout")
    pooled = pool(found[0].treated, "treated")
    arms = [data["checkout"][a] for a in ("one_click", "upsell", "express")]
    revenue = np.concatenate([a.revenue for a in arms])
    converted = np.concatenate([a.converted for a in arms])
    assert (pooled.units, pooled.conversions) == (revenue.size, int(converted.sum()))
    assert pooled.revenue_mean == pytest.approx(revenue.mean(), rel=1e-9)
    assert pooled.revenue_var == pytest.approx(revenue.var(ddof=1), rel=1e-6)
    assert pooled.converter_revenue_mean == pytest.approx(revenue[converted].mean(), rel=1e-9)
    assert pooled.converter_revenue_var == pytest.approx(revenue[converted].var(ddof=1), rel=1e-6)
