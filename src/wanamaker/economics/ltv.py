"""Customer lifetime value from the workspace ``revenue`` table (``wanamaker ltv``; docs/ltv.md, DESIGN "Money").

The customer is the account when ``account_id`` is set, else the person. Money is converted to the workspace
currency at the ``fx_rates`` rate of the row's (UTC) date, as :mod:`wanamaker.metrics.money` does; a foreign
amount with no rate for its day is left out of the money (the purchase itself still counts) and counted in the
notes. Days, weeks and months are local to the workspace time zone.

Models (:mod:`wanamaker.economics.clv` holds the mathematics):

- ``historical``: cohort revenue curves; customers by the local month of their first purchase, revenue per
  customer by months since, and its running total, optionally per key (``--by``): the ``segment`` of the account
  or person, or the ``channel`` / ``campaign`` of the customer's first touch (:func:`acquisition_keys`).
- ``sbg``: survivors per period; a customer is alive from its first period with revenue to its last one (the
  last observed period is censored), one cohort per first period, one sBG fit over all cohorts.
- ``bgnbd``, ``paretonbd``, ``gamma_gamma``: the RFM summary, computed in the engine: purchases are revenue rows
  of kind purchase / new / renewal / expansion dated (local day) on or before the calibration end; purchases of
  one day count once; ``frequency`` = purchase days after the first; ``recency`` = days from the first to the last
  purchase day and ``T`` = days from the first purchase day to the calibration end, divided by the unit's days
  (1, 7, 365.25 / 12); ``monetary_value`` = the mean spend of the repeat purchase days (0 without one).

``--by`` is for ``historical`` only: the purchase models and sBG pool every customer (a per-key fit would need
enough customers in each key; filter the revenue table instead).

Engine parity (tests/economics/test_ltv_engines.py): local days are whole days of the epoch seconds shifted by
the zone's offset (no date casts), ordering by customer is done in Python (string collation differs between
engines).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir
import numpy as np

from wanamaker.config.models import WorkspaceConfig
from wanamaker.economics import clv
from wanamaker.errors import UsageError

Model = Literal["historical", "sbg", "bgnbd", "paretonbd", "gamma_gamma"]
Unit = Literal["day", "week", "month"]
MODELS: tuple[str, ...] = ("historical", "sbg", "bgnbd", "paretonbd", "gamma_gamma")
UNITS: dict[str, float] = {"day": 1.0, "week": 7.0, "month": 365.25 / 12}
BY_KEYS: tuple[str, ...] = ("segment", "channel", "campaign")
PURCHASE_KINDS: tuple[str, ...] = ("purchase", "new", "renewal", "expansion")
NONE_KEY = "(none)"


class Source(Protocol):
    """The part of a workspace LTV reads."""

    @property
    def config(self) -> WorkspaceConfig: ...

    def table(self, name: str) -> ir.Table: ...


@dataclass(frozen=True)
class CustomerRow:
    customer_id: str
    frequency: int
    recency: float
    T: float
    monetary_value: float
    expected_purchases: float
    p_alive: float
    expected_spend: float
    expected_value: float


@dataclass(frozen=True)
class CohortRow:
    cohort: str
    months_since: int
    customers: int
    revenue_per_customer: float
    cumulative: float
    key: str | None = None


@dataclass(frozen=True)
class PeriodRow:
    cohort: str
    period: int
    alive: int
    retention: float | None
    fitted: float
    derl: float


Row = CustomerRow | CohortRow | PeriodRow


@dataclass(frozen=True)
class LtvResult:
    """One LTV run: the model's parameters (names as in the papers), its log-likelihood and the rows."""

    model: str
    params: dict[str, float]
    loglik: float | None
    customers: int
    rows: tuple[Row, ...]
    unit: str
    horizon: float
    notes: tuple[str, ...] = ()

    def as_json(self) -> dict[str, object]:
        rows = []
        for r in self.rows:
            d = asdict(r)
            if isinstance(r, CohortRow) and r.key is None:
                del d["key"]
            rows.append(d)
        return {"model": self.model, "params": self.params, "loglik": self.loglik, "customers": self.customers,
                "rows": rows}


