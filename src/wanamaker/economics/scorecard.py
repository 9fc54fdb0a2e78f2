"""Effectiveness beside efficiency (issue 13, part 7; DESIGN "Definitions"): outcome metrics and efficiency
metrics for the same period in two columns, never one in place of the other, and the goals measured only by
efficiency.

A 20 % open rate means nothing if the readers never buy: the scorecard always shows what the money and effort
produced (pipeline, revenue, marketing-sourced revenue, won deals, and, when the economics are computed, the
LTV of acquired customers and ROMI) next to what they cost or how fast they moved (cost per lead and per MQL,
open rate, win rate, cycle time, SLA compliance). Every number is a catalogue metric
(:mod:`wanamaker.metrics.catalogue`), so the scorecard, the goals and ``wanamaker metric`` agree.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from wanamaker.goals.api import PlanSource, catalogue
from wanamaker.goals.progress import end_of_data
from wanamaker.metrics.catalogue import Window, evaluate
from wanamaker.metrics.periods import Period, parse_label, period_of

EFFECTIVENESS = ("pipeline", "pipeline_sourced", "revenue", "revenue_sourced", "won_deals", "mql", "ltv", "romi")
EFFICIENCY = ("cost_per_lead", "cost_per_mql", "email_open_rate", "win_rate", "sales_cycle_days", "sla_compliance",
              "cac_loaded", "payback_months")


@dataclass(frozen=True)
class ScoreLine:
    column: str  # effectiveness | efficiency
    metric: str
    name: str
    unit: str
    value: float | None
    previous: float | None  # the same metric over the previous period of the same kind
    change: float | None  # relative change from previous (None when it cannot be told)
    direction: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Scorecard:
    period: str
    lines: tuple[ScoreLine, ...]
    efficiency_only_goals: tuple[str, ...]
    notes: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"period": self.period,
                "effectiveness": [ln.as_dict() for ln in self.lines if ln.column == "effectiveness"],
                "efficiency": [ln.as_dict() for ln in self.lines if ln.column == "efficiency"],
                "efficiency_only_goals": list(self.efficiency_only_goals), "notes": list(self.notes)}


def default_period(src: PlanSource) -> Period:
    """The last complete fiscal quarter of the data."""
    cfg = src.config
    end = end_of_data(src)
    current = period_of("quarter", end, cfg.timezone, cfg.fiscal_year_start)
    if current.end - end <= timedelta(days=1):  # the data reaches the quarter's last day
        return current
    return period_of("quarter", current.start - timedelta(days=1), cfg.timezone, cfg.fiscal_year_start)


def scorecard(src: PlanSource, *, in_label: str | None = None) -> Scorecard:
    """Outcome and efficiency metrics of the period ``in_label`` (default: the last complete fiscal quarter) and
    the one before it, and the goals whose branch is measured only by efficiency."""
    from wanamaker.errors import UsageError
    from wanamaker.goals.checks import _kinds

    cfg = src.config
    if in_label is None:
        p = default_period(src)
    else:
        try:
            p = parse_label(in_label, cfg.timezone, cfg.fiscal_year_start)
        except ValueError as exc:
            raise UsageError(f"--in {exc}.", fix="Write --in 2026-03, --in FY2026-Q1 or --in FY2026.") from None
    kind = "month" if "-Q" not in p.label and not p.label.startswith("FY") else ("quarter" if "-Q" in p.label
                                                                                   else "year")
    before = period_of(kind, p.start - timedelta(days=1), cfg.timezone, cfg.fiscal_year_start)  # type: ignore[arg-type]
    cat, _ = catalogue(src)
    lines: list[ScoreLine] = []
    notes: list[str] = []
    for column, ids in (("effectiveness", EFFECTIVENESS), ("efficiency", EFFICIENCY)):
        for mid in ids:
            if mid not in cat:
                continue
            m = cat[mid]
            values = {v.window: v.value for v in evaluate(src, cat, mid, [Window("now", p.start, p.end),
                                                                            Window("before", before.start, before.end)])
                      if v.key == "all" and v.period is None}
            now, prev = values.get("now"), values.get("before")
            change = (now - prev) / abs(prev) if now is not None and prev is not None and prev != 0 else None
            lines.append(ScoreLine(column, mid, m.name, m.unit, now, prev, change, m.direction))
            if now is None:
                notes.append(f"{mid}: no data for {p.label}")
    chains = _kinds(src.plan, list(src.plan.goals), cat)
    return Scorecard(p.label, tuple(lines), tuple(f.subject for f in chains), tuple(notes))

