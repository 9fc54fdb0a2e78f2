"""The metric catalogue: every number a goal can be set on, one definition each (DESIGN "The metrics layer").

A :class:`Metric` has an id, a name, a description, a unit (count | currency | ratio | days | months | hours |
score), a kind (**effectiveness**: an outcome against a goal; **efficiency**: cost or effort per unit,
DESIGN "Definitions"), a direction, and its place on the funnel graph (the stage it counts and, from
``funnel.stages``, the stage it feeds). Its value over a time window is an Ibis expression:

- a **measure** (``count``, ``count_distinct``, ``sum``, ``mean``) aggregates the rows its ``rows``
  function returns -- ``ts`` (the timestamp that places a row in a period), ``value`` and, when asked for a
  breakdown, ``key``. A row belongs to the window ``[start, end)`` when its ``ts`` does;
- a **ratio** divides one metric by another over the same window and key (MetricFlow's ratio metrics):
  ``null`` when the denominator is zero or missing.

This module holds the model, the evaluation and the built-ins whose definitions live in the metrics layer
(money from :mod:`wanamaker.metrics.money`, spend, e-mail); domains add theirs (the funnel's stage counts,
sourced money, SLA, acceptance and survey metrics) and the plan's custom metrics are built by
:mod:`wanamaker.metrics.custom`. Evaluation never leaves the engine except for the aggregated rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal, Protocol

import ibis
import ibis.expr.types as ir

from wanamaker.config.models import WorkspaceConfig
from wanamaker.errors import UsageError
from wanamaker.metrics.money import opportunity_money
from wanamaker.metrics.periods import Period, label_expr, naive_utc

Unit = Literal["count", "currency", "ratio", "days", "months", "hours", "score"]
Kind = Literal["effectiveness", "efficiency"]
Direction = Literal["increase", "decrease"]
Agg = Literal["count", "count_distinct", "sum", "mean", "ratio", "computed"]
ALL_KEY = "all"
NONE_KEY = "(none)"


def ratio(num: float | None, den: float | None) -> float | None:
    """``num / den``; null when either is missing or the denominator is 0 (DESIGN conventions)."""
    if num is None or den is None or den == 0:
        return None
    return num / den


def n_true(condition: ir.BooleanValue) -> ir.IntegerScalar:
    """How many rows ``condition`` holds for (null counts as false): a sum of 1s and 0s, since a boolean never
    casts to an integer on PostgreSQL."""
    return condition.ifelse(1, 0).sum()


class Source(Protocol):
    """What a metric reads: the workspace's config and its tables."""

    @property
    def config(self) -> WorkspaceConfig: ...

    def table(self, name: str) -> ir.Table: ...


RowsFn = Callable[[Source, "str | None"], ir.Table]
#: a metric computed by its domain over a window ``[start, end)`` (a model fit, an attribution run)
ComputeFn = Callable[[Any, "datetime | None", "datetime | None"], "float | None"]


@dataclass(frozen=True)
class Metric:
    """One catalogue entry. ``rows(src, by)`` gives ``ts, value`` (and ``key`` when ``by`` is given) for a
    measure; a ratio names its ``numerator`` and ``denominator`` metrics instead."""

    id: str
    name: str
    description: str
    unit: Unit
    kind: Kind
    direction: Direction
    agg: Agg
    stage: str | None = None
    rows: RowsFn | None = field(default=None, compare=False, repr=False)
    numerator: str | None = None
    denominator: str | None = None
    keys: tuple[str, ...] = ()
    origin: str = "built-in"
    feeds: str | None = None
    compute: ComputeFn | None = field(default=None, compare=False, repr=False)
    based_on: str | None = None  # a computed metric: the measure whose rows place it in time (span, no_data)

    @property
    def cumulative(self) -> bool:
        """Whether the value adds up over time (a count or a sum): goal progress on it is a share of the
        target reached, not a move from the baseline level (DESIGN "Goal progress")."""
        return self.agg in ("count", "count_distinct", "sum")

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "unit": self.unit, "kind": self.kind, "direction": self.direction,
            "agg": self.agg, "stage": self.stage, "feeds": self.feeds,
            "numerator": self.numerator, "denominator": self.denominator, "keys": list(self.keys),
            "origin": self.origin, "description": self.description,
        }  # fmt: skip


