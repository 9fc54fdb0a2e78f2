"""``wanamaker pricing`` (wanamaker.experiments.pricing): known answers on hand-made pricing tests, the probability
of the best price against quadrature, a log without revenue, the margin read from wanamaker.yml."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from scipy import integrate
from scipy import stats as ss

import wanamaker
from wanamaker.errors import UsageError
from wanamaker.experiments import pricing, stats

# px: price A (control) 100, 1,000 units, 100 buy at 100; price B 125, 1,000 units, 85 buy at 125.
# Revenue per visitor A 10.000, B 10.625. Gross margin 0.8 at the control's price: a unit costs 20, so B keeps
# 1 - 20/125 = 0.84 of its revenue: gross profit per visitor A 8.000, B 8.925; B breaks even at a conversion rate
# of 8.000 / (0.84 x 125) = 7.619 %. px-norev is the same log without revenue (a buyer pays the price offered);
# px3 adds a third price, and px-noprice has no price at all.
COUNTS = {"price_a": (100.0, 1000, 100), "price_b": (125.0, 1000, 85)}


def _lines(experiment: str, arms: dict[str, tuple[float, int, int]], *, revenue: bool = True,
           price: bool = True) -> list[str]:
    out = []
    for k, (arm, (p, n, y)) in enumerate(arms.items()):
        for i in range(n):
            bought = i < y
            out.append(",".join((experiment, f"{experiment}-{arm}-{i}", "pricing", arm, "true" if k == 0 else "false",
                                 f"{1 / len(arms):.6f}", "true" if bought else "false",
                                 f"{p:g}" if bought and revenue else "", f"{p:g}" if price else "")))
    return out


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[wanamaker.Workspace]:
    folder = tmp_path_factory.mktemp("pricing")
    rows = ["experiment_id,unit_id,kind,variant,is_control,allocation,converted,revenue,price"]
    rows += _lines("px", COUNTS) + _lines("px-norev", COUNTS, revenue=False)
    rows += _lines("px3", {**COUNTS, "price_c": (150.0, 1000, 60)})
    rows += _lines("px-noprice", COUNTS, price=False)
    rows += ["ab1,u1,ab,a,true,0.5,true,,", "ab1,u2,ab,b,false,0.5,false,,"]
    path = folder / "pricing.csv"
    path.write_text("\n".join(rows) + "\n")
    workspace = wanamaker.open(wanamaker.init(folder / "ws"))
    workspace.load([path], table="experiments")
    yield workspace
    workspace.close()


def test_known_answers(ws: wanamaker.Workspace) -> None:
    result = pricing(ws, experiment="px")
    a, b = result.get("px", "price_a"), result.get("px", "price_b")
    assert result.gross_margin == 0.8 and [r.variant for r in result.rows_] == ["price_a", "price_b"]
    assert (a.price, a.units, a.conversions, a.rate) == (100.0, 1000, 100, 0.1)
    assert a.revenue_per_visitor == pytest.approx(10.0) and b.revenue_per_visitor == pytest.approx(10.625)
    assert a.revenue_per_conversion == pytest.approx(100.0) and b.revenue_per_conversion == pytest.approx(125.0)
    assert a.margin == pytest.approx(0.8) and b.margin == pytest.approx(0.84)
    assert a.gross_profit_per_visitor == pytest.approx(8.0) and b.gross_profit_per_visitor == pytest.approx(8.925)
    assert b.break_even_rate == pytest.approx(8.0 / 105.0)
    assert b.lift == pytest.approx(-0.015) and (b.lift_low, b.lift_high) == pytest.approx(
        stats.newcombe(85, 1000, 100, 1000, 0.9))
    assert b.lift_relative == pytest.approx(-0.15)
    rpv_var = 100.0**2 * 0.1 * 0.9 * 1000 / 999  # a unit pays 0 or 100
    assert (a.revenue_per_visitor_low, a.revenue_per_visitor_high) == pytest.approx(
        stats.t_interval(10.0, rpv_var, 1000, 0.9))
    assert (a.gross_profit_per_visitor_low, a.gross_profit_per_visitor_high) == pytest.approx(
        tuple(0.8 * v for v in stats.t_interval(10.0, rpv_var, 1000, 0.9) or ()))
    assert b.revenue_lift == pytest.approx(0.625) and b.gross_profit_lift == pytest.approx(0.925)
    assert b.gross_profit_lift_low is not None and b.gross_profit_lift_low < 0.925 < (b.gross_profit_lift_high or 0)
    assert a.lift is None and a.break_even_rate is None
    note = next(n for n in result.notes if n.startswith("px: price_b at 125 vs price_a at 100"))
    assert "conversion -15%" in note and "revenue per visitor +6%" in note and "gross profit per visitor +12%" in note


def test_probability_of_the_best_price_against_quadrature(ws: wanamaker.Workspace) -> None:
    """Every buyer pays the price, so gross profit per visitor is k x price x rate: P(B best) = P(105 r_B > 80 r_A)
    with r ~ Beta(1 + y, 1 + n - y), by numerical integration."""
    result = pricing(ws, experiment="px")
    a, b = result.get("px", "price_a"), result.get("px", "price_b")
    ra, rb = ss.beta(101, 901), ss.beta(86, 916)
    exact = integrate.quad(lambda x: ra.pdf(x) * rb.sf(80 / 105 * x), 0, 1, points=[0.1])[0]
    assert b.prob_best == pytest.approx(exact, abs=0.005)  # 100,000 draws
    assert (a.prob_best or 0) + (b.prob_best or 0) == pytest.approx(1.0)
    three = pricing(ws, experiment="px3")
    assert sum(r.prob_best or 0 for r in three.rows_) == pytest.approx(1.0)
    assert three.get("px3", "price_c").margin == pytest.approx(1 - 0.2 * 100 / 150)


def test_a_log_without_revenue_pays_the_price_offered(ws: wanamaker.Workspace) -> None:
    with_revenue, without = pricing(ws, experiment="px"), pricing(ws, experiment="px-norev")
    for r1, r2 in zip(with_revenue.rows_, without.rows_, strict=True):
        d1, d2 = r1.__dict__.copy(), r2.__dict__.copy()
        assert d2.pop("experiment_id") == "px-norev" and d1.pop("experiment_id") == "px"
        assert d1.keys() == d2.keys()
        for key in d1:
            assert d2[key] == pytest.approx(d1[key], rel=1e-9, abs=0.005 if key == "prob_best" else 1e-12), key
    assert any("logs no revenue" in n for n in without.notes)


def test_no_price_means_the_configured_margin(ws: wanamaker.Workspace) -> None:
    result = pricing(ws, experiment="px-noprice")
    assert {r.margin for r in result.rows_} == {0.8}
    assert any("without a price" in n for n in result.notes)


def test_margin_from_the_workspace_config(tmp_path: Path) -> None:
    root = wanamaker.init(tmp_path / "ws")
    cfg = root / "wanamaker.yml"
    cfg.write_text(cfg.read_text().replace("gross_margin: 0.8", "gross_margin: 0.6"))
    path = tmp_path / "p.csv"
    path.write_text("\n".join(["experiment_id,unit_id,kind,variant,is_control,converted,revenue,price",
                               *_lines_plain()]) + "\n")
    with wanamaker.open(root) as w:
        w.load([path], table="experiments")
        result = pricing(w)
    assert result.gross_margin == 0.6
    assert result.get("p", "b").margin == pytest.approx(1 - 0.4 * 10 / 20)


def _lines_plain() -> list[str]:
    return [f"p,a{i},pricing,a,true,{str(i < 5).lower()},{'10' if i < 5 else ''},10" for i in range(20)] + [
        f"p,b{i},pricing,b,false,{str(i < 3).lower()},{'20' if i < 3 else ''},20" for i in range(20)]


def test_usage_errors(ws: wanamaker.Workspace) -> None:
    with pytest.raises(UsageError, match="'ab1' is of kind ab, not pricing"):
        pricing(ws, experiment="ab1")
    with pytest.raises(UsageError, match="Did you mean 'px'"):
        pricing(ws, experiment="px4")
    with pytest.raises(UsageError, match="--level 1.5"):
        pricing(ws, level=1.5)
