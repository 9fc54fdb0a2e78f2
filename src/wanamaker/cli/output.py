"""How commands print: ``--format table|json|csv``, one place for every command."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Sequence
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

if TYPE_CHECKING:
    from rich.console import Console


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


#: the options every command shares
WorkspaceOpt = Annotated[
    Path | None,
    typer.Option("--workspace", "-w", envvar="WANAMAKER_WORKSPACE",
                 help="The workspace folder (default: the current folder or its nearest parent with wanamaker.yml)."),
]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", envvar="WANAMAKER_FORMAT", help="Output format.")]


class _LazyConsole:
    """A rich ``Console`` made on first use: a command that prints JSON or CSV never loads rich."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console  # noqa: PLC0415

            self._console = Console(**self._options)
        return getattr(self._console, name)


console = cast("Console", _LazyConsole())
err_console = cast("Console", _LazyConsole(stderr=True))


def _default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def to_json(data: Any) -> str:
    return json.dumps(data, default=_default, indent=2)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    return str(value)


def emit(rows: Sequence[dict[str, Any]], fmt: Format | str, *, title: str | None = None,
         payload: Any = None) -> None:
    """Print ``rows`` as a table, JSON (``payload`` when given, else the rows) or CSV."""
    fmt = Format(fmt)
    if fmt is Format.json:
        sys.stdout.write(to_json(payload if payload is not None else list(rows)) + "\n")
        return
    columns: list[str] = []
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    if fmt is Format.csv:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
        sys.stdout.write(buffer.getvalue())
        return
    if not rows:
        console.print(f"{title + ': ' if title else ''}(no rows)")
        return
    from rich.table import Table  # noqa: PLC0415

    table = Table(title=title, show_lines=False)
    for col in columns:
        numeric = any(isinstance(r.get(col), (int, float)) and not isinstance(r.get(col), bool) for r in rows)
        table.add_column(col, justify="right" if numeric else "left")
    for row in rows:
        table.add_row(*[_cell(row.get(c)) for c in columns])
    console.print(table)


def current_workspace(workspace: Path | None = None, *, read_only: bool = False) -> Any:
    """Open the workspace a command acts on (``--workspace``, ``WANAMAKER_WORKSPACE`` or the cwd)."""
    from wanamaker.workspace import open_workspace

    return open_workspace(workspace, read_only=read_only)