@dataclass(frozen=True)
class Summary:
    """The RFM summary, one entry per customer (sorted by customer id)."""

    customer_id: list[str]
    frequency: np.ndarray
    recency: np.ndarray
    T: np.ndarray
    monetary_value: np.ndarray
    unconverted: int


# ------------------------------------------------------------------------------------- local time in the engine


def _offset_changes(tz: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """(naive UTC instant, offset seconds from then on) for every UTC-offset change between start and end."""

    def offset(at: datetime) -> int:
        delta = at.replace(tzinfo=UTC).astimezone(tz).utcoffset()
        return int(delta.total_seconds()) if delta is not None else 0

    changes = [(start, offset(start))]
    day = start
    while day < end:
        nxt = day + timedelta(days=1)
        if offset(nxt) != changes[-1][1]:
            lo, hi = day, nxt  # bisect to the second
            while (hi - lo).total_seconds() > 1:
                mid = lo + (hi - lo) / 2
                lo, hi = (mid, hi) if offset(mid) == changes[-1][1] else (lo, mid)
            changes.append((hi, offset(hi)))
        day = nxt
    return changes


def _offset(ts: ir.TimestampValue, timezone: str, span: tuple[datetime, datetime]) -> ir.IntegerValue:
    """The UTC offset (seconds) of ``timezone`` at naive UTC ``ts``: one CASE over the offset changes in ``span``."""
    changes = _offset_changes(ZoneInfo(timezone), span[0] - timedelta(days=2), span[1] + timedelta(days=2))
    off: ir.IntegerValue = ibis.literal(changes[-1][1], type="int64")
    if len(changes) > 1:
        branches = [(ts < ibis.literal(at), ibis.literal(prev, type="int64")) for (at, _), (_, prev) in
                    zip(changes[1:], changes[:-1], strict=True)]
        off = ibis.cases(*branches, else_=ibis.literal(changes[-1][1], type="int64"))
    return off


def local_time(ts: ir.TimestampValue, timezone: str, span: tuple[datetime, datetime] | None) -> ir.TimestampValue:
    """Naive UTC ``ts`` as naive local time in ``timezone`` (``span``: the UTC instants ``ts`` may take)."""
    if timezone == "UTC" or span is None:
        return ts
    return ts + _offset(ts, timezone, span).as_interval("s")


def local_day(ts: ir.TimestampValue, timezone: str, span: tuple[datetime, datetime] | None) -> ir.IntegerValue:
    """The local calendar day of naive UTC ``ts`` in ``timezone``, as days since 1970-01-01 (int64): the epoch
    seconds shifted by the offset, floor-divided by 86400 (no date casts, the same on every engine)."""
    seconds = ts.epoch_seconds().cast("int64")
    if timezone != "UTC" and span is not None:
        seconds = seconds + _offset(ts, timezone, span)
    return (seconds // 86400).cast("int64")


_local = local_time  # the old names (unit_economics and retention read them)


def revenue_rows(src: Source, calibration_end: date | None) -> tuple[ir.Table, date | None]:
    """Revenue rows with ``customer``, local ``day`` (epoch days), ``month`` (year * 12 + month - 1), ``money``
    (home currency, NULL when unconverted) and ``unconverted``; only rows dated on or before the calibration end,
    which defaults to the last local day with revenue."""
    rev = src.table("revenue")
    rev = rev.filter(rev.ts.notnull() & (rev.account_id.notnull() | rev.person_id.notnull()))
    span_row = rev.aggregate(lo=rev.ts.min(), hi=rev.ts.max()).to_pyarrow().to_pylist()[0]
    if span_row["lo"] is None:
        return rev, calibration_end
    span = (span_row["lo"].replace(tzinfo=None), span_row["hi"].replace(tzinfo=None))
    home = src.config.currency
    fx = src.table("fx_rates")
    fx = fx.select(fx_date=fx.date, fx_cur=fx.currency, fx_rate=fx.rate_to_workspace_currency)
    j = rev.left_join(fx, (rev.currency == fx.fx_cur) & (rev.ts.date() == fx.fx_date))
    home_money = j.currency.isnull() | (j.currency == ibis.literal(home))
    local = local_time(j.ts, src.config.timezone, span)
    t = j.select(
        customer=ibis.coalesce(j.account_id, j.person_id), account_id=j.account_id, person_id=j.person_id,
        kind=j.kind, day=local_day(j.ts, src.config.timezone, span),
        month=(local.year() * 12 + local.month() - 1).cast("int64"),
        money=ibis.ifelse(home_money, j.amount, j.amount * j.fx_rate),
        unconverted=~home_money & j.amount.notnull() & j.fx_rate.isnull(),
    )
    if calibration_end is None:
        last = t.day.max().to_pyarrow().as_py()
        calibration_end = date(1970, 1, 1) + timedelta(days=int(last))
    end_day = (calibration_end - date(1970, 1, 1)).days
    return t.filter(t.day <= end_day), calibration_end


_revenue = revenue_rows


def rfm_summary(src: Source, *, calibration_end: date | None = None, unit: Unit = "week") -> Summary:
    """The RFM summary of every customer with a purchase on or before ``calibration_end`` (module docstring)."""
    purchases, end = revenue_rows(src, calibration_end)
    if end is None:
        none = np.zeros(0)
        return Summary([], none, none, none, none, unconverted=0)
    purchases = purchases.filter(purchases.kind.isin(PURCHASE_KINDS))
    days = purchases.group_by(["customer", "day"]).aggregate(spend=purchases.money.sum(),
                                                            unconverted=purchases.unconverted.sum())
    first = days.group_by("customer").aggregate(first_day=days.day.min())
    d = days.join(first, "customer")
    repeat = d.day > d.first_day
    per = d.group_by("customer").aggregate(
        first_day=d.first_day.min(), last_day=d.day.max(), n_days=d.count(),
        repeat_spend=d.spend.mean(where=repeat), unconverted=d.unconverted.sum(),
    )
    data = per.to_pyarrow()
    data = data.take(np.argsort(np.array([str(c) for c in data["customer"].to_pylist()]), kind="stable"))
    end_day = (end - date(1970, 1, 1)).days
    unit_days = UNITS[unit]
    first_day = data["first_day"].to_numpy(zero_copy_only=False).astype(np.float64)
    last_day = data["last_day"].to_numpy(zero_copy_only=False).astype(np.float64)
    spend = np.array([0.0 if v is None else float(v) for v in data["repeat_spend"].to_pylist()])
    return Summary(
        customer_id=[str(c) for c in data["customer"].to_pylist()],
        frequency=data["n_days"].to_numpy(zero_copy_only=False).astype(np.float64) - 1,
        recency=(last_day - first_day) / unit_days,
        T=(end_day - first_day) / unit_days,
        monetary_value=spend,
        unconverted=int(sum(v or 0 for v in data["unconverted"].to_pylist())),
    )


# ------------------------------------------------------------------------------------- the models


def ltv(src: Source, *, model: Model = "historical", calibration_end: date | None = None, unit: Unit | None = None,
        by: str | None = None, horizon: float | None = None) -> LtvResult:
    """Fit ``model`` on the workspace's revenue (module docstring). ``unit`` defaults to weeks for the purchase
    models and months for ``sbg`` (``historical`` is always by month); ``horizon`` (units ahead for the
    expectations) defaults to 52 weeks' worth."""
    if model not in MODELS:
        raise UsageError(f"Unknown LTV model '{model}'.", fix=f"Use one of: {', '.join(MODELS)}.")
    unit = unit or ("month" if model in ("sbg", "historical") else "week")
    if unit not in UNITS:
        raise UsageError(f"Unknown unit '{unit}'.", fix="Use day, week or month.")
    if by is not None and by not in BY_KEYS:
        raise UsageError(f"--by {by} is not a breakdown for LTV.", fix=f"Use --by with one of: {', '.join(BY_KEYS)}.")
    if by is not None and model != "historical":
        raise UsageError(f"--by {by} is not available for the {model} model: it fits one model over all customers.",
                         fix=f"Use --by with --model historical (cohort curves per {by}), or filter the revenue "
                             "table to one group and fit that.")
    if horizon is None:
        horizon = round(364 / UNITS[unit])
    if horizon <= 0:
        raise UsageError("--horizon must be positive.", fix="Give a number of units ahead, e.g. 52.")
    econ = src.config.economics
    if model == "historical":
        return _historical(src, calibration_end, by, horizon)
    if model == "sbg":
        return _sbg(src, calibration_end, unit, horizon)
    return _purchases(src, model, calibration_end, unit, horizon, econ.gross_margin, econ.discount_rate)


def _empty(model: str, unit: str, horizon: float, note: str) -> LtvResult:
    return LtvResult(model, {}, None, 0, (), unit, horizon, (note,))


def _purchases(src: Source, model: str, calibration_end: date | None, unit: Unit, horizon: float,
               margin: float, yearly_discount: float) -> LtvResult:
    s = rfm_summary(src, calibration_end=calibration_end, unit=unit)
    if not s.customer_id:
        return _empty(model, unit, horizon, "The revenue table has no purchases in the window.")
    notes: list[str] = []
    if s.unconverted:
        notes.append(f"{s.unconverted} purchase(s) in a currency with no fx_rates rate for their day are left out "
                     "of the money (they still count as purchases).")
    x, t_x, big_t, m = s.frequency, s.recency, s.T, s.monetary_value
    count_model: clv.BgNbd | clv.ParetoNbd = (
        clv.fit_paretonbd(x, t_x, big_t) if model == "paretonbd" else clv.fit_bgnbd(x, t_x, big_t))
    spend_model: clv.GammaGamma | None = None
    if model == "gamma_gamma" or np.count_nonzero((x > 0) & (m > 0)) >= 2:
        spend_model = clv.fit_gamma_gamma(x, m)
    if spend_model is not None and spend_model.q > 1:
        spend = spend_model.conditional_expected_spend(x, m)
    else:
        mean = float(np.mean(m[x > 0])) if np.any(x > 0) else 0.0
        spend = np.where(x > 0, m, mean)
        notes.append("Expected spend is the customer's mean repeat spend (Gamma-Gamma could not be used).")
    # discounted: the expected purchases of each step of the horizon, discounted to its end
    steps = np.linspace(0.0, horizon, int(min(max(horizon, 1), 120)) + 1)
    cum = np.stack([count_model.conditional_expected_purchases(t, x, t_x, big_t) for t in steps[1:]])
    per_unit = (1 + yearly_discount) ** (UNITS[unit] / 365.25) - 1
    weights = (1 + per_unit) ** -steps[1:]
    increments = np.diff(np.vstack([np.zeros_like(x), cum]), axis=0)
    value = (weights @ increments) * spend * margin
    expected = cum[-1]
    p_alive = count_model.p_alive(x, t_x, big_t)
    rows = tuple(
        CustomerRow(c, int(x[i]), float(t_x[i]), float(big_t[i]), float(m[i]), float(expected[i]),
                    float(p_alive[i]), float(spend[i]), float(value[i]))
        for i, c in enumerate(s.customer_id))
    fit: clv.BgNbd | clv.ParetoNbd | clv.GammaGamma = count_model
    if model == "gamma_gamma" and spend_model is not None:
        fit = spend_model
        notes.append("Expected purchases and p_alive come from a BG/NBD fit on the same summary.")
    return LtvResult(model, fit.params(), fit.loglik, len(s.customer_id), rows, unit, horizon, tuple(notes))


def _sbg(src: Source, calibration_end: date | None, unit: Unit, horizon: float) -> LtvResult:
    rev, end = revenue_rows(src, calibration_end)
    if end is None:
        return _empty("sbg", unit, horizon, "The revenue table has no revenue in the window.")
    rev = rev.filter(rev.kind != "churn")
    end_day = (end - date(1970, 1, 1)).days
    if unit == "month":
        period = rev.month
        last = end.year * 12 + end.month - 1
    else:
        size = int(UNITS[unit])
        offset = 4 if unit == "week" else 0  # weeks start on Monday (1970-01-05 is day 4)
        period = (rev.day - offset) // size
        last = (end_day - offset) // size
    p = rev.mutate(period=period)
    per = p.group_by("customer").aggregate(first=p.period.min(), last=p.period.max(),
                                           money=p.money.sum(), periods=p.period.nunique())
    agg = per.group_by(["first", "last"]).aggregate(n=per.count(), money=per.money.sum(),
                                                    periods=per.periods.sum()).to_pyarrow().to_pylist()
    cohorts: dict[int, np.ndarray] = {}
    money = 0.0
    customer_periods = 0
    for row in agg:
        first, lastp, n = int(row["first"]), int(row["last"]), int(row["n"])
        alive = cohorts.setdefault(first, np.zeros(last - first + 1))
        alive[: lastp - first + 1] += n
        money += float(row["money"] or 0.0)
        customer_periods += int(row["periods"])
    fit = clv.fit_sbg_cohorts(list(cohorts.values()))
    econ = src.config.economics
    value = money / customer_periods * econ.gross_margin if customer_periods else 0.0
    per_period = (1 + econ.discount_rate) ** (UNITS[unit] / 365.25) - 1
    rows: list[PeriodRow] = []
    for first, alive in sorted(cohorts.items()):
        label = _period_label(first, unit)
        fitted = alive[0] * fit.survival(np.arange(alive.size))
        for k in range(alive.size):
            retention = float(alive[k] / alive[k - 1]) if k and alive[k - 1] else None
            rows.append(PeriodRow(label, k, int(alive[k]), retention, float(fitted[k]),
                                  fit.derl(value, per_period, renewals=k) if per_period > 0 else float("nan")))
    customers = int(sum(a[0] for a in cohorts.values()))
    return LtvResult("sbg", fit.params(), fit.loglik, customers, tuple(rows), unit, horizon,
                     (f"derl: discounted value of a customer alive at the period, at {value:.2f} gross margin "
                      "per period (the mean revenue per customer-period).",))


def _period_label(index: int, unit: str) -> str:
    if unit == "month":
        return f"{index // 12:04d}-{index % 12 + 1:02d}"
    days = index * int(UNITS[unit]) + (4 if unit == "week" else 0)
    return (date(1970, 1, 1) + timedelta(days=days)).isoformat()


def _historical(src: Source, calibration_end: date | None, by: str | None, horizon: float) -> LtvResult:
    rev, end = revenue_rows(src, calibration_end)
    if end is None:
        return _empty("historical", "month", horizon, "The revenue table has no revenue in the window.")
    firsts = rev.filter(rev.kind.isin(PURCHASE_KINDS))
    first = firsts.group_by("customer").aggregate(cohort=firsts.month.min(), account_id=firsts.account_id.max())
    key: ir.StringValue = ibis.literal(NONE_KEY)
    if by in ("channel", "campaign"):
        keys = acquisition_keys(src, by)
        first = first.mutate(is_account=first.account_id.notnull())
        first = first.left_join(keys, (first.customer == keys.k_customer) & (first.is_account == keys.k_account))
        first = first.mutate(key=ibis.coalesce(first.k_value, ibis.literal(NONE_KEY)))
    elif by == "segment":
        acc = src.table("accounts").select(a_id="account_id", a_seg="segment")
        ppl = src.table("people").select(p_id="person_id", p_seg="segment")
        first = first.left_join(acc, first.account_id == acc.a_id).left_join(ppl, first.customer == ppl.p_id)
        first = first.mutate(key=ibis.coalesce(ibis.ifelse(first.account_id.notnull(), first.a_seg, first.p_seg),
                                               ibis.literal(NONE_KEY)))
    else:
        first = first.mutate(key=key)
    first = first.select("customer", "cohort", "key")
    j = rev.join(first, "customer")
    j = j.filter(j.month >= j.cohort)
    money = j.group_by(["key", "cohort", j.month]).aggregate(revenue=j.money.sum())
    sizes = first.group_by(["key", "cohort"]).aggregate(n=first.count()).to_pyarrow().to_pylist()
    revenue = {(r["key"], int(r["cohort"]), int(r["month"])): float(r["revenue"] or 0.0)
               for r in money.to_pyarrow().to_pylist()}
    last = end.year * 12 + end.month - 1
    rows: list[CohortRow] = []
    for s in sorted(sizes, key=lambda r: (str(r["key"]), int(r["cohort"]))):
        k, c, n = str(s["key"]), int(s["cohort"]), int(s["n"])
        total = 0.0
        for month in range(c, last + 1):
            per_customer = revenue.get((k, c, month), 0.0) / n
            total += per_customer
            rows.append(CohortRow(_period_label(c, "month"), month - c, n, per_customer, total,
                                  k if by is not None else None))
    return LtvResult("historical", {}, None, int(sum(int(s["n"]) for s in sizes)), tuple(rows), "month", horizon)


def acquisition_keys(src: Source, by: str) -> ir.Table:
    """``k_customer, k_account, k_value``: the ``channel`` or ``campaign`` (``by``) of the first touch of every
    account (``k_account`` true, ``k_customer`` = ``account_id``) and person (false, ``person_id``) with a touch.

    A person's is the funnel's own first touch (:func:`wanamaker.funnel.breakdowns.first_touch_keys`, touches
    stitched by :mod:`wanamaker.metrics.touches`). An account's is the first touch of any of its people, unless a
    touch of the account itself (``touchpoints.account_id``; ties by ``touch_id``) comes strictly earlier.
    A customer with no touch has no row (the caller keys it ``(none)``); a touch with no channel or campaign
    gives a NULL value.
    """
    from wanamaker.funnel.breakdowns import first_touch_keys
    from wanamaker.funnel.touches import first_touch_times

    column = {"channel": "channel", "campaign": "campaign"}[by]
    people = src.table("people").select(pp_id="person_id", pp_account="account_id")
    # the account's people: the funnel's first touch, at the earliest of its people's first touch times
    via = first_touch_keys(src, "account")
    via = via.select(v_id=via.subject_id, v_value=via[column].cast("string"))
    times = first_touch_times(src)
    times = times.join(people, times.person_id == people.pp_id)
    times = times.group_by(v_tid=times.pp_account).aggregate(v_ts=times.ts.min())
    via = via.join(times, via.v_id == times.v_tid).drop("v_tid")
    # the account's own touches
    tp = src.table("touchpoints")
    tp = tp.filter(tp.account_id.notnull())
    win = ibis.window(group_by=tp.account_id, order_by=[tp.ts, tp.touch_id])
    ranked = tp.mutate(_rn=ibis.row_number().over(win))
    own = ranked.filter(ranked._rn == 0)
    own_col = "campaign_id" if by == "campaign" else "channel"
    own = own.select(o_id=own.account_id, o_ts=own.ts, o_value=own[own_col].cast("string"))
    ids = own.select(k_customer=own.o_id).union(via.select(k_customer=via.v_id), distinct=True)
    acc = ids.left_join(via, ids.k_customer == via.v_id).left_join(own, ids.k_customer == own.o_id)
    own_first = acc.o_id.notnull() & (acc.v_id.isnull() | (acc.o_ts < acc.v_ts))
    acc = acc.select(k_customer=acc.k_customer, k_value=ibis.ifelse(own_first, acc.o_value, acc.v_value),
                     k_account=ibis.literal(True))
    per = first_touch_keys(src, "person")
    per = per.select(k_customer=per.subject_id, k_value=per[column].cast("string"), k_account=ibis.literal(False))
    return acc.union(per)
