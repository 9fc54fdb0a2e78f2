"""``wanamaker economics``: CAC, LTV:CAC, payback and ROMI, or revenue retention (docs/economics.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wanamaker.cli.output import Format, FormatOpt, WorkspaceOpt, console, current_workspace, emit, err_console, to_json


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
        fmt: FormatOpt = Format.table,
        workspace: WorkspaceOpt = None,
    ) -> None:
        """CAC, LTV, LTV:CAC, payback months and ROMI (with intervals) per channel, campaign or segment."""
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
                emit(result.as_json(), fmt, title=f"economics {window} ({result.params.get('currency', '')}, "
                                                  f"{result.params.get('model', '')})")
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
            return f"{value:.1%}"
        if unit == "currency":
            return f"{value:,.0f} {currency}"
        return f"{value:,.1f}" if unit == "days" else f"{value:,.0f}"

    table = Table(title=f"scorecard {card.period}: effectiveness beside efficiency")
    for name in ("effectiveness (outcomes)", "value", "change", "efficiency (cost, speed)", "value ", "change "):
        table.add_column(name, justify="right" if name.strip() in ("value", "change") else "left", no_wrap=True)
    left = [ln for ln in card.lines if ln.column == "effectiveness"]
    right = [ln for ln in card.lines if ln.column == "efficiency"]
    for i in range(max(len(left), len(right))):
        cells: list[str] = []
        for side in (left, right):
            if i < len(side):
                ln = side[i]
                change = "" if ln.change is None else f"{ln.change:+.0%}"
                cells += [ln.name, show(ln.value, ln.unit), change]
            else:
                cells += ["", "", ""]
        table.add_row(*cells)
    console.print(table)
    if card.efficiency_only_goals:
        console.print("Goals measured only by efficiency: " + ", ".join(card.efficiency_only_goals) +
                      " (see `wanamaker check`).", highlight=False)
    for note in card.notes:
        err_console.print(f"note: {note}", highlight=False)
