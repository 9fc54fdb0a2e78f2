"""Journeys, built in the engine (DESIGN "Attribution", journey and value).

A pipeline of small Ibis steps over the contract tables, the same on DuckDB, PostgreSQL and Spark
(window functions only, no ordered collect):

1. :func:`resolved_touches` — touches with their person (anonymous touches joined through
   ``identities``), filtered by excluded channels and touch types, keyed by subject (person or
   account).
2. :func:`subject_stages` — per subject: the first entry into the milestone stage and into the
   role stages (lead, opportunity, won); for an account, the earliest event of the account or any
   of its people.
3. :func:`subject_values` — per converting subject: the outcome value (count, pipeline, revenue).
4. :func:`journey_touches` — touches inside the lookback window before the milestone (converting)
   or before the end of the data (non-converting), with position, length, age and role flags.

Ties in time are ordered by ``touch_id`` compared as bytes (binary collation on every engine).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import ibis
import pyarrow as pa
from ibis import _

ROLE_STAGES = {"lead_ts": "lead", "opp_ts": "opportunity", "won_ts": "won"}


@dataclass(frozen=True)
class JourneyOptions:
    level: str = "person"  # person | account
    milestone: str = "opportunity"
    value: str = "count"  # count | pipeline | revenue
    lookback: timedelta = timedelta(days=90)
    date_from: datetime | None = None
    date_to: datetime | None = None
    exclude_channels: tuple[str, ...] = ()
    exclude_touch_types: tuple[str, ...] = ()


def resolved_touches(ws: Any, opts: JourneyOptions) -> Any:
    """Touches keyed by ``subject`` (person or account), anonymous ones stitched via identities."""
    t = ws.table("touchpoints")
    ids = ws.table("identities").group_by("anonymous_id").aggregate(id_person=_.person_id.min())
    t = t.left_join(ids, t.anonymous_id == ids.anonymous_id).select(
        *[c for c in ("touch_id", "ts", "channel", "campaign_id", "content", "touch_type", "account_id")],
        person=ibis.coalesce(t.person_id, ids.id_person),
    ).view()
    if opts.exclude_channels:
        t = t.filter(~t.channel.isin(list(opts.exclude_channels)))
    if opts.exclude_touch_types:
        t = t.filter(t.touch_type.isnull() | ~t.touch_type.isin(list(opts.exclude_touch_types)))
    people = ws.table("people").select(p_id=_.person_id, p_account=_.account_id, p_segment=_.segment)
    t = t.left_join(people, [("person", "p_id")])
    if opts.level == "account":
        t = t.select(*_touch_cols(), subject=ibis.coalesce(t.account_id, t.p_account)).filter(
            _.subject.notnull()
        ).view()
        acc = ws.table("accounts").select(a_id=_.account_id, segment=_.segment)
        t = t.left_join(acc, [("subject", "a_id")])
        return t.select(*_touch_cols(), "subject", "segment")
    return t.select(*_touch_cols(), subject=t.person, segment=t.p_segment).filter(_.subject.notnull())


def _touch_cols() -> tuple[str, ...]:
    return ("touch_id", "ts", "channel", "campaign_id", "content", "touch_type")


def _subject_events(ws: Any, level: str) -> Any:
    se = ws.table("stage_events")
    if level == "person":
        return se.filter(se.subject_type == "person").select(subject=se.subject_id, stage=se.stage, ts=se.ts)
    people = ws.table("people").filter(_.account_id.notnull())
    own = se.filter(se.subject_type == "account").select(subject=se.subject_id, stage=se.stage, ts=se.ts)
    ps = se.filter(se.subject_type == "person")
    via = ps.join(people, ps.subject_id == people.person_id).select(
        subject=people.account_id, stage=ps.stage, ts=ps.ts
    )
    return own.union(via)


def subject_stages(ws: Any, opts: JourneyOptions) -> Any:
    """Per subject: ``m_ts`` (first milestone entry) and the first lead / opportunity / won entries."""
    ev = _subject_events(ws, opts.level)
    aggs = {name: ev.ts.min(where=ev.stage == stage) for name, stage in ROLE_STAGES.items()}
    aggs["m_ts"] = ev.ts.min(where=ev.stage == opts.milestone)
    return ev.group_by("subject").aggregate(**aggs)


def data_end(ws: Any, opts: JourneyOptions) -> datetime:
    """``--to`` or the last touch or stage event in the data."""
    if opts.date_to is not None:
        return opts.date_to
    a = ws.table("touchpoints").ts.max().to_pyarrow().as_py()
    b = ws.table("stage_events").ts.max().to_pyarrow().as_py()
    ends = [x for x in (a, b) if x is not None]
    return max(ends) if ends else datetime(1970, 1, 1)


def converting_subjects(ws: Any, opts: JourneyOptions, end: datetime) -> Any:
    """Subjects whose first milestone entry falls in [from, end], with their value."""
    st = subject_stages(ws, opts)
    conv = st.filter(st.m_ts.notnull() & (st.m_ts <= end))
    if opts.date_from is not None:
        conv = conv.filter(conv.m_ts >= opts.date_from)
    return subject_values(ws, opts, conv)


def subject_values(ws: Any, opts: JourneyOptions, conv: Any) -> Any:
    """``value``: 1 (count); or the amount of the subject's opportunities created at or after the
    milestone (pipeline), only the won ones (revenue). At person level an account's opportunity is
    split equally over the account's converting people whose milestone precedes it."""
    if opts.value == "count":
        return conv.mutate(value=_float(1))
    opp = ws.table("opportunities")
    if opts.value == "revenue":
        opp = opp.filter(opp.status == "won")
    opp = opp.select(o_id=opp.opportunity_id, o_acc=opp.account_id, o_person=opp.person_id,
                     o_created=opp.created_at, amount=opp.amount.fill_null(0.0))
    if opts.level == "account":
        j = conv.join(opp, (conv.subject == opp.o_acc) & (opp.o_created >= conv.m_ts))
        v = j.group_by(j.subject).aggregate(value=j.amount.sum())
    else:
        people = ws.table("people").select(pp_id=_.person_id, pp_acc=_.account_id)
        cp = conv.left_join(people, conv.subject == people.pp_id)
        cp = cp.select(c_subject=cp.subject, c_acc=cp.pp_acc, c_m=cp.m_ts)
        j = cp.join(
            opp,
            (((cp.c_acc == opp.o_acc) & opp.o_acc.notnull())
             | (opp.o_acc.isnull() & (cp.c_subject == opp.o_person)))
            & (opp.o_created >= cp.c_m),
        )
        j = j.mutate(share=j.amount / j.c_subject.count().over(group_by=j.o_id))
        v = j.group_by(subject=j.c_subject).aggregate(value=j.share.sum())
    v = v.select(v_subject=v.subject, v_value=v.value)
    out = conv.left_join(v, [("subject", "v_subject")])
    return out.select(*[c for c in conv.columns], value=out.v_value.fill_null(_float(0)))


