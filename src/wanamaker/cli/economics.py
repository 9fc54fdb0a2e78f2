"""``wanamaker economics``: CAC, LTV:CAC, payback and ROMI, or revenue retention (docs/economics.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wanamaker.cli.output import (
    Format,
    FormatOpt,
    IntervalsOpt,
    MinNOpt,
    WorkspaceOpt,
    by_volume,
    console,
    current_workspace,
    emit,
    err_console,
    small_for_table,
    to_json,
    without_intervals,
)


def register(app: typer.Typer) -> None:
    @app.command()
    def economics(
        by: Annotated[str | None, typer.Option("--by", help="channel | campaign | segment.")] = None,
        model: Annotated[str | None, typer.Option(
            "--model", help="The attribution model crediting new customers and revenue (default: economics.model "
                            "in wanamaker.yml).")] = None,
        in_label: Annotated[str | None, typer.Option(
            "--in", help="One period: 2026-03, FY2026-Q1 or FY2026 (default: the last complete fiscal year of "
                         "the data, or all of it).")] = None,
        retention: Annotated[bool, typer.Option(
            "--retention", help="Revenue by kind and net revenue retention per acquisition key and cohort.")] = False,
        scorecard: Annotated[bool, typer.Option(
            "--scorecard", help="Outcome and efficiency metrics side by side for --in (default: the last complete "
                                "quarter), and the goals measured only by efficiency.")] = False,
        replicates: Annotated[int, typer.Option(
            "--replicates", help="Bootstrap replicates of the ROMI intervals.")] = 200,
        seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap.")] = 0,
        min_n: MinNOpt = 30,
        intervals: IntervalsOpt = False,
        fmt: FormatOpt = Format.table,
        workspace: WorkspaceOpt = None,
    ) -> None:
        """CAC, LTV, LTV:CAC, payback months and ROMI (with intervals) per channel, campaign or segment. With --by,
        groups are listed by new customers, largest first, and those with fewer than --min-n are flagged small."""
        from wanamaker.attribution.api import MAX_REPLICATES
        from wanamaker.attribution.models import check_model
        from wanamaker.config.options import choice_option, int_option
        from wanamaker.economics.retention import retention as run_retention
        from wanamaker.economics.unit_economics import BY_KEYS
        from wanamaker.economics.unit_economics import economics as run
        from wanamaker.errors import UsageError
        from wanamaker.metrics.periods import parse_label

        if scorecard and (retention or by is not None or model is not None):
            raise UsageError("--scorecard takes only --in.", fix="Drop --retention, --by and --model.")
        if by is not None:  # checked before the workspace opens (and again by economics())
            choice_option("--by", by, BY_KEYS)
        if retention and (model is not None or in_label is not None):
            raise UsageError("--model and --in do not apply to --retention (it covers every cohort).",
                             fix="Drop --model and --in, or drop --retention.")
        if model is not None:
            check_model(model, None)
        if in_label is not None:
            try:
                parse_label(in_label)
            except ValueError as exc:
                raise UsageError(f"--in {exc}", fix="Write --in 2026-03, FY2026-Q1 or FY2026.") from exc
        int_option("--replicates", replicates, maximum=MAX_REPLICATES)
        int_option("--seed", seed, minimum=0)
        int_option("--min-n", min_n, minimum=0)
        if scorecard:
            _print_scorecard(in_label, fmt, workspace)
            return
        with current_workspace(workspace, read_only=True) as ws:
            if retention:
                rows = run_retention(ws, by=by)
                emit(rows.as_json(), fmt, title=f"revenue retention ({ws.config.currency})")
                notes = rows.notes
                empty = not rows.rows
            else:
                result = run(ws, by=by, model=model, in_label=in_label, replicates=replicates, seed=seed)
                window = result.params.get("window", "")
                table = result.as_json()
                if by is not None:  # the CAC of a handful of new customers is noise: flagged small
                    table = by_volume(table, "new_customers", min_n=min_n)
                hint = ""
                if fmt is Format.table and not intervals:
                    hint = "; ROMI intervals: --intervals" if any(r.get("romi_low") is not None for r in table) else ""
                    table = without_intervals(table)
                emit(small_for_table(table) if fmt is Format.table else table, fmt,
                     title=f"economics {window} ({result.params.get('currency', '')}, "
                           f"{result.params.get('model', '')}{hint})")
                notes = result.notes
                empty = not result.rows
        for note in notes:
            err_console.print(f"note: {note}", highlight=False)
        if empty:
            err_console.print("No rows: there is no data for that window.")


def _print_scorecard(in_label: str | None, fmt: Format, workspace: Path | None) -> None:
    """Effectiveness and efficiency in two columns (docs/economics.md, "Scorecard")."""
    with current_workspace(workspace, read_only=True) as ws:
        card = ws.scorecard(in_label=in_label)
        currency = ws.config.currency
    if fmt is Format.json:
        typer.echo(to_json(card.as_json()))
        return
    if fmt is Format.csv:
        emit([line.as_dict() for line in card.lines], fmt)
        return
    from rich.table import Table

    def show(value: float | None, unit: str) -> str:
        if value is None:
            return "n/a"
        if unit == "ratio":
            return f"{value:,.1%}"
        if unit == "currency":
            return f"{value:,.0f} {currency}"
        # a payback of 0.4 months is not 0
        return f"{value:,.1f}" if unit == "days" or abs(value) < 10 else f"{value:,.0f}"

    from rich.text import Text

    heads = (("effectiveness (outcomes)", "value", "change"), ("efficiency (cost, speed)", "value", "change"))
    sides: list[list[tuple[str, str, str]]] = [
        [(ln.name, show(ln.value, ln.unit), "" if ln.change is None else f"{ln.change:+.0%}")
         for ln in card.lines if ln.column == column] for column in ("effectiveness", "efficiency")]
    widths = [max([len(h[k]) for h in heads] + [len(c[k]) for side in sides for c in side]) for k in range(3)]
    title = f"scorecard {card.period}: effectiveness beside efficiency"
    # side by side when both halves fit the terminal, else one above the other: a number is never cut
    layout = [(heads[0] + heads[1], [0, 1])] if 2 * sum(widths) + 19 <= console.width else [
        (heads[0], [0]), (heads[1], [1])]
    for names, which in layout:
        table = Table(title=Text(title if len(layout) == 1 else f"scorecard {card.period}: {names[0]}"))
        for k, name in enumerate(names):
            numeric = k % 3 != 0
            table.add_column(Text(name), justify="right" if numeric else "left", no_wrap=numeric,
                             overflow="fold")
        for i in range(max(len(sides[w]) for w in which)):
            cells: list[str] = []
            for w in which:
                cells += list(sides[w][i]) if i < len(sides[w]) else ["", "", ""]
            table.add_row(*[Text(c) for c in cells])
        console.print(table)
    if card.efficiency_only_goals:
        console.print("Goals measured only by efficiency: " + ", ".join(card.efficiency_only_goals) +
                      " (see `wanamaker check`).", highlight=False)
    for note in card.notes:
        err_console.print(f"note: {note}", highlight=False)
