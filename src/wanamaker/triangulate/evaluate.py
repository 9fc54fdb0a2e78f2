"""``wanamaker attribute --evaluate`` with the experiments: every model ranked against the truth, with two rows
beside them (DESIGN "Experiments and mix modelling"):

- ``calibrated`` is ranked like any model (it is one);
- ``lift_tests_alone``: the lift tests by themselves, each tested channel's incremental outcome (the incremental
  fraction times the outcome it could reach, as ``calibrated`` computes it) as shares over the tested channels; the
  untested channels get nothing. It shows what the experiments know without attribution.

:func:`beside` sets each tested channel's incremental outcome, with its interval, next to every model's credit for
that channel, and says where a model's credit falls outside the interval.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from wanamaker.attribution.api import AttributionResult
from wanamaker.attribution.evaluate import Evaluation, ModelError, true_shares, tv_points
from wanamaker.attribution.evaluate import evaluate as evaluate_models
from wanamaker.triangulate.calibrated import incremental_fractions

LIFT_ALONE = "lift_tests_alone"


@dataclass(frozen=True)
class Beside:
    """A tested channel's incremental outcome and one model's credit for it."""

    channel: str
    model: str
    incremental: float
    incremental_low: float
    incremental_high: float
    credit: float
    agrees: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def incremental_outcomes(ws: Any, milestone: str, outcome: float, outcome_c: float
                         ) -> dict[str, tuple[float, float, float]]:
    """Per tested channel: the incremental outcome (estimate, low, high) over the window, ``outcome`` being the
    window's conversions (``outcome_c``) or their value."""
    rhos, _ = incremental_fractions(ws, milestone)
    out = {}
    for channel, (rho, lo, hi, held) in rhos.items():
        reachable = outcome * max(1.0 - held / outcome_c, 0.0) if outcome_c else 0.0
        out[channel] = (rho * reachable, lo * reachable, hi * reachable)
    return out


def beside(ws: Any, result: AttributionResult, milestone: str, measure_is_value: bool) -> list[Beside]:
    """Each tested channel's incremental outcome next to every model's credit for it (by channel results)."""
    totals: dict[str, tuple[float, float]] = {}
    for r in result.rows:
        c, v = totals.get(r.model, (0.0, 0.0))
        totals[r.model] = (c + r.conversions, v + r.value)
    if not totals:
        return []
    outcome_c, outcome_v = next(iter(totals.values()))
    tested = incremental_outcomes(ws, milestone, outcome_v if measure_is_value else outcome_c, outcome_c)
    out = []
    for r in result.rows:
        if r.key in tested:
            est, lo, hi = tested[r.key]
            credit = r.value if measure_is_value else r.conversions
            out.append(Beside(r.key, r.model, est, lo, hi, credit, lo <= credit <= hi))
    return out


def disagreements(rows: list[Beside]) -> list[str]:
    """One line per channel: the models whose credit falls outside its lift test's interval."""
    by_channel: dict[str, list[Beside]] = {}
    for b in rows:
        by_channel.setdefault(b.channel, []).append(b)
    lines = []
    for channel, items in sorted(by_channel.items()):
        off = [b for b in items if not b.agrees]
        if off:
            b0 = items[0]
            names = ", ".join(f"{b.model} {b.credit:,.1f}" for b in off)
            lines.append(f"lift test: {channel} caused {b0.incremental:,.1f} [{b0.incremental_low:,.1f}, "
                         f"{b0.incremental_high:,.1f}]; beyond that interval: {names}")
    return lines


def evaluate(ws: Any, **options: Any) -> Evaluation:
    """:func:`wanamaker.attribution.evaluate.evaluate` (every model, ``calibrated`` among them) plus the
    ``lift_tests_alone`` row, re-ranked."""
    ev = evaluate_models(ws, **options)
    milestone = ev.milestone
    value = options.get("value") or ws.config.attribution.value
    truth = true_shares(ws, milestone, value)
    rhos, _ = incremental_fractions(ws, milestone)
    if not rhos:
        return ev
    # the window's outcome cancels out of the shares: any positive number does
    alone = incremental_outcomes(ws, milestone, 1.0, 1.0e12)
    total = sum(max(v[0], 0.0) for v in alone.values())
    shares = {c: max(v[0], 0.0) / total for c, v in alone.items()} if total else {}
    errors = sorted([(m.error_points, m.model) for m in ev.models] + [(tv_points(shares, truth), LIFT_ALONE)])
    ranked = tuple(ModelError(m, e, i + 1) for i, (e, m) in enumerate(errors))
    return replace(ev, models=ranked)
