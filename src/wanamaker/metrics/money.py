"""Money from ``opportunities``, in the workspace currency: the one definition of pipeline and won revenue.

- **Pipeline** is an opportunity's amount, placed at ``created_at``; **won revenue** is a won
  opportunity's amount, placed at ``closed_at`` (DESIGN "The metrics layer", money).
- Each is converted to the workspace currency at the ``fx_rates`` rate of the day it is placed
  (``rate_to_workspace_currency`` of that date and currency). An amount with no currency, or in the
  workspace currency, is taken as it is.
- An amount in another currency with no rate for its day is **left out** (NULL), never taken 1:1, and
  flagged (``pipeline_unconverted`` / ``won_unconverted``) so the analyses count it and say so.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from wanamaker.metrics.touches import Tables


def _rates(src: Tables, prefix: str) -> ir.Table:
    fx = src.table("fx_rates")
    return fx.select(**{f"{prefix}_date": fx.date, f"{prefix}_cur": fx.currency,
                        f"{prefix}_rate": fx.rate_to_workspace_currency})


def opportunity_money(src: Tables, home: str) -> ir.Table:
    """Every opportunity's ``opportunity_id, account_id, person_id, created_at, closed_at, status, currency`` with
    ``pipeline_amount`` and ``won_amount`` (NULL unless won) in the ``home`` currency, and the flags
    ``pipeline_unconverted`` / ``won_unconverted`` (a foreign amount with no rate for its day)."""
    opp = src.table("opportunities")
    at_created, at_closed = _rates(src, "c"), _rates(src, "w")
    j = opp.left_join(at_created, (opp.currency == at_created.c_cur) & (opp.created_at.date() == at_created.c_date))
    j = j.left_join(at_closed, (j.currency == at_closed.w_cur) & (j.closed_at.date() == at_closed.w_date))
    home_money = j.currency.isnull() | (j.currency == ibis.literal(home))
    won = j.status == "won"
    null = ibis.null().cast("float64")
    pipeline = ibis.ifelse(home_money, j.amount, j.amount * j.c_rate)
    won_amount = ibis.ifelse(won, ibis.ifelse(home_money, j.amount, j.amount * j.w_rate), null)
    return j.select(
        "opportunity_id", "account_id", "person_id", "created_at", "closed_at", "status", "currency",
        pipeline_amount=pipeline,
        won_amount=won_amount,
        pipeline_unconverted=~home_money & j.amount.notnull() & j.c_rate.isnull(),
        won_unconverted=won & ~home_money & j.amount.notnull() & j.w_rate.isnull(),
    )
