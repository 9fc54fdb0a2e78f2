"""The plan checks of ``wanamaker check`` (DESIGN "Goals and plan checks"): linkage, SMART and funnel arithmetic.

Each finding has a stable code, the goal it is about, the file and line of that goal in plan.yml, what is
wrong and the fix. Plan findings are errors, except ``sla_breach`` (a warning: a rep, not the plan) and
``too_little_history`` (info: a target the history is too short to judge).

- ``orphan_goal``: no path of ``parent`` links to a root corporate goal (no parent, ``team: company``) and
  no ``stands_alone`` reason; ``unknown_parent``, ``goal_cycle`` and ``duplicate_goal`` break the links too.
- ``efficiency_only_chain``: a branch of two or more linked goals (or a root) measured only by efficiency
  metrics, with no outcome (effectiveness) metric in it or below it; one finding per branch, the subject
  its top goal.
- ``unknown_metric``: the metric is neither a built-in nor a custom metric; ``no_data``: the metric has no
  rows at all (not measurable).
- ``unrealistic_target``: the uplift the target implies over the baseline, against the best uplift between
  two consecutive windows of the goal's length the history has shown (windows stepped by a month; at least
  three comparisons, else ``too_little_history``).
- ``period_past``: the goal's period ended on or before the day it was set (``set_on``, default: the check's
  as-of date), so it is not time-bound.
- ``infeasible_target``: a goal on a funnel-stage count under a parent measured in money: the target volume
  pushed through the history's downstream conversion rates (:func:`wanamaker.goals.waterfall.history`, the
  12 months before as-of) times the average won (or pipeline) amount per converting subject falls short of
  the parent's target, prorated by days to the goal's period and multiplied by the goal's weight share
  among its siblings.
- ``sla_breach``: one per rep whose median follow-up breaks an SLA rule (``wanamaker sla --by rep``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from wanamaker.config.issues import did_you_mean
from wanamaker.config.models import Goal, Plan, WorkspaceConfig
from wanamaker.errors import DataError
from wanamaker.findings import Finding
from wanamaker.goals.api import PlanSource, catalogue
from wanamaker.goals.progress import GoalsResult, evaluate_goals, goal_period
from wanamaker.metrics.catalogue import Catalogue, Window, evaluate, row_count
from wanamaker.metrics.periods import _add_months  # noqa: PLC2701 - the one month arithmetic

MONEY_METRICS = {"revenue": "won", "revenue_sourced": "won", "revenue_influenced": "won",
                 "pipeline": "opportunity", "pipeline_sourced": "opportunity", "pipeline_influenced": "opportunity"}
STAGE_OF_METRIC = {"visitors": "visitor", "leads": "lead", "mql": "mql", "sal": "sal", "sql": "sql",
                   "opportunities": "opportunity", "won_deals": "won"}
MIN_COMPARISONS = 3


def _at(plan: Plan, goals: list[Goal], goal_id: str) -> int | None:
    for i, g in enumerate(goals):
        if g.id == goal_id:
            return plan.line_of("goals", i)
    return None


def plan_checks(src: PlanSource, as_of: datetime | None = None) -> list[Finding]:
    """Every plan finding, goals in plan order."""
    plan = src.plan
    goals = list(plan.goals)
    cat, problems = catalogue(src)
    out: list[Finding] = [Finding(p.code, "error", p.metric, p.file, p.line, p.message, p.fix)
                              for p in problems]
    if not goals:
        return out
    out += _linkage(plan, goals)
    out += _kinds(plan, goals, cat)
    broken = {p.metric for p in problems}
    measurable: list[Goal] = []
    rows_of: dict[str, int] = {}
    for g in goals:
        line = _at(plan, goals, g.id)
        if g.metric not in cat:
            if g.metric not in broken:
                close = _close(g.metric, list(cat))
                out.append(Finding("unknown_metric", "error", g.id, plan.file, line,
                                       f"goal {g.id} is measured by '{g.metric}', which is not a metric",
                                       f"{close}Use an id from `wanamaker metrics`, or define it under metrics: in "
                                       "plan.yml."))
            continue
        if g.metric not in rows_of:
            rows_of[g.metric] = row_count(src, cat, g.metric)
        if rows_of[g.metric] == 0:
            out.append(Finding("no_data", "error", g.id, plan.file, line,
                                   f"goal {g.id} cannot be measured: its metric {g.metric} has no data in the workspace",
                                   "Load the table the metric reads (see `wanamaker metrics --format json`), or "
                                   "measure the goal by a metric that has data."))
            continue
        measurable.append(g)
    result = evaluate_goals(src, cat, goals, as_of)
    out += _period_past(src.config, plan, goals, result.as_of)
    out += _unrealistic(src, cat, plan, goals, measurable, result)
    out += _infeasible(src, cat, plan, goals, {g.id for g in measurable}, result)
    return out


def _close(word: str, choices: list[str]) -> str:
    """``"Did you mean 'x'? "`` (the config's own hint), or nothing."""
    hint = did_you_mean(word, choices).strip()
    return f"{hint} " if hint else ""


def _linkage(plan: Plan, goals: list[Goal]) -> list[Finding]:
    out: list[Finding] = []
    by_id: dict[str, Goal] = {}
    for g in goals:
        if g.id in by_id:
            out.append(Finding("duplicate_goal", "error", g.id, plan.file, _at(plan, goals, g.id),
                                   f"two goals have the id {g.id}", "Give each goal its own id."))
        by_id.setdefault(g.id, g)
    for i, g in enumerate(goals):
        line = plan.line_of("goals", i)
        if g.parent is not None and g.parent not in by_id:
            out.append(Finding("unknown_parent", "error", g.id, plan.file, line,
                                   f"goal {g.id} names the parent '{g.parent}', which is not a goal",
                                   f"{_close(g.parent, list(by_id))}Name an existing goal id as parent."))
            continue
        seen = {g.id}
        node = g
        root: Goal | None = None
        cycle = False
        while True:
            if node.parent is None:
                root = node
                break
            parent = by_id.get(node.parent)
            if parent is None:
                break
            if parent.id in seen:
                cycle = True
                break
            seen.add(parent.id)
            node = parent
        if cycle:
            out.append(Finding("goal_cycle", "error", g.id, plan.file, line,
                                   f"goal {g.id}'s parents lead back to itself", "Break the loop of parent links."))
            continue
        linked = root is not None and (root.team or "").lower() == "company"
        alone = any(n.stands_alone for n in _chain(g, by_id))
        if not linked and not alone:
            top = root.id if root is not None else g.id
            why = ("it has no parent" if g.parent is None else
                   f"its top goal {top} is not a corporate goal (team: company)")
            out.append(Finding("orphan_goal", "error", g.id, plan.file, line,
                                   f"goal {g.id} is linked to no corporate goal: {why}",
                                   "Give it a parent that leads to a goal with team: company, or say why it stands "
                                   "alone with stands_alone: REASON."))
    return out


def _chain(g: Goal, by_id: dict[str, Goal]) -> list[Goal]:
    out, node, seen = [g], g, {g.id}
    while node.parent in by_id and node.parent not in seen:
        node = by_id[node.parent]
        seen.add(node.id)
        out.append(node)
    return out


def _kinds(plan: Plan, goals: list[Goal], cat: Catalogue) -> list[Finding]:
    by_id = {g.id: g for g in goals}
    children: dict[str, list[Goal]] = defaultdict(list)
    for g in goals:
        if g.parent in by_id:
            children[g.parent].append(g)

    def kind(g: Goal) -> str | None:
        return cat[g.metric].kind if g.metric in cat else None

    def branch(g: Goal) -> list[Goal] | None:
        """The goals of g's subtree when every one is measured by efficiency, else None."""
        if kind(g) != "efficiency":
            return None
        out = [g]
        for c in children.get(g.id, []):
            sub = branch(c)
            if sub is None:
                return None
            out += sub
        return out

    findings: list[Finding] = []
    for g in goals:
        parent = by_id.get(g.parent) if g.parent else None
        if kind(g) != "efficiency" or (parent is not None and kind(parent) == "efficiency"):
            continue
        members = branch(g)
        if members is None or (len(members) < 2 and parent is not None):
            continue
        names = ", ".join(f"{m.id} ({m.metric})" for m in members)
        findings.append(Finding(
            "efficiency_only_chain", "error", g.id, plan.file, _at(plan, goals, g.id),
            f"the goals {names} are measured only by efficiency metrics: none of them measures an outcome",
            "Measure the branch by an outcome it drives (e.g. leads, pipeline_sourced or revenue_sourced), or hang "
            "the efficiency goals under a goal that does."))
    return findings


def _period_past(config: WorkspaceConfig, plan: Plan, goals: list[Goal], as_of: datetime) -> list[Finding]:
    out: list[Finding] = []
    zone = ZoneInfo(config.timezone)
    for g in goals:
        p = goal_period(g, config)
        set_at = datetime.combine(g.set_on, time()).replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None) \
            if g.set_on else as_of
        if p.end <= set_at:
            when = f"was set on {g.set_on}" if g.set_on else f"is checked as of {as_of:%Y-%m-%d} (the end of the data)"
            out.append(Finding("period_past", "error", g.id, plan.file, _at(plan, goals, g.id),
                                   f"goal {g.id}'s period {p.label} ended before it {when}: it is not time-bound",
                                   "Give it a period that ends after it is set (e.g. the next quarter), or remove the "
                                   "finished goal from plan.yml; set set_on: DATE if it was set in time."))
    return out


