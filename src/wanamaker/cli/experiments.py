"""``wanamaker experiments`` (every arm against its control) and ``wanamaker pricing`` (pricing tests: conversion,
revenue and gross profit per visitor, the best price) — docs/experiments.md."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from wanamaker.cli.output import Format, FormatOpt, WorkspaceOpt, current_workspace, emit, err_console

if TYPE_CHECKING:
    from wanamaker.experiments.analysis import ExperimentsResult
    from wanamaker.experiments.pricing import PricingResult

ExperimentOpt = Annotated[str | None, typer.Option("--experiment", help="One experiment id only.")]
LevelOpt = Annotated[float, typer.Option("--level", help="Interval level, from 0.5 to 0.999 (the sequential "
                                                         "interval's error rate is 1 - level).")]


def _pct(value: float | None, places: int = 1) -> str:
    return "" if value is None else f"{value:.{places}%}"


def _prob(value: float | None) -> str:
    """A probability in %, never rounded to a certainty it is not."""
    if value is None:
        return ""
    return "> 99.9%" if value > 0.999 else "< 0.1%" if value < 0.001 else f"{value:.1%}"


def _points(value: float | None) -> str:
    """An absolute rate difference in percentage points."""
    return "" if value is None else f"{value * 100:+.2f} pt"


def _money(value: float | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def _interval(low: float | None, high: float | None, show: Any) -> str:
    return "" if low is None or high is None else f"{show(low)} .. {show(high)}"


def _p(value: float | None) -> str:
    return "" if value is None else ("< 0.0001" if value < 1e-4 else f"{value:.4f}")


def _verdict(significant: bool | None, lift: float | None) -> str:
    if significant is None or lift is None:
        return ""
    return ("better" if lift > 0 else "worse") if significant else "not yet"


def experiment_table(result: ExperimentsResult) -> list[dict[str, Any]]:
    """The rows for people: rates in %, lifts in points with their interval, the sequential verdict, the SRM p-value
    marked ``!`` when flagged (every field, exact, is in --format json / csv)."""
    level = f"{result.level:.0%}"
    return [{
        "experiment": r.experiment_id, "variant": r.variant + (" (control)" if r.is_control else ""),
        "units": r.units, "conversions": r.conversions, "rate": _pct(r.rate, 2),
        "lift": _points(r.lift), f"{level} interval": _interval(r.lift_low, r.lift_high, _points),
        "p": _p(r.p_value), "P(better)": _prob(r.prob_better), "sequential": _verdict(r.sequential_significant, r.lift),
        "revenue/unit": _money(r.revenue_per_unit), "SRM p": _p(r.srm_p_value) + (" !" if r.srm else ""),
    } for r in result.rows_]


def pricing_table(result: PricingResult) -> list[dict[str, Any]]:
    level = f"{result.level:.0%}"
    return [{
        "experiment": r.experiment_id, "variant": r.variant + (" (control)" if r.is_control else ""),
        "price": _money(r.price), "units": r.units, "rate": _pct(r.rate, 2), "conversion change": _pct(r.lift_relative),
        "revenue/visitor": _money(r.revenue_per_visitor),
        "gross profit/visitor": _money(r.gross_profit_per_visitor),
        f"{level} interval": _interval(r.gross_profit_per_visitor_low, r.gross_profit_per_visitor_high, _money),
        "vs control": _interval(r.gross_profit_lift_low, r.gross_profit_lift_high, _money),
        "break-even rate": _pct(r.break_even_rate, 2), "P(best)": _prob(r.prob_best),
    } for r in result.rows_]


def _notes(notes: tuple[str, ...]) -> None:
    for note in notes:
        err_console.print(f"note: {note}", highlight=False)


def register(app: typer.Typer) -> None:
    @app.command()
    def experiments(
        experiment: ExperimentOpt = None,
        level: LevelOpt = 0.9,
        fmt: FormatOpt = Format.table,
        workspace: WorkspaceOpt = None,
    ) -> None:
        """Every experiment's arms against its control: units, conversions, rate, lift with its interval and
        p-value, the Beta-Binomial P(better), an always-valid sequential reading, revenue per unit, and a
        sample-ratio-mismatch check (flagged on stderr)."""
        from wanamaker.experiments.analysis import check_level

        check_level(level)
        with current_workspace(workspace, read_only=True) as ws:
            result = ws.experiments(experiment=experiment, level=level)
        rows = experiment_table(result) if fmt is Format.table else result.as_json()
        emit(rows, fmt, title=f"experiments ({result.level:.0%} intervals)")
        _notes(result.notes)

    @app.command()
    def pricing(
        experiment: ExperimentOpt = None,
        level: LevelOpt = 0.9,
        fmt: FormatOpt = Format.table,
        workspace: WorkspaceOpt = None,
    ) -> None:
        """Pricing tests: per price, conversion rate, revenue and gross profit per visitor with intervals (gross
        profit from economics.gross_margin at the control's price), the conversion rate each price needs to
        break even, and the probability that each price is the best."""
        from wanamaker.experiments.analysis import check_level

        check_level(level)
        with current_workspace(workspace, read_only=True) as ws:
            result = ws.pricing(experiment=experiment, level=level)
        rows = pricing_table(result) if fmt is Format.table else result.as_json()
        emit(rows, fmt, title=f"pricing (gross margin {result.gross_margin:.0%} at the control's price; "
                              f"{result.level:.0%} intervals)")
        _notes(result.notes)
