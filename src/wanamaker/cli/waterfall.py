"""``wanamaker waterfall``: the reverse demand waterfall, forward projections and their calibration backtest
(DESIGN "Goals and plan checks", Waterfall; docs/waterfall.md)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from wanamaker.cli.output import (
    Format,
    FormatOpt,
    IntervalsOpt,
    WorkspaceOpt,
    current_workspace,
    emit,
    err_console,
    without_intervals,
)
from wanamaker.config.options import choice_option, int_option, moment_option


def _volume(stage: str) -> object:
    return typer.Option(f"--{stage}", help=f"Forward: what N subjects entering {stage} give in each later stage.")


def register(app: typer.Typer) -> None:
    @app.command()
    def waterfall(
        revenue: Annotated[float | None, typer.Option(
            "--revenue", help="Backward: the revenue target (workspace currency); won = revenue x share / "
                              "average won amount.")] = None,
        won: Annotated[float | None, typer.Option("--won", help="Backward: the won subjects needed.")] = None,
        in_label: Annotated[str | None, typer.Option(
            "--in", help="The target period: 2026-03, FY2026-Q1 or FY2026 (default: the fiscal quarter after "
                         "the end of the data).")] = None,
        share: Annotated[float | None, typer.Option(
            "--share", help="Marketing's share of --revenue, a fraction 0..1 (default 1).")] = None,
        by: Annotated[str | None, typer.Option(
            "--by", help="Per-key rates: lead_source | channel | campaign | segment | region | owner.")] = None,
        level: Annotated[str, typer.Option("--level", help="person | account.")] = "person",
        as_of: Annotated[str | None, typer.Option(
            "--as-of", help="DATE: rates come from the 12 months before its end (default: the end of the data).")
        ] = None,
        visitor: Annotated[float | None, _volume("visitor")] = None,
        lead: Annotated[float | None, _volume("lead")] = None,
        mql: Annotated[float | None, _volume("mql")] = None,
        sal: Annotated[float | None, _volume("sal")] = None,
        sql: Annotated[float | None, _volume("sql")] = None,
        opportunity: Annotated[float | None, _volume("opportunity")] = None,
        backtest: Annotated[bool, typer.Option(
            "--backtest", help="Score past plans: how often each stage's 80 % interval held the actual volume.")
        ] = False,
        quarters: Annotated[int, typer.Option("--quarters", help="Backtest: the last N complete quarters.")] = 4,
        intervals: IntervalsOpt = False,
        fmt: FormatOpt = Format.table,
        workspace: WorkspaceOpt = None,
    ) -> None:
        """Reverse demand waterfall: the volume each stage needs, and by when, to reach a revenue or won target."""
        from wanamaker.errors import UsageError
        from wanamaker.goals.history import LEVELS
        from wanamaker.goals.waterfall import backtest as run_backtest
        from wanamaker.goals.waterfall import check_request

        forward = {name: value for name, value in (("visitor", visitor), ("lead", lead), ("mql", mql), ("sal", sal),
                                                   ("sql", sql), ("opportunity", opportunity)) if value is not None}
        if backtest:
            given = [n for n, v in (("--revenue", revenue), ("--won", won), ("--in", in_label), ("--share", share),
                                    ("--by", by), ("--as-of", as_of)) if v is not None] + [f"--{s}" for s in forward]
            if given:
                raise UsageError(f"--backtest plans past quarters itself; it takes no {', '.join(given)}.",
                                 fix="Run --backtest [--quarters N] [--level L] alone.")
            choice_option("--level", level, LEVELS)
            int_option("--quarters", quarters, maximum=40)
            with current_workspace(workspace) as ws:
                rows = run_backtest(ws, level=level, quarters=quarters)
            emit([asdict(r) for r in rows], fmt, title=f"waterfall backtest: 80 % interval coverage, last {quarters} "
                                                        "quarters")
            return
        if len(forward) > 1:
            raise UsageError(f"Forward mode starts from one stage, not {', '.join('--' + s for s in forward)}.",
                             fix="Give one stage volume, e.g. --lead 1000.")
        start = next(iter(forward.items()), None)
        check_request(revenue=revenue, won=won, start=start, share=1.0 if share is None else share,
                         in_label=in_label, level=level, by=by)
        with current_workspace(workspace) as ws:
            result = ws.waterfall(  # with the plan's stage targets for the period: the plan's probability
                revenue=revenue, won=won, start=start, in_label=in_label, share=1.0 if share is None else share,
                by=by, level=level, as_of=moment_option("--as-of", as_of, ws.config.timezone, end_of_day=True))
        for note in result.notes:
            err_console.print(f"note: {note}", highlight=False, soft_wrap=True)
        if fmt is Format.json:
            emit([], fmt, payload=result.as_json())
            return
        if fmt is Format.csv:
            emit([r.as_dict() for r in result.rows], fmt)
            return
        p = result.params
        if start is not None:
            title = f"waterfall forward: {start[1]:,.0f} entering {start[0]}"
        else:
            title = f"waterfall: volume needed by {p['need_by']} ({p['in']})"
            if result.probability is not None:
                title += f"; probability the plan reaches the target: {result.probability:.0%}"
        table = result.table_rows() if intervals else without_intervals(result.table_rows())
        if not intervals:
            title += "; rate intervals: --intervals"
        emit(table, fmt,
             title=f"{title}; rates from {p['history_from'][:10]} to {p['history_to'][:10]} ({p['level']})")
