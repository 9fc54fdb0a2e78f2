"""Short- vs long-term balance (issue 13, part 8; DESIGN "Money"): spend and work hours by campaign horizon,
per fiscal quarter, each against ``plan.yml``'s ``balance.long_term_share``.

- **Spend**: ``spend`` rows in the workspace currency (at the day's rate; a foreign amount with no rate is left
  out, as everywhere), placed by their date, split by the ``horizon`` (``short`` | ``long``) of their campaign.
- **Hours**: ``work_items.hours``, placed by ``delivered_at`` (else ``started_at``, else ``requested_at``),
  split by the horizon of the item's campaign.
- Spend or hours whose campaign is missing, unknown to ``campaigns`` or has no horizon are ``unknown``: they are
  reported and left out of the share, so ``long_share`` = long / (long + short).
- ``status``: ``below`` when the long-term share is more than 5 points under the target, ``above`` when more
  than 5 points over, else ``on_target``; ``null`` share (nothing with a horizon) gives ``no_data``.

Spend and hours are never added together: a quarter can be balanced in money and not in the team's time.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Protocol

import ibis
import ibis.expr.types as ir

from wanamaker.config.models import Plan, WorkspaceConfig
from wanamaker.metrics.catalogue import _spend
from wanamaker.metrics.periods import label_expr, naive_utc, periods_between

TOLERANCE = 0.05
ALL = "all"


class Source(Protocol):
    @property
    def config(self) -> WorkspaceConfig: ...

    @property
    def plan(self) -> Plan: ...

    def table(self, name: str) -> ir.Table: ...


@dataclass(frozen=True)
class BalanceRow:
    period: str
    measure: str  # spend | hours
    long: float
    short: float
    unknown: float
    long_share: float | None
    target: float
    gap: float | None  # long_share - target
    status: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class BalanceResult:
    rows: tuple[BalanceRow, ...]
    target: float
    notes: tuple[str, ...] = ()

    def as_json(self) -> list[dict[str, Any]]:
        return [r.as_dict() for r in self.rows]




def _horizons(src: Source) -> ir.Table:
    c = src.table("campaigns")
    return c.select(h_campaign=c.campaign_id, h_horizon=c.horizon)


def _spend_rows(src: Source) -> ir.Table:
    s = _spend(src, "campaign")
    s = s.select(ts=s.ts, amount=s.value, campaign=s.campaign)
    h = _horizons(src)
    j = s.left_join(h, s.campaign == h.h_campaign)
    return j.select(ts=j.ts, amount=j.amount, horizon=j.h_horizon.coalesce("unknown"))


def _hour_rows(src: Source) -> ir.Table:
    w = src.table("work_items")
    w = w.filter(w.hours.notnull())
    h = _horizons(src)
    j = w.left_join(h, w.campaign_id == h.h_campaign)
    return j.select(ts=ibis.coalesce(j.delivered_at, j.started_at, j.requested_at),
                    amount=j.hours.cast("float64"), horizon=j.h_horizon.coalesce("unknown"))


def _status(share: float | None, target: float) -> str:
    if share is None:
        return "no_data"
    if share < target - TOLERANCE:
        return "below"
    if share > target + TOLERANCE:
        return "above"
    return "on_target"


def balance(src: Source, *, period: str = "quarter") -> BalanceResult:
    """Spend and hours by horizon per fiscal ``period`` (and overall, ``period: "all"``) against the plan's
    long-term share (see the module doc)."""
    from wanamaker.config.options import choice_option
    from wanamaker.metrics.periods import PERIOD_KINDS

    kind = choice_option("--period", period, PERIOD_KINDS)
    cfg = src.config
    target = src.plan.balance.long_term_share
    rows: list[BalanceRow] = []
    notes: list[str] = []
    for measure, t in (("spend", _spend_rows(src)), ("hours", _hour_rows(src))):
        t = t.filter(t.ts.notnull())
        span = t.aggregate(lo=t.ts.min(), hi=t.ts.max()).to_pyarrow().to_pylist()[0]
        if span["lo"] is None:
            notes.append(f"no {measure} rows: nothing to balance")
            continue
        periods = periods_between(kind, naive_utc(span["lo"]), naive_utc(span["hi"]), cfg.timezone,  # type: ignore[arg-type]
                                  cfg.fiscal_year_start)
        labelled = t.mutate(period=label_expr(t.ts, periods))
        per = labelled.group_by(["period", "horizon"]).aggregate(amount=labelled.amount.sum())
        cells: dict[str, dict[str, float]] = {}
        for rec in per.to_pyarrow().to_pylist():
            for key in (str(rec["period"]), ALL):
                cell = cells.setdefault(key, {})
                cell[str(rec["horizon"])] = cell.get(str(rec["horizon"]), 0.0) + float(rec["amount"] or 0.0)
        order = [p.label for p in periods] + [ALL]
        for label in order:
            cell = cells.get(label, {})
            long_, short = cell.get("long", 0.0), cell.get("short", 0.0)
            unknown = sum(v for k, v in cell.items() if k not in ("long", "short"))
            share = long_ / (long_ + short) if long_ + short > 0 else None
            rows.append(BalanceRow(label, measure, long_, short, unknown, share, target,
                                   None if share is None else share - target, _status(share, target)))
        unknown_all = next(r.unknown for r in rows if r.measure == measure and r.period == ALL)
        if unknown_all > 0:
            what = f"{unknown_all:,.2f} {cfg.currency} of spend" if measure == "spend" else f"{unknown_all:,.1f} hours"
            notes.append(f"{what} belong to no campaign with a horizon (short | long): reported as unknown and left "
                         "out of the share")
    return BalanceResult(tuple(rows), target, tuple(notes))