class Catalogue(Mapping[str, Metric]):
    """The metrics a workspace knows, by id, in the order they were added."""

    def __init__(self, metrics: Iterable[Metric], stages: Sequence[str] = ()) -> None:
        self._metrics: dict[str, Metric] = {}
        order = list(stages)
        for m in metrics:
            feeds = m.feeds
            if feeds is None and m.stage in order and order.index(m.stage) + 1 < len(order):
                feeds = order[order.index(m.stage) + 1]
            self._metrics[m.id] = replace(m, feeds=feeds)

    def __getitem__(self, metric_id: str) -> Metric:
        return self._metrics[metric_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._metrics)

    def __len__(self) -> int:
        return len(self._metrics)

    def get_metric(self, metric_id: str) -> Metric:
        """The metric ``metric_id``, or a usage error naming the closest ids."""
        if metric_id in self._metrics:
            return self._metrics[metric_id]
        from wanamaker.config.issues import did_you_mean

        hint = did_you_mean(metric_id, list(self._metrics)).strip()
        hint = f"{hint} " if hint else ""
        raise UsageError(f"'{metric_id}' is not a metric in the catalogue.",
                         fix=f"{hint}See `wanamaker metrics` for every id, or define it under metrics: in plan.yml.")

    def keys_of(self, metric_id: str) -> tuple[str, ...]:
        """The breakdown keys a metric supports (a ratio: those both its parts support)."""
        m = self.get_metric(metric_id)
        if m.agg != "ratio":
            return m.keys
        assert m.numerator is not None and m.denominator is not None
        den = set(self.keys_of(m.denominator))
        return tuple(k for k in self.keys_of(m.numerator) if k in den)

    def measures_of(self, metric_id: str) -> list[Metric]:
        """The measures a metric is computed from (itself, or a ratio's parts, recursively; a computed metric's
        ``based_on`` measure)."""
        m = self.get_metric(metric_id)
        if m.agg == "computed":
            return self.measures_of(m.based_on) if m.based_on else []
        if m.agg != "ratio":
            return [m]
        assert m.numerator is not None and m.denominator is not None
        return [*self.measures_of(m.numerator), *self.measures_of(m.denominator)]


# ------------------------------------------------------------------ evaluation


@dataclass(frozen=True)
class Window:
    """A time window ``[start, end)`` in naive UTC; ``None`` leaves that side open. ``label`` names it in
    the output (a period label, or a goal's id and role)."""

    label: str
    start: datetime | None
    end: datetime | None


def _aggregate(t: ir.Table, agg: Agg) -> ir.Value:
    if agg == "count":
        return t.count()
    if agg == "count_distinct":
        return t.value.nunique()
    if agg == "sum":
        return t.value.sum()
    if agg == "mean":
        return t.value.mean()
    raise AssertionError(agg)


def _in_window(ts: ir.TimestampValue, w: Window) -> ir.BooleanValue:
    cond = ts.notnull()
    if w.start is not None:
        cond = cond & (ts >= ibis.literal(w.start, type="timestamp"))
    if w.end is not None:
        cond = cond & (ts < ibis.literal(w.end, type="timestamp"))
    return cond


def measure_table(src: Source, metric: Metric, by: str | None) -> ir.Table:
    """The measure's rows with a string ``key`` (``(none)`` for a missing value) when ``by`` is given."""
    assert metric.rows is not None
    if by is not None and by not in metric.keys:
        raise UsageError(f"--by {by}: {metric.id} has no such breakdown.",
                         fix=f"Use one of: {', '.join(metric.keys) or '(none: this metric has no breakdowns)'}.")
    t = metric.rows(src, by)
    if by is None:
        return t.select("ts", "value")
    return t.select("ts", "value", key=t.key.cast("string").coalesce(NONE_KEY))


