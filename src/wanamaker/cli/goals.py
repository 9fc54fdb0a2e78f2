"""``wanamaker metrics``, ``wanamaker metric ID`` and ``wanamaker goals`` (docs/goals.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from wanamaker.cli.output import Format, FormatOpt, WorkspaceOpt, console, current_workspace, emit, err_console, to_json

if TYPE_CHECKING:
    from wanamaker.goals.progress import GoalsResult



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
        elif fmt is Format.csv:
            emit(result.as_json(), fmt)
        else:
            _goal_table(result)
        for note in result.notes:
            err_console.print(f"note: {note}", highlight=False)
        if not result.rows:
            err_console.print("plan.yml has no goals yet: see docs/goals.md for the schema.")


def _number(value: float | None, unit: str | None) -> str:
    """Compact: 6.46M, 23.4k, 142, 42.5 % (the exact numbers are in --format json / csv)."""
    if value is None:
        return ""
    if unit == "ratio":
        return f"{value:.1%}"
    size = abs(value)
    for limit, scale, suffix in ((1e9, 1e9, "B"), (1e6, 1e6, "M"), (1e4, 1e3, "k")):
        if size >= limit:
            return f"{value / scale:.3g}{suffix}"
    return f"{value:,.0f}" if size >= 100 else f"{value:.3g}"


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.0%}"


def _goal_table(result: GoalsResult) -> None:
    """The tree with whole goal ids (indented by depth), compact numbers and the status coloured."""
    from rich.table import Table

    colour = {"done": "green", "on_track": "green", "at_risk": "yellow", "behind": "red", "not_started": "dim"}
    rows = []
    for r in result.rows:
        unit = result.units.get(r.metric)
        mark = "*" if r.kind == "efficiency" else ""
        rows.append(("  " * r.depth + r.id, r.metric + mark, r.period, _number(r.baseline, unit),
                     _number(r.target, unit), _number(r.actual, unit),
                     f"{_pct(r.progress)} / {_pct(r.expected_progress)}", r.status))
    # numbers, periods and statuses are never cut (their columns are as wide as their longest value); ids and
    # metric names fold onto more lines on a narrow terminal; below 100 columns the baseline is left out
    widest = [max([len(row[i]) for row in rows] + [1]) for i in range(8)]
    narrow = console.width < 100
    table = Table(title=f"goals as of {result.as_of:%Y-%m-%d %H:%M} UTC" + (" (baseline: a wider terminal)"
                                                                            if narrow else ""),
                  show_edge=not narrow)
    table.add_column("goal", overflow="fold", min_width=min(widest[0], 8))
    table.add_column("metric", overflow="fold", min_width=min(widest[1], 6))
    table.add_column("period", no_wrap=True, min_width=widest[2])
    for i, name in enumerate(("baseline", "target", "actual"), start=3):
        if not (narrow and name == "baseline"):
            table.add_column(name, justify="right", no_wrap=True, min_width=widest[i])
    table.add_column("progress / pace", justify="right", min_width=widest[6])
    table.add_column("status", no_wrap=True, min_width=widest[7])
    for row in rows:
        cells = [row[0], row[1], row[2], *([] if narrow else [row[3]]), row[4], row[5], row[6]]
        table.add_row(*cells, f"[{colour.get(row[7], 'bold')}]{row[7]}[/]")
    console.print(table)
    console.print("* an efficiency metric. Progress of a count or a sum is actual / target, of a rate its move from "
                  "baseline to target; pace is the elapsed share of the period; a parent's status is its worst "
                  "child's. Exact numbers: --format json.", style="dim")
