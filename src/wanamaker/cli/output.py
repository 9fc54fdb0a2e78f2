"""How commands print: ``--format table|json|csv``, one place for every command."""

from __future__ import annotations

import csv
import io
import json
import math
import re
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


#: columns holding a fraction of 1 (DESIGN "Numbers in JSON"): a table shows them as percentages
_PERCENT = re.compile(r"(^|_)(rate|share|progress|expected|conversion|pass_rate|on_time_rate)(_|$)")
#: columns holding money or another amount: a table shows them with thousands separators
_AMOUNT = re.compile(r"(^|_)(spend|revenue|amount|value|pipeline|cac|ltv|cost|budget|contribution|hours)(_|$)")


def cell(value: Any, column: str = "") -> str:
    """One value as a table shows it: fractions as percentages (``rate``, ``share``, ``progress`` columns), amounts
    with separators, other numbers with up to four significant digits and never in scientific notation.

    >>> [cell(0.1052, "win_rate"), cell(1234567.891, "spend"), cell(5.054e-05, "p_value"), cell(1.908e-298)]
    ['10.5 %', '1,234,568', '<0.0001', '<0.0001']
    >>> [cell(3.14159), cell(12.5, "hours"), cell(-0.25, "lift"), cell(None), cell(float("nan"))]
    ['3.142', '12.5', '-0.25', '', '']
    >>> [cell(7528, "entered"), cell(2026, "year"), cell(True)]
    ['7,528', '2026', 'True']
    """
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        ident = column.lower() in ("year", "round", "rank") or column.lower().endswith("_id")
        return str(value) if ident or abs(value) < 1000 else f"{value:,}"
    if not isinstance(value, float):
        return str(value)
    if math.isnan(value) or math.isinf(value):
        return "" if math.isnan(value) else ("∞" if value > 0 else "-∞")
    name = column.lower()
    if _PERCENT.search(name) and -1.5 <= value <= 1.5:
        pct = value * 100
        return f"{pct:.1f} %" if abs(pct) >= 0.1 or pct == 0 else ("<0.1 %" if pct > 0 else ">-0.1 %")
    if _AMOUNT.search(name) and abs(value) >= 100:
        return f"{value:,.0f}"
    if value == 0:
        return "0"
    if abs(value) < 1e-4:
        return "<0.0001" if value > 0 else ">-0.0001"
    if abs(value) >= 1e4:
        return f"{value:,.0f}"
    text = f"{value:.4g}"
    if "e" in text:  # .4g switches to an exponent below 1e-4 only, handled above; keep the guard
        text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text


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

    # a column empty on every row (an interval nobody asked for) says nothing in a table
    columns = [c for c in columns if any(r.get(c) is not None and r.get(c) != "" for r in rows)]
    table = Table(title=title, show_lines=False)
    for col in columns:
        numeric = any(isinstance(r.get(col), (int, float)) and not isinstance(r.get(col), bool) for r in rows)
        # fold, never cut: two long keys that differ at the end must stay two keys
        table.add_column(col, justify="right" if numeric else "left", overflow="fold")
    for row in rows:
        table.add_row(*[cell(row.get(c), c) for c in columns])
    console.print(table)


def current_workspace(workspace: Path | None = None, *, read_only: bool = False) -> Any:
    """Open the workspace a command acts on (``--workspace``, ``WANAMAKER_WORKSPACE`` or the cwd)."""
    from wanamaker.workspace import open_workspace

    return open_workspace(workspace, read_only=read_only)