def measure_expr(src: Source, metric: Metric, windows: Sequence[Window], by: str | None,
                 periods: Sequence[Period] | None = None) -> ir.Table:
    """``window, key, period, value`` of a measure: one row per window (and key and period that have rows;
    a window with no rows at all gives no row -- :func:`evaluate` fills 0 for counts and sums)."""
    base = measure_table(src, metric, by)
    parts: list[ir.Table] = []
    for w in windows:
        t = base.filter(_in_window(base.ts, w))
        key = t.key if by is not None else ibis.literal(ALL_KEY, type="string")
        period = label_expr(t.ts, list(periods)) if periods else ibis.null().cast("string")
        t = t.mutate(window=ibis.literal(w.label, type="string"), key=key, period=period)
        if periods:  # rows outside the periods asked for are not counted in any of them
            t = t.filter(t.period.notnull())
        groups = ["window", "key", "period"]
        rows = t.group_by(groups).aggregate(value=_aggregate(t, metric.agg).cast("float64"))
        parts.append(rows)
        if by is not None:  # the overall row of a breakdown
            overall = t.mutate(key=ibis.literal(ALL_KEY, type="string"))
            parts.append(overall.group_by(groups).aggregate(value=_aggregate(overall, metric.agg).cast("float64")))
    return parts[0] if len(parts) == 1 else ibis.union(*parts)


@dataclass(frozen=True)
class MetricValue:
    """One computed value: ``window`` (its label), ``key`` (``all`` overall), ``period`` (null unless cut
    by period); a ratio also carries its ``numerator`` and ``denominator``."""

    metric: str
    window: str
    key: str
    period: str | None
    value: float | None
    numerator: float | None = None
    denominator: float | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"metric": self.metric, "key": self.key, "period": self.period, "value": self.value}
        if self.numerator is not None or self.denominator is not None:
            out["numerator"], out["denominator"] = self.numerator, self.denominator
        return out


Cell = tuple[str, str, str | None]  # window, key, period


def _fetch(expr: ir.Table) -> dict[Cell, float | None]:
    out: dict[Cell, float | None] = {}
    for r in expr.to_pyarrow().to_pylist():
        v = r["value"]
        out[(str(r["window"]), str(r["key"]), r["period"])] = None if v is None or v != v else float(v)
    return out


def _cells(catalogue: Catalogue, src: Source, metric_id: str, windows: Sequence[Window], by: str | None,
           periods: Sequence[Period] | None, cache: dict[str, dict[Cell, float | None]]) -> dict[Cell, float | None]:
    m = catalogue.get_metric(metric_id)
    if m.agg == "ratio":
        assert m.numerator is not None and m.denominator is not None
        num = _cells(catalogue, src, m.numerator, windows, by, periods, cache)
        den = _cells(catalogue, src, m.denominator, windows, by, periods, cache)
        out: dict[Cell, float | None] = {}
        for cell in {*num, *den}:
            d = den.get(cell)
            n = num.get(cell)
            out[cell] = None if not d or n is None else n / d
        return out
    if m.agg == "computed":
        return _computed(src, m, windows, periods)
    if m.id not in cache:
        got = _fetch(measure_expr(src, m, windows, by, periods))
        if m.agg in ("count", "count_distinct", "sum") and not periods:  # nothing in a window is 0, not unknown
            for w in windows:
                got.setdefault((w.label, ALL_KEY, None), 0.0)
        cache[m.id] = got
    return cache[m.id]


def _computed(src: Source, m: Metric, windows: Sequence[Window],
              periods: Sequence[Period] | None) -> dict[Cell, float | None]:
    """A computed metric over each window (and each period inside it): its domain's function, called once per
    cell."""
    assert m.compute is not None
    out: dict[Cell, float | None] = {}
    for w in windows:
        if not periods:
            out[(w.label, ALL_KEY, None)] = m.compute(src, w.start, w.end)
            continue
        for p in periods:
            start = max(p.start, w.start) if w.start is not None else p.start
            end = min(p.end, w.end) if w.end is not None else p.end
            if start < end:
                out[(w.label, ALL_KEY, p.label)] = m.compute(src, start, end)
    return out


