"""``wanamaker funnel``, ``wanamaker sla`` and ``wanamaker alignment`` (issue 5; docs/funnel.md)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import typer

from wanamaker.cli.output import (
    Format,
    FormatOpt,
    MinNOpt,
    WorkspaceOpt,
    by_volume,
    current_workspace,
    emit,
    err_console,
    small_for_table,
)
from wanamaker.config.options import choice_option, int_option, moment_option
from wanamaker.errors import UsageError

PeriodOpt = Annotated[
    str | None, typer.Option("--period", help="month | quarter | year (fiscal, from fiscal_year_start).")
]
AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="DATE (end of that day) or DATE TIME, in the workspace time zone; "
                                 "default: the end of the data."),
]


class FunnelView(StrEnum):
    conversion = "conversion"
    velocity = "velocity"
    leakage = "leakage"


class AlignmentSection(StrEnum):
    sourced = "sourced"
    acceptance = "acceptance"
    rejection_reasons = "rejection_reasons"
    recycled = "recycled"
    survey = "survey"


def parse_as_of(text: str | None, tz: str) -> datetime | None:
    """``--as-of`` in the workspace time zone -> naive UTC. A bare date means the end of that day."""
    return moment_option("--as-of", text, tz, end_of_day=True)


def _flat(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Nested cells (survey distribution, comments) as text for tables and CSV."""
    out = []
    for row in rows:
        flat: dict[str, Any] = {}
        for k, v in row.items():
            if isinstance(v, dict):
                v = " ".join(f"{a}:{b}" for a, b in v.items())
            elif isinstance(v, (list, tuple)):
                v = " | ".join(str(x) for x in v)
            flat[k] = v
        out.append(flat)
    return out


TOP = 8


def largest(rows: list[dict[str, Any]], top: int = TOP) -> tuple[list[dict[str, Any]], int]:
    """A table's summary: the overall rows (every period), then per breakdown (``by``) the ``top`` groups by volume
    (the first count column) over the whole window, largest first; a breakdown's rows per period are left to
    ``--all``. Returns the rows kept and how many were left out.

    >>> rows = [{"by": "all", "key": "all", "n": 9}] + [{"by": "channel", "key": c, "n": n} for c, n in
    ...        (("a", 1), ("b", 5), ("c", 3))]
    >>> kept, left = largest(rows, top=2)
    >>> [r["key"] for r in kept], left
    (['all', 'b', 'c'], 1)
    """
    if not rows:
        return rows, 0
    count = next((k for k, v in rows[0].items() if isinstance(v, int) and not isinstance(v, bool)), None)
    groups: dict[tuple[Any, Any], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r.get("by"), r.get("period")), []).append(r)
    keep: set[int] = set()
    for (by, period), members in groups.items():
        if by in (None, "all") or count is None:
            keep.update(id(r) for r in members)
        elif period is None:
            keep.update(id(r) for r in sorted(members, key=lambda r: -(r.get(count) or 0))[:top])
    kept = [r for r in rows if id(r) in keep]  # in the order given (by volume)
    return kept, len(rows) - len(kept)


