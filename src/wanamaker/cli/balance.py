"""``wanamaker balance``: short- vs long-term spend and hours per quarter against the plan (docs/economics.md)."""

from __future__ import annotations

from typing import Annotated

import typer

from wanamaker.cli.output import Format, FormatOpt, WorkspaceOpt, current_workspace, emit, err_console


def register(app: typer.Typer) -> None:
    @app.command()
    def balance(
        period: Annotated[str, typer.Option(help="month | quarter | year (fiscal).")] = "quarter",
        fmt: FormatOpt = Format.table,
        workspace: WorkspaceOpt = None,
    ) -> None:
        """Spend and work hours on long- vs short-term campaigns per period, against plan.yml's balance target."""
        with current_workspace(workspace, read_only=True) as ws:
            result = ws.balance(period=period)
        rows = result.as_json()
        if fmt is Format.table:
            rows = [{"period": r["period"], "measure": r["measure"], "long": r["long"], "short": r["short"],
                     "unknown": r["unknown"],
                     "long share": None if r["long_share"] is None else f"{r['long_share']:.0%}",
                     "target": f"{r['target']:.0%}", "status": r["status"]} for r in rows]
        emit(rows, fmt, title=f"balance (long-term share target {result.target:.0%})")
        for note in result.notes:
            err_console.print(f"note: {note}", highlight=False)
