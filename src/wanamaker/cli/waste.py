"""``wanamaker waste``: spend, incremental value, ROI with interval and a verdict per channel or campaign
(docs/waste.md)."""

from __future__ import annotations

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


def register(app: typer.Typer) -> None:
    @app.command()
    def waste(
        by: Annotated[str, typer.Option(help="channel | campaign.")] = "channel",
        in_label: Annotated[str | None, typer.Option("--in", help="One period: 2026-03, FY2026-Q1 or FY2026 "
                                                                  "(default: the last complete fiscal year).")] = None,
        replicates: Annotated[int, typer.Option(help="Bootstrap replicates of the attribution intervals.")] = 200,
        seed: Annotated[int, typer.Option(help="Random seed of the bootstrap.")] = 0,
        intervals: IntervalsOpt = False,
        fmt: FormatOpt = Format.table,
        workspace: WorkspaceOpt = None,
    ) -> None:
        """Which half is wasted: per channel or campaign, spend, the incremental value it caused (lift tests, the
        mix model, attribution), ROI with its interval and a verdict: wasted, working or unproven."""
        from wanamaker.config.options import choice_option, int_option

        choice_option("--by", by, ("channel", "campaign"))
        int_option("--replicates", replicates, maximum=10_000)
        int_option("--seed", seed, minimum=0)
        with current_workspace(workspace, read_only=True) as ws:
            result = ws.waste(by=by, in_label=in_label, replicates=replicates, seed=seed)
        rows = result.as_json()
        if fmt is Format.table:
            rows = [{k: r[k] for k in ("key", "spend", "incremental_value", "roi", "roi_low", "roi_high", "verdict",
                                       "source")} for r in rows]
            if not intervals:  # the verdict already says whether the interval clears break-even
                rows = without_intervals(rows)
        hint = "" if intervals else "; the ROI interval behind each verdict: --intervals"
        emit(rows, fmt, title=f"waste in {result.window} (break-even ROI {result.breakeven:.2f}{hint})")
        for r in result.rows:
            if r.recommendation:
                err_console.print(f"{r.key}: {r.recommendation}", highlight=False)
        for note in result.notes:
            err_console.print(f"note: {note}", highlight=False)
