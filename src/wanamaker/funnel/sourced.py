"""Marketing-sourced and marketing-influenced pipeline and revenue (DESIGN "Definitions").

An opportunity's touches are those of its person (``opportunities.person_id``), or, for an opportunity
without a person, those of its account (touches carrying the ``account_id`` or made by the account's
people), at or before the opportunity's ``created_at``. A *marketing* touch is one whose channel has
``marketing: true`` in wanamaker.yml and that is not a sales touch (a sales rep's email is sales
activity, not marketing).

- **Sourced** per ``funnel.sourced_rule``:
  ``lead_source`` -- the person's ``lead_source`` (else the opportunity's ``source``) is a marketing
  channel; ``first_touch`` -- the first touch (ties by ``touch_id``) is a marketing touch;
  ``first_marketing_before_sales`` -- a marketing touch comes before sales' first activity (the first
  touch whose channel group is ``sales`` or whose owner is a sales rep), or there is a marketing touch
  and no sales activity.
- **Influenced**: any marketing touch at or before ``created_at`` (sourced opportunities are usually
  influenced too; the two are not exclusive).
- **Pipeline** = amount of opportunities created; **revenue** = amount of those won.
  ``marketing_share_of_won_revenue`` = sourced revenue / all won revenue.

Amounts are summed as loaded (in the workspace currency).
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from wanamaker.funnel._source import Source
from wanamaker.funnel.touches import channels_where, is_sales_touch, person_touches
from wanamaker.metrics.money import opportunity_money


@dataclass(frozen=True)
class Bucket:
    opportunities: int
    pipeline: float
    won: int
    revenue: float


@dataclass(frozen=True)
class SourcedResult:
    rule: str
    total: Bucket
    sourced: Bucket
    influenced: Bucket

    @property
    def marketing_share_of_won_revenue(self) -> float | None:
        return self.sourced.revenue / self.total.revenue if self.total.revenue else None


def _opportunity_touches(src: Source, opps: ir.Table) -> ir.Table:
    touches = person_touches(src)
    touches = touches.mutate(sales=is_sales_touch(touches, src))
    people = src.table("people").select(pp_id="person_id", pp_account="account_id")
    with_acc = touches.left_join(people, touches.person_id == people.pp_id)
    cols = ["touch_id", "ts", "channel", "sales"]
    by_person = opps.filter(opps.person_id.notnull())
    j1 = by_person.join(touches, by_person.person_id == touches.person_id).select(
        "opportunity_id", "created_at", *cols
    )
    by_account = opps.filter(opps.person_id.isnull() & opps.account_id.notnull())
    j2 = by_account.join(with_acc, by_account.account_id == with_acc.pp_account).select(
        "opportunity_id", "created_at", *cols
    )
    tp = src.table("touchpoints")
    direct = tp.filter(tp.person_id.isnull() & tp.account_id.notnull())
    direct = direct.mutate(sales=is_sales_touch(direct, src))
    j3 = by_account.join(direct, by_account.account_id == direct.account_id).select(
        "opportunity_id", "created_at", *cols
    )
    t = ibis.union(j1, j2, j3, distinct=True)
    return t.filter(t.ts <= t.created_at)


def opportunity_flags(src: Source) -> ir.Table:
    """Per opportunity: ``opportunity_id, amount, won_amount, won, sourced, influenced`` (0/1 integers)."""
    cfg = src.config
    marketing = channels_where(cfg, marketing=True) or ["(no marketing channel)"]
    opps = src.table("opportunities")
    t = _opportunity_touches(src, opps)
    t = t.mutate(mkt=t.channel.isin(marketing) & ~t.sales)
    win = ibis.window(group_by=t.opportunity_id, order_by=[t.ts, t.touch_id])
    t = t.mutate(rn=ibis.row_number().over(win))
    null_ts = ibis.null().cast("timestamp")
    per = t.group_by(t.opportunity_id.name("f_opp")).aggregate(
        first_mkt=((t.rn == 0) & t.mkt).ifelse(1, 0).max(),
        any_mkt=t.mkt.ifelse(1, 0).max(),
        mkt_ts=ibis.ifelse(t.mkt, t.ts, null_ts).min(),
        sales_ts=ibis.ifelse(t.sales, t.ts, null_ts).min(),
    )
    people = src.table("people").select(ls_id="person_id", ls_source="lead_source")
    money = opportunity_money(src, cfg.currency).select(m_id="opportunity_id", m_pipe="pipeline_amount",
                                                        m_won="won_amount")
    o = opps.left_join(per, opps.opportunity_id == per.f_opp)
    o = o.left_join(money, o.opportunity_id == money.m_id)
    o = o.left_join(people, o.person_id == people.ls_id)
    rule = cfg.funnel.sourced_rule
    if rule == "lead_source":
        sourced = o.ls_source.coalesce(o.source).isin(marketing)
    elif rule == "first_touch":
        sourced = o.first_mkt.coalesce(0) == 1
    else:
        sourced = o.mkt_ts.notnull() & (o.sales_ts.isnull() | (o.mkt_ts < o.sales_ts))
    return o.select(
        opportunity_id=o.opportunity_id,
        # in the workspace currency, at the rate of created_at (pipeline) and closed_at (won); a foreign
        # amount with no rate for its day is left out (wanamaker.metrics.money)
        amount=o.m_pipe.coalesce(0.0),
        won_amount=o.m_won.coalesce(0.0),
        won=(o.status == "won").ifelse(1, 0),
        sourced=sourced.coalesce(False).ifelse(1, 0),
        influenced=(o.any_mkt.coalesce(0) == 1).ifelse(1, 0),
    )


def sourced_influenced(src: Source) -> SourcedResult:
    f = opportunity_flags(src)
    won_amount = f.won_amount
    aggs: dict[str, ir.Value] = {}
    one = f.won * 0 + 1
    for name, flag in (("total", one), ("sourced", f.sourced), ("influenced", f.influenced)):
        weight = flag.cast("float64")
        aggs[f"{name}_n"] = flag.sum()
        aggs[f"{name}_pipe"] = (f.amount * weight).sum()
        aggs[f"{name}_won"] = (f.won * flag).sum()
        aggs[f"{name}_rev"] = (won_amount * weight).sum()
    r = f.aggregate(**aggs).to_pyarrow().to_pylist()[0]

    def bucket(name: str) -> Bucket:
        return Bucket(int(r[f"{name}_n"] or 0), float(r[f"{name}_pipe"] or 0.0), int(r[f"{name}_won"] or 0),
                      float(r[f"{name}_rev"] or 0.0))

    return SourcedResult(src.config.funnel.sourced_rule, bucket("total"), bucket("sourced"), bucket("influenced"))
