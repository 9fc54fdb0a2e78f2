"""``wanamaker journey``: who owns each stage of the buyer journey, the stage's conversion and velocity, the
status of its deliverables, and where the journey leaks (docs/journey.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from wanamaker.cli.output import Format, FormatOpt, WorkspaceOpt, console, current_workspace, emit, err_console

if TYPE_CHECKING:
    from wanamaker.work.journey import JourneyResult

STATUS_STYLE = {"done": "green", "overdue": "red", "due": "default", "missing_work_item": "yellow"}


def _csv_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The JSON rows with the funnel stages joined by a comma and a space (one CSV cell)."""
    return [{**row, "funnel_stages": ", ".join(row["funnel_stages"])} for row in rows]


def _tables(result: JourneyResult) -> None:
    """Two tables for people: the stages (owner, what is measured, conversion, velocity, the leak marked), then the
    deliverables with their status coloured. The exact numbers are in --format json / csv."""
    from rich.table import Table

    stages = Table(title=f"journey as of {result.as_of}")
    for name, right in (("stage", False), ("owner team", False), ("funnel stages", False), ("measured", False),
                        ("conversion", True), ("median days", True), ("", False)):
        stages.add_column(name, justify="right" if right else "left", overflow="fold",
                          no_wrap=name in ("measured", "conversion"))
    for s in result.stages:
        flow = s.flow
        stages.add_row(s.stage, s.owner_team or "[yellow](none)[/]", ", ".join(s.funnel_stages),
                       f"{flow.from_stage} → {flow.to_stage}" if flow else "",
                       "" if s.conversion is None else f"{s.conversion:.1%}",
                       "" if s.median_days is None else f"{s.median_days:,.1f}",
                       "[red]leak[/]" if s.leak else "")
    console.print(stages)
    rows = [r for r in result.entries if r.deliverable is not None]
    if not rows:
        return
    table = Table(title="deliverables")
    for name in ("stage", "deliverable", "owner", "due", "work item", "status"):
        table.add_column(name, overflow="fold", no_wrap=name in ("due", "status"))
    for r in rows:
        status = r.status or ""
        table.add_row(r.stage, r.deliverable, r.owner or "", str(r.due or ""), r.work_id or "",
                      f"[{STATUS_STYLE.get(status, 'default')}]{status}[/]")
    console.print(table)


def register(app: typer.Typer) -> None:
    @app.command()
    def journey(
        as_of: Annotated[str | None, typer.Option(
            "--as-of", help="DATE (end of that day) or DATE TIME, in the workspace time zone: the day deliverables "
                            "are judged on and the funnel data ends; default: the end of the data.")] = None,
        fmt: FormatOpt = Format.table,
        workspace: WorkspaceOpt = None,
    ) -> None:
        """Buyer-journey ownership: each plan.yml journey stage's owning team, conversion and median days, its
        deliverables' status (done, due, overdue, missing_work_item) and the stage where the journey leaks; stages
        without an owner and overdue deliverables are noted on stderr."""
        from wanamaker.config.options import moment_option

        moment_option("--as-of", as_of, "UTC", end_of_day=True)  # the form of the date, before the workspace opens
        with current_workspace(workspace, read_only=True) as ws:
            result = ws.journey(as_of=as_of)
        if fmt is Format.table and result.stages:
            _tables(result)
        else:
            rows = result.as_json()
            emit(rows if fmt is Format.json else _csv_rows(rows), fmt, title=f"journey as of {result.as_of}")
        for stage in result.unowned:
            err_console.print(f"no owner: journey stage {stage} has no owner_team in plan.yml", highlight=False)
        for r in result.overdue:
            who = f", owner {r.owner}" if r.owner else ""
            err_console.print(f"overdue: '{r.deliverable}' ({r.stage}{who}) was due {r.due}", highlight=False)
        for s in result.leaks:
            assert s.flow is not None and s.conversion is not None
            err_console.print(f"leak: {s.stage} (owner team {s.owner_team or '(none)'}) converts {s.conversion:.1%} "
                              f"from {s.flow.from_stage} to {s.flow.to_stage}, the lowest of the journey",
                              highlight=False)
        for note in result.notes:
            err_console.print(f"note: {note}", highlight=False)