def register(app: typer.Typer) -> None:
    @app.command()
    def funnel(
        by: Annotated[str | None, typer.Option(
            "--by", help="lead_source | channel | campaign | segment | region | owner | cohort_month; at "
                         "--level opportunity: owner | source | segment | region | channel | campaign | "
                         "cohort_month.")] = None,
        period: PeriodOpt = None,
        cohort: Annotated[bool, typer.Option(
            "--cohort", help="Follow the subjects entering each stage in a period (default without --period).")] = False,
        within: Annotated[str | None, typer.Option(
            "--within", help="Count a conversion only within this long of entering the stage, e.g. 90d.")] = None,
        level: Annotated[str, typer.Option("--level", help="person | account | opportunity.")] = "person",
        stages: Annotated[str | None, typer.Option(
            "--stages", help="Only these configured stages, in order, comma-separated (e.g. mql,won).")] = None,
        show: Annotated[FunnelView, typer.Option("--show", help="conversion | velocity | leakage.")] =
        FunnelView.conversion,
        stall: Annotated[str, typer.Option("--stall", help="Leakage: no event for this long = stalled.")] = "30d",
        as_of: AsOfOpt = None,
        min_n: MinNOpt = 30,
        fmt: FormatOpt = Format.table,
        workspace: WorkspaceOpt = None,
    ) -> None:
        """Lifecycle funnel: stage counts, conversion, velocity and leakage. With --by, groups are listed by
        volume, largest first, and a stage entered by fewer than --min-n subjects is flagged small."""
        from wanamaker.funnel import funnel as run
        from wanamaker.funnel.api import LEVELS, as_timedelta, check_period

        choice_option("--level", level, LEVELS)  # checked before the workspace opens
        int_option("--min-n", min_n, minimum=0)
        check_period(period)
        as_timedelta(within, "--within")
        as_timedelta(stall, "--stall")
        with current_workspace(workspace) as ws:
            result = run(
                ws, by=by, period=period, cohort=cohort, within=within, level=level,  # type: ignore[arg-type]
                as_of=parse_as_of(as_of, ws.config.timezone), stall=stall,
                stages=[s.strip() for s in stages.split(",")] if stages is not None else None,
            )
        if show is FunnelView.conversion:
            rows, count, title = result.rows(), "entered", "funnel"
        elif show is FunnelView.velocity:
            rows, count, title = result.velocity_rows(), "subjects", "velocity (days)"
        else:
            rows, count, title = result.leakage_rows(), "reached", f"leakage (stalled = no event for {stall})"
        if by is not None:  # the largest groups first; a rate over few subjects is flagged (leakage has no rates)
            rows = by_volume(rows, count, min_n=None if show is FunnelView.leakage else min_n)
        emit(small_for_table(rows) if fmt is Format.table else rows, fmt, title=title)

    @app.command()
    def sla(
        by: Annotated[str | None, typer.Option("--by", help="rep | team.")] = None,
        period: PeriodOpt = None,
        open_: Annotated[bool, typer.Option("--open", help="List the open breaches at the as-of time.")] = False,
        as_of: AsOfOpt = None,
        min_n: MinNOpt = 30,
        fmt: FormatOpt = Format.table,
        workspace: WorkspaceOpt = None,
    ) -> None:
        """SLA: response times, breaches and breach rate per rule, rep or team; open breaches. With --by, reps or
        teams are listed by volume, largest first, and a rule with fewer than --min-n events is flagged small."""
        from wanamaker.funnel import sla as run
        from wanamaker.funnel.api import check_period
        from wanamaker.funnel.sla import SLA_KEYS

        check_period(period)  # checked before the workspace opens (and again by sla())
        if by is not None:
            choice_option("--by", by, SLA_KEYS)
        int_option("--min-n", min_n, minimum=0)
        with current_workspace(workspace) as ws:
            result = run(ws, by=by, period=period, open=open_, as_of=parse_as_of(as_of, ws.config.timezone))
        rows = result.rows()
        if by is not None and not open_:
            rows = by_volume(rows, "events", min_n=min_n)
        emit(small_for_table(rows) if fmt is Format.table else rows, fmt,
             title=f"open SLA breaches as of {result.as_of:%Y-%m-%d %H:%M} UTC" if open_
             else f"SLA as of {result.as_of:%Y-%m-%d %H:%M} UTC")

    @app.command()
    def alignment(
        section: Annotated[AlignmentSection | None, typer.Option(
            "--section", help="Only one part (needed for --format csv).")] = None,
        period: Annotated[str, typer.Option("--period", help="Periods of acceptance and survey.")] = "quarter",
        show_all: Annotated[bool, typer.Option("--all", help="Every row of every breakdown (a table shows the "
                                                             "largest groups of each).")] = False,
        min_n: MinNOpt = 30,
        fmt: FormatOpt = Format.table,
        workspace: WorkspaceOpt = None,
    ) -> None:
        """Sales-marketing alignment: sourced / influenced, acceptance, rejection reasons, survey. Breakdowns
        list the largest groups first; a group with fewer than --min-n hand-offs (or rejections, for the
        reasons) is flagged small."""
        from wanamaker.funnel import alignment as run

        choice_option("--period", period, ("month", "quarter", "year"))
        int_option("--min-n", min_n, minimum=0)
        if fmt is Format.csv and section is None:
            raise UsageError("CSV holds one table.", fix="Add --section sourced|acceptance|rejection_reasons|"
                                                         "recycled|survey.")
        with current_workspace(workspace) as ws:
            result = run(ws, period=period)

        def ordered(name: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
            """A section's breakdowns by volume, small groups flagged where a rate or share is computed."""
            if name == "acceptance":
                return by_volume(rows, "handed_off", group=("key",), outer=("by",), min_n=min_n)
            if name == "rejection_reasons":
                return by_volume(rows, "rejected", group=("key",), outer=("by",), min_n=min_n, summed=True)
            if name == "recycled":
                return by_volume(rows, "recycled", group=("key",), outer=("by",))
            return rows

        if fmt is Format.json:
            payload: Any
            if section is None:
                payload = result.as_dict()
                for name in ("acceptance", "rejection_reasons", "recycled"):
                    payload[name] = ordered(name, payload[name])
            else:
                payload = ordered(section.value, result.section(section.value))
            emit([], fmt, payload=payload)
            return
        names = [section.value] if section else [s.value for s in AlignmentSection]
        for name in names:
            rows = _flat(ordered(name, result.section(name)))
            if name == "sourced" and fmt is Format.table:
                share = result.sourced.marketing_share_of_won_revenue
                title = f"sourced ({result.sourced.rule}); marketing share of won revenue: " + (
                    "n/a" if share is None else f"{share:.1%}")
            else:
                title = name.replace("_", " ")
            hidden = 0
            if fmt is Format.table and not show_all:
                rows, hidden = largest(rows)
                if name == "survey" and any(r.get("comments") for r in rows):
                    rows = [{k: v for k, v in r.items() if k != "comments"} for r in rows]
                    title += " (comments: --all or --format json)"
            emit(small_for_table(rows) if fmt is Format.table else rows, fmt, title=title)
            if hidden:
                err_console.print(f"{name}: {hidden} smaller rows not shown: --all, or --section {name} --format csv",
                                  highlight=False)
