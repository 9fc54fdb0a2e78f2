"""Stage events by subject: the one definition of which events place a subject in a stage.

- a **person** is placed by its own events (``subject_type = 'person'``);
- an **opportunity** by its own;
- an **account** by its own events *and* its people's (``people.account_id``), so an account whose
  first lead or opportunity was recorded on a person is still seen entering the stage, at the earliest
  of them (DESIGN "The metrics layer", stage entries).

The rows keep the ``stage_events`` shape with ``subject_type`` set to the level, so a domain can take
first entries (``min(ts)``) or every entry (each row) as it needs.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from wanamaker.metrics.touches import Tables

LEVELS = ("person", "account", "opportunity")


def stage_events(src: Tables, level: str) -> ir.Table:
    """``subject_type, subject_id, stage, ts`` of the events that place subjects of ``level`` in a stage."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    se = src.table("stage_events")
    own = se.filter(se.subject_type == level).select("subject_type", "subject_id", "stage", "ts")
    if level != "account":
        return own
    people = src.table("people")
    people = people.filter(people.account_id.notnull()).select(p_id=people.person_id, p_account=people.account_id)
    ps = se.filter(se.subject_type == "person")
    via = ps.join(people, ps.subject_id == people.p_id).select(
        subject_type=ibis.literal("account", type="string"), subject_id=people.p_account, stage=ps.stage, ts=ps.ts
    )
    return own.union(via)