def evaluate(src: Source, catalogue: Catalogue, metric_id: str, windows: Sequence[Window], *,
             by: str | None = None, periods: Sequence[Period] | None = None) -> list[MetricValue]:
    """The metric over each window (per key and period when asked), in the engine; a ratio computes its
    numerator and denominator over the same cells and divides (``null`` for a zero denominator)."""
    m = catalogue.get_metric(metric_id)
    if by is not None and by not in catalogue.keys_of(metric_id):
        keys = catalogue.keys_of(metric_id)
        raise UsageError(f"--by {by}: {metric_id} has no such breakdown.",
                         fix=f"Use one of: {', '.join(keys)}." if keys else f"{metric_id} has no breakdowns; drop --by.")
    cache: dict[str, dict[Cell, float | None]] = {}
    values = _cells(catalogue, src, metric_id, windows, by, periods, cache)
    parts: tuple[dict[Cell, float | None], dict[Cell, float | None]] | None = None
    if m.agg == "ratio":
        assert m.numerator is not None and m.denominator is not None
        parts = (_cells(catalogue, src, m.numerator, windows, by, periods, cache),
                 _cells(catalogue, src, m.denominator, windows, by, periods, cache))
    order = {w.label: i for i, w in enumerate(windows)}
    rows = [
        MetricValue(metric_id, cell[0], cell[1], cell[2], v,
                    numerator=(parts[0].get(cell, 0.0) if parts else None),
                    denominator=(parts[1].get(cell, 0.0) if parts else None))
        for cell, v in values.items()
    ]
    return sorted(rows, key=lambda r: (order.get(r.window, 0), r.key != ALL_KEY, r.key, r.period or ""))


def value(src: Source, catalogue: Catalogue, metric_id: str, start: datetime | None, end: datetime | None) -> float | None:
    """The metric over one window, overall."""
    rows = evaluate(src, catalogue, metric_id, [Window("w", start, end)])
    return next((r.value for r in rows if r.key == ALL_KEY and r.period is None), None)


def explain(src: Source, catalogue: Catalogue, metric_id: str, windows: Sequence[Window], *,
            by: str | None = None, periods: Sequence[Period] | None = None) -> list[tuple[str, str]]:
    """``(measure id, SQL)`` of each query :func:`evaluate` runs for the metric, in the engine's dialect."""
    out: list[tuple[str, str]] = []
    top = catalogue.get_metric(metric_id)
    if top.agg == "computed":
        out.append((top.id, f"-- {top.id} is computed by its domain in Python ({top.description}); it reads:"))
    for m in catalogue.measures_of(metric_id):
        if any(done == m.id for done, _ in out):
            continue
        expr = measure_expr(src, m, windows, by, periods)
        out.append((m.id, str(ibis.to_sql(expr))))
    return out


def data_span(src: Source, catalogue: Catalogue, metric_id: str) -> tuple[datetime, datetime] | None:
    """The first and last ``ts`` of the measures a metric reads (None when they have no rows)."""
    lo: datetime | None = None
    hi: datetime | None = None
    for m in catalogue.measures_of(metric_id):
        t = measure_table(src, m, None)
        rec = t.aggregate(lo=t.ts.min(), hi=t.ts.max(), n=t.count()).to_pyarrow().to_pylist()[0]
        if not rec["n"] or rec["lo"] is None:
            continue
        a, b = naive_utc(rec["lo"]), naive_utc(rec["hi"])
        lo = a if lo is None else min(lo, a)
        hi = b if hi is None else max(hi, b)
    return (lo, hi) if lo is not None and hi is not None else None


