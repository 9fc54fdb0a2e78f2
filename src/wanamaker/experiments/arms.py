"""What the experiment analyses read: per experiment and arm, aggregates of the ``experiments`` table computed in
the engine (DESIGN "Experiments and mix modelling").

An **arm** is the units of one experiment with one ``variant`` and one ``is_control`` flag (a missing flag is
false; a missing variant is named ``control`` or ``treatment`` by its flag, so a log with only ``is_control``
still has two arms). ``units`` counts distinct ``unit_id``; ``conversions`` the units whose ``converted`` is true;
revenue per unit counts a missing ``revenue`` as 0 (a unit that bought nothing), its variance is the sample
variance (ddof 1) computed by the engine; the revenue of converters is averaged over converting units. Only these
per-arm numbers leave the engine: no unit row is fetched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ibis

from wanamaker.config.issues import did_you_mean
from wanamaker.errors import UsageError
from wanamaker.metrics.catalogue import n_true

if TYPE_CHECKING:
    import ibis.expr.types as ir

OPTIONAL = ("milestone", "allocation", "converted_at", "price")  # contract columns an older workspace may lack


@dataclass(frozen=True)
class Arm:
    experiment_id: str
    kind: str
    channel: str | None
    milestone: str | None
    variant: str
    is_control: bool
    units: int
    conversions: int
    allocation: float | None  # the planned share (mean over the arm's rows)
    allocation_varies: bool  # rows of the arm disagree on the planned share
    revenue_rows: int  # rows with a revenue value
    revenue_mean: float  # per unit, a missing revenue counted as 0
    revenue_var: float | None  # sample variance of revenue per unit
    converter_revenue_mean: float | None
    converter_revenue_var: float | None
    price: float | None  # mean price offered
    price_varies: bool

    @property
    def rate(self) -> float | None:
        return self.conversions / self.units if self.units else None


@dataclass(frozen=True)
class Experiment:
    """One experiment's arms (control first) and what was noticed reading them."""

    experiment_id: str
    kind: str
    arms: tuple[Arm, ...]
    control: Arm | None
    notes: tuple[str, ...] = ()

    @property
    def channel(self) -> str | None:
        return next((a.channel for a in self.arms if a.channel), None)

    @property
    def milestone(self) -> str | None:
        return next((a.milestone for a in self.arms if a.milestone), None)

    @property
    def treated(self) -> tuple[Arm, ...]:
        """The arms not marked control (a second control arm is compared with the control, never pooled with the
        treated)."""
        return tuple(a for a in self.arms if not a.is_control)

    @property
    def has_revenue(self) -> bool:
        return any(a.revenue_rows for a in self.arms)


def _aggregates(e: ir.Table) -> ir.Table:
    ctrl = e.is_control.fill_null(False)
    conv = e.converted.fill_null(False)
    rev = e.revenue.fill_null(0.0)
    metrics: dict[str, Any] = {
        "kind": e.kind.max(),
        "channel": e.channel.max(),
        "units": e.unit_id.nunique(),
        "conversions": n_true(conv),
        "revenue_rows": e.revenue.count(),
        "revenue_sum": rev.sum(),
        "revenue_var": rev.var(),
        "converter_revenue_sum": rev.sum(where=conv),
        "converter_revenue_var": rev.var(where=conv),
    }
    if "milestone" in e.columns:
        metrics["milestone"] = e.milestone.max()
    if "allocation" in e.columns:
        metrics |= {"allocation": e.allocation.mean(), "allocation_min": e.allocation.min(),
                    "allocation_max": e.allocation.max()}
    if "price" in e.columns:
        metrics |= {"price": e.price.mean(), "price_min": e.price.min(), "price_max": e.price.max()}
    grouped = e.group_by(experiment_id=e.experiment_id, variant=e.variant, is_control=ctrl).aggregate(**metrics)
    return grouped.order_by(["experiment_id", ibis.desc("is_control"), "variant"])


def _arm(r: dict[str, Any]) -> Arm:
    units, conversions = int(r["units"] or 0), int(r["conversions"] or 0)
    control = bool(r["is_control"])
    name = r["variant"] if r["variant"] is not None and str(r["variant"]).strip() else (
        "control" if control else "treatment")
    conv_sum = r["converter_revenue_sum"]
    lo, hi = r.get("allocation_min"), r.get("allocation_max")
    plo, phi = r.get("price_min"), r.get("price_max")
    return Arm(
        experiment_id=str(r["experiment_id"]), kind=str(r["kind"]), channel=_text(r["channel"]),
        milestone=_text(r.get("milestone")), variant=str(name), is_control=control, units=units,
        conversions=conversions, allocation=_rounded(r.get("allocation")),
        allocation_varies=lo is not None and hi is not None and abs(hi - lo) > 1e-9,
        revenue_rows=int(r["revenue_rows"] or 0),
        revenue_mean=float(r["revenue_sum"] or 0.0) / units if units else 0.0,
        revenue_var=_num(r["revenue_var"]),
        converter_revenue_mean=float(conv_sum or 0.0) / conversions if conversions else None,
        converter_revenue_var=_num(r["converter_revenue_var"]),
        price=_num(r.get("price")), price_varies=plo is not None and phi is not None and abs(phi - plo) > 1e-9,
    )