def best_uplift(src: PlanSource, cat: Catalogue, g: Goal) -> tuple[float | None, int]:
    """The best uplift (the lowest for a decrease goal) between consecutive windows of the goal's length in the
    history before its period, and how many comparisons there were (``unrealistic_target``)."""
    history = _comparisons(src, cat, g)
    if not history:
        return None, 0
    return (max(history) if g.direction == "increase" else min(history)), len(history)


def _comparisons(src: PlanSource, cat: Catalogue, g: Goal) -> list[float]:
    """Uplifts between consecutive windows of the goal's length, stepped by a month, in the history before
    the goal's period."""
    p = goal_period(g, src.config)
    length = p.end - p.start
    first = _first_ts(src, cat, g.metric)
    if first is None:
        return []
    windows: list[tuple[Window, Window]] = []
    end = p.start
    while end - 2 * length >= first and len(windows) < 36:
        mid = end - length
        windows.append((Window(f"a{len(windows)}", mid - length, mid), Window(f"b{len(windows)}", mid, end)))
        day = end.date()
        end = datetime.combine(_add_months(day.replace(day=1), -1), end.time()) if day.day == 1 else end - timedelta(days=30)
    if not windows:
        return []
    values = {v.window: v.value for v in evaluate(src, cat, g.metric, [w for pair in windows for w in pair])
              if v.key == "all"}
    out = []
    for a, b in windows:
        va, vb = values.get(a.label), values.get(b.label)
        if va and vb is not None and va > 0:
            out.append(vb / va - 1.0)
    return out


