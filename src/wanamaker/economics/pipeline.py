"""``pipeline(ws, ...)``: pipeline created, won and lost, win rate and sales cycle, per key and period
(DESIGN "Money"; docs/pipeline.md).

The rules:

- **Created** counts (``created``, ``created_amount``, ``open``) are cut by ``created_at``; **won** and
  **lost** (``won``, ``won_amount``, ``lost``, the cycle) by ``closed_at``. An opportunity created in one
  quarter and won in the next counts in both, each in its own quarter. ``open`` = opportunities created in
  the window whose status is still open.
- An opportunity with no ``created_at`` counts in won / lost but not in created; a won or lost one with no
  ``closed_at`` counts in created only. Both are counted in a note.
- Money is in the workspace currency through :func:`wanamaker.metrics.money.opportunity_money`: pipeline at
  ``created_at``'s rate, won at ``closed_at``'s; a foreign amount with no rate is left out of the sums (the
  deal still counts) and counted in a note.
- ``win_rate`` = won / (won + lost), null when both are 0. ``avg_won_amount`` = the mean converted won
  amount. ``median_cycle_days`` / ``p90_cycle_days``: days (seconds / 86400) from ``created_at`` to
  ``closed_at`` of won deals, linear interpolation.
- Keys: ``owner`` (``owner_id``), ``source``, ``channel`` / ``campaign`` (of the first touch of the
  opportunity's person, else its account), ``segment`` / ``region`` (of the account, else the person's):
  :func:`wanamaker.funnel.breakdowns.opportunity_attributes`; ``period`` keys rows by period label. A deal
  with no value has the key ``(none)``.

All counting runs in the engine (one aggregation over a union of "created" and "closed" events); only the
aggregated rows leave it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

import ibis
import ibis.expr.types as ir

from wanamaker.config.models import WorkspaceConfig
from wanamaker.config.options import choice_option, int_option, window_option
from wanamaker.funnel.breakdowns import opportunity_attributes
from wanamaker.metrics.money import opportunity_money
from wanamaker.metrics.periods import PERIOD_KINDS, Period, PeriodKind, label_expr, periods_between

BY_KEYS: tuple[str, ...] = ("owner", "source", "campaign", "channel", "segment", "region", "period")
ALL_KEY = "all"
NONE_KEY = "(none)"


class Workspace(Protocol):
    """The part of a workspace the pipeline reads."""

    @property
    def config(self) -> WorkspaceConfig: ...

    def table(self, name: str) -> ir.Table: ...


@dataclass(frozen=True)
class PipelineRow:
    key: str
    period: str | None
    created: int
    created_amount: float
    open: int
    won: int
    won_amount: float
    lost: int
    win_rate: float | None
    avg_won_amount: float | None
    median_cycle_days: float | None
    p90_cycle_days: float | None
    small: bool = False

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if not self.small:
            del out["small"]
        return out


@dataclass(frozen=True)
class PipelineResult:
    """The rows (overall ``all`` first), notes (what was left out and why) and the parameters used."""

    rows: tuple[PipelineRow, ...]
    notes: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> list[dict[str, Any]]:
        return [r.as_dict() for r in self.rows]

    def table_rows(self) -> list[dict[str, Any]]:
        return [{**asdict(r), "small": r.small or None} for r in self.rows]


def _deals(ws: Workspace, by: str | None) -> ir.Table:
    """One row per opportunity with its money in the workspace currency and its breakdown ``attr``."""
    money = opportunity_money(ws, ws.config.currency)
    if by is None or by == "period":
        return money.mutate(attr=ibis.null().cast("string"))
    attrs = opportunity_attributes(ws, touches=by in ("channel", "campaign"))
    attrs = attrs.select(a_id=attrs.subject_id, attr=attrs[by].cast("string"))
    j = money.left_join(attrs, money.opportunity_id == attrs.a_id)
    return j.drop("a_id").mutate(attr=j.attr.coalesce(NONE_KEY))


def _in(ts: ir.TimestampValue, start: datetime | None, end: datetime | None) -> ir.BooleanValue:
    cond = ts.notnull()
    if start is not None:
        cond &= ts >= ibis.literal(start, type="timestamp")
    if end is not None:
        cond &= ts < ibis.literal(end, type="timestamp")
    return cond


def _events(deals: ir.Table, start: datetime | None, end: datetime | None) -> ir.Table:
    """Each deal's "created" event (at ``created_at``) and, when won or lost, its "closed" event (at
    ``closed_at``), inside the window."""
    null_f = ibis.null().cast("float64")
    d = deals
    created = d.filter(_in(d.created_at, start, end)).select(
        attr=d.attr, ts=d.created_at, is_created=ibis.literal(True), status=d.status,
        amount=d.pipeline_amount, cycle=null_f,
    )
    closed_ok = d.status.isin(["won", "lost"]) & _in(d.closed_at, start, end)
    days = (d.closed_at.epoch_seconds() - d.created_at.epoch_seconds()).cast("float64") / 86400.0
    won = d.status == "won"
    closed = d.filter(closed_ok).select(
        attr=d.attr, ts=d.closed_at, is_created=ibis.literal(False), status=d.status,
        amount=d.won_amount, cycle=ibis.ifelse(won & d.created_at.notnull(), days, null_f),
    )
    return created.union(closed)


def _keyed(ev: ir.Table, by: str | None, periods: list[Period] | None) -> ir.Table:
    """``ev`` with ``period`` (label or null) and ``key``: every event once as ``all`` and once under its key."""
    per = label_expr(ev.ts, periods) if periods else ibis.null().cast("string")
    ev = ev.mutate(period=per)
    if by is None:
        return ev.mutate(key=ibis.literal(ALL_KEY, type="string"))
    own = ev.period.coalesce(NONE_KEY) if by == "period" else ev.attr
    return ev.mutate(key=ibis.array([ibis.literal(ALL_KEY, type="string"), own]).unnest())


def _aggregate(ev: ir.Table, by_period: bool) -> list[dict[str, Any]]:
    made = ev.is_created
    won = ~made & (ev.status == "won")
    lost = ~made & (ev.status == "lost")
    groups = ["key", "period"] if by_period else ["key"]
    agg = ev.group_by(groups).aggregate(
        created=made.sum(),
        created_amount=ev.amount.sum(where=made),
        open=(made & (ev.status == "open")).sum(),
        won=won.sum(),
        won_amount=ev.amount.sum(where=won),
        lost=lost.sum(),
        avg_won_amount=ev.amount.mean(where=won),
        median_cycle_days=ev.cycle.quantile(0.5),
        p90_cycle_days=ev.cycle.quantile(0.9),
    )
    return list(agg.to_pyarrow().to_pylist())


def _float(value: Any) -> float | None:
    if value is None:
        return None
    out = float(value)
    return None if out != out else out


def _row(rec: dict[str, Any], min_n: int, by_period: bool) -> PipelineRow:
    created, won, lost = int(rec["created"] or 0), int(rec["won"] or 0), int(rec["lost"] or 0)
    return PipelineRow(
        key=str(rec["key"]), period=rec["period"] if by_period else None,
        created=created, created_amount=_float(rec["created_amount"]) or 0.0, open=int(rec["open"] or 0),
        won=won, won_amount=_float(rec["won_amount"]) or 0.0, lost=lost,
        win_rate=won / (won + lost) if won + lost else None,
        avg_won_amount=_float(rec["avg_won_amount"]),
        median_cycle_days=_float(rec["median_cycle_days"]), p90_cycle_days=_float(rec["p90_cycle_days"]),
        small=created + won + lost < min_n,
    )


def _sorted(rows: list[PipelineRow], by: str | None, periods: list[Period] | None) -> list[PipelineRow]:
    """``all`` first; then the keys by volume (created + won + lost over all periods), largest first, ties by
    key; ``--by period`` keys in time order; within a key, periods in time order."""
    order = {p.label: i for i, p in enumerate(periods or [])}
    volume: dict[str, int] = {}
    for r in rows:
        volume[r.key] = volume.get(r.key, 0) + r.created + r.won + r.lost

    def rank(r: PipelineRow) -> tuple[int, int, str, int]:
        if r.key == ALL_KEY:
            return (0, 0, "", order.get(r.period or "", -1))
        if by == "period":
            return (1, order.get(r.key, len(order)), r.key, 0)
        return (1, -volume[r.key], r.key, order.get(r.period or "", -1))

    return sorted(rows, key=rank)


def _naive(value: Any) -> datetime | None:
    if value is None:
        return None
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    out: datetime = value
    return out.replace(tzinfo=None)


def _facts(deals: ir.Table, start: datetime | None, end: datetime | None) -> dict[str, Any]:
    """The data's time span in the window and the counts the notes report: one small query."""
    d = deals
    made = _in(d.created_at, start, end)
    closed = d.status.isin(["won", "lost"]) & _in(d.closed_at, start, end)
    rec = d.aggregate(
        c_lo=d.created_at.min(where=made), c_hi=d.created_at.max(where=made),
        w_lo=d.closed_at.min(where=closed), w_hi=d.closed_at.max(where=closed),
        n=(made | closed).sum(),
        no_created=(closed & d.created_at.isnull()).sum(),
        no_closed=(d.status.isin(["won", "lost"]) & d.closed_at.isnull()).sum(),
        pipeline_unconverted=(made & d.pipeline_unconverted).sum(),
        won_unconverted=(closed & d.won_unconverted).sum(),
    ).to_pyarrow().to_pylist()[0]
    out = dict(rec)
    times = [t for t in (_naive(out.pop(k)) for k in ("c_lo", "c_hi", "w_lo", "w_hi")) if t is not None]
    out["lo"], out["hi"] = (min(times), max(times)) if times else (None, None)
    return out