def _float(n: int) -> Any:
    """A float constant every engine types as double (PostgreSQL reads ``1.0`` as numeric)."""
    return ibis.literal(n).cast("float64")


def journey_touches(ws: Any, opts: JourneyOptions, end: datetime) -> tuple[Any, Any]:
    """(touches of every journey in the window with position and roles, converting subjects)."""
    touches = resolved_touches(ws, opts)
    conv = converting_subjects(ws, opts, end)
    st = subject_stages(ws, opts)
    c = conv.select(c_subject=conv.subject, c_m=conv.m_ts, c_value=conv.value,
                    c_lead=conv.lead_ts, c_opp=conv.opp_ts, c_won=conv.won_ts)
    t = touches.left_join(c, [("subject", "c_subject")]).view()
    if opts.date_from is not None:  # subjects that converted before the window are out of it
        early = st.filter(st.m_ts < opts.date_from).select(e_subject=_.subject)
        t = t.left_join(early, [("subject", "e_subject")]).filter(_.e_subject.isnull()).view()
    end_lit = ibis.literal(end, type="timestamp")
    anchor = ibis.coalesce(t.c_m, end_lit)
    t = t.mutate(anchor=anchor, converted=t.c_m.notnull())
    t = t.filter((t.ts <= t.anchor) & (t.ts >= t.anchor - ibis.interval(seconds=int(opts.lookback.total_seconds()))))
    order = [t.ts, t.touch_id.cast("binary")]
    w = ibis.window(group_by=t.subject, order_by=order)
    t = t.mutate(pos=ibis.row_number().over(w), n=t.touch_id.count().over(group_by=t.subject))
    roles = {}
    for flag, col in (("lead_pos", "c_lead"), ("opp_pos", "c_opp"), ("won_pos", "c_won")):
        roles[flag] = ibis.ifelse(t.ts <= t[col], t.pos, ibis.null("int64")).max().over(group_by=t.subject)
    t = t.mutate(**roles)
    t = t.select(
        "subject", "touch_id", "channel", "campaign_id", "content", "touch_type", "segment", "ts", "pos", "n",
        "converted",
        age_s=(t.anchor.epoch_seconds() - t.ts.epoch_seconds()).cast("float64"),
        is_lead=(t.pos == t.lead_pos).fill_null(False),
        is_opp=(t.pos == t.opp_pos).fill_null(False),
        is_won=(t.pos == t.won_pos).fill_null(False),
        value=ibis.ifelse(t.converted, t.c_value, _float(0)),
        m_ts=t.c_m,
    )
    return t, conv


def fetch(expr: Any) -> pa.Table:
    """Pull a journey table, ordered by subject and position."""
    return expr.order_by([expr.subject, expr.pos]).to_pyarrow()
