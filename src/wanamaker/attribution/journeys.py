"""Journeys, built in the engine (DESIGN "Attribution", journey and value).

A pipeline of small Ibis steps over the contract tables, the same on DuckDB, PostgreSQL and Spark
(window functions only, no ordered collect):

1. :func:`resolved_touches` — touches with their person (the metrics layer's identity stitching,
   :mod:`wanamaker.metrics.touches`), filtered by excluded channels and touch types, keyed by subject (person or
   account).
2. :func:`subject_stages` — per subject: the first entry into the milestone stage and into the
   role stages (lead, opportunity, won); for an account, the earliest event of the account or any
   of its people. Stage entries come from ``stage_events``; where the level's subjects have no
   ``opportunity`` (or ``won``) stage event at all but ``opportunities`` has dated rows, that stage
   is dated by ``opportunities.created_at`` (``won``: ``closed_at`` of won opportunities) through
   the opportunity's person, or for an account its ``account_id`` (else its person's account):
   :func:`resolve_sources` decides once per run and :func:`source_notes` says so.
3. :func:`subject_values` — per converting subject: the outcome value (count, pipeline, revenue).
4. :func:`journey_touches` — touches inside the lookback window before the milestone (converting)
   or before the end of the data (non-converting), with position, length, age and role flags.

Ties in time are ordered by ``touch_id`` compared as bytes (binary collation on every engine).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import ibis
import pyarrow as pa
from ibis import _

from wanamaker.metrics.money import opportunity_money
from wanamaker.metrics.stages import stage_events
from wanamaker.metrics.touches import stitched_touches

ROLE_STAGES = {"lead_ts": "lead", "opp_ts": "opportunity", "won_ts": "won"}
#: stages an opportunity row can date when no stage event does, and the column that dates them
OPPORTUNITY_DATES = {"opportunity": "created_at", "won": "closed_at"}


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
    from_opportunities: tuple[str, ...] = ()  # stages dated by opportunities (see resolve_sources)


def resolved_touches(ws: Any, opts: JourneyOptions) -> Any:
    """Touches keyed by ``subject`` (person or account), anonymous ones stitched via identities."""
    t = stitched_touches(ws, (*_touch_cols(), "account_id")).view()
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


def _stage_events(ws: Any, level: str) -> Any:
    """(subject, stage, ts) of the metrics layer's stage events: a person's own, or an account's and its people's."""
    se = stage_events(ws, level)
    return se.select(subject=se.subject_id, stage=se.stage, ts=se.ts)


def _dated_opportunities(ws: Any, stage: str) -> Any:
    """(o_acc, o_person, ts) of the opportunities that date ``stage`` (won ones for ``won``)."""
    opp = ws.table("opportunities")
    if stage == "won":
        opp = opp.filter(opp.status == "won")
    ts = opp[OPPORTUNITY_DATES[stage]]
    return opp.filter(ts.notnull()).select(o_acc=opp.account_id, o_person=opp.person_id, ts=ts)


def _opportunity_events(ws: Any, level: str, stages: tuple[str, ...]) -> Any:
    """(subject, stage, ts) dated by opportunities: per person through ``person_id``; per account
    through ``account_id``, else the account of the opportunity's person."""
    parts = [_dated_opportunities(ws, s).mutate(stage=ibis.literal(s, type="string")) for s in stages]
    ev = parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]
    if level == "person":
        return ev.filter(ev.o_person.notnull()).select(subject=ev.o_person, stage=ev.stage, ts=ev.ts)
    people = ws.table("people").select(pp_id=_.person_id, pp_acc=_.account_id)
    j = ev.left_join(people, ev.o_person == people.pp_id)
    j = j.select(subject=ibis.coalesce(j.o_acc, j.pp_acc), stage=j.stage, ts=j.ts)
    return j.filter(j.subject.notnull())


def _subject_events(ws: Any, opts: JourneyOptions) -> Any:
    ev = _stage_events(ws, opts.level)
    if opts.from_opportunities:
        ev = ev.union(_opportunity_events(ws, opts.level, opts.from_opportunities))
    return ev


def resolve_sources(ws: Any, opts: JourneyOptions) -> JourneyOptions:
    """Decide, in one query, which of ``opportunity`` and ``won`` are dated by opportunities: those
    with no stage event of the level's subjects but with dated opportunity rows (at person level,
    rows naming a person). A stage with any stage event keeps its stage events."""
    ev = _stage_events(ws, opts.level)
    counts = ev.aggregate(**{f"se_{s}": ev.count(where=ev.stage == s) for s in OPPORTUNITY_DATES})
    for s in OPPORTUNITY_DATES:
        o = _dated_opportunities(ws, s)
        if opts.level == "person":
            o = o.filter(o.o_person.notnull())
        counts = counts.cross_join(o.aggregate(**{f"op_{s}": o.count()}))
    row = counts.to_pyarrow().to_pylist()[0]
    stages = tuple(s for s in OPPORTUNITY_DATES if not row[f"se_{s}"] and row[f"op_{s}"])
    return replace(opts, from_opportunities=stages)


def money_notes(ws: Any, opts: JourneyOptions) -> list[str]:
    """What the value leaves out: opportunities in another currency with no fx rate for their day."""
    if opts.value == "count":
        return []
    money = opportunity_money(ws, ws.config.currency)
    flag = money.won_unconverted if (opts.value == "revenue" or opts.milestone == "won") else money.pipeline_unconverted
    n = int(money.aggregate(n=flag.ifelse(1, 0).sum()).to_pyarrow().to_pylist()[0]["n"] or 0)
    if not n:
        return []
    return [f"{n} opportunit{'y is' if n == 1 else 'ies are'} in another currency with no fx_rates rate for "
            f"{'its' if n == 1 else 'their'} day and left out of the value (load the rates; `wanamaker check` "
            "lists them)"]


