"""Goals from ``plan.yml``: baseline, target, actual, progress against pace and status, as a tree
(DESIGN "Goals and plan checks", "Goal progress").

- **Period**: ``FY2026``, ``FY2026-Q1``, ``2026-03`` (fiscal, workspace time zone) or ``{from, to}`` (local days,
  both inclusive).
- **Actual** = the goal's metric over its period up to ``as_of`` (default: the end of the data).
- **Baseline** ``auto`` = the same metric over the previous period of the same length (the previous fiscal
  year, quarter or month; for ``{from, to}`` the same number of days just before).
- **Target**: a number, or ``{growth: g}`` = baseline x (1 + g).
- **Progress**, clamped to [0, 1]:
  * a metric that adds up over time (a count or a sum) counts from zero at the start of the period, so an
    increase goal's progress is actual / target; a decrease goal on such a metric (a ceiling, e.g. spend) is
    on pace while actual <= target x elapsed share: progress = elapsed + (target x elapsed - actual) / target;
  * a level (a rate, a mean, a ratio): (actual - baseline) / (target - baseline), null when target = baseline.
- **Expected progress** = elapsed share of the period at ``as_of``.
- **Status**: ``not_started`` before the period; ``done`` at progress 1; ``on_track`` when progress >=
  expected; ``at_risk`` within 0.15 below it; ``behind`` below that. A parent is no better than its worst
  child (order, worst first: behind, at_risk, not_started, on_track, done).
- **Roll-up**: a parent's ``rollup_progress`` is the weight-weighted mean of its children's roll-ups (a leaf's
  is its own progress).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from wanamaker.config.models import Goal, WorkspaceConfig
from wanamaker.config.models import Period as PeriodSpec
from wanamaker.metrics.catalogue import Catalogue, Source, Window, evaluate
from wanamaker.metrics.periods import Period, naive_utc, parse_label, period_between_dates

Status = Literal["behind", "at_risk", "not_started", "on_track", "done"]
STATUS_ORDER: tuple[Status, ...] = ("behind", "at_risk", "not_started", "on_track", "done")
AT_RISK_MARGIN = 0.15


def goal_period(goal: Goal, config: WorkspaceConfig) -> Period:
    """The goal's period as naive-UTC bounds (end exclusive)."""
    if isinstance(goal.period, PeriodSpec):
        return period_between_dates(goal.period.from_, goal.period.to, config.timezone)
    return parse_label(goal.period, config.timezone, config.fiscal_year_start)


def previous_period(goal: Goal, config: WorkspaceConfig) -> Period:
    """The period of the same length just before the goal's (the baseline's)."""
    p = goal_period(goal, config)
    if isinstance(goal.period, PeriodSpec):
        days = (goal.period.to - goal.period.from_).days + 1
        first = goal.period.from_ - timedelta(days=days)
        return period_between_dates(first, goal.period.from_ - timedelta(days=1), config.timezone)
    from wanamaker.metrics.periods import period_of

    kind = "month" if "-Q" not in goal.period and not goal.period.startswith("FY") else (
        "quarter" if "-Q" in goal.period else "year")
    return period_of(kind, p.start - timedelta(days=1), config.timezone, config.fiscal_year_start)  # type: ignore[arg-type]


@dataclass(frozen=True)
class GoalRow:
    """One goal of the tree, as ``wanamaker goals`` shows it."""

    id: str
    parent: str | None
    name: str
    owner: str | None
    team: str | None
    metric: str
    kind: str | None
    period: str
    baseline: float | None
    target: float | None
    actual: float | None
    progress: float | None
    expected_progress: float | None
    status: Status
    weight: float
    depth: int
    rollup_progress: float | None
    own_status: Status

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class GoalsResult:
    """The goal tree (depth first, roots in plan order, then goals with no root), ``as_of`` and notes."""

    rows: tuple[GoalRow, ...]
    as_of: datetime
    notes: tuple[str, ...] = ()
    units: dict[str, str] = field(default_factory=dict)  # each goal metric's unit

    def as_json(self) -> list[dict[str, Any]]:
        keys = ("id", "parent", "name", "owner", "team", "metric", "kind", "period", "baseline", "target",
                "actual", "progress", "expected_progress", "status", "weight", "rollup_progress")
        return [{k: getattr(r, k) for k in keys} for r in self.rows]

    def table_rows(self) -> list[dict[str, Any]]:
        return [{"goal": "  " * r.depth + r.id, "owner": r.owner, "metric": r.metric, "kind": r.kind,
                 "period": r.period, "baseline": r.baseline, "target": r.target, "actual": r.actual,
                 "progress": r.progress, "expected": r.expected_progress, "status": r.status} for r in self.rows]

    def get(self, goal_id: str) -> GoalRow:
        return next(r for r in self.rows if r.id == goal_id)


def label_of(goal: Goal) -> str:
    if isinstance(goal.period, PeriodSpec):
        return f"{goal.period.from_.isoformat()}..{goal.period.to.isoformat()}"
    return goal.period


def _clamp(x: float) -> float:
    return min(1.0, max(0.0, x))


def elapsed_share(period: Period, as_of: datetime) -> float:
    total = (period.end - period.start).total_seconds()
    return _clamp((as_of - period.start).total_seconds() / total) if total > 0 else 1.0


def target_of(goal: Goal, baseline: float | None) -> float | None:
    if isinstance(goal.target, (int, float)):
        return float(goal.target)
    return None if baseline is None else baseline * (1.0 + goal.target.growth)