def _first_ts(src: PlanSource, cat: Catalogue, metric_id: str) -> datetime | None:
    from wanamaker.metrics.catalogue import data_span

    span = data_span(src, cat, metric_id)
    return span[0] if span else None


def _unrealistic(src: PlanSource, cat: Catalogue, plan: Plan, goals: list[Goal], measurable: list[Goal],
                 result: GoalsResult) -> list[Finding]:
    out: list[Finding] = []
    for g in measurable:
        row = result.get(g.id)
        if row.baseline is None or row.target is None or row.baseline <= 0:
            continue
        uplift = row.target / row.baseline - 1.0
        if (g.direction == "increase" and uplift <= 0) or (g.direction == "decrease" and uplift >= 0):
            continue
        history = _comparisons(src, cat, g)
        line = _at(plan, goals, g.id)
        if len(history) < MIN_COMPARISONS:
            out.append(Finding("too_little_history", "info", g.id, plan.file, line,
                                   f"goal {g.id}'s target ({uplift:+.0%} over its baseline) cannot be judged: the "
                                   f"history holds {len(history)} comparison(s) of periods of its length "
                                   f"(at least {MIN_COMPARISONS} needed)",
                                   "Load more history, or judge the target by hand."))
            continue
        best = max(history) if g.direction == "increase" else min(history)
        beyond = uplift > best + 1e-9 if g.direction == "increase" else uplift < best - 1e-9
        if beyond:
            out.append(Finding("unrealistic_target", "error", g.id, plan.file, line,
                                   f"goal {g.id} asks for {uplift:+.1%} over its baseline in one period; the best "
                                   f"the history has shown over {len(history)} periods of that length is {best:+.1%}",
                                   f"Lower the target to at most {row.baseline * (1 + best):,.4g} (the best "
                                   "history), or record what will make this period different."))
    return out