def _notes(facts: dict[str, Any], home: str) -> list[str]:
    notes = []
    n = int(facts["no_created"] or 0)
    if n:
        notes.append(f"{n} won or lost opportunit{'y has' if n == 1 else 'ies have'} no created_at: counted in "
                     "won / lost, not in created.")
    n = int(facts["no_closed"] or 0)
    if n:
        notes.append(f"{n} won or lost opportunit{'y has' if n == 1 else 'ies have'} no closed_at: counted in "
                     "created, not in won / lost.")
    n = int(facts["pipeline_unconverted"] or 0)
    if n:
        notes.append(f"{n} opportunit{'y' if n == 1 else 'ies'} in a foreign currency with no fx rate for the "
                     f"created date: counted in created, left out of created_amount ({home}); load fx_rates.")
    n = int(facts["won_unconverted"] or 0)
    if n:
        notes.append(f"{n} won opportunit{'y' if n == 1 else 'ies'} in a foreign currency with no fx rate for "
                     f"the close date: counted in won, left out of won_amount and avg_won_amount ({home}); "
                     "load fx_rates.")
    return notes


def pipeline(
    ws: Workspace,
    *,
    by: str | None = None,
    period: str | None = None,
    date_from: str | date | datetime | None = None,
    date_to: str | date | datetime | None = None,
    min_n: int = 30,
) -> PipelineResult:
    """Pipeline created, won and lost per ``by`` key (owner, source, campaign, channel, segment, region,
    period) and per ``period`` (month | quarter | year, fiscal, in the workspace time zone) between
    ``date_from`` (start of that day) and ``date_to`` (end of that day). Rows whose created + won + lost is
    below ``min_n`` are flagged ``small``. The rules are in the module docstring and docs/pipeline.md.
    """
    if by is not None:
        choice_option("--by", by, BY_KEYS)
    if period is not None:
        choice_option("--period", period, PERIOD_KINDS)
    int_option("--min-n", min_n, minimum=0)
    cfg = ws.config
    start, end = window_option(date_from, date_to, cfg.timezone)
    kind: PeriodKind | None = period  # type: ignore[assignment]
    if by == "period" and kind is None:
        kind = "quarter"
    deals = _deals(ws, by)
    facts = _facts(deals, start, end)
    params: dict[str, Any] = {"by": by, "period": kind, "from": start, "to": end, "min_n": min_n,
                              "currency": cfg.currency}
    if not facts["n"]:
        return PipelineResult((), ("No opportunities were created or closed in the window.",), params)
    periods: list[Period] | None = None
    if kind is not None:
        periods = periods_between(kind, facts["lo"], facts["hi"], cfg.timezone, cfg.fiscal_year_start)
    by_period = kind is not None and by != "period"
    records = _aggregate(_keyed(_events(deals, start, end), by, periods), by_period)
    rows = [_row(rec, min_n, by_period) for rec in records]
    if by == "period":  # each row's period is its key
        rows = [PipelineRow(**{**asdict(r), "period": r.key if r.key != ALL_KEY else None}) for r in rows]
    return PipelineResult(tuple(_sorted(rows, by, periods)), tuple(_notes(facts, cfg.currency)), params)


__all__ = ["BY_KEYS", "PipelineResult", "PipelineRow", "pipeline"]
