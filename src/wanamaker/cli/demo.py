"""`wanamaker demo [DIR]`: a B2B SaaS company with known ground truth, loaded like real exports."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

DEMO_MEMORY_LIMIT = "2GB"  # keeps `--size large` under 4 GiB (benchmarks/RESULTS-demo.md)
FIRST_END, LAST_END = date(1992, 1, 1), date(2099, 12, 31)  # two years after ingest.min_date; a sane horizon


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        directory: Annotated[Path, typer.Argument(help="Folder of the new demo workspace.")] = Path("wanamaker-demo"),
        size: Annotated[str, typer.Option("--size", help="small | medium | large (DESIGN 'Demo sizes').")] = "medium",
        seed: Annotated[int, typer.Option("--seed", help="Random seed, 0 or more: the same seed gives the same tables.")] = 42,
        end: Annotated[str, typer.Option("--end", help="Last day of the world (YYYY-MM-DD, 1992 to 2099).")] = "2026-06-30",
    ) -> None:
        """Create a demo workspace, generate a company with known ground truth, load it and run every analysis."""
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

        from wanamaker.config.options import choice_option, int_option
        from wanamaker.demo.run import headline, run_demo
        from wanamaker.demo.spec import SIZES, DemoSpec
        from wanamaker.errors import UsageError

        choice_option("--size", size, tuple(SIZES))
        int_option("--seed", seed, minimum=0)
        try:
            last = date.fromisoformat(end)
        except ValueError:
            raise UsageError(f"--end {end} is not a date.", fix="Write it as YYYY-MM-DD, e.g. 2026-06-30.") from None
        if not FIRST_END <= last <= LAST_END:
            raise UsageError(f"--end {end} is outside {FIRST_END} to {LAST_END}: the demo's two years of data must "
                             "fall after ingest.min_date (1990-01-01).", fix="Use a date in that range, e.g. 2026-06-30.")
        if directory.exists() and not directory.is_dir():
            raise UsageError(f"{directory} is a file, not a folder.", fix="Name a new folder for the demo workspace.")
        spec = DemoSpec(size=size, seed=seed, end=last)  # type: ignore[arg-type]
        console = Console(stderr=True)
        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                      TimeElapsedColumn(), console=console, transient=True) as bar:  # fmt: skip
            tasks: dict[str, TaskID] = {}

            def tick(step: str, i: int, n: int) -> None:
                if step not in tasks:
                    tasks[step] = bar.add_task(step, total=n)
                bar.update(tasks[step], completed=i)

            result = run_demo(directory, spec, on_step=lambda s: console.print(f"[bold]>[/] {s}"), on_progress=tick,
                              memory_limit=DEMO_MEMORY_LIMIT)  # fmt: skip
        b = result.built
        report = _write_report(result.root, console, result.timings)
        out = Console()
        c = b.counts
        out.print(f"\n[bold]Demo workspace ready:[/] {result.root.resolve()}")
        loaded = result.loaded  # what the tables hold (a quarantined dirty row is generated but not loaded)
        n = {k: loaded.get(k, c.get(k, 0)) for k in ("accounts", "people", "touchpoints", "opportunities")}
        pipeline = result.analyses.get("pipeline")
        won = pipeline[0]["won"] if isinstance(pipeline, list) and pipeline else c["won_deals"]
        out.print(f"  loaded: {n['accounts']:,} accounts, {n['people']:,} people, "
                  f"{n['touchpoints']:,} touchpoints, {n['opportunities']:,} deals (opportunities), {won:,} of them won")
        steps = ", ".join(f"{k} {v:.1f}s" for k, v in result.timings.items())
        out.print(f"  time: {steps} (total {sum(result.timings.values()):.1f}s)")
        q = result.quarantine
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(q.items()))
        out.print(f"  quarantined {sum(q.values())} dirty rows ({len(q)} reasons): {reasons}")
        share = b.truth.no_touch_share("opportunity")
        out.print(f"  ground truth: {share:.0%} of opportunities would happen with every channel off; "
                  "display retargeting has zero true effect")  # fmt: skip
        for name, value in result.analyses.items():
            out.print(f"  {name}: {headline(name, value, result.analyses)}", highlight=False)
        if report is not None:
            out.print(f"  report: {report}", highlight=False, soft_wrap=True)
        out.print("\nNext steps:")
        out.print(f"  cd {directory}")
        out.print("  wanamaker funnel            # conversion between stages")
        out.print("  wanamaker attribute --model all --evaluate   # every model against the ground truth")
        out.print("  wanamaker quarantine        # the dirty rows and why they were held back")
        out.print("  wanamaker report --pdf      # the accountability report, also as PDF")
        out.print("  wanamaker users add you --role admin && wanamaker serve   # the web app")


def _write_report(root: Path, console: Any, timings: dict[str, float]) -> Path | None:
    """The demo's accountability report (HTML); a failure is said and the demo goes on."""
    import time

    import wanamaker
    from wanamaker.errors import WanamakerError
    from wanamaker.report import write_report

    console.print("[bold]>[/] Writing the accountability report")
    start = time.perf_counter()
    try:
        with wanamaker.open(root) as ws:
            files = write_report(ws)
    except WanamakerError as exc:
        console.print(f"  report not written: {exc}")
        return None
    timings["report"] = time.perf_counter() - start
    return files.html
