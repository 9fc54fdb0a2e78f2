"""``wanamaker work``: the marketing team's deliverables on one scale (DESIGN "Work"; docs/work.md).

Definitions (cite these):

- An item belongs to the period of its ``requested_at`` (the demand came in then); ``--in`` keeps one period,
  ``--period`` gives rows per period.
- **hours**: the sum of ``hours`` (logged); **unlinked_hours**: of the items with neither ``campaign_id`` nor
  ``goal_id`` (empty text counts as none).
- **Cycle time** = ``delivered_at - requested_at`` in days, over delivered items (``delivered_at`` set);
  ``median_cycle_days`` and ``p90_cycle_days`` interpolate linearly between order statistics (numpy's default,
  PostgreSQL's ``percentile_cont``).
- **on_time_rate**: of the delivered items with a ``due_at``, the share delivered at or before it;
  **overdue**: items neither delivered nor cancelled whose ``due_at`` is before the as-of time.
- **repeatable_share** / **repeatable_hours_share**: of the items (hours) whose ``repeatable`` is known, the share
  that is repeatable work; the rest is ad hoc.
- **WIP** (multitasking): an item is in progress on every day (workspace time zone) from its ``started_at`` day to
  its ``delivered_at`` day, both included, or to the as-of day while undelivered; cancelled items and items not
  started are never in progress. Sampled daily per person: ``avg_wip`` is the mean number of items in progress
  over the person-days on which the person had at least one of the group's items in progress, ``peak_wip`` the most.
- **development_days** (campaign development time): a campaign's ``starts`` minus the day its first work item was
  requested; for a group, the median over the campaigns its items link to.
- **Outcome per hour** where the work links to one: ``--by campaign``, the leads whose first touch was the
  campaign (the ``leads`` metric by campaign, over ``--in`` or all the data) per hour; ``--by goal``, the goal's
  metric (its actual up to the as-of time, as ``wanamaker goals`` computes it) per hour. Only outcomes that add
  up (counts and money) are divided by hours; a rate's ``outcome_per_hour`` is null.
- People are resolved to ``team_members`` (wanamaker.work.people); a person's team is the member's ``team``.

The sums and counts are Ibis aggregations in the engine. The cycle-time quantiles and the daily WIP need the
items themselves: the per-item columns (a team's deliverables: thousands a year) are fetched for them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

import ibis
import numpy as np

from wanamaker.errors import UsageError
from wanamaker.funnel._source import ALL_KEY, NONE_KEY, days_between, scalar
from wanamaker.funnel.results import Tabular
from wanamaker.metrics.catalogue import n_true, ratio
from wanamaker.metrics.periods import Period, PeriodKind, label_expr, naive_utc, parse_label, periods_between
from wanamaker.work.people import resolve

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from wanamaker.workspace import Workspace

BY_KEYS = ("person", "team", "kind", "campaign", "goal")
MIN_N = 30
ROW_KEYS = ("key", "items", "hours", "median_cycle_days", "p90_cycle_days", "on_time_rate", "repeatable_share",
            "avg_wip", "peak_wip", "unlinked_hours")


@dataclass(frozen=True)
class WorkRow:
    key: str
    items: int
    hours: float
    median_cycle_days: float | None
    p90_cycle_days: float | None
    on_time_rate: float | None
    repeatable_share: float | None
    avg_wip: float | None
    peak_wip: int | None
    unlinked_hours: float
    period: str | None = None
    delivered: int = 0
    overdue: int = 0
    repeatable_hours_share: float | None = None
    development_days: float | None = None
    outcome_metric: str | None = None
    outcome: float | None = None
    outcome_per_hour: float | None = None
    small: bool = False

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if self.period is None:
            del d["period"]
            return d
        return {"period": d.pop("period"), **d}


@dataclass(frozen=True)
class WorkResult(Tabular):
    rows_: tuple[WorkRow, ...]
    by: str | None
    as_of: datetime
    notes: tuple[str, ...] = ()

    @property
    def table_rows(self) -> tuple[WorkRow, ...]:
        return self.rows_

    def as_json(self) -> list[dict[str, Any]]:
        return self.rows()

    def get(self, key: str, period: str | None = None) -> WorkRow:
        return next(r for r in self.rows_ if r.key == key and r.period == period)


def missing(value: ir.StringValue) -> ir.BooleanValue:
    return value.isnull() | (value.strip() == "")


def key_or_none(value: ir.StringValue) -> ir.StringValue:
    return ibis.ifelse(missing(value), ibis.literal(NONE_KEY), value.strip())


def work_items(ws: Workspace) -> ir.Table:
    """``work_items`` with people resolved (``owner_id``, ``owner_id_team``) and the derived per-item columns:
    ``is_delivered``, ``is_cancelled``, ``cycle_days``, ``on_time`` (null unless delivered with a due date),
    ``unlinked``."""
    t = resolve(ws, ws.table("work_items"), ["owner_id", "requested_by"])
    if "estimated_hours" not in t.columns:  # a workspace made before the contract had it
        t = t.mutate(estimated_hours=ibis.null().cast("float64"))
    delivered = t.delivered_at.notnull()
    return t.mutate(
        is_delivered=delivered,
        is_cancelled=t.status.strip().lower().fill_null("") == "cancelled",
        cycle_days=ibis.ifelse(delivered, days_between(t.requested_at, t.delivered_at), ibis.null().cast("float64")),
        on_time=ibis.ifelse(delivered & t.due_at.notnull(), t.delivered_at <= t.due_at, ibis.null().cast("boolean")),
        unlinked=missing(t.campaign_id) & missing(t.goal_id),
    )


def work_as_of(ws: Workspace) -> datetime | None:
    """The end of the work data: the latest request, start, delivery or approval decision."""
    t = ws.table("work_items")
    a = ws.table("approvals")
    found = [scalar(t[c].max()) for c in ("requested_at", "started_at", "delivered_at")] + [scalar(a.decided_at.max())]
    times = [naive_utc(v) for v in found if v is not None]
    return max(times) if times else None


def group_key(t: ir.Table, by: str | None) -> ir.StringValue:
    if by is None:
        return ibis.literal(ALL_KEY)
    column = {"person": "owner_id", "team": "owner_id_team", "kind": "kind", "campaign": "campaign_id",
              "goal": "goal_id"}[by]
    return key_or_none(t[column])


def _window(ws: Workspace, in_label: str | None) -> Period | None:
    if in_label is None:
        return None
    cfg = ws.config
    try:
        return parse_label(in_label, cfg.timezone, cfg.fiscal_year_start)
    except ValueError as exc:
        raise UsageError(f"--in {exc}", fix="Write --in 2026-03, FY2026-Q1 or FY2026.") from exc


def _periods(ws: Workspace, t: ir.Table, period: str | None, window: Period | None) -> list[Period] | None:
    if period is None:
        return None
    cfg = ws.config
    kind = cast("PeriodKind", period)
    if window is not None:
        return periods_between(kind, window.start, window.end - timedelta(microseconds=1), cfg.timezone,
                               cfg.fiscal_year_start)
    span = t.aggregate(lo=t.requested_at.min(), hi=t.requested_at.max()).to_pyarrow().to_pylist()[0]
    if span["lo"] is None:
        return []
    return periods_between(kind, naive_utc(span["lo"]), naive_utc(span["hi"]), cfg.timezone, cfg.fiscal_year_start)


def _quantiles(values: list[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    arr = np.asarray(values, dtype=np.float64)
    return float(np.percentile(arr, 50)), float(np.percentile(arr, 90))


def wip(intervals: Iterable[tuple[str, date, date]]) -> tuple[float | None, int | None]:
    """Average and peak items in progress over busy person-days, from ``(person, first day, last day)`` intervals
    (both days included).

    >>> wip([("ann", date(2026, 1, 1), date(2026, 1, 3)), ("ann", date(2026, 1, 2), date(2026, 1, 2))])
    (1.3333333333333333, 2)
    """
    by_person: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for person, first, last in intervals:
        if last >= first:
            by_person[person].append((first.toordinal(), last.toordinal()))
    total = busy = peak = 0
    for spans in by_person.values():
        lo = min(s for s, _ in spans)
        hi = max(e for _, e in spans)
        diff = np.zeros(hi - lo + 2, dtype=np.int64)
        for s, e in spans:
            diff[s - lo] += 1
            diff[e - lo + 1] -= 1
        counts = np.cumsum(diff)[:-1]
        on = counts[counts > 0]
        total += int(on.sum())
        busy += int(on.size)
        peak = max(peak, int(on.max()) if on.size else 0)
    if busy == 0:
        return None, None
    return total / busy, peak


def _local_day(ts: Any, tz: ZoneInfo) -> date:
    return naive_utc(ts).replace(tzinfo=ZoneInfo("UTC")).astimezone(tz).date()


def work(ws: Workspace, *, by: str | None = None, period: str | None = None, in_label: str | None = None,
         as_of: datetime | None = None, min_n: int = MIN_N) -> WorkResult:
    """Items, hours, cycle times, on-time rate, repeatable share, WIP and unlinked hours: the ``all`` row, then one
    row per ``by`` key (per period with ``period``). See the module docstring for each definition."""
    from wanamaker.config.options import choice_option

    if by is not None:
        choice_option("--by", by, BY_KEYS)
    if period is not None:
        choice_option("--period", period, ("month", "quarter", "year"))
    cfg = ws.config
    tz = ZoneInfo(cfg.timezone)
    window = _window(ws, in_label)
    end = as_of or work_as_of(ws)
    if end is None:
        return WorkResult((), by, datetime(1970, 1, 1), ("No work items yet: load work_items first.",))
    t = work_items(ws)
    t = t.filter(t.requested_at.isnull() | (t.requested_at < ibis.literal(end, type="timestamp")))
    if window is not None:
        t = t.filter((t.requested_at >= ibis.literal(window.start, type="timestamp"))
                     & (t.requested_at < ibis.literal(window.end, type="timestamp")))
    periods = _periods(ws, t, period, window)
    t = t.mutate(period=label_expr(t.requested_at, periods) if periods is not None else ibis.literal(ALL_KEY))
    if periods is not None:
        t = t.filter(t.period.notnull())
    rows: list[WorkRow] = []
    notes: list[str] = []
    undated = scalar(ws.table("work_items").requested_at.isnull().sum()) or 0
    if undated:
        notes.append(f"{undated} work items have no requested_at and are left out (they belong to no period).")
    t = t.filter(t.requested_at.notnull())
    dev = development_days(ws)
    outcome = _outcomes(ws, by, window, end)
    for key_by in ([None, by] if by is not None else [None]):
        rows += _rows(t, key_by, periods is not None, end, tz, dev, outcome if key_by else {}, min_n)
    if not rows:
        notes.append("No work items in the window.")
    order = {p.label: i for i, p in enumerate(periods or [])}
    rows.sort(key=lambda r: (order.get(r.period or "", 0), r.key != ALL_KEY))
    return WorkResult(tuple(rows), by, end, tuple(notes))


def _rows(t: ir.Table, by: str | None, per_period: bool, end: datetime, tz: ZoneInfo, dev: dict[str, float],
          outcome: dict[str, tuple[str, float | None, str | None]], min_n: int) -> list[WorkRow]:
    g = t.mutate(key=group_key(t, by))
    hours = g.hours.fill_null(0.0)
    overdue = ~g.is_delivered & ~g.is_cancelled & g.due_at.notnull() & (g.due_at < ibis.literal(end, type="timestamp"))
    agg = g.group_by(["period", "key"]).aggregate(
        items=g.count(),
        hours=hours.sum(),
        delivered=n_true(g.is_delivered),
        on_time=n_true(g.on_time),
        on_time_n=g.on_time.count(),
        overdue=n_true(overdue),
        rep=n_true(g.repeatable),
        rep_n=g.repeatable.count(),
        rep_hours=ibis.ifelse(g.repeatable, hours, 0.0).sum(),
        rep_known_hours=ibis.ifelse(g.repeatable.notnull(), hours, 0.0).sum(),
        unlinked_hours=ibis.ifelse(g.unlinked, hours, 0.0).sum(),
    ).to_pyarrow().to_pylist()
    detail = g.select("period", "key", "owner_id", "started_at", "delivered_at", "cycle_days", "is_cancelled",
                      "campaign_id").to_pyarrow().to_pylist()
    cycles: dict[tuple[str, str], list[float]] = defaultdict(list)
    spans: dict[tuple[str, str], list[tuple[str, date, date]]] = defaultdict(list)
    camps: dict[tuple[str, str], set[str]] = defaultdict(set)
    end_day = _local_day(end - timedelta(microseconds=1), tz)
    for r in detail:
        k = (r["period"], r["key"])
        if r["cycle_days"] is not None:
            cycles[k].append(float(r["cycle_days"]))
        if r["campaign_id"] is not None and str(r["campaign_id"]).strip():
            camps[k].add(str(r["campaign_id"]).strip())
        if r["started_at"] is None or r["is_cancelled"] or naive_utc(r["started_at"]) >= end:
            continue
        first = _local_day(r["started_at"], tz)
        last = _local_day(r["delivered_at"], tz) if r["delivered_at"] is not None else end_day
        spans[k].append((r["owner_id"] or NONE_KEY, first, min(last, end_day)))
    out = []
    for a in agg:
        k = (a["period"], a["key"])
        med, p90 = _quantiles(cycles[k])
        avg_wip, peak_wip = wip(spans[k])
        devs = [dev[c] for c in camps[k] if c in dev]
        metric, value, unit = outcome.get(a["key"], (None, None, None))
        out.append(WorkRow(
            key=a["key"], items=int(a["items"]), hours=float(a["hours"] or 0.0), median_cycle_days=med,
            p90_cycle_days=p90, on_time_rate=ratio(a["on_time"], a["on_time_n"]),
            repeatable_share=ratio(a["rep"], a["rep_n"]), avg_wip=avg_wip, peak_wip=peak_wip,
            unlinked_hours=float(a["unlinked_hours"] or 0.0), period=a["period"] if per_period else None,
            delivered=int(a["delivered"] or 0), overdue=int(a["overdue"] or 0),
            repeatable_hours_share=ratio(a["rep_hours"], a["rep_known_hours"]),
            development_days=float(np.median(devs)) if devs else None, outcome_metric=metric, outcome=value,
            outcome_per_hour=per_hour(value, a["hours"], unit), small=by is not None and int(a["items"]) < min_n))
    out.sort(key=lambda r: (r.key == NONE_KEY, -r.hours, r.key))
    return out


def development_days(ws: Workspace) -> dict[str, float]:
    """Per campaign: its ``starts`` minus the day (workspace time zone) its first work item was requested."""
    t = ws.table("work_items")
    t = t.filter(~missing(t.campaign_id) & t.requested_at.notnull())
    first = t.group_by(campaign_id=t.campaign_id.strip()).aggregate(first=t.requested_at.min())
    c = ws.table("campaigns")
    j = first.join(c.select("campaign_id", "starts").filter(c.starts.notnull()), "campaign_id")
    tz = ZoneInfo(ws.config.timezone)
    return {r["campaign_id"]: float((r["starts"] - _local_day(r["first"], tz)).days)
            for r in j.to_pyarrow().to_pylist()}


def _outcomes(ws: Workspace, by: str | None, window: Period | None, end: datetime
              ) -> dict[str, tuple[str, float | None, str | None]]:
    """The outcome each key's work links to (metric, value, unit): leads per campaign, the goal's metric per
    goal."""
    if by == "campaign":
        from wanamaker.goals.api import metric

        leads = metric(ws, "leads", by="campaign", in_label=window.label if window is not None else None)
        return {r["key"]: ("leads", r["value"], "count") for r in leads.as_json() if r["key"] not in (ALL_KEY, NONE_KEY)}
    if by == "goal":
        if not ws.plan.goals:
            return {}
        goals = ws.goals(as_of=end)
        return {r.id: (r.metric, r.actual, goals.units.get(r.metric)) for r in goals.rows}
    return {}


def per_hour(outcome: float | None, hours: float | None, unit: str | None) -> float | None:
    """Outcome per hour, for outcomes that add up (counts and money); a rate per hour means nothing."""
    return ratio(outcome, hours) if unit in ("count", "currency") else None
