"""``wanamaker metrics``, ``wanamaker metric ID`` and ``wanamaker goals`` (docs/goals.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wanamaker.cli.output import Format, current_workspace, emit, err_console, to_json

WorkspaceOpt = Annotated[
    Path | None,
    typer.Option("--workspace", "-w", envvar="WANAMAKER_WORKSPACE",
                 help="The workspace folder (default: the current folder or its nearest parent with wanamaker.yml)."),
]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", envvar="WANAMAKER_FORMAT", help="Output format.")]


def register(app: typer.Typer) -> None:
    @app.command()
    def metrics(fmt: FormatOpt = Format.table, workspace: WorkspaceOpt = None) -> None:
        """The metric catalogue: every built-in and custom metric, its unit, kind and place in the funnel."""
        with current_workspace(workspace, read_only=True) as ws:
            cat, problems = ws.metrics()
        rows = [cat[m].describe() for m in cat]
        if fmt is Format.table:
            rows = [{k: r[k] for k in ("id", "name", "unit", "kind", "direction", "stage", "feeds", "origin")}
                    for r in rows]
        emit(rows, fmt, title="metrics")
        for p in problems:
            err_console.print(f"[yellow]warning:[/] {p.file}:{p.line or 1}: {p.message} ({p.code}); "
                              "see `wanamaker check`.", highlight=False)

    @app.command()
    def metric(
        metric_id: Annotated[str, typer.Argument(metavar="ID", help="A metric id (see `wanamaker metrics`).")],
        in_label: Annotated[str | None, typer.Option("--in", help="One period: 2026-03, FY2026-Q1 or FY2026.")] = None,
        period: Annotated[str | None, typer.Option(help="month | quarter | year: one row per period.")] = None,
        by: Annotated[str | None, typer.Option(help="A breakdown key (the metric's keys: `wanamaker metrics "
                                                    "--format json`).")] = None,
        explain: Annotated[bool, typer.Option(help="Also print the SQL each query runs.")] = False,
        fmt: FormatOpt = Format.table,
        workspace: WorkspaceOpt = None,
    ) -> None:
        """Compute one metric, over a period, per period and per key."""
        with current_workspace(workspace, read_only=True) as ws:
            result = ws.metric(metric_id, in_label=in_label, period=period, by=by, explain=explain)
        m = result.metric
        title = f"{m['id']}: {m['name']} ({m['unit']}, {m['kind']})"
        emit(result.table_rows() if fmt is not Format.json else result.as_json(), fmt, title=title)
        if not result.rows:
            err_console.print("No rows: the metric has no data in that window.")
        if explain:
            for measure, sql in result.sql:
                err_console.print(f"-- {measure}\n{sql}\n", highlight=False, soft_wrap=True)

    @app.command()
    def goals(
        as_of: Annotated[str | None, typer.Option("--as-of", help="DATE (end of that day), workspace time zone; "
                                                                  "default: the end of the data.")] = None,
        fmt: FormatOpt = Format.table,
        workspace: WorkspaceOpt = None,
    ) -> None:
        """The goal tree of plan.yml: baseline, target, actual, progress against pace and status."""
        from wanamaker.config.options import moment_option

        with current_workspace(workspace, read_only=True) as ws:
            moment = moment_option("--as-of", as_of, ws.config.timezone, end_of_day=True)
            result = ws.goals(as_of=moment)
        if fmt is Format.json:
            typer.echo(to_json(result.as_json()))
        else:
            emit(result.table_rows() if fmt is Format.table else result.as_json(), fmt,
                 title=f"goals as of {result.as_of:%Y-%m-%d %H:%M} UTC")
        for note in result.notes:
            err_console.print(f"note: {note}", highlight=False)
        if not result.rows:
            err_console.print("plan.yml has no goals yet: see docs/goals.md for the schema.")
