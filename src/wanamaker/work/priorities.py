"""Priorities: ``wanamaker queue`` (open requests by expected return per hour) and ``wanamaker work --audit`` (was
delivered work done in order of return or of deadline?) (DESIGN "Work"; docs/work.md).

**Queue.** Open requests are work items neither delivered (``delivered_at``) nor cancelled. Each one's

- *value* is its ``expected_value``; when it has none, the median ``expected_value`` of the delivered items linked to
  the same goal (its ``goal_id``, else its campaign's ``goal_id``): ``value_source: goal history``; else of the
  delivered items of the same kind (``kind history``); else none, and it ranks last;
- *hours* are its ``estimated_hours``; else the hours logged so far when above zero (``logged``); else the median
  hours of delivered items of its kind (``kind history``);
- ``return_per_hour`` = value / hours. Items are ranked by it, highest first; equal returns share a rank (1, 1, 3)
  and are listed by due date, then request date, then ``work_id``.

**Audit.** Per fiscal quarter of delivery, over the delivered items with ``started_at``, ``due_at``, an
``expected_value`` and hours above zero: the Spearman rank correlation (ties get average ranks) of the order the
team started them in with the order of return (``expected_value / hours``, highest first) and with the order of
deadline (``due_at``, earliest first). ``driven_by`` names the larger when it is at least 0.3 (``return``,
``deadline``), else ``neither``. **Value delayed**: had the quarter's items been delivered in return order (the same
delivery times, the k-th earliest going to the k-th best return), each item's delay is how many days later it
actually came (0 when it came earlier); ``value_delayed`` sums the ``expected_value`` of the items that came later,
``value_days_delayed`` sums ``expected_value x days late``. A quarter with fewer than 3 items has no correlation.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import ibis
import numpy as np

from wanamaker.funnel._source import ALL_KEY
from wanamaker.funnel.results import Tabular
from wanamaker.metrics.catalogue import n_true
from wanamaker.metrics.periods import label_expr, naive_utc, periods_between
from wanamaker.work.measures import missing, work_items

if TYPE_CHECKING:
    from wanamaker.workspace import Workspace

DRIVEN = 0.3


@dataclass(frozen=True)
class QueueRow:
    rank: int | None
    work_id: str
    title: str | None
    kind: str | None
    owner_id: str | None
    state: str
    goal_id: str | None
    campaign_id: str | None
    requested_at: datetime | None
    due_at: datetime | None
    expected_value: float | None
    value_source: str | None
    hours: float | None
    hours_source: str | None
    return_per_hour: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class QueueResult(Tabular):
    rows_: tuple[QueueRow, ...]
    notes: tuple[str, ...] = ()

    @property
    def table_rows(self) -> tuple[QueueRow, ...]:
        return self.rows_

    def as_json(self) -> list[dict[str, Any]]:
        return self.rows()


def _median(values: list[float]) -> float | None:
    return float(np.median(values)) if values else None


def _text(value: Any) -> str | None:
    return str(value).strip() if value is not None and str(value).strip() else None


def queue(ws: Workspace) -> QueueResult:
    """Open requests ranked by expected return per hour (module docstring)."""
    t = work_items(ws)
    camps = ws.table("campaigns").select(c_id="campaign_id", c_goal="goal_id")
    t = t.left_join(camps, t.campaign_id == camps.c_id)
    t = t.mutate(link_goal=ibis.ifelse(missing(t.goal_id), t.c_goal, t.goal_id))
    cols = ["work_id", "title", "kind", "owner_id", "started_at", "goal_id", "campaign_id", "link_goal",
            "requested_at", "due_at", "expected_value", "estimated_hours", "hours"]
    done = t.filter(t.is_delivered).select(*cols).to_pyarrow().to_pylist()
    open_ = t.filter(~t.is_delivered & ~t.is_cancelled).select(*cols).to_pyarrow().to_pylist()
    by_goal: dict[str, list[float]] = defaultdict(list)
    by_kind: dict[str, list[float]] = defaultdict(list)
    hours_kind: dict[str, list[float]] = defaultdict(list)
    for r in done:
        goal, kind = _text(r["link_goal"]), _text(r["kind"])
        if r["expected_value"] is not None:
            if goal:
                by_goal[goal].append(float(r["expected_value"]))
            if kind:
                by_kind[kind].append(float(r["expected_value"]))
        if r["hours"] is not None and r["hours"] > 0 and kind:
            hours_kind[kind].append(float(r["hours"]))
    rows = []
    for r in open_:
        goal, kind = _text(r["link_goal"]), _text(r["kind"])
        value, vsrc = r["expected_value"], "item" if r["expected_value"] is not None else None
        if value is None and goal and by_goal.get(goal):
            value, vsrc = _median(by_goal[goal]), "goal history"
        if value is None and kind and by_kind.get(kind):
            value, vsrc = _median(by_kind[kind]), "kind history"
        hours, hsrc = r["estimated_hours"], "estimate" if r["estimated_hours"] else None
        if not hours:
            hours, hsrc = None, None
            if r["hours"] is not None and r["hours"] > 0:
                hours, hsrc = float(r["hours"]), "logged"
            elif kind and hours_kind.get(kind):
                hours, hsrc = _median(hours_kind[kind]), "kind history"
        rph = None if value is None or not hours else float(value) / float(hours)
        rows.append(QueueRow(None, r["work_id"], r["title"], r["kind"], r["owner_id"],
                             "in progress" if r["started_at"] is not None else "waiting", r["goal_id"],
                             r["campaign_id"], _naive(r["requested_at"]), _naive(r["due_at"]), value, vsrc, hours,
                             hsrc, rph))
    far = datetime.max
    rows.sort(key=lambda q: (q.return_per_hour is None, -(q.return_per_hour or 0.0), q.due_at or far,
                             q.requested_at or far, q.work_id))
    ranked: list[QueueRow] = []
    for i, q in enumerate(rows):
        if q.return_per_hour is None:
            rank = None
        elif i > 0 and ranked[-1].return_per_hour == q.return_per_hour:
            rank = ranked[-1].rank
        else:
            rank = i + 1
        ranked.append(replace(q, rank=rank))
    notes = () if ranked else ("No open requests: every work item is delivered or cancelled.",)
    unvalued = sum(q.return_per_hour is None for q in ranked)
    if unvalued:
        notes = (*notes, f"{unvalued} open requests have no expected value and no history to derive one: they "
                         "rank last (set expected_value in the work-management tool).")
    return QueueResult(tuple(ranked), notes)


def _naive(value: Any) -> datetime | None:
    return None if value is None else naive_utc(value)


@dataclass(frozen=True)
class AuditRow:
    quarter: str
    items: int
    spearman_return: float | None
    spearman_deadline: float | None
    driven_by: str | None
    value_delayed: float
    value_days_delayed: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class AuditResult(Tabular):
    rows_: tuple[AuditRow, ...]
    notes: tuple[str, ...] = ()

    @property
    def table_rows(self) -> tuple[AuditRow, ...]:
        return self.rows_

    def as_json(self) -> list[dict[str, Any]]:
        return self.rows()

    def get(self, quarter: str) -> AuditRow:
        return next(r for r in self.rows_ if r.quarter == quarter)


def spearman(x: list[float], y: list[float]) -> float | None:
    """Spearman's rho with average ranks for ties; None below 3 pairs or when either side is constant."""
    from scipy.stats import spearmanr

    if len(x) < 3 or len(set(x)) < 2 or len(set(y)) < 2:
        return None
    return float(spearmanr(x, y).statistic)


