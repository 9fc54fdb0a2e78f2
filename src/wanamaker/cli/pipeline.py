"""``wanamaker pipeline``: pipeline created, won and lost, win rate and sales cycle (docs/pipeline.md)."""

from __future__ import annotations

from typing import Annotated

import typer

from wanamaker.cli.output import Format, FormatOpt, WorkspaceOpt, current_workspace, emit, err_console


def register(app: typer.Typer) -> None:
    @app.command()
    def pipeline(
        by: Annotated[str | None, typer.Option(
            "--by", help="owner | source | campaign | channel | segment | region | period.")] = None,
        period: Annotated[str | None, typer.Option(
            "--period", help="month | quarter | year (fiscal, from fiscal_year_start): rows per period.")] = None,
        date_from: Annotated[str | None, typer.Option(
            "--from", help="DATE (start of that day), workspace time zone.")] = None,
        date_to: Annotated[str | None, typer.Option(
            "--to", help="DATE (end of that day), workspace time zone.")] = None,
        min_n: Annotated[int, typer.Option(
            "--min-n", help="Flag rows with fewer created + closed deals as small.")] = 30,
        fmt: FormatOpt = Format.table,
        workspace: WorkspaceOpt = None,
    ) -> None:
        """Pipeline created (by created date), won and lost (by close date), win rate, deal size and cycle."""
        from wanamaker.config.options import choice_option, int_option, window_option
        from wanamaker.economics.pipeline import BY_KEYS
        from wanamaker.economics.pipeline import pipeline as run
        from wanamaker.metrics.periods import PERIOD_KINDS

        if by is not None:  # checked before the workspace opens (and again by pipeline())
            choice_option("--by", by, BY_KEYS)
        if period is not None:
            choice_option("--period", period, PERIOD_KINDS)
        int_option("--min-n", min_n, minimum=0)
        window_option(date_from, date_to, "UTC")  # the form and order of the dates (any one zone will do)
        with current_workspace(workspace, read_only=True) as ws:
            result = run(ws, by=by, period=period, date_from=date_from, date_to=date_to, min_n=min_n)
        currency = result.params.get("currency", "")
        emit(result.table_rows() if fmt is not Format.json else result.as_json(), fmt,
             title=f"pipeline ({currency})")
        for note in result.notes:
            err_console.print(f"note: {note}", highlight=False)
