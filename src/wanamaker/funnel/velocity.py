"""Velocity: median and p90 days between consecutive stages, and time to close.

Days = seconds / 86400; medians and p90 by linear interpolation (``quantile_cont``), the same on every
engine (DESIGN "Parity traps"). A transition counts only when both stage entries are observed (a skipped
stage has no time of its own); time to close runs from the subject's entry into the funnel to its first
entry into the last stage, whatever it skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis.expr.types as ir

from wanamaker.funnel._source import days_between
from wanamaker.funnel.conversion import _clean

CLOSE = "(entry)"


@dataclass(frozen=True)
class VelocityRow:
    """Days from ``from_stage`` to ``to_stage``; ``from_stage`` is ``(entry)`` for time to close."""

    key: str
    from_stage: str
    to_stage: str
    subjects: int
    median_days: float | None
    p90_days: float | None


def velocity_rows(st: ir.Table, wide: ir.Table, stages: list[str],
                  records: list[dict[str, Any]] | None = None) -> list[VelocityRow]:
    """Stage-to-stage velocity from the steps table (or from its :func:`~wanamaker.funnel.conversion.
    step_aggregates` without periods, ``records``, when already computed), time to close from the keyed
    subject table."""
    last = len(stages) - 1
    if records is None:
        moves = st.filter(st.days_to_next.notnull())
        agg = moves.group_by(["key", "stage_idx"]).aggregate(
            subjects=moves.count(),
            median_days=moves.days_to_next.quantile(0.5),
            p90_days=moves.days_to_next.quantile(0.9),
        )
        found = agg.to_pyarrow().to_pylist()
    else:
        found = [{**r, "subjects": r["moves"]} for r in records if r["moves"] and r["period"] is None]
    rows: list[VelocityRow] = []
    for rec in found:
        i = int(rec["stage_idx"])
        rows.append(
            VelocityRow(
                str(rec["key"]), stages[i], stages[i + 1], int(rec["subjects"]),
                _clean(rec["median_days"]), _clean(rec["p90_days"]),
            )
        )
    closed = wide.filter(wide[f"at_{last}"].notnull())
    closed = closed.mutate(days=days_between(closed.entry_at, closed[f"at_{last}"]))
    close = closed.group_by("key").aggregate(
        subjects=closed.count(), median_days=closed.days.quantile(0.5), p90_days=closed.days.quantile(0.9)
    )
    for rec in close.to_pyarrow().to_pylist():
        rows.append(
            VelocityRow(
                str(rec["key"]), CLOSE, stages[last], int(rec["subjects"]),
                _clean(rec["median_days"]), _clean(rec["p90_days"]),
            )
        )
    order = {s: i for i, s in enumerate([CLOSE, *stages])}
    return sorted(rows, key=lambda r: (r.key != "all", r.key, r.from_stage == CLOSE, order[r.from_stage]))
