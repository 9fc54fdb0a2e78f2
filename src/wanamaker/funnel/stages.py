"""Each subject's path through the funnel: one row per subject, one column per stage.

The rules (documented for users in docs/funnel.md):

- **Entry** into a stage is the subject's *first* event for it (``min(ts)``). A subject enters the funnel
  at the first stage it is seen in; earlier stages are not counted for it (a lead imported as an MQL
  does not inflate the ``lead`` row).
- **Skipped stages**: a subject seen at a later stage has passed every stage between its entry stage
  and the furthest stage it reached. A stage passed without its own event counts as reached and is
  flagged ``skipped``; its time is the time of the next stage the subject was seen in.
- **Stage times never run backwards**: a stage's time is the earliest time the subject was seen at
  that stage or any later one (``min`` over the suffix), so an MQL recorded before its lead event makes
  the lead time equal the MQL time. Events at the same timestamp follow the configured stage order:
  both stages are entered at that instant and 0 days pass between them.
- **Re-entry** (a recycled lead that becomes an MQL again) never counts a subject twice: the funnel
  follows first entries; ``entries_<i>`` keeps how many events the stage has, so re-entries are
  reported by :mod:`wanamaker.funnel.leakage`.
- **Exits** (``funnel.exits``: rejected, recycled, lost, churned) are not stages; they end a stay in
  the furthest stage reached and are reported as leakage.

Columns: ``subject_id``, ``obs_<i>`` (the first event of stage i, null when none), ``at_<i>`` (the
stage time after the rules above, null when not reached), ``skip_<i>`` (reached without an event),
``entries_<i>`` (events of stage i), ``entry_at`` (entry into the funnel).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from wanamaker.funnel._source import FAR_FUTURE


def stage_columns(n: int, prefix: str) -> list[str]:
    return [f"{prefix}_{i}" for i in range(n)]


def subject_stages(events: ir.Table, stages: list[str], level: str = "person") -> ir.Table:
    """The per-subject funnel table of ``events`` (a ``stage_events`` table) for ``stages``.

    One group-by pass builds the observed first entries; the rest are row-wise expressions.
    """
    n = len(stages)
    ev = events.filter((events.subject_type == level) & events.stage.isin(stages))
    aggs: dict[str, ir.Value] = {}
    for i, stage in enumerate(stages):
        is_stage = ev.stage == stage
        aggs[f"obs_{i}"] = ev.ts.min(where=is_stage)
        aggs[f"entries_{i}"] = is_stage.ifelse(1, 0).sum()
    wide = ev.group_by(ev.subject_id).aggregate(**aggs)

    far = ibis.literal(FAR_FUTURE, type="timestamp")
    obs = [wide[f"obs_{i}"] for i in range(n)]
    cols: dict[str, ir.Value] = {}
    for i in range(n):
        suffix = [o.coalesce(far) for o in obs[i:]]
        earliest = suffix[0] if len(suffix) == 1 else ibis.least(*suffix)
        seen_before = ibis.or_(*[o.notnull() for o in obs[: i + 1]])
        reached = seen_before & (earliest < far)
        cols[f"at_{i}"] = ibis.ifelse(reached, earliest, ibis.null().cast("timestamp"))
        cols[f"skip_{i}"] = reached & obs[i].isnull()
    wide = wide.mutate(**cols)
    entry = [wide[f"obs_{i}"].coalesce(far) for i in range(n)]
    return wide.mutate(entry_at=ibis.least(*entry))


def last_events(events: ir.Table, stages: list[str], exits: list[str], level: str = "person") -> ir.Table:
    """Each subject's latest funnel event: ``subject_id``, ``last_ts``, ``last_exit`` (the exit's name,
    or null when the latest event is a stage). At equal times an exit counts as after a stage."""
    ev = events.filter((events.subject_type == level) & events.stage.isin([*stages, *exits]))
    ev = ev.mutate(is_exit=ev.stage.isin(exits).ifelse(1, 0))
    win = ibis.window(group_by=ev.subject_id, order_by=[ev.ts.desc(), ev.is_exit.desc(), ev.stage.desc()])
    ranked = ev.mutate(rn=ibis.row_number().over(win))
    top = ranked.filter(ranked.rn == 0)
    return top.select(
        subject_id=top.subject_id,
        last_ts=top.ts,
        last_exit=ibis.ifelse(top.is_exit == 1, top.stage, ibis.null().cast("string")),
    )
