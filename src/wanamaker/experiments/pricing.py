"""``wanamaker pricing``: pricing tests (``kind: pricing``, a ``price`` per variant), the trade-off between
conversion and revenue per visitor, and which price earns the most gross profit (docs/experiments.md).

Per arm (a *visitor* is a unit of the test): conversion rate (Wilson interval); revenue per visitor = revenue /
units, a missing revenue counted as 0 (Student's t interval; when the log has no revenue at all, a converting unit
pays its ``price``); revenue per conversion.

**Gross profit.** ``economics.gross_margin`` (``m``) is the margin at the control's price ``P_c``; a unit sold costs
``(1 - m) P_c`` whatever it is sold for, so an arm priced ``P`` keeps ``k = 1 - (1 - m) P_c / P`` of its revenue
(``k = m`` for the control, or for every arm when the log gives no price). Gross profit per visitor = ``k`` x
revenue per visitor, with the same interval scaled by ``k``; against the control, Welch's interval of the
difference. ``break_even_rate`` = the conversion rate at which the arm's gross profit per visitor equals the
control's: control gross profit per visitor / (``k`` x the arm's revenue per conversion).

**Probability of being the best price** (on gross profit per visitor), by posterior simulation: an arm's conversion
rate ~ Beta(1 + conversions, 1 + units - conversions); its mean revenue per conversion ~ Normal(observed mean,
sample variance / conversions) (the central limit theorem on the converters' revenue; an arm with fewer than two
conversions borrows the variance of all the test's converters), independent; gross profit per visitor = ``k`` x
rate x revenue per conversion; ``prob_best`` = the share of 100,000 draws (seed fixed by the counts) in which the arm
is the highest.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from wanamaker.experiments import stats
from wanamaker.experiments.analysis import LEVEL, check_level
from wanamaker.experiments.arms import Arm, Experiment, pool, read_experiments
from wanamaker.funnel.results import Tabular

DRAWS = 100_000
METHOD = "wilson; newcombe_hybrid_score; student_t; welch_t; beta_binomial(1,1) x normal(revenue per conversion)"


@dataclass(frozen=True)
class PriceRow:
    experiment_id: str
    variant: str
    is_control: bool
    price: float | None
    units: int
    conversions: int
    rate: float | None
    rate_low: float | None
    rate_high: float | None
    revenue_per_visitor: float | None
    revenue_per_visitor_low: float | None
    revenue_per_visitor_high: float | None
    revenue_per_conversion: float | None
    margin: float  # the share of revenue kept as gross profit at this price
    gross_profit_per_visitor: float | None
    gross_profit_per_visitor_low: float | None
    gross_profit_per_visitor_high: float | None
    prob_best: float | None
    lift: float | None = None  # conversion rate - the control's (absolute)
    lift_low: float | None = None
    lift_high: float | None = None
    lift_relative: float | None = None
    revenue_lift: float | None = None  # revenue per visitor - the control's
    revenue_lift_low: float | None = None
    revenue_lift_high: float | None = None
    gross_profit_lift: float | None = None
    gross_profit_lift_low: float | None = None
    gross_profit_lift_high: float | None = None
    break_even_rate: float | None = None
    method: str = METHOD


@dataclass(frozen=True)
class PricingResult(Tabular):
    rows_: tuple[PriceRow, ...]
    level: float
    gross_margin: float
    notes: tuple[str, ...] = ()

    @property
    def table_rows(self) -> tuple[PriceRow, ...]:
        return self.rows_

    def as_json(self) -> list[dict[str, Any]]:
        return [asdict(r) for r in self.rows_]

    def get(self, experiment_id: str, variant: str) -> PriceRow:
        return next(r for r in self.rows_ if r.experiment_id == experiment_id and r.variant == variant)


def _revenue_from_price(arm: Arm) -> Arm:
    """A log without revenue: a converting unit pays the price it was offered."""
    if arm.price is None:
        return arm
    p, n, price = (arm.rate or 0.0), arm.units, arm.price
    var = price * price * p * (1 - p) * n / (n - 1) if n > 1 else None
    return replace(arm, revenue_mean=p * price, revenue_var=var,
                   converter_revenue_mean=price if arm.conversions else None, converter_revenue_var=0.0)


def margins(exp: Experiment, gross_margin: float) -> list[float]:
    """``k`` per arm: ``1 - (1 - m) P_c / P`` when the control's and the arm's prices are known, else ``m``."""
    pc = exp.control.price if exp.control is not None else None
    return [1 - (1 - gross_margin) * pc / a.price if pc is not None and a.price else gross_margin
            for a in exp.arms]


def prob_best(arms: tuple[Arm, ...], k: list[float], draws: int = DRAWS) -> list[float]:
    """P(each arm has the highest gross profit per visitor) under the module's posterior model."""
    everyone = pool(arms, "all")
    seed = [draws] + [v for a in arms for v in (a.units, a.conversions)]
    rng = np.random.default_rng(seed)
    profit = np.empty((len(arms), draws))
    for i, a in enumerate(arms):
        rate = rng.beta(1 + a.conversions, 1 + a.units - a.conversions, draws)
        mean = a.converter_revenue_mean if a.converter_revenue_mean is not None else everyone.converter_revenue_mean
        var = a.converter_revenue_var if a.conversions >= 2 and a.converter_revenue_var is not None else (
            everyone.converter_revenue_var or 0.0)
        per_conversion = rng.normal(mean or 0.0, np.sqrt(var / max(a.conversions, 1)), draws)
        profit[i] = k[i] * rate * per_conversion
    best = np.argmax(profit, axis=0)
    return [float(np.mean(best == i)) for i in range(len(arms))]


