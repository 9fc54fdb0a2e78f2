"""The ``wanamaker`` command: a Typer app; errors become one clear line plus the fix here, only here."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from wanamaker.cli import attribute as attribute_cli
from wanamaker.cli import balance as balance_cli
from wanamaker.cli import calendar as calendar_cli
from wanamaker.cli import demo as demo_cli
from wanamaker.cli import economics as economics_cli
from wanamaker.cli import experiments as experiments_cli
from wanamaker.cli import funnel as funnel_cli
from wanamaker.cli import goals as goals_cli
from wanamaker.cli import journey as journey_cli
from wanamaker.cli import ltv as ltv_cli
from wanamaker.cli import mmm as mmm_cli
from wanamaker.cli import pipeline as pipeline_cli
from wanamaker.cli import report as report_cli
from wanamaker.cli import serve as serve_cli
from wanamaker.cli import waste as waste_cli
from wanamaker.cli import waterfall as waterfall_cli
from wanamaker.cli import work as work_cli
from wanamaker.cli.output import Format, FormatOpt, WorkspaceOpt, console, current_workspace, emit, err_console, to_json
from wanamaker.errors import UsageError, WanamakerError

if TYPE_CHECKING:
    from wanamaker.findings import Finding

app = typer.Typer(
    name="wanamaker",
    help="Hold marketing accountable for revenue: which half of the money works, and who did the work.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)



@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder to create the workspace in.")] = Path("."),
    connection: Annotated[str, typer.Option(help="Engine URL (duckdb:///file, postgresql://..., spark:///dir).")] =
    "duckdb:///wanamaker.duckdb",
    force: Annotated[bool, typer.Option(help="Overwrite an existing wanamaker.yml.")] = False,
) -> None:
    """Create a workspace: wanamaker.yml, plan.yml and the database."""
    from wanamaker.workspace import init as do_init

    root = do_init(directory, connection=connection, force=force)
    err_console.print(f"Created workspace {root}\nNext: cd {directory} && wanamaker load FILE --table people")


@app.command()
def load(
    files: Annotated[list[Path] | None, typer.Argument(help="CSV, Parquet or JSON-lines files (gzip allowed).")] = None,
    table: Annotated[str | None, typer.Option("--table", "-t", help="Target table; headers match column names.")] = None,
    map_file: Annotated[Path | None, typer.Option("--map", "-m", help="A mapping file (YAML).")] = None,
    preset: Annotated[str | None, typer.Option("--preset", "-p", help="A shipped mapping, e.g. hubspot-contacts.")] = None,
    upsert: Annotated[bool, typer.Option(help="Replace loaded rows whose key comes with different content.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and report; write nothing.")] = False,
    strict: Annotated[bool, typer.Option(help="Exit 1 when any row is quarantined.")] = False,
    retry: Annotated[bool, typer.Option(help="Re-read quarantined rows after fixing the mapping or config.")] = False,
    encoding: Annotated[str | None, typer.Option(
        help="The files' text encoding (e.g. cp1252), instead of detecting it.")] = None,
    fmt: FormatOpt = Format.table,
    workspace: WorkspaceOpt = None,
) -> None:
    """Load files into contract tables; every row is loaded, quarantined, a duplicate or skipped."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    if retry and files:
        raise UsageError("--retry takes no files: it re-reads the rows in quarantine.", fix="Drop the file names.")
    if retry and (map_file or preset):
        raise UsageError("--retry uses the mapping each row was loaded with.", fix="Drop --map / --preset; use --table to limit it.")
    if encoding is not None:
        import codecs

        try:
            codecs.lookup(encoding)
        except LookupError:
            raise UsageError(f"--encoding {encoding!r} is not an encoding Python knows.",
                             fix="Use e.g. --encoding utf-8, cp1252 or latin-1.") from None
    with current_workspace(workspace) as ws, Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
        console=err_console, transient=True, disable=not err_console.is_terminal,
    ) as bar:
        task = bar.add_task("loading", total=None)

        def progress(message: str) -> None:
            bar.update(task, description=message)

        if retry:
            result = ws.retry(table, dry_run=dry_run, progress=progress)
        else:
            result = ws.load(files or [], table=table, mapping=map_file, preset=preset, upsert=upsert,
                             dry_run=dry_run, encoding=encoding, progress=progress)
    for warning in result.warnings:
        err_console.print(f"[yellow]warning:[/] {warning}")
    if fmt is Format.json:
        sys.stdout.write(to_json(result.as_json()) + "\n")
    else:
        rows, folder = _file_rows(result.rows()) if fmt is Format.table else (result.rows(), None)
        emit(rows, fmt, whole=("file",), title=f"load {result.load_id}{' (dry run: nothing written)' if dry_run else ''}"
             + (f" from {folder}" if folder not in (None, ".") else ""))
        for rep in result.tables:
            if rep.quarantine_reasons:
                reasons = ", ".join(f"{k} {v}" for k, v in rep.quarantine_reasons.items())
                err_console.print(f"{rep.table}: quarantined by reason: {reasons}")
    if retry:
        err_console.print(f"{result.resolved} quarantined row(s) resolved.")
    if result.quarantined:
        err_console.print(f"[yellow]{result.quarantined} row(s) quarantined[/]: see `wanamaker quarantine`; fix the "
                          "mapping or config, then `wanamaker load --retry`.")
        if strict:
            raise typer.Exit(1)


