"""``funnel(ws, ...)``: the lifecycle funnel of a workspace (DESIGN "Funnel"; docs/funnel.md).

The pipeline is a tuple of small steps, each an Ibis expression run inside the engine:
stage events -> per-subject stage table (:mod:`.stages`) -> breakdown key (:mod:`.breakdowns`) ->
steps (:mod:`.conversion`) -> aggregates (conversion, velocity, leakage). Only aggregates leave the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

import ibis
import ibis.expr.types as ir

from wanamaker.config.options import choice_option, duration_option
from wanamaker.errors import DataError, UsageError
from wanamaker.funnel._source import Source
from wanamaker.funnel.breakdowns import with_key
from wanamaker.funnel.conversion import FunnelRow, cohort_rows, period_rows, step_aggregates, steps
from wanamaker.funnel.leakage import LeakageRow, leakage_rows
from wanamaker.funnel.results import Tabular, row_dict
from wanamaker.funnel.stages import VISITOR, subject_stages, with_visitors
from wanamaker.funnel.touches import first_touch_times
from wanamaker.funnel.velocity import VelocityRow, velocity_rows
from wanamaker.metrics.periods import PERIOD_KINDS, Period, PeriodKind, naive_utc, periods_between
from wanamaker.metrics.stages import stage_events

Level = Literal["person", "account", "opportunity"]
LEVELS: tuple[str, ...] = ("person", "account", "opportunity")


@dataclass(frozen=True)
class FunnelResult(Tabular):
    """Conversion rows (``rows()``), plus ``velocity`` and ``leakage`` rows and the parameters used."""

    conversion: tuple[FunnelRow, ...]
    velocity: tuple[VelocityRow, ...]
    leakage: tuple[LeakageRow, ...]
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def table_rows(self) -> tuple[Any, ...]:
        return self.conversion

    def velocity_rows(self) -> list[dict[str, Any]]:
        return [row_dict(r) for r in self.velocity]

    def leakage_rows(self) -> list[dict[str, Any]]:
        return [row_dict(r) for r in self.leakage]


def as_timedelta(value: str | timedelta | None, name: str = "--within") -> timedelta | None:
    """A positive duration option (``90d``); a bad one is a usage error naming ``name``."""
    return duration_option(name, value)


def check_period(period: str | None, name: str = "--period") -> PeriodKind | None:
    if period is not None:
        choice_option(name, period, PERIOD_KINDS)
    return period  # type: ignore[return-value]


def pick_stages(configured: list[str], wanted: list[str] | None) -> list[str]:
    """``wanted`` (configured stages, in configured order), or all configured stages."""
    if wanted is None:
        return configured
    wanted = [s for s in wanted if s]
    unknown = [s for s in wanted if s not in configured]
    if unknown:
        raise UsageError(
            f"--stages {', '.join(unknown)}: not among the funnel stages ({', '.join(configured)}).",
            fix="Name stages from funnel.stages in wanamaker.yml, or add them there.",
        )
    if len(set(wanted)) < 2:
        raise UsageError("--stages names fewer than two stages: a funnel needs at least two.",
                         fix="Name two or more stages, comma-separated, e.g. --stages mql,won.")
    return [s for s in configured if s in wanted]


def data_window(events: ir.Table) -> tuple[datetime, datetime]:
    """First and last timestamp of ``events`` (raises DataError when there are none)."""
    rec = events.aggregate(lo=events.ts.min(), hi=events.ts.max()).to_pyarrow().to_pylist()[0]
    lo, hi = rec["lo"], rec["hi"]
    if lo is None or hi is None:
        raise DataError(
            "There are no stage events to build a funnel from.",
            fix="Load stage_events first (wanamaker load FILE --table stage_events, or a mapping).",
        )
    return naive_utc(lo), naive_utc(hi)


def no_events_error(src: Source, level: str) -> DataError:
    """The error for a level with no stage events: which subject types do have events, and the fix."""
    se = src.table("stage_events")
    counts = se.group_by("subject_type").aggregate(n=se.count()).order_by("subject_type").to_pyarrow().to_pylist()
    present = [(str(r["subject_type"]), int(r["n"])) for r in counts if r["n"]]
    if not present:
        return DataError(
            "There are no stage events to build a funnel from.",
            fix="Load stage_events first (wanamaker load FILE --table stage_events, or a mapping).",
        )
    held = ", ".join(f"{kind} ({n:,})" for kind, n in present)
    return DataError(
        f"There are no stage events for {level} subjects; stage_events holds events of: {held}.",
        fix=" or ".join(f"--level {kind}" for kind, _ in present if kind != level)
        + " (funnel(ws, level=...)), or load stage_events with subject_type " + level + ".",
    )


def opportunity_stages(events: ir.Table, configured: list[str]) -> list[str]:
    """The configured stages (in configured order) that opportunity events use, from the first of them: an
    opportunity funnel starts where opportunities are first seen, not at ``lead``."""
    used = events.filter(events.stage.isin(configured)).select("stage").distinct().to_pyarrow()
    seen = set(used.column("stage").to_pylist())
    picked = [s for s in configured if s in seen]
    if len(picked) < 2:
        raise DataError(
            f"Opportunity stage events use {len(picked)} of the funnel stages ({', '.join(picked) or 'none'}): "
            "a funnel needs at least two.",
            fix="List the opportunity stages in funnel.stages of wanamaker.yml (e.g. ..., opportunity, proposal, "
                "won), or map the export's stage names onto them.",
        )
    return picked




def all_and_key(src: Source, wide: ir.Table, by: str | None, level: str, months: list[Period]) -> ir.Table:
    """Each subject once with ``key`` = ``all``, and once more with its breakdown key when ``by`` is given
    (an ``UNNEST`` of a two-element array: one scan)."""
    if by is None:
        return wide.mutate(key=ibis.literal("all", type="string"))
    keyed = with_key(src, wide, by, level, months)
    return keyed.mutate(key=ibis.array([ibis.literal("all", type="string"), keyed.key]).unnest())


def funnel(
    ws: Source,
    *,
    by: str | None = None,
    period: str | None = None,
    cohort: bool = False,
    within: str | timedelta | None = None,
    level: Level = "person",
    as_of: datetime | None = None,
    stall: str | timedelta = "30d",
    stages: list[str] | None = None,
) -> FunnelResult:
    """The lifecycle funnel of ``ws`` (stages from ``funnel.stages`` in wanamaker.yml).

    ``by``: a breakdown key (lead_source, channel, campaign, segment, region, owner, cohort_month);
    the overall rows (key ``all``) always come first. ``period``: month | quarter | year (fiscal, from
    ``fiscal_year_start``). ``cohort``: follow the subjects entering each stage in a period (the
    default without ``period``); otherwise count entries per period. ``within``: count a conversion
    only when it happens within this long of entering the stage (cohort only). ``stall``: how long
    without an event makes a subject *stalled* in the leakage table, as of ``as_of`` (default: the
    last stage event). ``stages``: only these configured stages, in their configured order (e.g.
    ``["mql", "won"]`` for MQL-to-won conversion and days to close). ``level``: person, account or
    opportunity (``subject_type: opportunity`` events; by default the configured stages those events use,
    from the first of them; breakdowns owner, source, segment, region, channel, campaign, cohort_month).
    A level with no events raises a DataError naming the subject types that have events.
    """
    choice_option("--level", level, LEVELS)
    kind = check_period(period)
    window = as_timedelta(within, "--within")
    stall_td = as_timedelta(stall, "--stall") or timedelta(days=30)
    if window is not None and kind is not None and not cohort:
        raise UsageError("--within applies to cohorts.", fix="Add --cohort, or drop --within.")
    cfg = ws.config
    events = stage_events(ws, level)  # an account's own events and its people's (the metrics layer)
    try:
        lo, hi = data_window(events)
    except DataError:
        raise no_events_error(ws, level) from None
    if level == "opportunity" and stages is None:
        stages = opportunity_stages(events, list(cfg.funnel.stages))
    else:
        stages = pick_stages(list(cfg.funnel.stages), stages)
    end = as_of or hi
    exits = list(cfg.funnel.exits)
    span_lo, span_hi = lo, hi
    if level == "person" and VISITOR in stages:
        firsts = first_touch_times(ws)
        events = with_visitors(events, firsts)
        rec = firsts.aggregate(lo=firsts.ts.min(), hi=firsts.ts.max()).to_pyarrow().to_pylist()[0]
        if rec["lo"] is not None:
            span_lo, span_hi = min(lo, naive_utc(rec["lo"])), max(hi, naive_utc(rec["hi"]))
    months = periods_between("month", span_lo, span_hi, cfg.timezone, cfg.fiscal_year_start)
    periods: list[Period] | None = (
        periods_between(kind, span_lo, span_hi, cfg.timezone, cfg.fiscal_year_start) if kind else None
    )
    wide = subject_stages(events, stages, level, exits)
    keyed_all = all_and_key(ws, wide, by, level, months).cache()
    try:
        st = steps(keyed_all, len(stages), window)
        records = step_aggregates(st, None) if kind is None else None  # conversion and velocity in one pass
        if kind is not None and not cohort:
            assert periods is not None
            conversion = period_rows(st, stages, periods)
        else:
            conversion = cohort_rows(st, stages, periods, records=records)
        velocity = velocity_rows(st, keyed_all, stages, records=records)
        leakage = leakage_rows(keyed_all, stages, exits, end, stall_td)
    finally:
        keyed_all.release()
    params = {
        "by": by, "period": kind, "cohort": cohort or kind is None, "within": str(window) if window else None,
        "level": level, "stages": stages, "data_from": lo.isoformat(), "data_to": hi.isoformat(),
        "as_of": end.isoformat(), "visitors_from_first_touch": level == "person" and VISITOR in stages,
        "stall_days": stall_td.total_seconds() / 86400,
    }
    return FunnelResult(tuple(conversion), tuple(velocity), tuple(leakage), params)