def _rows(exp: Experiment, gross_margin: float, level: float) -> tuple[list[PriceRow], list[str]]:
    notes = list(exp.notes)
    if not exp.has_revenue:
        arms = tuple(_revenue_from_price(a) for a in exp.arms)
        at = exp.arms.index(exp.control) if exp.control is not None else None
        exp = replace(exp, arms=arms, control=arms[at] if at is not None else None)
        notes.append(f"{exp.experiment_id} logs no revenue: a converting unit is taken to pay its price")
    if any(a.price is None for a in exp.arms):
        notes.append(f"{exp.experiment_id} has arms without a price: their gross profit is gross_margin "
                     f"{gross_margin:g} x revenue")
    for a in exp.arms:
        if a.price_varies:
            notes.append(f"the price of {exp.experiment_id} / {a.variant} varies between units; its mean "
                         f"{a.price:,.4g} is used")
    k = margins(exp, gross_margin)
    best = prob_best(exp.arms, k)
    control = exp.control
    kc = k[exp.arms.index(control)] if control is not None else gross_margin
    rows = []
    for a, ka, pb in zip(exp.arms, k, best, strict=True):
        wil = stats.wilson(a.conversions, a.units, level)
        rpv = stats.t_interval(a.revenue_mean, a.revenue_var or 0.0, a.units, level)
        row = PriceRow(
            experiment_id=exp.experiment_id, variant=a.variant, is_control=a.is_control, price=a.price,
            units=a.units, conversions=a.conversions, rate=a.rate, rate_low=wil[0] if wil else None,
            rate_high=wil[1] if wil else None, revenue_per_visitor=a.revenue_mean if a.units else None,
            revenue_per_visitor_low=rpv[0] if rpv else None, revenue_per_visitor_high=rpv[1] if rpv else None,
            revenue_per_conversion=a.converter_revenue_mean, margin=ka,
            gross_profit_per_visitor=ka * a.revenue_mean if a.units else None,
            gross_profit_per_visitor_low=ka * rpv[0] if rpv else None,
            gross_profit_per_visitor_high=ka * rpv[1] if rpv else None, prob_best=pb)
        if control is not None and a is not control and a.units and control.units:
            row = replace(row, **_against(a, ka, control, kc, level))
            notes.append(tradeoff(row, control, kc))
        rows.append(row)
    return rows, notes


def _against(a: Arm, ka: float, c: Arm, kc: float, level: float) -> dict[str, Any]:
    ci = stats.newcombe(a.conversions, a.units, c.conversions, c.units, level)
    rev = stats.welch(a.revenue_mean, a.revenue_var or 0.0, a.units, c.revenue_mean, c.revenue_var or 0.0,
                      c.units, level)
    gp = stats.welch(ka * a.revenue_mean, ka * ka * (a.revenue_var or 0.0), a.units, kc * c.revenue_mean,
                     kc * kc * (c.revenue_var or 0.0), c.units, level)
    lift = (a.rate or 0.0) - (c.rate or 0.0)
    per_conv = ka * (a.converter_revenue_mean or 0.0)
    return {"lift": lift, "lift_low": ci[0] if ci else None, "lift_high": ci[1] if ci else None,
            "lift_relative": lift / c.rate if c.rate else None, "revenue_lift": rev.diff,
            "revenue_lift_low": rev.low, "revenue_lift_high": rev.high, "gross_profit_lift": gp.diff,
            "gross_profit_lift_low": gp.low, "gross_profit_lift_high": gp.high,
            "break_even_rate": kc * c.revenue_mean / per_conv if per_conv > 0 else None}


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.0%}"


def tradeoff(row: PriceRow, control: Arm, kc: float) -> str:
    """One sentence: what the arm's price does to conversion, revenue and gross profit per visitor."""
    rpv = row.revenue_per_visitor or 0.0
    rel_rpv = rpv / control.revenue_mean - 1 if control.revenue_mean else None
    gp_c = kc * control.revenue_mean
    rel_gp = (row.gross_profit_per_visitor or 0.0) / gp_c - 1 if gp_c else None
    price = f" at {row.price:,.4g}" if row.price is not None else ""
    cprice = f" at {control.price:,.4g}" if control.price is not None else ""
    return (f"{row.experiment_id}: {row.variant}{price} vs {control.variant}{cprice}: conversion "
            f"{_pct(row.lift_relative)}, revenue per visitor {_pct(rel_rpv)}, gross profit per visitor "
            f"{_pct(rel_gp)}; P(best price) {row.prob_best or 0.0:.0%}")


def pricing(ws: Any, *, experiment: str | None = None, level: float = LEVEL) -> PricingResult:
    """Every pricing test (or only ``experiment``): one row per price, the control's first (``wanamaker
    pricing``)."""
    level = check_level(level)
    margin = float(ws.config.economics.gross_margin)
    found, notes = read_experiments(ws, kinds=("pricing",), experiment=experiment)
    rows: list[PriceRow] = []
    for exp in found:
        exp_rows, exp_notes = _rows(exp, margin, level)
        rows += exp_rows
        notes += exp_notes
    return PricingResult(tuple(rows), level, margin, tuple(notes))
