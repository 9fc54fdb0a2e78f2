"""Revenue by kind and net revenue retention per acquisition key and cohort (``wanamaker economics --retention``;
DESIGN "Money"; docs/economics.md).

- The **customer** is the account, else the person: ``revenue`` rows by ``account_id`` else ``person_id`` (as in
  :mod:`wanamaker.economics.ltv`), won opportunities by ``account_id``, else their person's account, else the person.
- A customer is **acquired** at the earlier of its first won deal (``closed_at``) and its first revenue row; its
  **cohort** is the fiscal quarter of that moment (workspace time zone, ``fiscal_year_start``).
- The **acquisition key**: ``channel`` / ``campaign`` of the customer's first touch (an account's: the first touch of
  any of its people; :func:`wanamaker.funnel.breakdowns.first_touch_keys`), or ``segment`` (the account's, else the
  person's); ``(none)`` without one.
- **Revenue by kind**: the ``revenue`` rows of the cohort's customers (workspace currency at the row's day rate, as
  the ltv module converts), summed by ``kind``; a ``purchase`` row counts as ``new`` on the acquisition day and as
  ``renewal`` (a repeat) after it. Churn and contraction are negative amounts as loaded.
- **Net revenue retention** of a cohort = its revenue (every kind) in months 13-24 / months 1-12 after each
  customer's acquisition, a year being 365 local days from the acquisition day; null when months 13-24 are not yet
  observed for every customer of the cohort (the last revenue day is before the last acquisition day + 730) or
  months 1-12 hold no revenue.

The joins and sums run in the engine; one row per (key, cohort) leaves it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir

from wanamaker.economics.ltv import Source, _local, _revenue
from wanamaker.funnel.breakdowns import first_touch_keys
from wanamaker.metrics.periods import periods_between

BY_KEYS: tuple[str, ...] = ("channel", "campaign", "segment")
KINDS: tuple[str, ...] = ("new", "renewal", "expansion", "contraction", "churn")
ALL_KEY = "all"
NONE_KEY = "(none)"
YEAR_DAYS = 365


@dataclass(frozen=True)
class RetentionRow:
    key: str
    cohort: str
    new: float
    renewal: float
    expansion: float
    contraction: float
    churn: float
    nrr: float | None


@dataclass(frozen=True)
class RetentionResult:
    """Rows (the ``all`` rows of every cohort first), notes and the parameters used."""

    rows: tuple[RetentionRow, ...]
    notes: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> list[dict[str, Any]]:
        return [asdict(r) for r in self.rows]


def won_customers(src: Source) -> ir.Table:
    """``customer, ts`` of every won opportunity with a ``closed_at``: the account, else the person's account, else
    the person."""
    opp = src.table("opportunities")
    opp = opp.filter((opp.status == "won") & opp.closed_at.notnull())
    people = src.table("people").select(wp_id="person_id", wp_acc="account_id")
    j = opp.left_join(people, opp.person_id == people.wp_id)
    j = j.select(customer=ibis.coalesce(j.account_id, j.wp_acc, j.person_id), ts=j.closed_at,
                 opportunity_id=j.opportunity_id)
    return j.filter(j.customer.notnull())


def customer_keys(src: Source, by: str | None) -> ir.Table:
    """``k_customer, key`` for every account and person: ``all`` without ``by``; else the first touch's channel or
    campaign, or the segment (module docstring); NULL where there is none."""
    if by is None:
        acc = src.table("accounts").select(k_customer="account_id")
        ppl = src.table("people").select(k_customer="person_id")
        return acc.union(ppl).mutate(key=ibis.literal(ALL_KEY, type="string"))
    if by == "segment":
        acc = src.table("accounts").select(k_customer="account_id", key="segment")
        ppl = src.table("people").select(k_customer="person_id", key="segment")
        return acc.union(ppl)
    acc_t = first_touch_keys(src, "account")
    per_t = first_touch_keys(src, "person")
    return acc_t.select(k_customer=acc_t.subject_id, key=acc_t[by]).union(
        per_t.select(k_customer=per_t.subject_id, key=per_t[by]))


def with_key(src: Source, customers: ir.Table, by: str | None) -> ir.Table:
    """``customers`` (a ``customer`` column) with ``key`` (``(none)`` when missing). Account ids are taken first."""
    keys = customer_keys(src, by).mutate(key=ibis._.key.cast("string"))
    keys = keys.group_by("k_customer").aggregate(key=keys.key.max())  # an id both an account and a person: one key
    j = customers.left_join(keys, customers.customer == keys.k_customer)
    return j.drop("k_customer").mutate(key=j.key.coalesce(NONE_KEY))


def retention(src: Source, *, by: str | None = None) -> RetentionResult:
    """Revenue by kind and net revenue retention per acquisition key and cohort (module docstring)."""
    from wanamaker.config.options import choice_option

    if by is not None:
        choice_option("--by", by, BY_KEYS)
    rev, end = _revenue(src, None)
    params: dict[str, Any] = {"by": by, "currency": src.config.currency}
    if end is None:
        return RetentionResult((), ("The revenue table has no revenue: load one to see retention.",), params)
    cfg = src.config
    won = won_customers(src)
    span_row = won.aggregate(lo=won.ts.min(), hi=won.ts.max()).to_pyarrow().to_pylist()[0]
    span = None if span_row["lo"] is None else (span_row["lo"].replace(tzinfo=None), span_row["hi"].replace(tzinfo=None))
    won_days = won.select("customer", day=_local(won.ts, cfg.timezone, span).date().epoch_days().cast("int64"))
    firsts = won_days.union(rev.filter(rev.customer.notnull()).select("customer", day=rev.day.cast("int64")))
    acq = firsts.group_by("customer").aggregate(acq_day=firsts.day.min())
    bounds = acq.aggregate(lo=acq.acq_day.min(), hi=acq.acq_day.max()).to_pyarrow().to_pylist()[0]
    acq = acq.mutate(cohort=day_label(acq.acq_day, int(bounds["lo"]), int(bounds["hi"]), cfg.fiscal_year_start))
    tables = [with_key(src, acq, None)] + ([with_key(src, acq, by)] if by is not None else [])
    last_day = int(rev.day.max().to_pyarrow().as_py())
    rows: list[RetentionRow] = []
    for t in tables:
        rows.extend(_rows(rev, t, last_day))
    return RetentionResult(tuple(rows), (), params)


def day_label(day: ir.IntegerValue, lo: int, hi: int, fiscal_year_start: str) -> ir.StringValue:
    """The fiscal quarter label of a local day given as epoch days (``lo``..``hi`` bound the days seen)."""
    epoch = datetime(1970, 1, 1)
    quarters = periods_between("quarter", epoch + timedelta(days=lo), epoch + timedelta(days=hi), "UTC",
                               fiscal_year_start)
    branches = [(day < ibis.literal((q.end - epoch).days), ibis.literal(q.label, type="string")) for q in quarters]
    return ibis.cases(*branches, else_=ibis.null().cast("string"))


def _rows(rev: ir.Table, acq: ir.Table, last_day: int) -> list[RetentionRow]:
    j = rev.join(acq, rev.customer == acq.customer)
    offset = j.day - j.acq_day
    kind = ibis.ifelse(j.kind == "purchase", ibis.ifelse(offset <= 0, "new", "renewal"), j.kind)
    money = j.money.fill_null(0.0).cast("float64")
    aggs: dict[str, ir.Value] = {k: money.sum(where=kind == k) for k in KINDS}
    aggs["y1"] = money.sum(where=(offset >= 0) & (offset < YEAR_DAYS))
    aggs["y2"] = money.sum(where=(offset >= YEAR_DAYS) & (offset < 2 * YEAR_DAYS))
    per = j.group_by(["key", "cohort"]).aggregate(**aggs)
    last_acq = acq.group_by(["key", "cohort"]).aggregate(last_acq=acq.acq_day.max())
    per = per.join(last_acq, ["key", "cohort"])
    data = per.to_pyarrow().to_pylist()
    out: list[RetentionRow] = []
    for r in sorted(data, key=lambda r: (r["key"] == NONE_KEY, str(r["key"]), str(r["cohort"]))):
        y1, y2 = float(r["y1"] or 0.0), float(r["y2"] or 0.0)
        observed = last_day >= int(r["last_acq"]) + 2 * YEAR_DAYS - 1
        kinds = {k: float(r[k] or 0.0) for k in KINDS}
        out.append(RetentionRow(str(r["key"]), str(r["cohort"]), kinds["new"], kinds["renewal"], kinds["expansion"],
                                kinds["contraction"], kinds["churn"], nrr=y2 / y1 if observed and y1 else None))
    return out
