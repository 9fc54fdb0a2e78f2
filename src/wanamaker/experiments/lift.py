"""Lift tests for other modules (the calibrated attribution model, the which-half verdicts): one
:class:`LiftTest` per experiment of kind ``lift`` (DESIGN "Experiments and mix modelling"; docs/experiments.md).

The treated group is every arm not marked control, pooled (a holdout test has one); ``lift`` = treated rate -
control rate with Newcombe's interval; ``incremental_conversions`` = lift x treated units (the conversions the
channel caused among the treated), its interval the lift's interval x treated units; ``incremental_revenue``
likewise from the revenue per unit difference and Welch's interval, when the test logs revenue. The sequential
(always-valid) interval says whether the test may be read as decided now, however often it was looked at.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from wanamaker.experiments import stats
from wanamaker.experiments.analysis import LEVEL, check_level, method_name
from wanamaker.experiments.arms import Experiment, pool, read_experiments


@dataclass(frozen=True)
class LiftTest:
    experiment_id: str
    channel: str | None
    milestone: str | None  # the stage `converted` means; None when the log does not say
    treated_units: int
    control_units: int
    treated_conversions: int
    control_conversions: int
    treated_rate: float
    control_rate: float
    lift: float  # absolute rate difference
    lift_low: float
    lift_high: float
    incremental_conversions: float
    incremental_low: float
    incremental_high: float
    incremental_revenue: float | None
    incremental_revenue_low: float | None
    incremental_revenue_high: float | None
    sequential_low: float
    sequential_high: float
    sequential_significant: bool
    p_value: float | None
    level: float
    method: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _lift_test(exp: Experiment, level: float) -> LiftTest | None:
    control = exp.control
    if control is None or not exp.treated:
        return None
    treated = exp.treated[0] if len(exp.treated) == 1 else pool(exp.treated, "treated")
    x_t, n_t, x_c, n_c = treated.conversions, treated.units, control.conversions, control.units
    ci = stats.newcombe(x_t, n_t, x_c, n_c, level)
    seq = stats.sequential(x_t, n_t, x_c, n_c, 1 - level)
    if ci is None or seq is None:
        return None
    lift = x_t / n_t - x_c / n_c
    rev_mid = rev_low = rev_high = None
    if exp.has_revenue:
        w = stats.welch(treated.revenue_mean, treated.revenue_var or 0.0, n_t, control.revenue_mean,
                        control.revenue_var or 0.0, n_c, level)
        rev_mid = w.diff * n_t
        rev_low = None if w.low is None else w.low * n_t
        rev_high = None if w.high is None else w.high * n_t
    return LiftTest(
        experiment_id=exp.experiment_id, channel=exp.channel, milestone=exp.milestone, treated_units=n_t,
        control_units=n_c, treated_conversions=x_t, control_conversions=x_c, treated_rate=x_t / n_t,
        control_rate=x_c / n_c, lift=lift, lift_low=ci[0], lift_high=ci[1], incremental_conversions=lift * n_t,
        incremental_low=ci[0] * n_t, incremental_high=ci[1] * n_t, incremental_revenue=rev_mid,
        incremental_revenue_low=rev_low, incremental_revenue_high=rev_high, sequential_low=seq.low,
        sequential_high=seq.high, sequential_significant=seq.significant,
        p_value=stats.two_proportion_p_value(x_t, n_t, x_c, n_c), level=level, method=method_name(level),
    )


def lift_tests(ws: Any, milestone: str | None = None, level: float = LEVEL) -> list[LiftTest]:
    """One :class:`LiftTest` per experiment of kind ``lift`` that has a control and a treated arm, by
    experiment id. With ``milestone``, only the tests whose ``milestone`` is that stage (a test whose log gives
    no milestone is then left out: what it measured is unknown)."""
    level = check_level(level)
    found, _ = read_experiments(ws, kinds=("lift",))
    out = []
    for exp in found:
        if milestone is not None and exp.milestone != milestone:
            continue
        test = _lift_test(exp, level)
        if test is not None:
            out.append(test)
    return out
