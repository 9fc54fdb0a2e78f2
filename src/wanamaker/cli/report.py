"""``wanamaker report``: the accountability report, one self-contained HTML file (and its PDF) (docs/report.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wanamaker.cli.output import WorkspaceOpt, current_workspace, err_console


def register(app: typer.Typer) -> None:
    @app.command()
    def report(
        out: Annotated[Path | None, typer.Option("--out", "-o", help="The HTML file to write (or a folder for it); "
                                                 "default: reports/wanamaker-report-<period>.html in the workspace."
                                                 )] = None,
        pdf: Annotated[bool, typer.Option("--pdf", help="Also write the PDF beside it, printed by headless Chromium "
                                                        "(apt-get install chromium, or set WANAMAKER_CHROMIUM).")] = False,
        in_label: Annotated[str | None, typer.Option("--in", help="One period for every section that takes one: "
                                                                  "2026-03, FY2026-Q1 or FY2026 (default: each "
                                                                  "analysis's own default period).")] = None,
        workspace: WorkspaceOpt = None,
    ) -> None:
        """The accountability report: the one-page scorecard (goals against pace, sourced and influenced revenue,
        CAC, LTV:CAC, payback, the wasted half, effectiveness beside efficiency), then funnel, attribution,
        economics, alignment, work and calendar. Prints the path of each file written."""
        from wanamaker.report import write_report

        def progress(message: str) -> None:
            err_console.print(message, highlight=False)

        with current_workspace(workspace, read_only=True) as ws:
            files = write_report(ws, out, pdf=pdf, in_label=in_label, progress=progress)
        for path in (files.html, files.pdf):
            if path is not None:
                typer.echo(str(path))