def _text(value: Any) -> str | None:
    return str(value) if value is not None and str(value).strip() else None


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def _rounded(value: Any) -> float | None:
    """A mean of planned shares, without the engine's summation noise (0.19999999999999293 is 0.2)."""
    return None if value is None else round(float(value), 12)


def _experiment(arms: list[Arm]) -> Experiment:
    first = arms[0]
    notes: list[str] = []
    controls = [a for a in arms if a.is_control]
    control = sorted(controls, key=lambda a: (-a.units, a.variant))[0] if controls else None  # most units
    if not controls:
        notes.append(f"experiment {first.experiment_id} has no control (no unit with is_control true): "
                     "no lift is computed")
    elif len(controls) > 1:
        assert control is not None
        notes.append(f"experiment {first.experiment_id} has several control arms "
                     f"({', '.join(a.variant for a in controls)}); the others are compared with {control.variant}")
    names = [a.variant for a in arms]
    for name in sorted({n for n in names if names.count(n) > 1}):
        notes.append(f"variant {name} of experiment {first.experiment_id} has units marked control and units "
                     "not: they are two arms")
    if len({a.kind for a in arms}) > 1:
        kinds = ", ".join(sorted({a.kind for a in arms}))
        notes.append(f"experiment {first.experiment_id} has several kinds ({kinds}); the first arm's is used")
    for a in arms:
        if a.allocation_varies:
            notes.append(f"the planned allocation of {first.experiment_id} / {a.variant} varies between rows; "
                         f"its mean {a.allocation:.4g} is used")
    ordered = ([control] if control else []) + [a for a in arms if a is not control]
    return Experiment(first.experiment_id, first.kind, tuple(ordered), control, tuple(notes))


def read_experiments(ws: Any, *, kinds: tuple[str, ...] | None = None,
                     experiment: str | None = None) -> tuple[list[Experiment], list[str]]:
    """The experiments (of ``kinds``, or only ``experiment``) with their arms, and notes for the reader. An
    unknown ``experiment`` is a usage error naming the nearest id."""
    if not ws.has_table("experiments"):
        return [], ["this workspace has no experiments table; load an experiment log (docs/experiments.md)"]
    e = ws.table("experiments")
    if experiment is not None:
        _check_id(e, experiment, kinds)
        e = e.filter(e.experiment_id == experiment)
    if kinds is not None:
        e = e.filter(e.kind.isin(list(kinds)))
    rows = _aggregates(e).to_pyarrow().to_pylist()
    by_id: dict[str, list[Arm]] = {}
    for r in rows:
        arm = _arm(r)
        by_id.setdefault(arm.experiment_id, []).append(arm)
    if not by_id:
        what = " of kind " + " or ".join(kinds) if kinds else ""
        return [], [f"the experiments table has no experiment{what}"]
    return [_experiment(arms) for arms in by_id.values()], []


def _check_id(e: ir.Table, experiment: str, kinds: tuple[str, ...] | None) -> None:
    known = {str(r["experiment_id"]): str(r["kind"])
             for r in e.select("experiment_id", "kind").distinct().to_pyarrow().to_pylist()}
    if experiment not in known:
        near = did_you_mean(experiment, set(known))
        raise UsageError(f"--experiment '{experiment}' is not in the experiments table.{near}",
                         fix="List the experiments with `wanamaker experiments`, and give one of their ids.")
    if kinds is not None and known[experiment] not in kinds:
        raise UsageError(f"experiment '{experiment}' is of kind {known[experiment]}, not {' or '.join(kinds)}.",
                         fix="Give the id of a " + " or ".join(kinds) + " test, or read it with "
                             "`wanamaker experiments`.")


def pool(arms: tuple[Arm, ...], variant: str) -> Arm:
    """Several arms as one (a lift test's treated arms against its holdout): counts add up, revenue moments are
    combined exactly (sums of squares from each arm's mean and variance)."""
    first = arms[0]
    units = sum(a.units for a in arms)
    conversions = sum(a.conversions for a in arms)
    rev_sum = sum(a.revenue_mean * a.units for a in arms)
    mean = rev_sum / units if units else 0.0
    squares = sum((a.revenue_var or 0.0) * (a.units - 1) + a.units * a.revenue_mean**2 for a in arms if a.units)
    var = (squares - units * mean**2) / (units - 1) if units > 1 else None
    conv_sum = sum((a.converter_revenue_mean or 0.0) * a.conversions for a in arms)
    conv_mean = conv_sum / conversions if conversions else None
    conv_squares = sum((a.converter_revenue_var or 0.0) * (a.conversions - 1)
                       + a.conversions * (a.converter_revenue_mean or 0.0) ** 2 for a in arms if a.conversions)
    conv_var = (conv_squares - conversions * (conv_mean or 0.0) ** 2) / (conversions - 1) if conversions > 1 else None
    shares = [a.allocation for a in arms]
    return Arm(
        experiment_id=first.experiment_id, kind=first.kind, channel=first.channel, milestone=first.milestone,
        variant=variant, is_control=False, units=units, conversions=conversions,
        allocation=sum(s for s in shares if s is not None) if all(s is not None for s in shares) else None,
        allocation_varies=any(a.allocation_varies for a in arms), revenue_rows=sum(a.revenue_rows for a in arms),
        revenue_mean=mean, revenue_var=None if var is None else max(var, 0.0), converter_revenue_mean=conv_mean,
        converter_revenue_var=None if conv_var is None else max(conv_var, 0.0), price=None, price_varies=True,
    )
