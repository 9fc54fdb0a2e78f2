"""``economics(ws, ...)``: CAC, LTV, LTV:CAC, payback months and ROMI per channel, campaign or segment
(``wanamaker economics``; DESIGN "Money" and "Definitions we use"; docs/economics.md).

Definitions (money in the workspace currency; a ratio with a zero or missing denominator is null):

- **Window**: ``in_label`` (``2026-03``, ``FY2026-Q1``, ``FY2026``); by default the last complete fiscal year of the
  data (won deals' ``closed_at`` and spend dates), or all the data when no fiscal year lies wholly inside it.
- **New customer**: a customer (the account of the won deal, else its person's account, else the person) whose first
  won deal closes in the window.
- **Cost**: spend (:func:`wanamaker.metrics.catalogue._spend`, workspace currency at the day's rate) dated in the
  window, plus the ``economics.costs`` lines whose period overlaps it, prorated by the overlapping days (a line in
  another currency at the mean ``fx_rates`` rate of its period; without one it is left out, with a note).
- **CAC** = cost / new customers. The ``all`` row is blended (all spend and costs / all new customers). The
  ``(paid)`` row is paid-only: spend of the channels whose group is ``paid`` / the new customers the model credits
  to them (no team costs). A channel's (campaign's) CAC = its spend plus the team costs split over channels
  (campaigns) in proportion to spend / the new customers credited to it by the attribution model (``model``, default
  ``economics.model``) at account level, milestone ``won``, over the window. A segment's spend is each campaign's
  spend split equally over the segments it targets (``campaigns.segments``), plus team costs in proportion to
  spend, over the segment's new customers; segment ROMI is null (revenue is credited to channels, not segments).
- **Monthly revenue per new customer**: the ``revenue`` rows of the window's new customers dated within 365 days
  of their acquisition day, / new customers / 12 (without any ``revenue`` rows: their won amount in those days).
  Channel and campaign rows use the window's overall value (``all``); segment rows their own.
- **Payback months** = CAC / (monthly revenue per new customer x gross margin).
- **LTV** per new customer from ``economics.ltv_model``. ``historical``: the pooled cohort curve of
  :func:`wanamaker.economics.ltv.ltv` (revenue per customer in each month since acquisition, cohorts weighted by
  size, over the cohorts that observe the month), discounted monthly at ``(1 + discount_rate) ** (1 / 12) - 1``,
  summed over the months observed (at most 36), x gross margin; segment rows use each segment's curve. ``bgnbd`` /
  ``paretonbd`` / ``gamma_gamma``: the mean ``expected_value`` of the customers; ``sbg``: the mean ``derl`` at
  period 0. **LTV:CAC** = LTV / CAC; rows below 3 carry ``"below_target": true``.
- **ROMI** = (attributed gross profit - cost) / cost, attributed gross profit = the model's attributed won revenue
  (account level, milestone ``won``, value ``revenue``) x gross margin. Each campaign's cost is counted once (spend
  rows are summed once per campaign and day, never per touch). ``romi_low`` / ``romi_high`` apply the same formula
  to the attribution bootstrap's 90 % interval of the value. The ``all`` row credits the won revenue of the window's
  new customers (every attributed row but ``(no converting person)``) and has no interval.

Sums and joins run in the engine (Ibis); the attribution runs through :meth:`Workspace.attribution`; only small
aggregates are combined here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir

from wanamaker.attribution.api import NO_CONVERTER, AttributionResult
from wanamaker.attribution.models import check_model
from wanamaker.config.models import WorkspaceConfig
from wanamaker.economics import ltv as ltv_mod
from wanamaker.economics.retention import with_key, won_customers
from wanamaker.errors import DataError, UsageError, WanamakerError
from wanamaker.metrics import catalogue
from wanamaker.metrics.catalogue import ratio
from wanamaker.metrics.money import opportunity_money
from wanamaker.metrics.periods import Period, parse_label, periods_between

BY_KEYS: tuple[str, ...] = ("channel", "campaign", "segment")
ALL_KEY = "all"
PAID_KEY = "(paid)"
LTV_CAC_TARGET = 3.0
MAX_LTV_MONTHS = 36
YEAR_DAYS = 365


class Workspace(Protocol):
    """The part of a workspace economics reads."""

    @property
    def config(self) -> WorkspaceConfig: ...

    def table(self, name: str) -> ir.Table: ...

    def attribution(self, **options: Any) -> AttributionResult: ...


@dataclass(frozen=True)
class EconomicsRow:
    key: str
    spend: float | None
    new_customers: float
    cac: float | None
    ltv: float | None
    ltv_cac: float | None
    payback_months: float | None
    romi: float | None
    romi_low: float | None
    romi_high: float | None

    @property
    def below_target(self) -> bool:
        return self.ltv_cac is not None and self.ltv_cac < LTV_CAC_TARGET

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if self.below_target:
            out["below_target"] = True
        return out


@dataclass(frozen=True)
class EconomicsResult:
    """Rows (``all`` first), notes and the parameters used (window, model, currency, the inputs of each ratio)."""

    rows: tuple[EconomicsRow, ...]
    notes: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> list[dict[str, Any]]:
        return [r.as_dict() for r in self.rows]


def romi(gross_profit: float | None, cost: float | None) -> float | None:
    """(gross profit - cost) / cost."""
    return None if gross_profit is None or cost is None else ratio(gross_profit - cost, cost)


# ------------------------------------------------------------------------------------- the window


def window(ws: Workspace, in_label: str | None) -> Period | None:
    """The period ``in_label`` names, else the last complete fiscal year of the data, else all of it (None: no
    data)."""
    cfg = ws.config
    if in_label is not None:
        try:
            return parse_label(in_label, cfg.timezone, cfg.fiscal_year_start)
        except ValueError as exc:
            raise UsageError(f"--in {exc}", fix="Write --in 2026-03, FY2026-Q1 or FY2026.") from exc
    won = won_customers(ws)
    spend = spend_rows(ws)
    a = won.aggregate(lo=won.ts.min(), hi=won.ts.max()).to_pyarrow().to_pylist()[0]
    b = spend.aggregate(lo=spend.ts.min(), hi=spend.ts.max()).to_pyarrow().to_pylist()[0]
    los = [v.replace(tzinfo=None) for v in (a["lo"], b["lo"]) if v is not None]
    his = [v.replace(tzinfo=None) for v in (a["hi"], b["hi"]) if v is not None]
    if not los:
        return None
    lo, hi = min(los), max(his)
    tz = ZoneInfo(cfg.timezone)
    years = periods_between("year", lo, hi, cfg.timezone, cfg.fiscal_year_start)
    start, data_end = _local_midnight(lo, tz), _next_local_midnight(hi, tz)
    complete = [p for p in years if p.start >= start and p.end <= data_end]
    if complete:
        return complete[-1]
    return Period(f"{_local_date(start, tz)}..{_local_date(data_end, tz) - timedelta(days=1)}", start, data_end)


def _local_date(ts: datetime, tz: ZoneInfo) -> date:
    return ts.replace(tzinfo=ZoneInfo("UTC")).astimezone(tz).date()


def _local_midnight(ts: datetime, tz: ZoneInfo) -> datetime:
    d = _local_date(ts, tz)
    return datetime(d.year, d.month, d.day, tzinfo=tz).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def _next_local_midnight(ts: datetime, tz: ZoneInfo) -> datetime:
    d = _local_date(ts, tz) + timedelta(days=1)
    return datetime(d.year, d.month, d.day, tzinfo=tz).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


# ------------------------------------------------------------------------------------- costs


def spend_rows(ws: Workspace) -> ir.Table:
    """Spend rows ``ts, value, channel, campaign`` in the workspace currency (the metrics layer's spend)."""
    return catalogue._spend(ws, None)


def spend_by(ws: Workspace, period: Period, by: str | None) -> dict[str, float]:
    """Spend dated (local day) in ``period``, summed per ``by`` (``channel`` / ``campaign``) or under ``all``."""
    tz = ZoneInfo(ws.config.timezone)
    first, last = _local_date(period.start, tz), _local_date(period.end, tz)
    s = spend_rows(ws)
    s = s.filter((s.ts >= ibis.literal(datetime(first.year, first.month, first.day), type="timestamp"))
                 & (s.ts < ibis.literal(datetime(last.year, last.month, last.day), type="timestamp")))
    key = s[by].cast("string").coalesce("(none)") if by is not None else ibis.literal(ALL_KEY, type="string")
    s = s.mutate(key=key)
    agg = s.group_by("key").aggregate(spend=s.value.sum().cast("float64")).to_pyarrow().to_pylist()
    return {str(r["key"]): float(r["spend"] or 0.0) for r in agg}


def spend_by_segment(ws: Workspace, period: Period) -> dict[str, float]:
    """Spend dated in ``period`` per segment: a campaign's spend split equally over the segments it targets
    (``campaigns.segments``, comma-separated); spend on no campaign, or on one without segments, is ``(none)``."""
    tz = ZoneInfo(ws.config.timezone)
    first, last = _local_date(period.start, tz), _local_date(period.end, tz)
    s = spend_rows(ws)
    s = s.filter((s.ts >= ibis.literal(datetime(first.year, first.month, first.day), type="timestamp"))
                 & (s.ts < ibis.literal(datetime(last.year, last.month, last.day), type="timestamp")))
    c = ws.table("campaigns")
    c = c.filter(c.segments.notnull() & (c.segments.strip() != "")).select(c_id=c.campaign_id, c_segs=c.segments)
    j = s.left_join(c, s.campaign == c.c_id)
    targeted = j.filter(j.c_segs.notnull())
    parts = targeted.mutate(segs=targeted.c_segs.split(","))
    parts = parts.mutate(n=parts.segs.length().cast("float64"))
    parts = parts.mutate(segment=parts.segs.unnest().strip())
    split = parts.select(key=parts.segment, spend=parts.value / parts.n)
    none = j.filter(j.c_segs.isnull()).select(key=ibis.literal(NONE_SEGMENT, type="string"), spend=j.value)
    both = split.union(none)
    agg = both.group_by("key").aggregate(spend=both.spend.sum().cast("float64")).to_pyarrow().to_pylist()
    return {str(r["key"]): float(r["spend"] or 0.0) for r in agg}


NONE_SEGMENT = "(none)"


def team_costs(ws: Workspace, period: Period) -> tuple[float, list[str]]:
    """The ``economics.costs`` lines prorated by the days their period shares with ``period`` (module docstring)."""
    cfg = ws.config
    total, notes = 0.0, []
    for line in cfg.economics.costs:
        p = parse_label(line.period, cfg.timezone, cfg.fiscal_year_start)
        overlap = (min(p.end, period.end) - max(p.start, period.start)).total_seconds()
        if overlap <= 0:
            continue
        days, whole = round(overlap / 86400), round((p.end - p.start).total_seconds() / 86400)
        amount = line.amount * days / whole
        if line.currency is not None and line.currency != cfg.currency:
            fx = ws.table("fx_rates")
            fx = fx.filter((fx.currency == line.currency) & (fx.date >= p.start.date()) & (fx.date < p.end.date()))
            rate = fx.rate_to_workspace_currency.mean().to_pyarrow().as_py()
            if rate is None:
                notes.append(f"The {line.team} cost of {line.period} is in {line.currency} with no fx_rates rate in "
                             "its period: it is left out.")
                continue
            amount *= float(rate)
        total += amount
    return total, notes


# ------------------------------------------------------------------------------------- customers


def new_customers(ws: Workspace, period: Period) -> ir.Table:
    """``customer, acq_ts, acq_day`` (local epoch day) of the customers whose first won deal closes in ``period``."""
    won = won_customers(ws)
    first = won.group_by("customer").aggregate(acq_ts=won.ts.min())
    first = first.filter((first.acq_ts >= ibis.literal(period.start, type="timestamp"))
                         & (first.acq_ts < ibis.literal(period.end, type="timestamp")))
    day = ltv_mod._local(first.acq_ts, ws.config.timezone, (period.start, period.end))
    return first.mutate(acq_day=day.date().epoch_days().cast("int64"))


def first_year_revenue(ws: Workspace, period: Period, by: str | None) -> tuple[dict[str, tuple[int, float]], str]:
    """Per key: (new customers, their first-year revenue) and where the revenue came from (``revenue`` or
    ``opportunities``)."""
    cust = with_key(ws, new_customers(ws, period), by if by == "segment" else None)
    rev, end = ltv_mod._revenue(ws, None)
    source = "revenue"
    if end is not None:
        r = rev.select(r_customer=rev.customer, r_day=rev.day.cast("int64"), r_money=rev.money)
    else:  # no revenue table: the customers' won amounts
        source = "opportunities"
        money = opportunity_money(ws, ws.config.currency)
        won = won_customers(ws).select(w_id="opportunity_id", w_customer="customer")
        m = money.filter(money.status == "won").join(won, money.opportunity_id == won.w_id)
        day = ltv_mod._local(m.closed_at, ws.config.timezone, (period.start, period.end + timedelta(days=YEAR_DAYS)))
        r = m.select(r_customer=m.w_customer, r_day=day.date().epoch_days().cast("int64"), r_money=m.won_amount)
    j = cust.left_join(r, (cust.customer == r.r_customer) & (r.r_day >= cust.acq_day)
                       & (r.r_day < cust.acq_day + YEAR_DAYS))
    per = j.group_by(["key", "customer"]).aggregate(money=j.r_money.sum())
    agg = per.group_by("key").aggregate(n=per.count(), money=per.money.sum().cast("float64"))
    rows = agg.to_pyarrow().to_pylist()
    out = {str(x["key"]): (int(x["n"]), float(x["money"] or 0.0)) for x in rows}
    if by == "segment":
        total_n = sum(n for n, _ in out.values())
        total_m = sum(v for _, v in out.values())
        out = {ALL_KEY: (total_n, total_m), **out}
    return out, source


# ------------------------------------------------------------------------------------- LTV


def ltv_per_customer(ws: Workspace, by_segment: bool) -> tuple[dict[str, float], list[str]]:
    """LTV per new customer under ``all`` (and per segment, for ``historical``) (module docstring)."""
    econ = ws.config.economics
    try:
        if econ.ltv_model == "historical":
            out = {ALL_KEY: _historical_ltv(ltv_mod.ltv(ws, model="historical").rows, econ.gross_margin,
                                            econ.discount_rate)}
            if by_segment:
                rows = ltv_mod.ltv(ws, model="historical", by="segment").rows
                for key in sorted({r.key for r in rows if isinstance(r, ltv_mod.CohortRow) and r.key is not None}):
                    out[key] = _historical_ltv([r for r in rows if isinstance(r, ltv_mod.CohortRow) and r.key == key],
                                               econ.gross_margin, econ.discount_rate)
            return {k: v for k, v in out.items() if v is not None}, []
        res = ltv_mod.ltv(ws, model=econ.ltv_model)
    except WanamakerError as exc:
        return {}, [f"LTV ({econ.ltv_model}) could not be computed: {exc}"]
    values = [r.expected_value for r in res.rows if isinstance(r, ltv_mod.CustomerRow)]
    values += [r.derl for r in res.rows if isinstance(r, ltv_mod.PeriodRow) and r.period == 0]
    return ({ALL_KEY: sum(values) / len(values)} if values else {}), []


def _historical_ltv(rows: Any, margin: float, yearly_discount: float) -> float | None:
    """Gross margin x the discounted pooled cohort curve over at most 36 months (module docstring)."""
    money: dict[int, float] = {}
    customers: dict[int, int] = {}
    for r in rows:
        if isinstance(r, ltv_mod.CohortRow) and r.months_since < MAX_LTV_MONTHS:
            money[r.months_since] = money.get(r.months_since, 0.0) + r.revenue_per_customer * r.customers
            customers[r.months_since] = customers.get(r.months_since, 0) + r.customers
    if not customers:
        return None
    monthly = (1 + yearly_discount) ** (1 / 12) - 1
    return float(margin * sum(money[m] / customers[m] * (1 + monthly) ** -m for m in customers))


# ------------------------------------------------------------------------------------- the result


def economics(ws: Workspace, *, by: str | None = None, model: str | None = None, in_label: str | None = None,
              replicates: int = 200, seed: int = 0, period: Period | None = None) -> EconomicsResult:
    """CAC, LTV, LTV:CAC, payback and ROMI over the window, overall (``all``, then ``(paid)``) and ``by`` channel,
    campaign or segment (module docstring). ``period`` gives the window's bounds directly (the metric catalogue's
    windows), instead of ``in_label``."""
    from wanamaker.config.options import choice_option

    if by is not None:
        choice_option("--by", by, BY_KEYS)
    cfg = ws.config
    econ = cfg.economics
    model = model or econ.model
    if model == "all":
        raise UsageError("--model all runs every model; economics needs one.", fix="Name one model, e.g. markov_3.")
    check_model(model, None)
    period = period or window(ws, in_label)
    params: dict[str, Any] = {"by": by, "model": model, "currency": cfg.currency, "gross_margin": econ.gross_margin,
                              "ltv_model": econ.ltv_model}
    if period is None:
        return EconomicsResult((), ("No won deals and no spend: nothing to compute.",), params)
    params["window"] = period.label
    notes: list[str] = []
    margin = econ.gross_margin
    spend = spend_by(ws, period, None).get(ALL_KEY, 0.0)
    costs, cost_notes = team_costs(ws, period)
    notes += cost_notes
    firsts, source = first_year_revenue(ws, period, by)
    n_all, y1_all = firsts.get(ALL_KEY, (0, 0.0))
    if source == "opportunities":
        notes.append("No revenue table: monthly revenue per new customer is its won amount in its first year / 12.")
    ltvs, ltv_notes = ltv_per_customer(ws, by == "segment")
    notes += ltv_notes
    monthly_all = ratio(y1_all, n_all * 12)
    params.update(spend=spend, team_costs=costs, monthly_revenue_per_new_customer=monthly_all)
    attr = _attribution(ws, model, period, "channel" if by in (None, "segment") else by, replicates, seed, notes)

    def row(key: str, cost: float | None, n: float, ltv: float | None, monthly: float | None,
            profit: float | None, low: float | None, high: float | None) -> EconomicsRow:
        cac = ratio(cost, n)
        return EconomicsRow(key, cost, n, cac, ltv, ratio(ltv, cac),
                            ratio(cac, None if monthly is None else monthly * margin),
                            romi(profit, cost), romi(low, cost), romi(high, cost))

    new_revenue = sum(r.value for r in attr.rows if r.key != NO_CONVERTER) if attr.rows else None
    rows = [row(ALL_KEY, spend + costs, float(n_all), ltvs.get(ALL_KEY), monthly_all,
                None if new_revenue is None else new_revenue * margin, None, None)]
    if by in (None, "channel"):
        paid = {name for name, spec in cfg.channels.items() if spec.group == "paid"}
        by_channel = spend_by(ws, period, "channel")
        paid_spend = sum(v for k, v in by_channel.items() if k in paid)
        credited = [r for r in attr.rows if r.key in paid]
        rows.append(row(PAID_KEY, paid_spend, sum(r.conversions for r in credited), ltvs.get(ALL_KEY), monthly_all,
                        sum(r.value for r in credited) * margin, None, None))
    if by in ("channel", "campaign"):
        spends = spend_by(ws, period, by)
        total = sum(spends.values())
        if costs:
            notes.append(f"Team costs ({costs:,.2f} {cfg.currency}) are split over {by}s in proportion to their "
                         f"spend for {by} CAC and ROMI; the (paid) row has spend only.")
        credited_rows = {r.key: r for r in attr.rows}
        keys = [r.key for r in attr.rows] + sorted(k for k in spends if k not in credited_rows)
        for key in keys:
            s = spends.get(key, 0.0)
            cost = s + (costs * s / total if total else 0.0)
            a = credited_rows.get(key)
            rows.append(row(key, cost, a.conversions if a else 0.0, ltvs.get(ALL_KEY), monthly_all,
                            a.value * margin if a else 0.0,
                            a.ci_low * margin if a and a.ci_low is not None else None,
                            a.ci_high * margin if a and a.ci_high is not None else None))
        notes.append(f"New customers and revenue credited by {model} (account level, milestone won); LTV and "
                     "monthly revenue per new customer are the window's overall values.")
    if by == "segment":
        spends = spend_by_segment(ws, period)
        total = sum(spends.values())
        notes.append("Segment spend is each campaign's spend split equally over the segments it targets "
                     "(campaigns.segments); spend on no campaign or on one without segments is (none)"
                     + (f"; team costs ({costs:,.2f} {cfg.currency}) are split in proportion to spend" if costs else "")
                     + ". Segment ROMI is null: revenue is credited to channels and campaigns, not segments.")
        keys = [k for k in firsts if k != ALL_KEY] + sorted(k for k in spends if k not in firsts)
        for key in keys:
            n, revenue = firsts.get(key, (0, 0.0))
            sp = spends.get(key, 0.0)
            cost = sp + (costs * sp / total if total else 0.0)
            rows.append(row(key, cost, float(n), ltvs.get(key), ratio(revenue, n * 12), None, None, None))
    below = [r.key for r in rows if r.below_target]
    if below:
        notes.append(f"LTV:CAC below {LTV_CAC_TARGET:g}: {', '.join(below)}.")
    return EconomicsResult(tuple(rows), tuple(notes), params)


def _attribution(ws: Workspace, model: str, period: Period, by: str, replicates: int, seed: int,
                 notes: list[str]) -> AttributionResult:
    """The model's credit of the window's won revenue and new customers, with bootstrap intervals."""
    try:
        return ws.attribution(model=model, milestone="won", level="account", value="revenue", by=by,
                              date_from=period.start, date_to=period.end - timedelta(microseconds=1), ci=True,
                              replicates=replicates, seed=seed, persist=False)
    except DataError as exc:
        notes.append(f"No attribution: {exc}")
        return AttributionResult(())
