"""Breakdown keys (``--by``): one key per subject, joined onto the per-subject funnel table.

- ``lead_source``, ``owner`` (``people.owner_id``): from ``people``;
- ``segment``: the person's segment, else their account's; ``region``: their account's region
  (people join their account for account attributes);
- ``channel`` / ``campaign``: of the subject's first touch (ties by ``touch_id``);
- ``cohort_month``: the month (workspace time zone) in which the subject entered the funnel.

A subject without a value has the key ``(none)``. At account level (``level="account"``) ``segment``
and ``region`` come from ``accounts``, ``channel``/``campaign`` from the first touch of any of the
account's people, and ``cohort_month`` as above.

At opportunity level (``level="opportunity"``) the keys are the opportunity's (:func:`opportunity_attributes`,
which ``wanamaker pipeline`` reads too): ``owner`` (``opportunities.owner_id``), ``source``, ``segment`` and
``region`` of its account (else of its person's account; ``segment`` else the person's), ``channel`` /
``campaign`` of the first touch of its person (else of its account), and ``cohort_month``.
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
OPPORTUNITY_BREAKDOWNS: tuple[str, ...] = ("owner", "source", "segment", "region", "channel", "campaign",
                                           "cohort_month")


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


def first_touch_keys(src: Source, level: str) -> ir.Table:
    """``subject_id, channel, campaign`` of each person's (``level="person"``) or account's first touch: the
    first touch of any of the account's people, ties by time then ``person_id``."""
    first = first_touches(person_touches(src))
    if level == "person":
        return first.select(subject_id=first.person_id, channel=first.channel, campaign=first.campaign_id)
    people = src.table("people").select("person_id", "account_id")
    joined = first.join(people, first.person_id == people.person_id)
    win = ibis.window(group_by=joined.account_id, order_by=[joined.ts, joined.person_id])
    ranked = joined.mutate(rn=ibis.row_number().over(win))
    top = ranked.filter(ranked.rn == 0)
    return top.select(subject_id=top.account_id, channel=top.channel, campaign=top.campaign_id)


def opportunity_attributes(src: Source, *, touches: bool = True) -> ir.Table:
    """One row per opportunity: ``subject_id`` (the opportunity id), ``owner``, ``source``, ``segment``,
    ``region`` and, with ``touches``, ``channel`` and ``campaign``.

    The account is the opportunity's ``account_id``, else its person's; ``segment`` is the account's, else the
    person's; ``region`` the account's. ``channel`` / ``campaign`` are of the first touch of the opportunity's
    person, else of its account (:func:`first_touch_keys`). ``opportunities`` has no campaign column: the
    first touch is where a deal's campaign comes from.
    """
    opp = src.table("opportunities")
    people = src.table("people").select(p_id="person_id", p_account="account_id", p_segment="segment")
    accounts = src.table("accounts").select(a_id="account_id", a_segment="segment", a_region="region")
    j = opp.left_join(people, opp.person_id == people.p_id)
    j = j.mutate(acct=j.account_id.coalesce(j.p_account))
    j = j.left_join(accounts, j.acct == accounts.a_id)
    cols: dict[str, ir.Value] = {
        "subject_id": j.opportunity_id, "owner": j.owner_id, "source": j.source,
        "segment": j.a_segment.coalesce(j.p_segment), "region": j.a_region,
    }
    if not touches:
        return j.select(**cols)
    by_person = first_touch_keys(src, "person").rename(pt_id="subject_id", pt_channel="channel",
                                                        pt_campaign="campaign")
    by_account = first_touch_keys(src, "account").rename(at_id="subject_id", at_channel="channel",
                                                          at_campaign="campaign")
    j = j.left_join(by_person, j.person_id == by_person.pt_id)
    j = j.left_join(by_account, j.acct == by_account.at_id)
    person_known = j.pt_id.notnull()
    return j.select(**cols, channel=ibis.ifelse(person_known, j.pt_channel, j.at_channel),
                    campaign=ibis.ifelse(person_known, j.pt_campaign, j.at_campaign))


def with_key(
    src: Source, wide: ir.Table, by: str | None, level: str = "person", months: list[Period] | None = None
) -> ir.Table:
    """``wide`` (one row per subject) plus a string column ``key``."""
    if by is None:
        return wide.mutate(key=ibis.literal("all", type="string"))
    allowed = {"person": BREAKDOWNS, "opportunity": OPPORTUNITY_BREAKDOWNS}.get(level, _ACCOUNT_BREAKDOWNS)
    if by not in allowed:
        raise UsageError(
            f"--by '{by}' is not a breakdown for {level} funnels.", fix=f"Use --by with one of: {', '.join(allowed)}."
        )
    if by == "cohort_month":
        key = label_expr(wide.entry_at, months or [])
        return wide.mutate(key=key.coalesce(NONE_KEY))
    if by in ("channel", "campaign"):
        attrs = first_touch_keys(src, level) if level != "opportunity" else opportunity_attributes(src)
    elif level == "opportunity":
        attrs = opportunity_attributes(src, touches=False)
    else:
        attrs = _person_attributes(src) if level == "person" else _account_attributes(src)
    attrs = attrs.select(attr_subject=attrs.subject_id, attr_value=attrs[by].cast("string"))
    joined = wide.left_join(attrs, wide.subject_id == attrs.attr_subject)
    return joined.mutate(key=joined.attr_value.coalesce(NONE_KEY)).drop("attr_subject", "attr_value")
