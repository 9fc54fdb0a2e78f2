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
- **Visitors**: at person level the ``visitor`` stage is entered at the earlier of a ``visitor`` stage
  event and the person's first touchpoint (DESIGN "Table contracts": given, or derived from the first
  touch), see :func:`with_visitors`.
- **Exits** (``funnel.exits``: rejected, recycled, lost, churned) are not stages; they end a stay in
  the furthest stage reached and are reported as leakage.

Columns: ``subject_id``, ``obs_<i>`` (the first event of stage i, null when none), ``at_<i>`` (the
stage time after the rules above, null when not reached), ``skip_<i>`` (reached without an event),
``entries_<i>`` (events of stage i), ``entry_at`` (entry into the funnel).
"""

from __future__ import annotations

from datetime import datetime

import ibis
import ibis.expr.types as ir

from wanamaker.funnel._source import FAR_FUTURE


def stage_columns(n: int, prefix: str) -> list[str]:
    return [f"{prefix}_{i}" for i in range(n)]


def subject_stages(
    events: ir.Table, stages: list[str], level: str = "person", exits: list[str] | None = None
) -> ir.Table:
    """The per-subject funnel table of ``events`` (a ``stage_events`` table) for ``stages``.

    One group-by pass builds the observed first entries (and, for leakage, the latest stage time
    ``last_stage_at`` and the latest time ``exit_at_<j>`` of each exit); the rest are row-wise expressions.
    """
    n = len(stages)
    exits = list(exits or [])
    ev = events.filter((events.subject_type == level) & events.stage.isin([*stages, *exits]))
    aggs: dict[str, ir.Value] = {}
    for i, stage in enumerate(stages):
        is_stage = ev.stage == stage
        aggs[f"obs_{i}"] = ev.ts.min(where=is_stage)
        aggs[f"entries_{i}"] = ev.count(where=is_stage)  # COUNT(*) FILTER: a third of SUM(CASE ...)'s time
    aggs["last_stage_at"] = ev.ts.max(where=ev.stage.isin(stages))
    for j, name in enumerate(exits):
        aggs[f"exit_at_{j}"] = ev.ts.max(where=ev.stage == name)
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
    return wide.mutate(entry_at=ibis.least(*entry) if n > 1 else entry[0])


def latest_event(wide: ir.Table, exits: list[str]) -> tuple[ir.TimestampValue, ir.StringValue]:
    """(time of the subject's latest stage or exit event, the exit's name when that event is an exit,
    else null). At equal times an exit counts as after a stage, and a later-listed exit after an
    earlier one."""
    null_s = ibis.null().cast("string")
    if not exits:
        return wide.last_stage_at, null_s
    past = ibis.literal(datetime(1, 1, 1), type="timestamp")
    times = [wide[f"exit_at_{j}"].coalesce(past) for j in range(len(exits))]
    latest_exit = times[0] if len(times) == 1 else ibis.greatest(*times)
    has_exit = ibis.or_(*[wide[f"exit_at_{j}"].notnull() for j in range(len(exits))])
    name = ibis.cases(*[(times[j] == latest_exit, exits[j]) for j in reversed(range(len(exits)))], else_=null_s)
    exit_last = has_exit & (wide.last_stage_at.isnull() | (latest_exit >= wide.last_stage_at))
    last_ts = ibis.ifelse(exit_last, latest_exit, wide.last_stage_at)
    return last_ts, ibis.ifelse(exit_last, name, null_s)


VISITOR = "visitor"


def with_visitors(events: ir.Table, first_touches: ir.Table) -> ir.Table:
    """``events`` plus one ``visitor`` event per person at their first touch (``person_id, ts``)."""
    derived = first_touches.select(
        subject_type=ibis.literal("person", type="string"),
        subject_id=first_touches.person_id,
        stage=ibis.literal(VISITOR, type="string"),
        ts=first_touches.ts,
    )
    return events.select("subject_type", "subject_id", "stage", "ts").union(derived)
