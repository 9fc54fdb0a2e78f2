"""Breakdown keys (``--by``): one key per subject, joined onto the per-subject funnel table.

- ``lead_source``, ``owner`` (``people.owner_id``): from ``people``;
- ``segment``: the person's segment, else their account's; ``region``: their account's region
  (people join their account for account attributes);
- ``channel`` / ``campaign``: of the subject's first touch (ties by ``touch_id``);
- ``cohort_month``: the month (workspace time zone) in which the subject entered the funnel.

A subject without a value has the key ``(none)``. At account level (``level="account"``) ``segment``
and ``region`` come from ``accounts``, ``channel``/``campaign`` from the first touch of any of the
account's people, and ``cohort_month`` as above.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from wanamaker.errors import UsageError
from wanamaker.funnel._source import NONE_KEY, Source
from wanamaker.funnel.touches import first_touches, person_touches
from wanamaker.metrics.periods import Period, label_expr

BREAKDOWNS: tuple[str, ...] = ("lead_source", "channel", "campaign", "segment", "region", "owner", "cohort_month")
_ACCOUNT_BREAKDOWNS = ("channel", "campaign", "segment", "region", "cohort_month")


def _person_attributes(src: Source) -> ir.Table:
    people = src.table("people")
    accounts = src.table("accounts").select("account_id", acc_segment="segment", acc_region="region")
    joined = people.left_join(accounts, people.account_id == accounts.account_id)
    return joined.select(
        subject_id=joined.person_id,
        lead_source=joined.lead_source,
        owner=joined.owner_id,
        segment=joined.segment.coalesce(joined.acc_segment),
        region=joined.acc_region,
    )


def _account_attributes(src: Source) -> ir.Table:
    acc = src.table("accounts")
    return acc.select(subject_id=acc.account_id, segment=acc.segment, region=acc.region)


def _first_touch_keys(src: Source, level: str) -> ir.Table:
    first = first_touches(person_touches(src))
    if level == "person":
        return first.select(subject_id=first.person_id, channel=first.channel, campaign=first.campaign_id)
    people = src.table("people").select("person_id", "account_id")
    joined = first.join(people, first.person_id == people.person_id)
    win = ibis.window(group_by=joined.account_id, order_by=[joined.ts, joined.person_id])
    ranked = joined.mutate(rn=ibis.row_number().over(win))
    top = ranked.filter(ranked.rn == 0)
    return top.select(subject_id=top.account_id, channel=top.channel, campaign=top.campaign_id)


def with_key(
    src: Source, wide: ir.Table, by: str | None, level: str = "person", months: list[Period] | None = None
) -> ir.Table:
    """``wide`` (one row per subject) plus a string column ``key``."""
    if by is None:
        return wide.mutate(key=ibis.literal("all", type="string"))
    allowed = BREAKDOWNS if level == "person" else _ACCOUNT_BREAKDOWNS
    if by not in allowed:
        raise UsageError(
            f"--by '{by}' is not a breakdown for {level} funnels.", fix=f"Use --by with one of: {', '.join(allowed)}."
        )
    if by == "cohort_month":
        key = label_expr(wide.entry_at, months or [])
        return wide.mutate(key=key.coalesce(NONE_KEY))
    if by in ("channel", "campaign"):
        attrs = _first_touch_keys(src, level)
    else:
        attrs = _person_attributes(src) if level == "person" else _account_attributes(src)
    attrs = attrs.select(attr_subject=attrs.subject_id, attr_value=attrs[by].cast("string"))
    joined = wide.left_join(attrs, wide.subject_id == attrs.attr_subject)
    return joined.mutate(key=joined.attr_value.coalesce(NONE_KEY)).drop("attr_subject", "attr_value")
