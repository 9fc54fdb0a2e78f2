"""``sla(ws, ...)`` and ``alignment(ws, ...)``: the numbers sales and marketing share (DESIGN "Funnel").

``sla`` reports the SLA rules of wanamaker.yml (:mod:`.sla`); ``alignment`` puts sourced and influenced
pipeline (:mod:`.sourced`), lead acceptance and rejection reasons (:mod:`.acceptance`) and the sales
satisfaction survey (:mod:`.survey`) side by side.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import ibis
import ibis.expr.types as ir

from wanamaker.config.options import choice_option
from wanamaker.errors import DataError, UsageError
from wanamaker.funnel._source import Source, scalar
from wanamaker.funnel.acceptance import (
    AcceptanceRow,
    ReasonRow,
    RecycledRow,
    acceptance_rows,
    decisions,
    reason_rows,
    recycled_rows,
)
from wanamaker.funnel.api import check_period
from wanamaker.funnel.breakdowns import with_key
from wanamaker.funnel.results import Tabular, row_dict
from wanamaker.funnel.sla import SLA_KEYS, OpenBreach, SlaRow, open_breaches, sla_rows
from wanamaker.funnel.sourced import SourcedResult, sourced_influenced
from wanamaker.funnel.stages import subject_stages
from wanamaker.funnel.survey import SurveyRow, survey_rows
from wanamaker.metrics.periods import PERIOD_KINDS, Period, naive_utc, periods_between


@dataclass(frozen=True)
class SlaResult(Tabular):
    """SLA rows, or (asked with ``open=True``) the open breaches; ``rows()`` gives the one computed."""

    summary: tuple[SlaRow, ...]
    open: tuple[OpenBreach, ...]
    as_of: datetime
    show_open: bool = False

    @property
    def table_rows(self) -> tuple[Any, ...]:
        return self.open if self.show_open else self.summary


def end_of_data(ws: Source) -> datetime:
    """The last stage event or touch: the default as-of time."""
    ends = [scalar(ws.table("stage_events").ts.max()), scalar(ws.table("touchpoints").ts.max())]
    found = [naive_utc(e) for e in ends if e is not None]
    if not found:
        raise DataError("There are no stage events or touches yet.", fix="Load stage_events and touchpoints first.")
    return max(found)


def _span(table: ir.Table, column: str) -> tuple[datetime, datetime] | None:
    rec = table.aggregate(lo=table[column].min(), hi=table[column].max()).to_pyarrow().to_pylist()[0]
    lo, hi = rec["lo"], rec["hi"]
    return None if lo is None or hi is None else (naive_utc(lo), naive_utc(hi))


def _periods(ws: Source, kind: str | None, table: ir.Table, column: str) -> list[Period] | None:
    if kind is None:
        return None
    span = _span(table, column)
    if span is None:
        return None
    cfg = ws.config
    return periods_between(kind, span[0], span[1], cfg.timezone, cfg.fiscal_year_start)  # type: ignore[arg-type]


def sla(
    ws: Source, *, by: str | None = None, period: str | None = None, open: bool = False,
    as_of: datetime | None = None,
) -> SlaResult:
    """The SLA rules of ``ws`` per rep or team (``by``: rep | team), per period (month | quarter | year),
    as of ``as_of`` (default: the end of the data). ``open=True`` makes ``rows()`` the open breaches."""
    kind = check_period(period)
    if by is not None:
        choice_option("--by", by, SLA_KEYS)
    if open and (by is not None or kind is not None):
        raise UsageError("--by and --period cannot be used with --open: open breaches are listed one per clock.",
                         fix="Drop --by / --period, or drop --open for the summary.")
    rules = list(ws.config.sla)
    if not rules:
        raise UsageError("wanamaker.yml has no SLA rules.", fix="Add rules under `sla:` (see docs/funnel.md).")
    end = as_of or end_of_data(ws)
    ev = ws.table("stage_events")
    periods = _periods(ws, kind, ev.filter(ev.stage.isin([r.from_stage for r in rules])), "ts")
    if open:
        return SlaResult((), tuple(open_breaches(ws, rules, end)), end, True)
    return SlaResult(tuple(sla_rows(ws, rules, end, by, periods)), (), end, False)


@dataclass(frozen=True)
class AlignmentResult:
    """Sourced / influenced, acceptance, rejection reasons, recycled leads and the survey."""

    sourced: SourcedResult
    acceptance: tuple[AcceptanceRow, ...]
    rejection_reasons: tuple[ReasonRow, ...]
    recycled: tuple[RecycledRow, ...]
    survey: tuple[SurveyRow, ...]
    params: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        s = self.sourced
        return {
            "sourced_rule": s.rule,
            "total": asdict(s.total),
            "sourced": asdict(s.sourced),
            "influenced": asdict(s.influenced),
            "marketing_share_of_won_revenue": s.marketing_share_of_won_revenue,
            "acceptance": [row_dict(r) for r in self.acceptance],
            "rejection_reasons": [row_dict(r) for r in self.rejection_reasons],
            "recycled": [row_dict(r) for r in self.recycled],
            "survey": [row_dict(r) for r in self.survey],
        }

    def section(self, name: str) -> list[dict[str, Any]]:
        """One section as rows (for tables and CSV): sourced, acceptance, rejection_reasons, recycled, survey."""
        if name == "sourced":
            s = self.sourced
            return [
                {"measure": m, **asdict(b)} for m, b in (("total", s.total), ("sourced", s.sourced),
                                                        ("influenced", s.influenced))
            ]
        rows: tuple[Any, ...] = getattr(self, name)
        return [row_dict(r) for r in rows]


ACCEPTANCE_BREAKDOWNS = ("channel", "campaign")


def alignment(ws: Source, *, by: tuple[str, ...] = ACCEPTANCE_BREAKDOWNS, period: str = "quarter") -> AlignmentResult:
    """Sales-marketing alignment. Acceptance, rejection reasons and recycled leads overall and per
    breakdown in ``by`` (first-touch channel and campaign by default); acceptance and the survey per
    fiscal ``period`` too."""
    kind = check_period(choice_option("--period", period, PERIOD_KINDS))
    cfg = ws.config
    stages = list(cfg.funnel.stages)
    events = ws.table("stage_events")
    person_ev = events.filter(events.subject_type == "person")
    quarters = _periods(ws, kind, person_ev, "ts") or []
    wide = subject_stages(person_ev, stages, "person").cache()
    try:
        keyed = [wide.mutate(key=ibis.literal("all", type="string"), by=ibis.literal("all", type="string"))]
        for b in by:
            keyed.append(with_key(ws, wide, b).mutate(by=ibis.literal(b, type="string")))
        all_keys = ibis.union(*keyed)
        dec = decisions(all_keys, events, cfg)
        acc = acceptance_rows(dec, None)
        acc_q = acceptance_rows(dec.filter(dec.by == "all"), quarters) if quarters else []
        reasons = reason_rows(dec)
        recycled = recycled_rows(all_keys.select("subject_id", "by", "key"), events, cfg)
    finally:
        wide.release()
    rates = {r.period: r.accepted_rate for r in acc_q if r.period}
    spans = [s for s in (_span(person_ev, "ts"), _span(ws.table("survey_responses"), "submitted_at")) if s]
    survey_periods = (
        periods_between(kind, min(s[0] for s in spans), max(s[1] for s in spans), cfg.timezone,  # type: ignore[arg-type]
                        cfg.fiscal_year_start)
        if spans else []
    )
    survey = survey_rows(ws, survey_periods, rates)
    return AlignmentResult(
        sourced=sourced_influenced(ws),
        acceptance=tuple(acc + acc_q),
        rejection_reasons=tuple(reasons),
        recycled=tuple(recycled),
        survey=tuple(survey),
        params={"by": list(by), "period": kind},
    )
