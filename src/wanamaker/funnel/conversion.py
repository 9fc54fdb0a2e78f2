"""Stage counts and stage-to-stage conversion, cohort-based and period-based (DESIGN "Funnel").

Input: the per-subject table of :func:`wanamaker.funnel.stages.subject_stages` with a ``key`` column
(:func:`wanamaker.funnel.breakdowns.with_key`). It is unpivoted into one row per (subject, stage
reached) -- the *steps* table -- and aggregated in one group-by inside the engine; only the aggregate
(keys x periods x stages) leaves it.

- **Cohort** (the default, and ``--cohort``): of the subjects that entered stage *i* (in the period,
  when ``--period`` is given), ``converted_to_next`` reached stage *i+1* (within ``--within`` of
  entering *i*, when given) and ``to_final_rate`` is the share that reached the last stage. ``rate`` is
  at most 1.
- **Period** (``--period`` without ``--cohort``): ``entered`` counts entries into stage *i* in the
  period, ``converted_to_next`` counts entries into stage *i+1* in the same period, ``rate`` is their
  ratio -- it can exceed 1 (next month's wins come from last month's MQLs). ``to_final_rate`` likewise.
- ``median_days_to_next``: median days (linear interpolation) from entering *i* to entering *i+1*,
  over subjects whose two entries are both observed (a skipped stage has no time of its own). In period
  mode it is over transitions completed in the period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import ibis
import ibis.expr.types as ir

from wanamaker.funnel._source import days_between
from wanamaker.metrics.catalogue import ratio
from wanamaker.metrics.periods import Period, label_expr


@dataclass(frozen=True)
class FunnelRow:
    """One row of ``wanamaker funnel``."""

    key: str
    period: str | None
    stage: str
    entered: int
    converted_to_next: int | None
    rate: float | None
    to_final_rate: float | None
    median_days_to_next: float | None


def _pick(idx: ir.IntegerValue, columns: list[ir.Value], default: ir.Value) -> ir.Value:
    """``columns[idx]`` as a CASE expression (``default`` outside the list)."""
    return ibis.cases(*[(idx == i, c) for i, c in enumerate(columns)], else_=default)


def steps(wide: ir.Table, n: int, within: timedelta | None = None) -> ir.Table:
    """One row per (subject, stage reached): ``key, subject_id, stage_idx, at, skipped, next_ok, final_ok,
    days_to_next, days_from_prev``. ``next_ok``/``final_ok`` honour ``within``.

    The unpivot is an ``UNNEST`` of the stage indexes (one scan, no union), the same on every engine.
    """
    null_ts = ibis.null().cast("timestamp")
    null_f = ibis.null().cast("float64")
    t = wide.mutate(stage_idx=ibis.literal(list(range(n)), type="array<int64>").unnest())
    idx = t.stage_idx
    ats = [t[f"at_{i}"] for i in range(n)]
    skips = [t[f"skip_{i}"] for i in range(n)]
    t = t.select(
        key=t.key,
        subject_id=t.subject_id,
        stage_idx=idx,
        at=_pick(idx, ats, null_ts),
        nxt=_pick(idx, ats[1:], null_ts),
        prev=_pick(idx - 1, ats[:-1], null_ts),
        fin=ats[-1],
        skipped=_pick(idx, skips, ibis.literal(False)),
        skip_next=_pick(idx, skips[1:], ibis.literal(False)),
        skip_prev=_pick(idx - 1, skips[:-1], ibis.literal(False)),
    )
    t = t.filter(t.at.notnull())
    if within is not None:
        limit = t.at + ibis.interval(seconds=int(within.total_seconds()))
        next_ok = t.nxt.notnull() & (t.nxt <= limit)
        final_ok = t.fin.notnull() & (t.fin <= limit)
    else:
        next_ok = t.nxt.notnull()
        final_ok = t.fin.notnull()
    both = next_ok & ~t.skipped & ~t.skip_next
    from_ok = t.prev.notnull() & ~t.skipped & ~t.skip_prev
    return t.select(
        key=t.key,
        subject_id=t.subject_id,
        stage_idx=t.stage_idx,
        at=t.at,
        skipped=t.skipped,
        next_ok=next_ok.ifelse(1, 0),
        final_ok=final_ok.ifelse(1, 0),
        days_to_next=ibis.ifelse(both, days_between(t.at, t.nxt), null_f),
        days_from_prev=ibis.ifelse(from_ok, days_between(t.prev, t.at), null_f),
    )


def _clean(value: Any) -> float | None:
    if value is None:
        return None
    out = float(value)
    return None if out != out else out


def step_aggregates(st: ir.Table, periods: list[Period] | None) -> list[dict[str, Any]]:
    """Per key, period (of the entry into each stage) and stage: ``entered``, ``converted``, ``final``, and of
    the moves to the next stage (``days_to_next`` known) their count and median and p90 days: one pass that
    both the conversion and the velocity tables read."""
    period = label_expr(st.at, periods) if periods else ibis.null().cast("string")
    st = st.mutate(period=period)
    agg = st.group_by(["key", "period", "stage_idx"]).aggregate(
        entered=st.count(),
        converted=st.next_ok.sum(),
        final=st.final_ok.sum(),
        moves=st.days_to_next.count(),
        median_days=st.days_to_next.quantile(0.5),
        p90_days=st.days_to_next.quantile(0.9),
    )
    return list(agg.to_pyarrow().to_pylist())


def cohort_rows(
    st: ir.Table, stages: list[str], periods: list[Period] | None, within: timedelta | None = None,
    records: list[dict[str, Any]] | None = None,
) -> list[FunnelRow]:
    """Cohort conversion from the steps table (periods: of the entry into each stage); ``records`` are the
    :func:`step_aggregates` of ``st`` when already computed."""
    del within  # already applied in ``steps``
    last = len(stages) - 1
    rows: list[FunnelRow] = []
    for rec in records if records is not None else step_aggregates(st, periods):
        i = int(rec["stage_idx"])
        entered = int(rec["entered"])
        converted = int(rec["converted"]) if i < last else None
        rows.append(
            FunnelRow(
                key=str(rec["key"]),
                period=rec["period"],
                stage=stages[i],
                entered=entered,
                converted_to_next=converted,
                rate=ratio(converted, entered),
                to_final_rate=ratio(int(rec["final"]), entered),
                median_days_to_next=_clean(rec["median_days"]) if i < last else None,
            )
        )
    return sort_rows(fill_stages(rows, stages), stages)


def fill_stages(rows: list[FunnelRow], stages: list[str]) -> list[FunnelRow]:
    """Add a zero row for each stage no subject entered, per (key, period) present."""
    seen = {(r.key, r.period, r.stage) for r in rows}
    last = len(stages) - 1
    extra = [
        FunnelRow(key, per, stage, 0, 0 if i < last else None, None, None, None)
        for key, per in {(r.key, r.period) for r in rows}
        for i, stage in enumerate(stages)
        if (key, per, stage) not in seen
    ]
    return rows + extra


def period_rows(st: ir.Table, stages: list[str], periods: list[Period]) -> list[FunnelRow]:
    """Period-based counts: entries per period and next-stage entries in the same period."""
    st = st.mutate(period=label_expr(st.at, periods))
    agg = st.group_by(["key", "period", "stage_idx"]).aggregate(
        entries=st.count(), median_from_prev=st.days_from_prev.quantile(0.5)
    )
    cells: dict[tuple[str, str | None], dict[int, tuple[int, float | None]]] = {}
    for rec in agg.to_pyarrow().to_pylist():
        cell = cells.setdefault((str(rec["key"]), rec["period"]), {})
        cell[int(rec["stage_idx"])] = (int(rec["entries"]), _clean(rec["median_from_prev"]))
    last = len(stages) - 1
    rows: list[FunnelRow] = []
    for (key, per), cell in cells.items():
        for i, stage in enumerate(stages):
            entered = cell.get(i, (0, None))[0]
            nxt = cell.get(i + 1, (0, None)) if i < last else None
            converted = nxt[0] if nxt is not None else None
            rows.append(
                FunnelRow(
                    key=key,
                    period=per,
                    stage=stage,
                    entered=entered,
                    converted_to_next=converted,
                    rate=ratio(converted, entered),
                    to_final_rate=ratio(cell.get(last, (0, None))[0], entered),
                    median_days_to_next=nxt[1] if nxt is not None else None,
                )
            )
    return sort_rows(rows, stages)


def sort_rows(rows: list[FunnelRow], stages: list[str]) -> list[FunnelRow]:
    """Overall rows (``all``) first, then keys, periods and stages in order."""
    order = {s: i for i, s in enumerate(stages)}
    return sorted(rows, key=lambda r: (r.key != "all", r.key, r.period or "", order[r.stage]))