@dataclass(frozen=True)
class Arithmetic:
    """A funnel-stage goal pushed through the history toward its money parent (``infeasible_target``)."""

    goal: str
    parent: str
    metric: str
    to_stage: str
    period: str
    target: float
    rate: float  # the history's conversion from the goal's stage to ``to_stage``
    per_subject: float  # won (or pipeline) money per subject reaching ``to_stage``
    prorate: float  # the goal's period over the parent's
    share: float  # the goal's weight share among its siblings
    parent_target: float

    @property
    def needed(self) -> float:
        return self.parent_target * self.prorate * self.share

    @property
    def produced(self) -> float:
        return self.target * self.rate * self.per_subject

    @property
    def volume(self) -> float:
        """The target volume that would add up."""
        return self.needed / (self.rate * self.per_subject)


def funnel_arithmetic(src: PlanSource, cat: Catalogue, goals: list[Goal], measurable: set[str],
                      result: GoalsResult) -> list[Arithmetic]:
    """The arithmetic of every funnel-stage goal under a goal measured in money (module doc)."""
    from wanamaker.goals.history import history

    by_id = {g.id: g for g in goals}
    siblings: dict[str | None, list[Goal]] = defaultdict(list)
    for g in goals:
        siblings[g.parent].append(g)
    candidates = [g for g in goals if g.metric in STAGE_OF_METRIC and g.parent in by_id
                  and by_id[g.parent].metric in MONEY_METRICS and g.id in measurable and g.parent in measurable]
    if not candidates:
        return []
    try:
        hist = history(src, as_of=result.as_of)
    except DataError:  # no stage events: no rates to push a target through (no_data says what is missing)
        return []
    stages = list(hist.stages)
    out: list[Arithmetic] = []
    for g in candidates:
        parent = by_id[g.parent]  # type: ignore[index]
        stage, goal_to = STAGE_OF_METRIC[g.metric], MONEY_METRICS[parent.metric]
        row, prow = result.get(g.id), result.get(parent.id)
        if stage not in stages or goal_to not in stages or row.target is None or prow.target is None:
            continue
        i, j = stages.index(stage), stages.index(goal_to)
        if i > j:
            continue
        rate = 1.0
        for st in hist.overall.stages[i:j]:
            if not st.has_rate:
                rate = float("nan")
                break
            a, b = st.beta()
            rate *= a / (a + b)
        per_subject = _amount_per_subject(src, cat, hist, goal_to)
        if per_subject is None or rate != rate or rate <= 0 or per_subject <= 0:
            continue
        p, pp = goal_period(g, src.config), goal_period(parent, src.config)
        weights = sum(s.weight for s in siblings[g.parent])
        out.append(Arithmetic(g.id, parent.id, g.metric, goal_to, p.label, row.target, rate, per_subject,
                              min(1.0, (p.end - p.start) / (pp.end - pp.start)),
                              g.weight / weights if weights > 0 else 1.0, prow.target))
    return out


def _infeasible(src: PlanSource, cat: Catalogue, plan: Plan, goals: list[Goal], measurable: set[str],
                result: GoalsResult) -> list[Finding]:
    out: list[Finding] = []
    for a in funnel_arithmetic(src, cat, goals, measurable, result):
        if a.produced + 1e-9 >= a.needed:
            continue
        out.append(Finding(
            "infeasible_target", "error", a.goal, plan.file, _at(plan, goals, a.goal),
            f"goal {a.goal}: {a.target:,.0f} {a.metric} at the history's rates ({a.metric} -> {a.to_stage}: "
            f"{a.rate:.2%}, {a.per_subject:,.0f} per {a.to_stage} subject) make {a.produced:,.0f}, short of the "
            f"{a.needed:,.0f} its parent {a.parent} needs in {a.period} ({a.prorate:.0%} of the parent's target x "
            f"weight share {a.share:.0%}): {a.needed - a.produced:,.0f} short, or {a.volume - a.target:,.0f} {a.metric}",
            f"Raise the target to {a.volume:,.0f} {a.metric}, or lower {a.parent}'s target, or plan the rest through "
            "other goals under it (and weight them)."))
    return out


def _amount_per_subject(src: PlanSource, cat: Catalogue, hist: Any, stage: str) -> float | None:
    if stage == "won":
        return hist.average_won_amount  # type: ignore[no-any-return]
    idx = list(hist.stages).index(stage)
    entered = hist.overall.stages[idx].entered
    if not entered:
        return None
    got = evaluate(src, cat, "pipeline", [Window("h", hist.start, hist.end)])
    total = next((v.value for v in got if v.key == "all"), None)
    return total / entered if total else None