def row_count(src: Source, catalogue: Catalogue, metric_id: str) -> int:
    """How many rows the metric's measures have in all (0: the metric cannot be measured on this data;
    a ratio needs rows in both parts, so this is the smaller of them)."""
    counts = []
    for m in catalogue.measures_of(metric_id):
        t = measure_table(src, m, None)
        counts.append(int(t.filter(t.ts.notnull()).count().to_pyarrow().as_py()))
    return min(counts) if counts else 0




# ------------------------------------------------------------------ built-ins of the metrics layer


def _opportunity_rows(src: Source, by: str | None) -> ir.Table:
    """Opportunities with their money in the workspace currency and the breakdown keys."""
    m = opportunity_money(src, src.config.currency)
    opp = src.table("opportunities").select(o_id="opportunity_id", owner="owner_id", source="source")
    acc = src.table("accounts").select(a_id="account_id", segment="segment", region="region")
    j = m.left_join(opp, m.opportunity_id == opp.o_id)
    if by in ("segment", "region"):
        j = j.left_join(acc, j.account_id == acc.a_id)
    return j.mutate(key=j[by]) if by is not None else j


OPPORTUNITY_KEYS = ("owner", "source", "segment", "region")


def _opportunities(src: Source, by: str | None) -> ir.Table:
    t = _opportunity_rows(src, by)
    return t.mutate(ts=t.created_at, value=ibis.literal(1.0))


def _pipeline(src: Source, by: str | None) -> ir.Table:
    t = _opportunity_rows(src, by)
    return t.filter(t.pipeline_amount.notnull()).mutate(ts=t.created_at, value=t.pipeline_amount)


def _won(src: Source, by: str | None) -> ir.Table:
    t = _opportunity_rows(src, by)
    return t.filter(t.status == "won").mutate(ts=t.closed_at, value=ibis.literal(1.0))


def _closed(src: Source, by: str | None) -> ir.Table:
    t = _opportunity_rows(src, by)
    return t.filter(t.status.isin(["won", "lost"])).mutate(ts=t.closed_at, value=ibis.literal(1.0))


def _revenue(src: Source, by: str | None) -> ir.Table:
    t = _opportunity_rows(src, by)
    return t.filter(t.won_amount.notnull()).mutate(ts=t.closed_at, value=t.won_amount)


def _cycle_days(src: Source, by: str | None) -> ir.Table:
    t = _opportunity_rows(src, by)
    t = t.filter((t.status == "won") & t.created_at.notnull() & t.closed_at.notnull())
    days = (t.closed_at.epoch_seconds() - t.created_at.epoch_seconds()).cast("float64") / 86400.0
    return t.mutate(ts=t.closed_at, value=days)


def _new_customers(src: Source, by: str | None) -> ir.Table:
    """New customers (DESIGN "Money"): an account -- a person when the deal has no account -- at the close of its
    first won deal."""
    o = src.table("opportunities")
    won = o.filter((o.status == "won") & o.closed_at.notnull())
    won = won.mutate(customer=ibis.coalesce(won.account_id, won.person_id))
    first = won.group_by("customer").aggregate(ts=won.closed_at.min())
    if by is None:
        return first.mutate(value=ibis.literal(1.0))
    acc = src.table("accounts").select(a_id="account_id", a_key=by)
    j = first.left_join(acc, first.customer == acc.a_id)
    return j.mutate(value=ibis.literal(1.0), key=j.a_key)


def _spend(src: Source, by: str | None) -> ir.Table:
    """Spend in the workspace currency at its day's rate (a foreign amount without one is left out)."""
    s = src.table("spend")
    fx = src.table("fx_rates").select(f_date="date", f_cur="currency", f_rate="rate_to_workspace_currency")
    j = s.left_join(fx, (s.currency == fx.f_cur) & (s.date == fx.f_date))
    home = j.currency.isnull() | (j.currency == ibis.literal(src.config.currency))
    amount = ibis.ifelse(home, j.amount, j.amount * j.f_rate)
    t = j.mutate(ts=j.date.cast("timestamp"), value=amount.cast("float64"), channel=j.channel, campaign=j.campaign_id)
    t = t.filter(t.value.notnull())
    return t.mutate(key=t[by]) if by is not None else t