def delays(delivered: list[float], value_per_hour: list[float], started: list[float]) -> list[float]:
    """Days each item came later than it would have in return order (same delivery times, best return first;
    ties by start). Times in days.

    >>> delays([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [0.0, 0.0, 0.0])
    [0.0, 0.0, 2.0]
    """
    slots = sorted(delivered)
    order = sorted(range(len(delivered)), key=lambda i: (-value_per_hour[i], started[i], i))
    ideal = [0.0] * len(delivered)
    for slot, i in zip(slots, order, strict=True):
        ideal[i] = slot
    return [max(0.0, d - e) for d, e in zip(delivered, ideal, strict=True)]


def audit(ws: Workspace) -> AuditResult:
    """Per fiscal quarter of delivery: return- or deadline-driven, and the value delayed (module docstring)."""
    cfg = ws.config
    t = work_items(ws)
    t = t.filter(t.is_delivered)
    usable = t.started_at.notnull() & t.due_at.notnull() & t.expected_value.notnull() & (t.hours > 0)
    counts = t.aggregate(n=t.count(), ok=n_true(usable), lo=t.delivered_at.min(),
                         hi=t.delivered_at.max()).to_pyarrow().to_pylist()[0]
    if not counts["n"]:
        return AuditResult((), ("No delivered work items yet.",))
    periods = periods_between("quarter", naive_utc(counts["lo"]), naive_utc(counts["hi"]), cfg.timezone,
                              cfg.fiscal_year_start)
    u = t.filter(usable)
    u = u.mutate(quarter=label_expr(u.delivered_at, periods),
                 start_s=u.started_at.epoch_seconds().cast("float64"),
                 due_s=u.due_at.epoch_seconds().cast("float64"),
                 done_s=u.delivered_at.epoch_seconds().cast("float64"),
                 rph=u.expected_value / u.hours)
    data = u.select("quarter", "start_s", "due_s", "done_s", "rph", "expected_value").to_pyarrow().to_pylist()
    by_q: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in data:
        by_q[r["quarter"]].append(r)
    rows = []
    for p in periods:
        items = by_q.get(p.label, [])
        if not items:
            continue
        start = [r["start_s"] / 86400 for r in items]
        rph = [float(r["rph"]) for r in items]
        rho_r = spearman(start, [-v for v in rph])
        rho_d = spearman(start, [r["due_s"] / 86400 for r in items])
        late = delays([r["done_s"] / 86400 for r in items], rph, start)
        ev = [float(r["expected_value"]) for r in items]
        rows.append(AuditRow(p.label, len(items), rho_r, rho_d, _driven(rho_r, rho_d),
                             sum(v for v, d in zip(ev, late, strict=True) if d > 0),
                             sum(v * d for v, d in zip(ev, late, strict=True))))
    notes: tuple[str, ...] = ()
    skipped = int(counts["n"]) - int(counts["ok"] or 0)
    if skipped:
        notes = (f"{skipped} delivered items lack a started_at, due_at, expected_value or hours and are left out "
                 "of the audit.",)
    return AuditResult(tuple(rows), notes)


def _driven(rho_return: float | None, rho_deadline: float | None) -> str | None:
    if rho_return is None and rho_deadline is None:
        return None
    r, d = rho_return if rho_return is not None else -1.0, rho_deadline if rho_deadline is not None else -1.0
    if max(r, d) < DRIVEN:
        return "neither"
    return "return" if r > d else "deadline" if d > r else "both"


__all__ = ["ALL_KEY", "AuditResult", "AuditRow", "QueueResult", "QueueRow", "audit", "delays", "queue", "spearman"]
