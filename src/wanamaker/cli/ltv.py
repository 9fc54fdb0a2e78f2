"""``wanamaker ltv``: customer lifetime value from the revenue table (docs/ltv.md)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, cast

import typer

from wanamaker.cli.output import Format, FormatOpt, WorkspaceOpt, current_workspace, emit, err_console, to_json
from wanamaker.errors import UsageError

MODELS = ("historical", "sbg", "bgnbd", "paretonbd", "gamma_gamma")
UNITS = ("day", "week", "month")


def _calendar_date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--calibration-end '{value}' is not a date.", fix="Give it as YYYY-MM-DD.") from None


def register(app: typer.Typer) -> None:
    @app.command()
    def ltv(
        model: Annotated[str | None, typer.Option(help="historical | sbg | bgnbd | paretonbd | gamma_gamma "
                                                       "(default: economics.ltv_model).")] = None,
        calibration_end: Annotated[str | None, typer.Option(
            "--calibration-end", help="DATE: purchases dated on or before it count (default: the last revenue "
                                      "day).")] = None,
        unit: Annotated[str | None, typer.Option(help="day | week | month: the unit of recency, T and the horizon "
                                                      "(default week; month for sbg).")] = None,
        by: Annotated[str | None, typer.Option(help="segment | channel | campaign: cohort curves per segment or per first-touch "
                                                   "channel / campaign (historical only).")] = None,
        horizon: Annotated[float | None, typer.Option(help="Units ahead for the expectations (default: 52 "
                                                           "weeks' worth).")] = None,
        fmt: FormatOpt = Format.table,
        workspace: WorkspaceOpt = None,
    ) -> None:
        """Customer lifetime value: cohort curves, sBG retention, BG/NBD, Pareto/NBD or Gamma-Gamma fits."""
        from wanamaker.economics.ltv import Model, Unit
        from wanamaker.economics.ltv import ltv as run

        if model is not None and model not in MODELS:
            raise UsageError(f"--model {model} is not an LTV model.", fix=f"Use one of: {', '.join(MODELS)}.")
        if unit is not None and unit not in UNITS:
            raise UsageError(f"--unit {unit} is not a unit.", fix="Use day, week or month.")
        end = _calendar_date(calibration_end)
        with current_workspace(workspace, read_only=True) as ws:
            chosen = cast(Model, model or ws.config.economics.ltv_model)
            result = run(ws, model=chosen, calibration_end=end, unit=cast(Unit | None, unit), by=by,
                         horizon=horizon)
        payload = result.as_json()
        rows = cast(list[dict[str, object]], payload["rows"])
        if fmt is Format.json:
            typer.echo(to_json(payload))
        else:
            params = ", ".join(f"{k} {v:.4g}" for k, v in result.params.items())
            title = f"ltv {result.model}" + (f": {params}" if params else "")
            emit(rows, fmt, title=title)
        for note in result.notes:
            err_console.print(f"note: {note}", highlight=False)
        if not result.rows:
            err_console.print("No rows: the revenue table has nothing to fit.", highlight=False)