EMAIL_SENT_TYPES = ("email_sent", "email_send", "email_delivered")
EMAIL_OPEN_TYPES = ("email_open",)


def _touch_rows(types: tuple[str, ...]) -> RowsFn:
    def rows(src: Source, by: str | None) -> ir.Table:
        tp = src.table("touchpoints")
        t = tp.filter(tp.touch_type.isin(list(types))).mutate(ts=tp.ts, value=ibis.literal(1.0),
                                                               campaign=tp.campaign_id)
        return t.mutate(key=t[by]) if by is not None else t

    return rows


def core_metrics() -> list[Metric]:
    """The built-ins defined here: opportunities, money, spend and e-mail."""
    opp, won = "opportunity", "won"
    return [
        Metric("opportunities", "Opportunities", "Opportunities created, by created_at.", "count",
               "effectiveness", "increase", "count", opp, _opportunities, keys=OPPORTUNITY_KEYS),
        Metric("pipeline", "Pipeline", "Amount of the opportunities created (workspace currency at the rate of "
               "created_at), by created_at.", "currency", "effectiveness", "increase", "sum", opp, _pipeline,
               keys=OPPORTUNITY_KEYS),
        Metric("won_deals", "Won deals", "Opportunities won, by closed_at.", "count", "effectiveness", "increase",
               "count", won, _won, keys=OPPORTUNITY_KEYS),
        Metric("closed_deals", "Closed deals", "Opportunities won or lost, by closed_at.", "count", "efficiency",
               "increase", "count", won, _closed, keys=OPPORTUNITY_KEYS),
        Metric("revenue", "Won revenue", "Amount of the opportunities won (workspace currency at the rate of "
               "closed_at), by closed_at.", "currency", "effectiveness", "increase", "sum", won, _revenue,
               keys=OPPORTUNITY_KEYS),
        Metric("win_rate", "Win rate", "Won deals / (won + lost deals), by closed_at.", "ratio", "efficiency",
               "increase", "ratio", opp, numerator="won_deals", denominator="closed_deals"),
        Metric("avg_deal_size", "Average deal size", "Won revenue / won deals, by closed_at.", "currency",
               "efficiency", "increase", "ratio", won, numerator="revenue", denominator="won_deals"),
        Metric("sales_cycle_days", "Sales cycle (days)", "Mean days from created_at to closed_at of won deals, "
               "by closed_at.", "days", "efficiency", "decrease", "mean", opp, _cycle_days, keys=OPPORTUNITY_KEYS),
        Metric("new_customers", "New customers", "Accounts (a person when the deal has no account) whose first "
               "won deal closes in the window, by that closed_at.", "count", "effectiveness", "increase", "count",
               won, _new_customers, keys=("segment", "region")),
        Metric("cac", "CAC (marketing spend)", "Spend / new customers over the same window; the fully loaded CAC "
               "with team costs is `wanamaker economics`.", "currency", "efficiency", "decrease", "ratio", won,
               numerator="spend", denominator="new_customers"),
        Metric("spend", "Spend", "Marketing spend (workspace currency at the day's rate), by date.", "currency",
               "efficiency", "decrease", "sum", None, _spend, keys=("channel", "campaign")),
        Metric("email_sends", "E-mails sent", f"Touches of type {' or '.join(EMAIL_SENT_TYPES)}, by ts.", "count",
               "efficiency", "increase", "count", None, _touch_rows(EMAIL_SENT_TYPES), keys=("channel", "campaign")),
        Metric("email_opens", "E-mail opens", "Touches of type email_open, by ts.", "count", "efficiency",
               "increase", "count", None, _touch_rows(EMAIL_OPEN_TYPES), keys=("channel", "campaign")),
        Metric("email_open_rate", "E-mail open rate", "E-mail opens / e-mails sent, by ts.", "ratio", "efficiency",
               "increase", "ratio", None, numerator="email_opens", denominator="email_sends"),
    ]  # fmt: skip