def _file_rows(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str | None]:
    """A load table's rows with each file's name whole, and its folder (relative to the current one): in the
    title when every file shares it, else in a last column, where it may fold. A long path never pushes the counts
    off the screen nor cuts the name."""
    def folder_of(path: Path) -> str:
        try:
            return str(path.parent.resolve().relative_to(Path.cwd().resolve()))
        except ValueError:
            return str(path.parent)

    paths = [Path(str(r.get("path", ""))) for r in rows]
    folders = {folder_of(p) for p in paths}
    out = [{"table": r.get("table"), "file": p.name, **{k: v for k, v in r.items() if k not in ("table", "path")},
            **({"folder": folder_of(p)} if len(folders) > 1 else {})} for r, p in zip(rows, paths, strict=True)]
    return out, (folders.pop() if len(folders) == 1 else None)


@app.command()
def tables(fmt: FormatOpt = Format.table, workspace: WorkspaceOpt = None) -> None:
    """Every table with its row count and last load."""
    from wanamaker.inspect import table_overview

    with current_workspace(workspace, read_only=True) as ws:
        rows = table_overview(ws)
    emit(rows, fmt, title="tables")


@app.command()
def quarantine(
    table: Annotated[str | None, typer.Option("--table", "-t", help="Only this table.")] = None,
    all_rows: Annotated[bool, typer.Option("--all", help="Include rows a retry resolved.")] = False,
    limit: Annotated[int, typer.Option(help="At most this many rows (0 = all).")] = 200,
    fmt: FormatOpt = Format.table,
    workspace: WorkspaceOpt = None,
) -> None:
    """Rows held back by validation, with file, line, reason and raw text."""
    from wanamaker.inspect import quarantine_rows

    if limit < 0:
        raise UsageError(f"--limit {limit} is negative.", fix="Give a number of rows, or 0 for all of them.")

    with current_workspace(workspace, read_only=True) as ws:
        rows = quarantine_rows(ws, table, include_resolved=all_rows, limit=limit)
    if fmt is Format.table:  # the raw row is in --format json / csv
        rows = [{"table": r["table"], "file": Path(str(r["file"])).name, "line": r["line"],
                 "reason_code": r["reason_code"], "reason": r["reason"]} for r in rows]
    emit(rows, fmt, title="quarantine")


@app.command()
def check(
    strict: Annotated[bool, typer.Option(help="Exit 1 when any warning is found, too.")] = False,
    as_of: Annotated[str | None, typer.Option("--as-of", help="DATE (end of that day) the plan is judged at; "
                                                              "default: the end of the data.")] = None,
    fmt: FormatOpt = Format.table,
    workspace: WorkspaceOpt = None,
) -> None:
    """The plan checks (goal links, SMART, funnel arithmetic) and what in the data disagrees with the config or
    with itself. Exit 1 when an error is found."""
    from wanamaker.config.options import moment_option

    with current_workspace(workspace, read_only=True) as ws:
        moment = moment_option("--as-of", as_of, ws.config.timezone, end_of_day=True)
        findings = ws.check(as_of=moment)
    if fmt is Format.table:
        _print_findings(findings)
    else:
        emit([f.as_dict() for f in findings], fmt, title="check")
    if not findings:
        err_console.print("No problems found.")
    errors = sum(f.severity == "error" for f in findings)
    if errors:
        err_console.print(f"{errors} error(s): the plan or the data needs fixing before its numbers can be trusted.")
        raise typer.Exit(1)
    if strict and any(f.severity == "warning" for f in findings):
        raise typer.Exit(1)


