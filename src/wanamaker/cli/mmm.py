"""``wanamaker mmm``: the marketing-mix model on a weekly file or on the workspace (docs/mmm.md)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from wanamaker.cli.output import Format, FormatOpt, WorkspaceOpt, current_workspace, emit, err_console

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from wanamaker.mmm.results import MmmResult

#: a bootstrap that has run this long gets a progress bar
PROGRESS_AFTER_SECONDS = 1.0


class LateProgress:
    """A progress bar on stderr that appears only once the work has taken over a second (and only on a
    terminal), so quick fits print nothing extra."""

    def __init__(self, description: str) -> None:
        self.description = description
        self.started = time.monotonic()
        self.bar: Progress | None = None
        self.task: TaskID | None = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            if time.monotonic() - self.started < PROGRESS_AFTER_SECONDS or not err_console.is_terminal:
                return
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), console=err_console, transient=True)
            self.bar.start()
            self.task = self.bar.add_task(self.description, total=total)
        assert self.task is not None
        self.bar.update(self.task, completed=done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _names(option: str, value: str | None) -> list[str] | None:
    from wanamaker.errors import UsageError

    if value is None:
        return None
    names = [v.strip() for v in value.split(",") if v.strip()]
    if not names:
        raise UsageError(f"{option} is empty.", fix=f"Give {option} as a comma-separated list, e.g. {option} tv,search.")
    return names


def _summary(result: MmmResult) -> str | None:
    d, p = result.diagnostics, result.params
    if not d.weeks or d.r2 is None or d.sigma is None:
        return None
    mape = f", MAPE {d.mape:.1%}" if d.mape is not None else ""
    draws = (f"{p['replicates']} bootstrap replicates, seed {p['seed']}" if p["method"] == "fast"
             else f"{p['draws']} posterior draws")
    return (f"mmm ({p['method']}, {p['saturation']} saturation): {d.weeks} weeks {p['weeks_from']} to "
            f"{p['weeks_to']}, R² {d.r2:.3f}{mape}, residual sd {d.sigma:,.4g}; {d.seconds:.1f} s ({draws}; "
            "intervals 90 %).")


def register(app: typer.Typer) -> None:
    @app.command("mmm")
    def mmm(
        data: Annotated[Path | None, typer.Option(
            "--data", metavar="FILE", help="A weekly CSV or Parquet file (one row per week) instead of the "
                                           "workspace.")] = None,
        date: Annotated[str | None, typer.Option("--date", metavar="COL", help="With --data: the week column.")
                        ] = None,
        outcome: Annotated[str | None, typer.Option(
            "--outcome", metavar="COL", help="With --data: the outcome column (a number per week).")] = None,
        channels: Annotated[str | None, typer.Option(
            "--channels", metavar="A,B", help="The spend columns (with --data), or the workspace channels to fit "
                                              "(default: every channel with spend).")] = None,
        controls: Annotated[str | None, typer.Option(
            "--controls", metavar="C,D", help="With --data: control columns (events, prices, a time index).")] = None,
        outcome_metric: Annotated[str | None, typer.Option(
            "--outcome-metric", help="Workspace outcome: opportunities (created), pipeline (amount created) or "
                                     "revenue (won, by close). Default: opportunities.")] = None,
        in_label: Annotated[str | None, typer.Option(
            "--in", help="Workspace: the whole weeks of one period (2026-03, FY2026-Q1, FY2026); default: all "
                         "the spend data.")] = None,
        method: Annotated[str, typer.Option(
            "--method", help="fast (penalised least squares with a bootstrap, seconds) or bayes (PyMC-Marketing, "
                             "pip install 'wanamaker[bayes]', minutes).")] = "fast",
        saturation: Annotated[str, typer.Option("--saturation", help="logistic or hill.")] = "logistic",
        calibration: Annotated[Path | None, typer.Option(
            "--calibration", metavar="FILE", help="Lift tests to calibrate with: a CSV with channel,start,end,lift,"
                                                  "low,high (low/high a 90 % interval, in outcome units).")] = None,
        replicates: Annotated[int, typer.Option("--replicates", help="Bootstrap replicates (fast).")] = 200,
        seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap (fast) or the sampler (bayes).")] = 0,
        curves: Annotated[bool, typer.Option(
            "--curves", help="Print each channel's response curve (outcome at 0 to 2 times its spend) instead of "
                             "the channel rows.")] = False,
        fmt: FormatOpt = Format.table,
        workspace: WorkspaceOpt = None,
    ) -> None:
        """Marketing-mix model: each channel's contribution, ROI with a 90 % interval, adstock and saturation, and
        response curves for budget what-ifs."""
        from wanamaker.config.options import choice_option, int_option
        from wanamaker.errors import UsageError
        from wanamaker.mmm.api import MAX_REPLICATES, METHODS, check_method, mmm_from_frame
        from wanamaker.mmm.calibration import read_lift_tests
        from wanamaker.mmm.data import read_frame
        from wanamaker.mmm.media import SATURATIONS
        from wanamaker.mmm.weekly import OUTCOMES

        choice_option("--method", method, METHODS)
        choice_option("--saturation", saturation, SATURATIONS)
        int_option("--replicates", replicates, minimum=0, maximum=MAX_REPLICATES)
        int_option("--seed", seed, minimum=0)
        channel_names, control_names = _names("--channels", channels), _names("--controls", controls)
        if data is not None:
            given = [o for o, v in (("--outcome-metric", outcome_metric), ("--in", in_label)) if v is not None]
            if given:
                raise UsageError(f"{' and '.join(given)} appl{'ies' if len(given) == 1 else 'y'} to the workspace, "
                                 "not to --data.", fix="Drop them, or drop --data to fit the workspace.")
            missing = [o for o, v in (("--date", date), ("--outcome", outcome), ("--channels", channel_names))
                       if v is None]
            if missing:
                raise UsageError(f"--data needs {', '.join(missing)}.",
                                 fix="e.g. wanamaker mmm --data weeks.csv --date week --outcome sales "
                                     "--channels tv,search")
        else:
            given = [o for o, v in (("--date", date), ("--outcome", outcome), ("--controls", controls)) if v is not None]
            if given:
                raise UsageError(f"{', '.join(given)} go{'es' if len(given) == 1 else ''} with --data FILE.",
                                 fix="Add --data FILE, or use --outcome-metric for the workspace's outcome.")
            choice_option("--outcome-metric", outcome_metric or "opportunities", OUTCOMES)
        check_method(method)  # the install fix for bayes before any work
        tests = read_lift_tests(calibration) if calibration is not None else None

        progress = LateProgress("bootstrap")
        try:
            if data is not None:
                assert date is not None and outcome is not None and channel_names is not None
                result = mmm_from_frame(read_frame(data), date, outcome, channel_names, control_names or [],
                                        method=method, saturation=saturation, replicates=replicates, seed=seed,
                                        calibration=tests, on_replicate=progress)
            else:
                with current_workspace(workspace, read_only=True) as ws:
                    result = ws.mmm(outcome=outcome_metric or "opportunities", in_label=in_label,
                                    channels=channel_names, method=method, saturation=saturation,
                                    replicates=replicates, seed=seed, calibration=tests, on_replicate=progress)
        finally:
            progress.close()
        if curves:
            emit(result.curves_json(), fmt, title="mmm response curves")
        elif fmt is Format.table:
            emit(result.table_rows(), fmt, title="mmm")
        else:
            emit(result.as_json(), fmt, title="mmm")
        summary = _summary(result)
        if summary is not None:
            err_console.print(summary, highlight=False)
        for note in result.notes:
            err_console.print(f"note: {note}", highlight=False)
