"""The goals domain's entry points, as the Workspace and the CLI call them: the catalogue, one metric, the
goal tree."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import ibis.expr.types as ir

from wanamaker.config.models import Plan, WorkspaceConfig
from wanamaker.config.options import choice_option
from wanamaker.errors import UsageError
from wanamaker.goals.catalogue import MetricProblem, build_catalogue
from wanamaker.goals.progress import GoalsResult, end_of_data, evaluate_goals
from wanamaker.goals.waterfall import WaterfallResult
from wanamaker.metrics.catalogue import Catalogue, MetricValue, Window, data_span, evaluate, explain
from wanamaker.metrics.periods import PERIOD_KINDS, Period, parse_label, periods_between

_TINY = timedelta(microseconds=1)


class PlanSource(Protocol):
    """A workspace: its config, its plan and its tables."""

    @property
    def config(self) -> WorkspaceConfig: ...

    @property
    def plan(self) -> Plan: ...

    def table(self, name: str) -> ir.Table: ...


def catalogue(src: PlanSource) -> tuple[Catalogue, list[MetricProblem]]:
    """The workspace's metric catalogue and the problems of the plan's custom metrics."""
    return build_catalogue(src, src.plan)


@dataclass(frozen=True)
class MetricResult:
    """One metric computed: ``rows`` per key and period, the window it covers and (``explain``) the SQL."""

    metric: dict[str, Any]
    rows: tuple[MetricValue, ...]
    window: tuple[datetime | None, datetime | None]
    sql: tuple[tuple[str, str], ...] = field(default=())

    def as_json(self) -> list[dict[str, Any]]:
        return [r.as_dict() for r in self.rows]

    def table_rows(self) -> list[dict[str, Any]]:
        out = []
        for r in self.rows:
            row = {"key": r.key, "period": r.period, "value": r.value}
            if r.numerator is not None or r.denominator is not None:
                row.update(numerator=r.numerator, denominator=r.denominator)
            out.append(row)
        return out


def parse_in(label: str, config: WorkspaceConfig) -> Period:
    try:
        return parse_label(label, config.timezone, config.fiscal_year_start)
    except ValueError as exc:
        raise UsageError(f"--in {exc}.", fix="Write --in 2026-03, --in FY2026-Q1 or --in FY2026.") from None


def metric(src: PlanSource, metric_id: str, *, in_label: str | None = None, period: str | None = None,
           by: str | None = None, explain_sql: bool = False) -> MetricResult:
    """``wanamaker metric ID``: the metric over ``in_label`` (a period label; default all the data), per
    ``period`` (month | quarter | year) and ``by`` key; ``explain_sql`` adds the SQL of each query."""
    cat, problems = catalogue(src)
    broken = next((p for p in problems if p.metric == metric_id), None)
    if broken is not None and metric_id not in cat:
        where = f"{broken.file}:{broken.line}" if broken.line else broken.file
        raise UsageError(f"{where}: {broken.message}.", fix=broken.fix)
    m = cat.get_metric(metric_id)
    cfg = src.config
    start: datetime | None = None
    end: datetime | None = None
    if in_label is not None:
        p = parse_in(in_label, cfg)
        start, end = p.start, p.end
    periods: list[Period] | None = None
    if period is not None:
        kind = choice_option("--period", period, PERIOD_KINDS)
        span = (start, end) if start is not None and end is not None else data_span(src, cat, metric_id)
        if span is not None:
            last = span[1] if in_label is None else span[1].replace(microsecond=0) - _TINY
            periods = periods_between(kind, span[0], last, cfg.timezone, cfg.fiscal_year_start)  # type: ignore[arg-type]
    window = [Window(in_label or "all", start, end)]
    if period is not None and not periods:
        rows: list[MetricValue] = []
    else:
        rows = evaluate(src, cat, metric_id, window, by=by, periods=periods)
    sql = tuple(explain(src, cat, metric_id, window, by=by, periods=periods)) if explain_sql else ()
    return MetricResult(m.describe(), tuple(rows), (start, end), sql)


def goals(src: PlanSource, *, as_of: datetime | None = None) -> GoalsResult:
    """``wanamaker goals``: the plan's goal tree with progress against pace (:mod:`wanamaker.goals.progress`)."""
    cat, _ = catalogue(src)
    return evaluate_goals(src, cat, list(src.plan.goals), as_of)


__all__ = ["MetricResult", "catalogue", "end_of_data", "goals", "metric", "plan_targets", "waterfall"]


def plan_targets(src: PlanSource, period: Period, as_of: datetime | None = None
                 ) -> tuple[dict[str, float], float | None]:
    """The plan's funnel-stage targets for ``period`` (goals on a stage-count metric over exactly that period)
    and the revenue they serve: the nearest ancestor goal measured in won revenue, its target prorated by days
    to ``period`` (``None`` when there is none)."""
    from wanamaker.goals.checks import STAGE_OF_METRIC
    from wanamaker.goals.progress import goal_period

    cfg = src.config
    plan_goals = list(src.plan.goals)
    on_period = [g for g in plan_goals if g.metric in STAGE_OF_METRIC
                 and (lambda p: (p.start, p.end) == (period.start, period.end))(goal_period(g, cfg))]
    if not on_period:
        return {}, None
    result = goals(src, as_of=as_of)
    targets: dict[str, float] = {}
    for g in on_period:
        t = result.get(g.id).target
        if t is not None:
            targets[STAGE_OF_METRIC[g.metric]] = t
    by_id = {g.id: g for g in plan_goals}
    revenue: float | None = None
    for g in on_period:
        node, seen = g, {g.id}
        while node.parent in by_id and node.parent not in seen:
            node = by_id[node.parent]
            seen.add(node.id)
            if node.metric in ("revenue", "revenue_sourced"):
                t = result.get(node.id).target
                p = goal_period(node, cfg)
                if t is not None:
                    overlap = (min(p.end, period.end) - max(p.start, period.start)) / (p.end - p.start)
                    revenue = t * max(0.0, min(1.0, overlap))
                break
        if revenue is not None:
            break
    return targets, revenue


def waterfall(src: PlanSource, *, revenue: float | None = None, won: float | None = None,
              start: tuple[str, float] | None = None, in_label: str | None = None, share: float = 1.0,
              by: str | None = None, level: str = "person", as_of: datetime | None = None) -> WaterfallResult:
    """``wanamaker waterfall``: :func:`wanamaker.goals.waterfall.waterfall` with the plan's own stage targets for
    the period, so the result carries the probability that they reach the revenue they serve."""
    from wanamaker.goals import waterfall as wf

    stage_targets: dict[str, float] | None = None
    revenue_target: float | None = None
    if start is None and (revenue is not None or won is not None):
        wf.check_request(revenue=revenue, won=won, start=start, share=share, in_label=in_label, level=level, by=by)
        period = wf.parse_in(src, in_label) if in_label is not None else wf.target_period(src, None, end_of_data(src))
        found, revenue_target = plan_targets(src, period, as_of)
        stage_targets = found or None
        if revenue_target is None:
            stage_targets = None
    return wf.waterfall(src, revenue=revenue, won=won, start=start, in_label=in_label, share=share, by=by,
                        level=level, as_of=as_of, stage_targets=stage_targets, revenue_target=revenue_target)
