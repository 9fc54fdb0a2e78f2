"""Service-level agreements between marketing and sales (``sla:`` in wanamaker.yml; DESIGN "Funnel").

A rule ``{name, from, to, within}`` starts a *clock* at every entry of a subject (a person) into the
``from`` stage -- a recycled lead that becomes an MQL again starts a new clock. The clock stops at the
first *response* at or after its start and at or before the as-of time:

- a stage or exit named in ``to`` (e.g. ``sal`` or ``rejected``);
- ``first_sales_touch``: the first touch whose channel's group is ``sales`` or whose owner is a sales rep
  (``team_members.team`` = sales).

Each clock is then **met** (responded within ``within``), **breached** (responded late, or no response
and the deadline has passed by the as-of time) or **pending** (no response yet, deadline not passed).
``events`` counts decided clocks (met + breached); ``breach_rate`` = breaches / events;
``median_hours`` and ``p90_hours`` are over responded clocks (linear interpolation). *Open breaches*
are breached clocks with no response at the as-of time: what a manager is alerted about.

The accountable rep is the ``owner_id`` on the ``from`` stage event, else the person's ``owner_id``;
the team is that rep's ``team_members.team``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import ibis
import ibis.expr.types as ir

from wanamaker.config.models import SlaRule
from wanamaker.errors import UsageError
from wanamaker.funnel._source import NONE_KEY, Source, hours_between
from wanamaker.funnel.conversion import _clean
from wanamaker.funnel.touches import is_sales_touch, person_touches
from wanamaker.metrics.periods import Period, label_expr

FIRST_SALES_TOUCH = "first_sales_touch"
SLA_KEYS: tuple[str, ...] = ("rep", "team")


@dataclass(frozen=True)
class SlaRow:
    key: str
    rule: str
    period: str | None
    events: int
    median_hours: float | None
    p90_hours: float | None
    breaches: int
    breach_rate: float | None


@dataclass(frozen=True)
class OpenBreach:
    rule: str
    subject_id: str
    owner_id: str | None
    since: str
    overdue_hours: float


def _responses(src: Source, rule: SlaRule) -> ir.Table:
    """``subject_id, ts`` of every event that answers ``rule``."""
    ev = src.table("stage_events")
    stage_targets = [t for t in rule.to if t != FIRST_SALES_TOUCH]
    parts: list[ir.Table] = []
    if stage_targets:
        hit = ev.filter((ev.subject_type == "person") & ev.stage.isin(stage_targets))
        parts.append(hit.select(r_subject=hit.subject_id, r_ts=hit.ts))
    if FIRST_SALES_TOUCH in rule.to:
        tp = person_touches(src)
        sales = tp.filter(is_sales_touch(tp, src))
        parts.append(sales.select(r_subject=sales.person_id, r_ts=sales.ts))
    return parts[0] if len(parts) == 1 else ibis.union(*parts)


def clocks(src: Source, rules: list[SlaRule], as_of: datetime) -> ir.Table:
    """One row per clock: ``rule, subject_id, owner_id, start, response, deadline`` (response null when
    none by ``as_of``)."""
    ev = src.table("stage_events")
    people = src.table("people").select(p_id="person_id", p_owner="owner_id")
    end = ibis.literal(as_of, type="timestamp")
    parts: list[ir.Table] = []
    for rule in rules:
        starts = ev.filter((ev.subject_type == "person") & (ev.stage == rule.from_stage) & (ev.ts <= end))
        starts = starts.left_join(people, starts.subject_id == people.p_id)
        starts = starts.group_by([starts.subject_id, starts.ts.name("start")]).aggregate(
            owner_id=starts.owner_id.coalesce(starts.p_owner).max()
        )
        resp = _responses(src, rule)
        joined = starts.left_join(
            resp, [starts.subject_id == resp.r_subject, resp.r_ts >= starts.start, resp.r_ts <= end]
        )
        first = joined.group_by(["subject_id", "start", "owner_id"]).aggregate(response=joined.r_ts.min())
        seconds = int(rule.within.total_seconds())
        parts.append(
            first.mutate(
                rule=ibis.literal(rule.name, type="string"),
                deadline=first.start + ibis.interval(seconds=seconds),
            )
        )
    return parts[0] if len(parts) == 1 else ibis.union(*parts)


def _with_status(c: ir.Table, as_of: datetime) -> ir.Table:
    end = ibis.literal(as_of, type="timestamp")
    late = c.response.notnull() & (c.response > c.deadline)
    open_breach = c.response.isnull() & (end > c.deadline)
    return c.mutate(
        hours=hours_between(c.start, c.response),
        breach=(late | open_breach).ifelse(1, 0),
        decided=(c.response.notnull() | open_breach).ifelse(1, 0),
        open_breach=open_breach,
        overdue_hours=hours_between(c.deadline, end),
    )


def _keyed(src: Source, c: ir.Table, by: str | None) -> ir.Table:
    if by is None:
        return c.mutate(key=ibis.literal("all", type="string"))
    if by not in SLA_KEYS:
        raise UsageError(f"'{by}' is not an SLA breakdown.", fix="Use --by rep or --by team.")
    if by == "rep":
        return c.mutate(key=c.owner_id.coalesce(NONE_KEY))
    tm = src.table("team_members").select(m_id="member_id", m_team="team")
    j = c.left_join(tm, c.owner_id == tm.m_id)
    return j.mutate(key=j.m_team.coalesce(NONE_KEY)).drop("m_id", "m_team")


def sla_rows(
    src: Source, rules: list[SlaRule], as_of: datetime, by: str | None, periods: list[Period] | None
) -> list[SlaRow]:
    """Per key (``all``, then reps or teams), rule and period: events, response times and breaches."""
    c = _with_status(clocks(src, rules, as_of), as_of)
    c = c.filter(c.decided == 1)
    keyed = [_keyed(src, c, None)] + ([_keyed(src, c, by)] if by else [])
    t = ibis.union(*keyed)
    t = t.mutate(period=label_expr(t.start, periods) if periods else ibis.null().cast("string"))
    agg = t.group_by(["key", "rule", "period"]).aggregate(
        events=t.count(),
        median_hours=t.hours.quantile(0.5),
        p90_hours=t.hours.quantile(0.9),
        breaches=t.breach.sum(),
    )
    rows = [
        SlaRow(
            key=str(r["key"]), rule=str(r["rule"]), period=r["period"], events=int(r["events"]),
            median_hours=_clean(r["median_hours"]), p90_hours=_clean(r["p90_hours"]),
            breaches=int(r["breaches"]), breach_rate=int(r["breaches"]) / int(r["events"]) if r["events"] else None,
        )
        for r in agg.to_pyarrow().to_pylist()
    ]
    order = {rule.name: i for i, rule in enumerate(rules)}
    return sorted(rows, key=lambda r: (r.key != "all", r.key, order.get(r.rule, 0), r.period or ""))


def open_breaches(src: Source, rules: list[SlaRule], as_of: datetime) -> list[OpenBreach]:
    """Clocks with no response whose deadline passed by ``as_of``, most overdue first."""
    c = _with_status(clocks(src, rules, as_of), as_of)
    c = c.filter(c.open_breach)
    out = c.select("rule", "subject_id", "owner_id", "start", "overdue_hours").to_pyarrow().to_pylist()
    rows = [
        OpenBreach(
            rule=str(r["rule"]), subject_id=str(r["subject_id"]), owner_id=r["owner_id"],
            since=r["start"].isoformat(), overdue_hours=float(r["overdue_hours"]),
        )
        for r in out
    ]
    return sorted(rows, key=lambda r: (-r.overdue_hours, r.rule, r.subject_id))