def progress_of(goal: Goal, cumulative: bool, baseline: float | None, target: float | None,
                actual: float | None, elapsed: float) -> float | None:
    """Progress per the module doc (None when it cannot be told)."""
    if actual is None or target is None:
        return None
    if cumulative:
        if target <= 0:
            return None
        if goal.direction == "increase":
            return _clamp(actual / target)
        return _clamp(elapsed + (target * elapsed - actual) / target)
    if baseline is None or target == baseline:
        return None
    return _clamp((actual - baseline) / (target - baseline))


def status_of(goal: Goal, progress: float | None, expected: float, started: bool, actual: float | None,
              target: float | None) -> Status:
    if not started:
        return "not_started"
    if progress is None:
        if actual is None or target is None:
            return "not_started" if actual is None else "behind"
        met = actual >= target if goal.direction == "increase" else actual <= target
        return "done" if met and expected >= 1.0 else ("on_track" if met else "behind")
    if progress >= 1.0 - 1e-12:
        return "done"
    if progress >= expected - 1e-12:
        return "on_track"
    return "at_risk" if progress >= expected - AT_RISK_MARGIN else "behind"


def worst(statuses: list[Status]) -> Status:
    return min(statuses, key=STATUS_ORDER.index)




def end_of_data(src: Source) -> datetime:
    """The latest stage event, touch or opportunity creation: the default ``as_of`` (a close date may be a
    forecast)."""
    found: list[datetime] = []
    for table, col in (("stage_events", "ts"), ("touchpoints", "ts"), ("opportunities", "created_at")):
        got = src.table(table)[col].max().to_pyarrow().as_py()
        if got is not None:
            found.append(naive_utc(got))
    return max(found) if found else datetime.now().replace(microsecond=0)


def evaluate_goals(src: Source, catalogue: Catalogue, goals: list[Goal], as_of: datetime | None = None
                   ) -> GoalsResult:
    """Every goal's numbers and status (see the module doc). Goals whose metric is not in the catalogue keep
    null numbers and a note (``wanamaker check`` reports them as ``unknown_metric``)."""
    cfg = src.config
    end = as_of or end_of_data(src)
    notes: list[str] = []
    windows: dict[str, list[Window]] = defaultdict(list)
    spans: dict[str, tuple[Period, Period]] = {}
    for g in goals:
        p, prev = goal_period(g, cfg), previous_period(g, cfg)
        spans[g.id] = (p, prev)
        if g.metric not in catalogue:
            notes.append(f"goal {g.id}: '{g.metric}' is not a metric in the catalogue; see `wanamaker check`.")
            continue
        upto = min(p.end, end + timedelta(microseconds=1))
        windows[g.metric].append(Window(f"{g.id}|actual", p.start, upto))
        if g.baseline == "auto":
            windows[g.metric].append(Window(f"{g.id}|baseline", prev.start, prev.end))
    values: dict[str, float | None] = {}
    for metric_id, ws in windows.items():
        for v in evaluate(src, catalogue, metric_id, ws):
            if v.key == "all" and v.period is None:
                values[v.window] = v.value
    own: dict[str, GoalRow] = {}
    for g in goals:
        p, _ = spans[g.id]
        metric = catalogue.get(g.metric)
        started = end >= p.start
        baseline = float(g.baseline) if g.baseline != "auto" else values.get(f"{g.id}|baseline")
        target = target_of(g, baseline)
        actual = values.get(f"{g.id}|actual") if started else None
        expected = elapsed_share(p, end)
        progress = progress_of(g, metric.cumulative, baseline, target, actual, expected) if metric else None
        status = status_of(g, progress, expected, started, actual, target)
        own[g.id] = GoalRow(g.id, g.parent, g.name, g.owner, g.team, g.metric, metric.kind if metric else None,
                            label_of(g), baseline, target, actual, progress, expected if started else 0.0, status,
                            g.weight, 0, progress, status)
    units: dict[str, str] = {g.metric: catalogue[g.metric].unit for g in goals if g.metric in catalogue}
    return GoalsResult(tuple(_tree(goals, own)), end, tuple(notes), units)


def _tree(goals: list[Goal], own: dict[str, GoalRow]) -> list[GoalRow]:
    """Depth-first order with roll-ups: a parent's status is no better than its worst child's."""
    children: dict[str, list[Goal]] = defaultdict(list)
    ids = {g.id for g in goals}
    for g in goals:
        if g.parent in ids and g.parent != g.id:
            children[g.parent].append(g)
    out: list[GoalRow] = []
    seen: set[str] = set()

    def visit(g: Goal, depth: int) -> tuple[Status, float | None]:
        seen.add(g.id)
        row = own[g.id]
        slot = len(out)
        out.append(row)
        kids = [k for k in children.get(g.id, []) if k.id not in seen]
        results = [(k, *visit(k, depth + 1)) for k in kids]
        status = worst([row.own_status, *[s for _, s, _ in results]]) if results else row.own_status
        weighted = [(k.weight, p) for k, _, p in results if p is not None and k.weight > 0]
        total = sum(w for w, _ in weighted)
        rollup = sum(w * p for w, p in weighted) / total if weighted and total > 0 else row.progress
        out[slot] = GoalRow(**{**row.as_dict(), "status": status, "depth": depth, "rollup_progress": rollup})
        return status, rollup

    for g in goals:
        if g.id not in seen and (g.parent is None or g.parent not in ids):
            visit(g, 0)
    for g in goals:  # goals in a cycle of parents
        if g.id not in seen:
            visit(g, 0)
    return out
