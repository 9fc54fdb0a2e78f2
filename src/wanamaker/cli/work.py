"""``wanamaker work`` (deliverables, approvals, the priority audit) and ``wanamaker queue`` (docs/work.md)."""

from __future__ import annotations

from typing import Annotated

import typer

from wanamaker.cli.output import Format, FormatOpt, WorkspaceOpt, current_workspace, emit, err_console
from wanamaker.errors import UsageError

TABLE_COLUMNS = ("key", "items", "hours", "median_cycle_days", "p90_cycle_days", "on_time_rate", "repeatable_share",
                 "avg_wip", "peak_wip", "unlinked_hours", "outcome_per_hour", "small")


def register(app: typer.Typer) -> None:
    @app.command()
    def work(
        by: Annotated[str | None, typer.Option(help="person | team | kind | campaign | goal (with --approvals: "
                                                    "reviewer | kind).")] = None,
        period: Annotated[str | None, typer.Option(help="month | quarter | year: rows per period of request.")] = None,
        in_label: Annotated[str | None, typer.Option("--in", help="One period of request: 2026-03, FY2026-Q1 or "
                                                                  "FY2026.")] = None,
        as_of: Annotated[str | None, typer.Option("--as-of", help="DATE (end of that day), workspace time zone; "
                                                                  "default: the end of the work data.")] = None,
        approvals: Annotated[bool, typer.Option("--approvals", help="Approval rounds, review time and first-pass "
                                                                    "rate instead.")] = False,
        audit: Annotated[bool, typer.Option("--audit", help="Per quarter: was delivered work done in order of "
                                                            "return or of deadline, and the value delayed.")] = False,
        min_n: Annotated[int, typer.Option("--min-n", help="Flag groups with fewer items as small.")] = 30,
        fmt: FormatOpt = Format.table,
        workspace: WorkspaceOpt = None,
    ) -> None:
        """The marketing team's work on one scale: items, hours, cycle time, on-time rate, repeatable share,
        multitasking and unlinked hours, by person, team, kind, campaign or goal."""
        from wanamaker.config.options import choice_option, int_option, moment_option

        if approvals and audit:
            raise UsageError("--approvals and --audit are two different reports.", fix="Run one at a time.")
        int_option("--min-n", min_n, minimum=1)
        if approvals:
            extra = [o for o, v in (("--period", period), ("--in", in_label), ("--as-of", as_of)) if v is not None]
            if extra:
                raise UsageError(f"--approvals covers every round; {', '.join(extra)} does not apply.",
                                 fix="Drop it, or run `wanamaker work` without --approvals.")
            if by is not None:
                choice_option("--by", by, ("reviewer", "kind"))
            with current_workspace(workspace, read_only=True) as ws:
                ares = ws.approvals(by=by)
            emit(ares.as_json(), fmt, title="approvals")
            _notes(ares.notes)
            return
        if audit:
            extra = [o for o, v in (("--by", by), ("--period", period), ("--in", in_label), ("--as-of", as_of))
                     if v is not None]
            if extra:
                raise UsageError(f"--audit is per fiscal quarter of delivery; {', '.join(extra)} does not apply.",
                                 fix="Drop it.")
            with current_workspace(workspace, read_only=True) as ws:
                aud = ws.work_audit()
            emit(aud.as_json(), fmt, title="work audit: return order vs deadline order")
            _notes(aud.notes)
            return
        with current_workspace(workspace, read_only=True) as ws:
            moment = moment_option("--as-of", as_of, ws.config.timezone, end_of_day=True)
            result = ws.work(by=by, period=period, in_label=in_label, as_of=moment, min_n=min_n)
        rows = result.as_json()
        if fmt is Format.table:
            lead = ("period",) if period else ()
            rows = [{k: r.get(k) for k in (*lead, *TABLE_COLUMNS)} for r in rows]
        emit(rows, fmt, title=f"work as of {result.as_of:%Y-%m-%d %H:%M} UTC")
        _notes(result.notes)

    @app.command()
    def queue(fmt: FormatOpt = Format.table, workspace: WorkspaceOpt = None) -> None:
        """Open requests ranked by expected return per hour (the value and hours rules: docs/work.md)."""
        with current_workspace(workspace, read_only=True) as ws:
            result = ws.queue()
        rows = result.as_json()
        if fmt is Format.table:
            rows = [{k: r[k] for k in ("rank", "work_id", "title", "owner_id", "state", "due_at", "expected_value",
                                       "value_source", "hours", "hours_source", "return_per_hour")} for r in rows]
        emit(rows, fmt, title="queue: open requests by expected return per hour")
        _notes(result.notes)


def _notes(notes: tuple[str, ...]) -> None:
    for note in notes:
        err_console.print(f"note: {note}", highlight=False)
