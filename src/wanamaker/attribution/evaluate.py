"""The truth test (``wanamaker attribute --evaluate``; DESIGN "Attribution", truth).

Every model's channel shares are compared with the true incremental shares in ``ground_truth``
(true share of c = max(incremental_c, 0) / sum max(incremental, 0) at the evaluated milestone);
a model's error is the total-variation distance 1/2 sum |share_model - share_true| in points.
Channel lift tests (``experiments`` of kind ``lift``) stand beside the models: the incremental
conversions of the exposed group, (p_exposed - p_holdout) x n_exposed, with a 90 % normal interval.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from math import sqrt
from typing import Any

from wanamaker.attribution.api import attribute
from wanamaker.errors import DataError

Z90 = 1.6448536269514722


@dataclass(frozen=True)
class ModelError:
    model: str
    error_points: float
    rank: int


@dataclass(frozen=True)
class LiftEstimate:
    experiment_id: str
    channel: str | None
    incremental_conversions: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class Evaluation:
    models: tuple[ModelError, ...]
    experiments: tuple[LiftEstimate, ...]
    milestone: str

    def to_dict(self) -> dict[str, Any]:
        return {"models": [asdict(m) for m in self.models], "experiments": [asdict(e) for e in self.experiments]}


def true_shares(ws: Any, milestone: str, value: str) -> dict[str, float]:
    if not ws.has_table("ground_truth"):
        raise DataError("this workspace has no ground_truth table",
                        fix="run --evaluate on a demo workspace (wanamaker demo), which knows the true effects")
    gt = ws.table("ground_truth")
    col = "incremental_revenue" if value == "revenue" else "incremental_conversions"
    rows = gt.filter(gt.milestone == milestone).select("channel", col).to_pyarrow().to_pylist()
    pos = {r["channel"]: max(float(r[col] or 0.0), 0.0) for r in rows if not str(r["channel"]).startswith("(")}
    total = sum(pos.values())
    if not rows or total <= 0:
        raise DataError(f"ground_truth has no positive incremental effect at milestone '{milestone}'",
                        fix="evaluate at a milestone the ground truth covers (lead, mql, sal, sql, opportunity, won)")
    return {c: v / total for c, v in pos.items()}


def tv_points(model: dict[str, float], truth: dict[str, float]) -> float:
    """Total-variation distance in share points.

    >>> tv_points({"a": 0.5, "b": 0.5}, {"a": 1.0})
    50.0
    """
    keys = set(model) | set(truth)
    return 50.0 * sum(abs(model.get(k, 0.0) - truth.get(k, 0.0)) for k in keys)


def lift_estimates(ws: Any, milestone: str | None = None) -> list[LiftEstimate]:
    """The lift tests measured at ``milestone`` (or saying no milestone), each test's own incremental conversions."""
    if not ws.has_table("experiments"):
        return []
    e = ws.table("experiments")
    e = e.filter(e.kind == "lift")
    if milestone is not None and "milestone" in e.columns:
        e = e.filter(e.milestone.isnull() | (e.milestone == milestone))
    agg = e.group_by([e.experiment_id, e.channel]).aggregate(
        n_t=e.is_control.ifelse(0, 1).sum(),
        n_c=e.is_control.ifelse(1, 0).sum(),
        y_t=(~e.is_control & e.converted.fill_null(False)).ifelse(1, 0).sum(),
        y_c=(e.is_control & e.converted.fill_null(False)).ifelse(1, 0).sum(),
    ).order_by("experiment_id")
    out = []
    for r in agg.to_pyarrow().to_pylist():
        n_t, n_c, y_t, y_c = (int(r[k] or 0) for k in ("n_t", "n_c", "y_t", "y_c"))
        if n_t == 0 or n_c == 0:
            continue
        p_t, p_c = y_t / n_t, y_c / n_c
        est = (p_t - p_c) * n_t
        se = n_t * sqrt(p_t * (1 - p_t) / n_t + p_c * (1 - p_c) / n_c)
        out.append(LiftEstimate(str(r["experiment_id"]), r["channel"], est, est - Z90 * se, est + Z90 * se))
    return out


def evaluate(ws: Any, **options: Any) -> Evaluation:
    """Rank every model by its distance from the true incremental shares."""
    options = {**options, "model": "all", "by": "channel", "ci": False, "persist": False}
    result = attribute(ws, **options)
    milestone = options.get("milestone") or ws.config.attribution.milestone
    value = options.get("value") or ws.config.attribution.value
    truth = true_shares(ws, milestone, value)
    measure = "value" if value != "count" else "conversions"
    by_model: dict[str, dict[str, float]] = {}
    for row in result.rows:
        if row.key.startswith("("):
            continue
        by_model.setdefault(row.model, {})[row.key] = getattr(row, measure)
    errors = []
    for model, credit in by_model.items():
        total = sum(max(v, 0.0) for v in credit.values())
        shares = {k: max(v, 0.0) / total for k, v in credit.items()} if total else {}
        errors.append((tv_points(shares, truth), model))
    errors.sort()
    ranked = tuple(ModelError(m, e, i + 1) for i, (e, m) in enumerate(errors))
    return Evaluation(ranked, tuple(lift_estimates(ws, milestone)), milestone)