def _print_findings(findings: list[Finding]) -> None:
    """One block per finding, errors first: what, where, and the fix (a table would cut the sentences)."""
    from rich.markup import escape

    style = {"error": "bold red", "warning": "yellow", "info": "cyan"}
    order = {"error": 0, "warning": 1, "info": 2}
    for f in sorted(findings, key=lambda f: order.get(f.severity, 3)):
        where = f"{f.file}:{f.line}" if f.file and f.line else (f.file or "")
        count = f" ({f.count:,} rows)" if f.count is not None else ""
        console.print(f"[{style.get(f.severity, 'bold')}]{f.severity:<7}[/] [bold]{escape(f.code)}[/] "
                      f"{escape(f.subject)}{count}  [dim]{escape(where)}[/]", highlight=False, soft_wrap=True)
        console.print(f"        {escape(f.message)}", highlight=False, soft_wrap=True)
        console.print(f"        [dim]fix:[/] {escape(f.fix)}", highlight=False, soft_wrap=True)
    counts = {s: sum(f.severity == s for f in findings) for s in ("error", "warning", "info")}
    if findings:
        console.print(", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items()), highlight=False)


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="One read-only statement (SELECT / WITH).")],
    fmt: FormatOpt = Format.table,
    workspace: WorkspaceOpt = None,
) -> None:
    """Run a read-only SQL query in the engine's dialect."""
    with current_workspace(workspace, read_only=True) as ws:
        result = ws.sql(query)
    emit(result.to_pylist(), fmt)


for _register in (attribute_cli.register, funnel_cli.register, goals_cli.register, waterfall_cli.register,
                  pipeline_cli.register, ltv_cli.register, economics_cli.register, balance_cli.register,
                  calendar_cli.register, work_cli.register, journey_cli.register, waste_cli.register,
                  experiments_cli.register, mmm_cli.register, demo_cli.register, report_cli.register,
                  serve_cli.register):
    _register(app)


def _print_error(exc: WanamakerError) -> None:
    """One line saying what went wrong and one with the fix (data quoted in a message is never markup)."""
    from rich.markup import escape

    err_console.print(f"[bold red]error:[/] {escape(exc.message)}", highlight=False, soft_wrap=True)
    if exc.fix:
        err_console.print(f"[bold]fix:[/] {escape(exc.fix)}", highlight=False, soft_wrap=True)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app; a WanamakerError is one line plus its fix (exit 1, usage 2)."""
    try:
        code = app(args=argv, standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except WanamakerError as exc:
        _print_error(exc)
        sys.exit(2 if isinstance(exc, UsageError) else 1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except SystemExit:
        raise
    except Exception as exc:  # usage errors of the command line itself
        show = getattr(exc, "show", None)
        if callable(show) and hasattr(exc, "exit_code"):
            show()
            sys.exit(int(exc.exit_code))
        if type(exc).__name__ == "Abort":
            sys.exit(1)
        from wanamaker.engine.faults import classify

        fault = classify(exc)  # the machine's doing (disk full, permission, memory ...), not a defect
        if fault is not None and not os.environ.get("WANAMAKER_DEBUG"):
            _print_error(fault)
            sys.exit(1)
        if os.environ.get("WANAMAKER_DEBUG"):
            raise
        err_console.print(f"[bold red]error:[/] unexpected {type(exc).__name__}: {exc}", highlight=False)
        err_console.print("[bold]fix:[/] rerun with WANAMAKER_DEBUG=1 for the traceback and report it.")
        sys.exit(1)


if __name__ == "__main__":
    main()
