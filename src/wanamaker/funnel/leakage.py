"""Leakage: where subjects stop, and what happened to them there.

Each subject that has not reached the last stage sits at its *furthest* stage. Its state there is read
from its latest funnel event (stage or exit; at equal times an exit counts as after a stage):

- ``exited_<exit>``: the latest event is an exit (rejected, recycled, lost, churned, ...);
- ``stalled``: no exit, and more than ``stall`` has passed from the latest event to the as-of time;
- ``open``: still within ``stall``.

``skipped`` counts subjects that passed the stage without an event of their own; ``reentered`` counts
subjects with more than one entry into the stage (recycled leads coming back).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import ibis
import ibis.expr.types as ir

from wanamaker.funnel.stages import latest_event


@dataclass(frozen=True)
class LeakageRow:
    key: str
    stage: str
    reached: int
    stopped_here: int
    open: int
    stalled: int
    exited: dict[str, int] = field(default_factory=dict)
    skipped: int = 0
    reentered: int = 0

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "key": self.key, "stage": self.stage, "reached": self.reached, "stopped_here": self.stopped_here,
            "open": self.open, "stalled": self.stalled,
        }
        out.update({f"exited_{name}": count for name, count in self.exited.items()})
        out.update({"skipped": self.skipped, "reentered": self.reentered})
        return out


def leakage_rows(
    wide: ir.Table, stages: list[str], exits: list[str], as_of: datetime, stall: timedelta
) -> list[LeakageRow]:
    """Per key and stage: subjects reaching it, stopping there, and their state (see module doc).
    ``wide`` is the keyed subject table built with ``exits``."""
    n = len(stages)
    last_ts, last_exit = latest_event(wide, exits)
    joined = wide.mutate(last_ts=last_ts, last_exit=last_exit)
    furthest = ibis.cases(*[(joined[f"at_{i}"].notnull(), i) for i in reversed(range(n))], else_=-1)
    cutoff = ibis.literal(as_of - stall, type="timestamp")
    t = joined.mutate(
        furthest=furthest,
        state=ibis.cases(
            (joined.last_exit.notnull(), joined.last_exit),
            (joined.last_ts < cutoff, "stalled"),
            else_="open",
        ),
    )
    aggs: dict[str, ir.Value] = {}
    for i in range(n):
        here = t.furthest == i
        aggs[f"reached_{i}"] = t[f"at_{i}"].notnull().ifelse(1, 0).sum()
        aggs[f"skipped_{i}"] = t[f"skip_{i}"].ifelse(1, 0).sum()
        aggs[f"reentered_{i}"] = (t[f"entries_{i}"] > 1).ifelse(1, 0).sum()
        if i == n - 1:
            continue
        aggs[f"stop_{i}"] = here.ifelse(1, 0).sum()
        for state in ["open", "stalled", *exits]:
            aggs[f"s{i}_{state}"] = (here & (t.state == state)).ifelse(1, 0).sum()
    agg = t.group_by("key").aggregate(**aggs)
    rows: list[LeakageRow] = []
    for rec in agg.to_pyarrow().to_pylist():
        for i, stage in enumerate(stages):
            final = i == n - 1
            rows.append(
                LeakageRow(
                    key=str(rec["key"]),
                    stage=stage,
                    reached=int(rec[f"reached_{i}"] or 0),
                    stopped_here=0 if final else int(rec[f"stop_{i}"] or 0),
                    open=0 if final else int(rec[f"s{i}_open"] or 0),
                    stalled=0 if final else int(rec[f"s{i}_stalled"] or 0),
                    exited={e: 0 if final else int(rec[f"s{i}_{e}"] or 0) for e in exits},
                    skipped=int(rec[f"skipped_{i}"] or 0),
                    reentered=int(rec[f"reentered_{i}"] or 0),
                )
            )
    order = {s: i for i, s in enumerate(stages)}
    return sorted(rows, key=lambda r: (r.key != "all", r.key, order[r.stage]))
