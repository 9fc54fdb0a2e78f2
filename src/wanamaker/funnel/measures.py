"""The funnel's metrics in the catalogue (:mod:`wanamaker.metrics.catalogue`): stage counts, marketing-sourced
and influenced money, SLA compliance, lead acceptance and sales satisfaction.

Each is defined by the funnel's own code, so a metric and the command that shows it agree:

- **Stage counts** (``visitors``, ``leads``, ``mql``, ``sal``, ``sql``): people reaching the stage, at the
  time :func:`wanamaker.funnel.stages.subject_stages` gives (first entry; a stage passed on the way to a
  later one counts, at the later stage's time; visitors also from a person's first touch). So ``wanamaker
  metric mql --period quarter`` equals the ``mql`` entries of ``wanamaker funnel --period quarter``.
  Breakdowns are the funnel's (:mod:`wanamaker.funnel.breakdowns`).
- **Sourced / influenced** (``pipeline_sourced``, ``pipeline_influenced``, ``revenue_sourced``,
  ``revenue_influenced``): :func:`wanamaker.funnel.sourced.opportunity_flags` under ``funnel.sourced_rule``;
  pipeline by ``created_at``, revenue by ``closed_at``.
- ``sla_compliance``: the share of decided SLA clocks (every rule of wanamaker.yml, as of the end of the
  data) answered in time, by the clock's start; ``acceptance_rate``: accepted / (accepted + rejected)
  hand-offs, by hand-off time (:func:`wanamaker.funnel.acceptance.decisions`); ``sales_satisfaction``: the
  mean survey score given by sales, by ``submitted_at``.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from wanamaker.funnel._source import Source
from wanamaker.funnel.breakdowns import BREAKDOWNS, with_key
from wanamaker.metrics.catalogue import Metric, RowsFn
from wanamaker.metrics.stages import stage_events

STAGE_METRICS: dict[str, str] = {"visitor": "visitors", "lead": "leads", "mql": "mql", "sal": "sal", "sql": "sql"}
STAGE_KEYS = tuple(k for k in BREAKDOWNS if k != "cohort_month")


def _stage_rows(stage: str) -> RowsFn:
    def rows(src: Source, by: str | None) -> ir.Table:
        from wanamaker.funnel.stages import VISITOR, subject_stages, with_visitors
        from wanamaker.funnel.touches import first_touch_times

        stages = list(src.config.funnel.stages)
        events = stage_events(src, "person")
        if VISITOR in stages or stage == VISITOR:  # as the funnel does: a first touch places a visitor
            events = with_visitors(events, first_touch_times(src))
        if stage not in stages:  # not a configured stage: its own first events
            ev = events.filter(events.stage == stage)
            wide = ev.group_by(ev.subject_id).aggregate(ts=ev.ts.min())
        else:
            wide = subject_stages(events, stages, "person")
            wide = wide.mutate(ts=wide[f"at_{stages.index(stage)}"])
        wide = wide.filter(wide.ts.notnull())
        keyed = with_key(src, wide, by, "person", []) if by is not None else wide
        return keyed.mutate(value=ibis.literal(1.0))

    return rows


def _flag_rows(flag: str, money: str) -> RowsFn:
    def rows(src: Source, by: str | None) -> ir.Table:
        from wanamaker.funnel.sourced import opportunity_flags

        f = opportunity_flags(src)
        opp = src.table("opportunities").select(o_id="opportunity_id", created_at="created_at",
                                                closed_at="closed_at", owner="owner_id", source="source")
        j = f.join(opp, f.opportunity_id == opp.o_id)
        j = j.filter(j[flag] == 1)
        if money == "pipeline":
            t = j.mutate(ts=j.created_at, value=j.amount)
        else:
            j = j.filter(j.won == 1)
            t = j.mutate(ts=j.closed_at, value=j.won_amount)
        return t.mutate(key=t[by]) if by is not None else t

    return rows


def _sla_rows(src: Source, by: str | None) -> ir.Table:
    from wanamaker.funnel.alignment import end_of_data
    from wanamaker.funnel.sla import _with_status, clocks

    as_of = end_of_data(src)
    c = _with_status(clocks(src, list(src.config.sla), as_of), as_of)
    c = c.filter(c.decided == 1)
    t = c.mutate(ts=c.start, value=(1 - c.breach).cast("float64"), owner=c.owner_id)
    return t.mutate(key=t[by]) if by is not None else t


def _acceptance_rows(src: Source, by: str | None) -> ir.Table:
    from wanamaker.funnel.acceptance import decisions
    from wanamaker.funnel.stages import subject_stages

    events = src.table("stage_events")
    person_ev = events.filter(events.subject_type == "person")
    wide = subject_stages(person_ev, list(src.config.funnel.stages), "person")
    keyed = with_key(src, wide, by, "person", []).mutate(by=ibis.literal(by or "all", type="string"))
    dec = decisions(keyed, events, src.config)
    dec = dec.filter(dec.decision != "pending")
    # an integer cast to float64 in the engine: a float literal is NUMERIC on PostgreSQL, and its mean a decimal
    return dec.mutate(ts=dec.handoff_at, value=(dec.decision == "accepted").ifelse(1, 0).cast("float64"))


def _survey_rows(src: Source, by: str | None) -> ir.Table:
    sr = src.table("survey_responses")
    tm = src.table("team_members")
    reps = tm.filter(tm.team.lower() == "sales").select(rep_id=tm.member_id)
    sales = sr.filter(((sr.team.lower() == "sales") | sr.respondent_id.isin(reps.rep_id)) & sr.score.notnull())
    t = sales.mutate(ts=sales.submitted_at, value=sales.score.cast("float64"))
    return t.mutate(key=t[by]) if by is not None else t


def funnel_metrics() -> list[Metric]:
    """The funnel's built-ins (see the module doc)."""
    names = {"visitor": "Visitors", "lead": "Leads", "mql": "Marketing-qualified leads (MQL)",
             "sal": "Sales-accepted leads (SAL)", "sql": "Sales-qualified leads (SQL)"}
    out = [
        Metric(mid, names[stage], f"People reaching the {stage} stage (first entry, a skipped stage at the next "
               "stage's time), by that time.", "count", "effectiveness", "increase", "count", stage,
               _stage_rows(stage), keys=STAGE_KEYS)
        for stage, mid in STAGE_METRICS.items()
    ]
    opp_keys = ("owner", "source")
    out += [
        Metric("pipeline_sourced", "Marketing-sourced pipeline", "Pipeline of opportunities marketing sourced "
               "(funnel.sourced_rule), by created_at.", "currency", "effectiveness", "increase", "sum",
               "opportunity", _flag_rows("sourced", "pipeline"), keys=opp_keys),
        Metric("pipeline_influenced", "Marketing-influenced pipeline", "Pipeline of opportunities with a "
               "marketing touch before they were created, by created_at.", "currency", "effectiveness", "increase",
               "sum", "opportunity", _flag_rows("influenced", "pipeline"), keys=opp_keys),
        Metric("revenue_sourced", "Marketing-sourced revenue", "Won revenue of opportunities marketing sourced, "
               "by closed_at.", "currency", "effectiveness", "increase", "sum", "won",
               _flag_rows("sourced", "revenue"), keys=opp_keys),
        Metric("revenue_influenced", "Marketing-influenced revenue", "Won revenue of opportunities with a "
               "marketing touch before they were created, by closed_at.", "currency", "effectiveness", "increase",
               "sum", "won", _flag_rows("influenced", "revenue"), keys=opp_keys),
        Metric("cost_per_lead", "Cost per lead", "Spend / leads over the same window.", "currency", "efficiency",
               "decrease", "ratio", "lead", numerator="spend", denominator="leads"),
        Metric("cost_per_mql", "Cost per MQL", "Spend / MQLs over the same window.", "currency", "efficiency",
               "decrease", "ratio", "mql", numerator="spend", denominator="mql"),
        Metric("sla_compliance", "SLA compliance", "Share of decided SLA clocks answered in time, by the clock's "
               "start.", "ratio", "efficiency", "increase", "mean", "mql", _sla_rows, keys=("rule", "owner")),
        Metric("acceptance_rate", "Lead acceptance rate", "Accepted / (accepted + rejected) hand-offs to sales, by "
               "hand-off time.", "ratio", "efficiency", "increase", "mean", "sal", _acceptance_rows,
               keys=STAGE_KEYS),
        Metric("sales_satisfaction", "Sales satisfaction with marketing", "Mean survey score given by sales, by "
               "submitted_at.", "score", "effectiveness", "increase", "mean", None, _survey_rows,
               keys=("question",)),
    ]  # fmt: skip
    return out
