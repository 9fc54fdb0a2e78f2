"""The calendar and work findings of ``wanamaker check`` (DESIGN "Goals and plan checks", "Work"):
``conflicting_offers``, ``promotion_gap`` and ``unlinked_work`` (errors) and ``missed_launch`` (warning).
Data findings: ``file`` and ``line`` are null."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from wanamaker.findings import Finding
from wanamaker.work.calendar import calendar

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from wanamaker.workspace import Workspace


def calendar_findings(ws: Workspace, as_of: datetime | None = None) -> list[Finding]:
    """Conflicts, gaps and missed launches of the whole calendar, then every unlinked work item.

    ``as_of`` (naive UTC, default: the end of the touch and spend data) only bounds the missed launches:
    conflicts and gaps are faults of the plan, future ones included.
    """

    result = calendar(ws, as_of=as_of)
    gap_days = ws.config.calendar.max_gap.days
    out: list[Finding] = []
    for c in result.conflicts:
        out.append(Finding(
            "conflicting_offers", "error", c.subject, None, None,
            f"{c.campaigns[0]} ({c.offers[0]}) and {c.campaigns[1]} ({c.offers[1]}) both reach "
            f"{', '.join(c.segments)} from {c.overlap_from} to {c.overlap_to}.",
            "Move one campaign's dates, drop the shared segment from one, or change one offer "
            "(calendar.conflicting_offers in wanamaker.yml lists the pairs)."))
    for g in result.gaps:
        out.append(Finding(
            "promotion_gap", "error", g.subject, None, None,
            f"No campaign targets {g.segment} for {g.days} days, {g.gap_from} to {g.gap_to} "
            f"(calendar.max_gap: {gap_days} days).",
            f"Plan a campaign for {g.segment} in {g.quarter}, or raise calendar.max_gap in wanamaker.yml."))
    for m in result.missed_launches:
        when = (f"its first touch or spend came on {m.first_activity}, {(m.first_activity - m.starts).days} days "
                "after" if m.first_activity is not None else "no touch and no spend has come since")
        out.append(Finding(
            "missed_launch", "warning", m.campaign_id, None, None,
            f"{m.campaign_id} was planned to start on {m.starts} (until {m.ends}): {when} the planned start.",
            "Launch it, move its dates in the calendar, or tag its touches and spend with its campaign_id."))
    out += unlinked_work(ws)
    return out


def unlinked_work(ws: Workspace) -> list[Finding]:
    """One finding per work item with neither a ``campaign_id`` nor a ``goal_id`` (empty text counts as none),
    whatever its status: the hours were spent either way."""

    t = ws.table("work_items")

    def missing(col: str) -> ir.BooleanValue:
        return t[col].isnull() | (t[col].strip() == "")

    expr = t.filter(missing("campaign_id") & missing("goal_id")).select("work_id", "title", "hours").order_by("work_id")
    out: list[Finding] = []
    for r in expr.to_pyarrow().to_pylist():
        what = f" '{r['title']}'" if r["title"] else ""
        hours = f" ({r['hours']:g} hours)" if r["hours"] is not None else ""
        out.append(Finding(
            "unlinked_work", "error", str(r["work_id"]), None, None,
            f"Work item {r['work_id']}{what}{hours} is linked to no campaign and no goal.",
            "Set its campaign_id or goal_id in the work-management tool (or the mapping) and load it again."))
    return out