def source_notes(opts: JourneyOptions) -> list[str]:
    """What the run dated from ``opportunities`` instead of ``stage_events`` (printed by the CLI)."""
    who = opts.level
    via = ("opportunities.person_id" if who == "person"
           else "opportunities.account_id, else the account of opportunities.person_id")
    dates = {"opportunity": f"the created_at of the {who}'s first opportunity",
             "won": f"the closed_at of the {who}'s first won opportunity"}
    roles = {"opportunity": "the opportunity-creation touch (w_shaped, full_path)",
             "won": "the closed-won touch (full_path)"}
    notes = []
    for s in opts.from_opportunities:
        what = f"each {who}'s milestone" if s == opts.milestone else roles[s]
        notes.append(f"no '{s}' stage events for any {who}: {what} is dated by {dates[s]} ({via})")
    return notes


def subject_stages(ws: Any, opts: JourneyOptions) -> Any:
    """Per subject: ``m_ts`` (first milestone entry) and the first lead / opportunity / won entries."""
    ev = _subject_events(ws, opts)
    aggs = {name: ev.ts.min(where=ev.stage == stage) for name, stage in ROLE_STAGES.items()}
    aggs["m_ts"] = ev.ts.min(where=ev.stage == opts.milestone)
    return ev.group_by("subject").aggregate(**aggs)


def data_end(ws: Any, opts: JourneyOptions) -> datetime:
    """``--to`` or the last touch or stage event in the data (or opportunity date, for stages
    dated by opportunities)."""
    if opts.date_to is not None:
        return opts.date_to
    a = ws.table("touchpoints").ts.max().to_pyarrow().as_py()
    b = ws.table("stage_events").ts.max().to_pyarrow().as_py()
    c = [_dated_opportunities(ws, s).ts.max().to_pyarrow().as_py() for s in opts.from_opportunities]
    ends = [x for x in (a, b, *c) if x is not None]
    return max(ends) if ends else datetime(1970, 1, 1)


def converting_subjects(ws: Any, opts: JourneyOptions, end: datetime) -> Any:
    """Subjects whose first milestone entry falls in [from, end], with their value."""
    st = subject_stages(ws, opts)
    conv = st.filter(st.m_ts.notnull() & (st.m_ts <= end))
    if opts.date_from is not None:
        conv = conv.filter(conv.m_ts >= opts.date_from)
    return subject_values(ws, opts, conv, end)


def window_deals(ws: Any, opts: JourneyOptions, end: datetime) -> Any:
    """The deals whose money the value divides: ``o_id, o_acc, o_person, o_created, amount`` -- every opportunity
    (pipeline) or won one (revenue, or any value at the ``won`` milestone), dated by ``created_at`` (by
    ``closed_at`` at the ``won`` milestone), in the window ``[from, end]``; amounts in the workspace currency
    (a foreign amount with no rate for its day is left out, :func:`money_notes` counts it)."""
    opp = opportunity_money(ws, ws.config.currency)  # in the workspace currency (the metrics layer)
    won_milestone = opts.milestone == "won"
    won_money = opts.value == "revenue" or won_milestone
    if won_money:
        opp = opp.filter(opp.status == "won")
    opp = opp.select(o_id=opp.opportunity_id, o_acc=opp.account_id, o_person=opp.person_id,
                     o_created=opp.closed_at if won_milestone else opp.created_at,
                     amount=(opp.won_amount if won_money else opp.pipeline_amount).fill_null(0.0))
    opp = opp.filter(opp.o_created.notnull() & (opp.o_created <= ibis.literal(end, type="timestamp")))
    if opts.date_from is not None:
        opp = opp.filter(opp.o_created >= ibis.literal(opts.date_from, type="timestamp"))
    return opp


def window_money(ws: Any, opts: JourneyOptions, end: datetime) -> tuple[float, int]:
    """(money, deals) of :func:`window_deals`: the total the value rows add up to (DESIGN "Money")."""
    deals = window_deals(ws, opts, end)
    rec = deals.aggregate(v=deals.amount.sum().cast("float64"), n=deals.count()).to_pyarrow().to_pylist()[0]
    return float(rec["v"] or 0.0), int(rec["n"] or 0)


def subject_values(ws: Any, opts: JourneyOptions, conv: Any, end: datetime) -> Any:
    """``value``: 1 (count); or the amount of the subject's deals (:func:`window_deals`) dated at or after its
    milestone: every opportunity (pipeline) or the won ones (revenue). For the ``won`` milestone both mean the
    deals won at or after it (closed_at), so the deal whose win is the milestone counts: it was created
    before it. At person level an account's opportunity is split equally over the account's
    converting people whose milestone precedes it; at account level an opportunity without an
    account belongs to its person's account. A deal placed on no converting subject is the
    ``(no converting person)`` row of the output."""
    if opts.value == "count":
        return conv.mutate(value=_float(1))
    opp = window_deals(ws, opts, end)
    if opts.level == "account":  # an opportunity without an account is its person's account's
        people = ws.table("people").select(op_id=_.person_id, op_acc=_.account_id)
        opp = opp.left_join(people, opp.o_person == people.op_id)
        opp = opp.select("o_created", "amount", o_acc=ibis.coalesce(opp.o_acc, opp.op_acc))
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
