"""``wanamaker experiments``: every experiment's arms against its control (DESIGN "Experiments and mix modelling";
docs/experiments.md).

Per arm: units (distinct ``unit_id``), conversions, rate with its Wilson interval, revenue per unit. Per treated
arm against the experiment's control (the arm with ``is_control``): ``lift`` = rate - control rate (absolute)
with Newcombe's hybrid score interval and the pooled z-test's p-value, ``lift_relative`` = lift / control rate,
the Beta-Binomial posterior (P(arm better than control), credible interval), the always-valid sequential
interval (normal-mixture mSPRT at alpha = 1 - level), and the revenue per unit difference with Welch's interval.
Per experiment: the sample-ratio-mismatch p-value (chi-square of units against the planned ``allocation``, an
equal split when it is missing), repeated on each of its rows. The control's own row has the lift fields null.
Formulas and references: :mod:`wanamaker.experiments.stats`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from wanamaker.errors import UsageError
from wanamaker.experiments import stats
from wanamaker.experiments.arms import Arm, Experiment, read_experiments
from wanamaker.funnel.results import Tabular

LEVEL = 0.9  # the project's interval level (attribution's evaluate uses 90 % too)


def check_level(level: float) -> float:
    """``--level``: a confidence level from 0.5 to 0.999.

    >>> check_level(0.95)
    0.95
    """
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0.5 <= level <= 0.999:
        raise UsageError(f"--level {level!r} is not a confidence level from 0.5 to 0.999.",
                         fix="Use a fraction such as 0.9 (the default) or 0.95.")
    return float(level)


def method_name(level: float) -> str:
    """What produced a row's numbers, in the order of its fields.

    >>> method_name(0.9).split("; ")
    ['wilson', 'newcombe_hybrid_score', 'z_pooled', 'beta_binomial(1,1)', 'msprt_normal_mixture(alpha=0.1, n*=1000)', \
'welch_t', 'srm_chi2']
    """
    return (f"wilson; newcombe_hybrid_score; z_pooled; beta_binomial(1,1); "
            f"msprt_normal_mixture(alpha={1 - level:.3g}, n*={stats.TARGET_UNITS}); welch_t; srm_chi2")


@dataclass(frozen=True)
class ExperimentRow:
    experiment_id: str
    kind: str
    channel: str | None
    milestone: str | None
    variant: str
    is_control: bool
    units: int
    conversions: int
    rate: float | None
    lift: float | None
    lift_low: float | None
    lift_high: float | None
    p_value: float | None
    srm_p_value: float | None
    method: str
    rate_low: float | None = None
    rate_high: float | None = None
    lift_relative: float | None = None
    prob_better: float | None = None
    credible_low: float | None = None
    credible_high: float | None = None
    sequential_low: float | None = None
    sequential_high: float | None = None
    sequential_p_value: float | None = None
    sequential_significant: bool | None = None
    allocation: float | None = None
    share: float | None = None
    srm: bool = False
    revenue_per_unit: float | None = None
    revenue_lift: float | None = None
    revenue_lift_low: float | None = None
    revenue_lift_high: float | None = None
    revenue_p_value: float | None = None


@dataclass(frozen=True)
class ExperimentsResult(Tabular):
    rows_: tuple[ExperimentRow, ...]
    level: float
    notes: tuple[str, ...] = ()

    @property
    def table_rows(self) -> tuple[ExperimentRow, ...]:
        return self.rows_

    def as_json(self) -> list[dict[str, Any]]:
        return [asdict(r) for r in self.rows_]

    def get(self, experiment_id: str, variant: str) -> ExperimentRow:
        return next(r for r in self.rows_ if r.experiment_id == experiment_id and r.variant == variant)

    @property
    def mismatched(self) -> tuple[str, ...]:
        """The experiments flagged for a sample-ratio mismatch."""
        return tuple(dict.fromkeys(r.experiment_id for r in self.rows_ if r.srm))


def planned_shares(exp: Experiment) -> tuple[list[float], str | None]:
    """Each arm's planned share: its ``allocation`` when every arm has one, else an equal split (and a note when
    only some arms had one)."""
    given = [a.allocation for a in exp.arms]
    if all(g is not None for g in given):
        return [float(g) for g in given if g is not None], None
    note = None
    if any(g is not None for g in given):
        note = (f"experiment {exp.experiment_id}: some arms have no planned allocation; the sample-ratio check "
                "assumes an equal split")
    return [1.0] * len(given), note


def srm_note(exp: Experiment, planned: list[float], p: float) -> str:
    total, planned_total = sum(a.units for a in exp.arms), sum(planned)
    arms = ", ".join(f"{a.variant} {a.units:,} ({a.units / total:.1%} vs {s / planned_total:.1%} planned)"
                     for a, s in zip(exp.arms, planned, strict=True))
    return (f"sample-ratio mismatch in {exp.experiment_id}: {arms}; chi-square p = {p:.2g} < {stats.SRM_ALPHA:g}. "
            "Units were lost or mis-assigned: check the assignment and the logging before trusting its lifts")


def _compare(arm: Arm, control: Arm, exp: Experiment, level: float) -> dict[str, Any]:
    """The lift fields of ``arm`` against ``control``."""
    x_t, n_t, x_c, n_c = arm.conversions, arm.units, control.conversions, control.units
    out: dict[str, Any] = {}
    ci = stats.newcombe(x_t, n_t, x_c, n_c, level)
    if ci is None:
        return out
    lift = x_t / n_t - x_c / n_c
    post = stats.beta_difference(x_t, n_t, x_c, n_c, level)
    seq = stats.sequential(x_t, n_t, x_c, n_c, 1 - level)
    assert seq is not None
    out |= {"lift": lift, "lift_low": ci[0], "lift_high": ci[1],
            "p_value": stats.two_proportion_p_value(x_t, n_t, x_c, n_c),
            "lift_relative": lift / (x_c / n_c) if x_c else None, "prob_better": post.prob_better,
            "credible_low": post.low, "credible_high": post.high, "sequential_low": seq.low,
            "sequential_high": seq.high, "sequential_p_value": seq.p_value, "sequential_significant": seq.significant}
    if exp.has_revenue:
        w = stats.welch(arm.revenue_mean, arm.revenue_var or 0.0, n_t, control.revenue_mean,
                        control.revenue_var or 0.0, n_c, level)
        out |= {"revenue_lift": w.diff, "revenue_lift_low": w.low, "revenue_lift_high": w.high,
                "revenue_p_value": w.p_value}
    return out


def experiment_rows(exp: Experiment, level: float) -> tuple[list[ExperimentRow], list[str]]:
    """The rows of one experiment (control first) and its notes."""
    notes = list(exp.notes)
    planned, note = planned_shares(exp)
    if note:
        notes.append(note)
    srm_p = stats.srm_p_value([a.units for a in exp.arms], planned)
    flagged = srm_p is not None and srm_p < stats.SRM_ALPHA
    if flagged:
        assert srm_p is not None
        notes.append(srm_note(exp, planned, srm_p))
    total = sum(a.units for a in exp.arms)
    method = method_name(level)
    rows = []
    for arm in exp.arms:
        wil = stats.wilson(arm.conversions, arm.units, level)
        extra = {} if exp.control is None or arm is exp.control else _compare(arm, exp.control, exp, level)
        rows.append(ExperimentRow(
            experiment_id=exp.experiment_id, kind=arm.kind, channel=arm.channel, milestone=arm.milestone,
            variant=arm.variant, is_control=arm.is_control, units=arm.units, conversions=arm.conversions,
            rate=arm.rate, lift=extra.get("lift"), lift_low=extra.get("lift_low"), lift_high=extra.get("lift_high"),
            p_value=extra.get("p_value"), srm_p_value=srm_p, method=method,
            rate_low=wil[0] if wil else None, rate_high=wil[1] if wil else None,
            allocation=arm.allocation, share=arm.units / total if total else None, srm=flagged,
            revenue_per_unit=arm.revenue_mean if exp.has_revenue and arm.units else None,
            **{k: v for k, v in extra.items() if k not in ("lift", "lift_low", "lift_high", "p_value")},
        ))
    return rows, notes


def experiments(ws: Any, *, experiment: str | None = None, level: float = LEVEL) -> ExperimentsResult:
    """Every experiment (or only ``experiment``): one row per arm, the control's first (``wanamaker
    experiments``)."""
    level = check_level(level)
    found, notes = read_experiments(ws, experiment=experiment)
    rows: list[ExperimentRow] = []
    for exp in found:
        exp_rows, exp_notes = experiment_rows(exp, level)
        rows += exp_rows
        notes += exp_notes
    return ExperimentsResult(tuple(rows), level, tuple(notes))
