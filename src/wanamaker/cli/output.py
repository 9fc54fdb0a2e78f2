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
    >>> [cell(7528, "entered"), cell(2026, "year"), cell(True), cell(1.688, "rate"), cell(21.5, "expected")]
    ['7,528', '2026', 'True', '168.8 %', '21.5']
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
    # a rate above 1 is still a rate (a period funnel's next stage can hold more entries than this one);
    # ``expected`` names a fraction in some results and a count in others, so only near 0..1 is it a percentage
    if _PERCENT.search(name) and (-1.5 <= value <= 1.5 or not re.search(r"(^|_)expected(_|$)", name)):
        pct = value * 100
        return f"{pct:,.1f} %" if abs(pct) >= 0.1 or pct == 0 else ("<0.1 %" if pct > 0 else ">-0.1 %")
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


#: table columns holding an interval's bounds: shown only with ``--intervals`` (JSON and CSV always keep them)
_INTERVAL = re.compile(r"(^|_)(ci_)?(low|high)$")

IntervalsOpt = Annotated[bool, typer.Option(
    "--intervals", help="Show the interval columns (*_low, *_high) in the table; JSON and CSV always have them.")]
MinNOpt = Annotated[int, typer.Option(
    "--min-n", help="Flag groups whose count (the denominator of their rates) is below this as small.")]
#: keys of rows that sum a whole breakdown: listed first, never flagged
OVERALL_KEYS = ("all", "(paid)")


def without_intervals(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` without interval columns (``ci_low``, ``roi_high`` ...), for a table nobody asked intervals of."""
    return [{k: v for k, v in r.items() if not _INTERVAL.search(k)} for r in rows]


def by_volume(rows: Sequence[dict[str, Any]], count: str, *, group: Sequence[str] = ("key",),
              outer: Sequence[str] = (), min_n: int | None = None, summed: bool = False) -> list[dict[str, Any]]:
    """A breakdown's rows with its groups (rows sharing the ``group`` fields) by volume, largest first, the overall
    rows (key ``all``, ``(paid)``) first; rows keep their order within a group, and groups stay within their
    ``outer`` fields (alignment's ``by``). A group's volume in a period is its largest ``count`` (the funnel's top
    stage), or with ``summed`` the sum of its rows (rejection reasons); over the whole window, the period-less rows,
    else the sum over periods. With ``min_n``, every row outside the overall ones gets ``small``: the count its
    rates are computed over (its ``count``, or with ``summed`` its group's total in its period) is below ``min_n``.

    >>> rows = [{"key": k, "n": n} for k, n in (("all", 40), ("a", 2), ("b", 30), ("c", 8))]
    >>> [(r["key"], r.get("small")) for r in by_volume(rows, "n", min_n=10)]
    [('all', None), ('b', False), ('c', True), ('a', True)]
    """
    def is_overall(r: dict[str, Any]) -> bool:
        return r.get("key") in OVERALL_KEYS or r.get("by") == "all"

    def number(value: Any) -> float | None:
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(tuple(r.get(g) for g in (*outer, *group)), []).append(r)
    outer_order: dict[tuple[Any, ...], int] = {}
    for name in groups:
        outer_order.setdefault(name[: len(outer)], len(outer_order))
    totals: dict[tuple[Any, ...], float] = {}  # (group, period) -> volume
    for name, members in groups.items():
        for r in members:
            at, value = (*name, r.get("period")), number(r.get(count)) or 0.0
            totals[at] = totals.get(at, 0.0) + value if summed else max(totals.get(at, 0.0), value)

    def volume(name: tuple[Any, ...]) -> float:
        periods = {at[-1]: v for at, v in totals.items() if at[:-1] == name}
        return periods[None] if None in periods else sum(periods.values())

    order = sorted(groups, key=lambda name: (outer_order[name[: len(outer)]], not is_overall(groups[name][0]),
                                             -volume(name) if not is_overall(groups[name][0]) else 0))
    out: list[dict[str, Any]] = []
    for name in order:
        for r in groups[name]:
            if min_n is not None and not is_overall(r):
                n = totals.get((*name, r.get("period"))) if summed else number(r.get(count))
                r = {**r, "small": n is None or n < min_n}
            out.append(r)
    return out


def small_for_table(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """A table's ``small`` column says only "yes" (and is hidden when no row is small)."""
    return [{**r, "small": True if r.get("small") else None} if "small" in r else r for r in rows]


#: where a header or a text cell may break: after an underscore, hyphen, slash, dot or space (never inside a date)
_BREAK = re.compile(r"\d{4}-\d\d-\d\d\s*|[^\s_\-/.]+[\s_\-/.]*|[\s_\-/.]+")
#: the width a long text column (a reason, a title) keeps before the labels beside it are unfolded
_TEXT = 24


def _wrap(text: str, width: int) -> str:
    """``text`` wrapped to ``width`` after its underscores, hyphens, slashes, dots and spaces
    (``median_cycle_days`` -> ``median_`` / ``cycle_days``), so a narrow column keeps whole words; a word longer
    than ``width`` is left for the table to fold."""
    from rich.cells import cell_len  # noqa: PLC0415

    out: list[str] = []
    for line in text.split("\n"):
        lines: list[str] = []
        for part in _BREAK.findall(line):
            if lines and cell_len(lines[-1].rstrip()) + cell_len(part.rstrip()) <= width:
                lines[-1] += part
            else:
                lines.append(part)
        out += [ln.rstrip() for ln in lines] or [""]
    return "\n".join(out)


def _measure(names: list[str], cells: list[list[str]], numeric: list[bool]) -> tuple[list[int], list[int], list[int]]:
    """Each column's natural width (header and cells on one line), its width with the header wrapped, and its
    floor: numbers whole; text (keys, labels) wrapped after its separators down to its longest piece (at most 16
    characters: longer pieces fold) or 8 characters."""
    from rich.cells import cell_len  # noqa: PLC0415

    def longest(texts: list[str]) -> int:
        return max((cell_len(x) for t in texts for x in t.split("\n")), default=0)

    content = [longest(col) for col in cells]
    words = [longest([w.rstrip() for w in _BREAK.findall(n)]) for n in names]
    # the longest piece between separators, up to 16 (an id, a word): wrapped text keeps it whole
    pieces = [min(longest([w.rstrip() for t in col for w in _BREAK.findall(t)]), 16) for col in cells]
    natural = [max(c, cell_len(n)) for c, n in zip(content, names, strict=True)]
    unfolded = [max(c, w) for c, w in zip(content, words, strict=True)]
    floor = [u if num else max(w, p, min(c, 8)) for u, c, w, p, num in zip(unfolded, content, words, pieces, numeric,
                                                                           strict=True)]
    return natural, unfolded, floor


def _widths(natural: list[int], unfolded: list[int], floor: list[int], available: int) -> list[int] | None:
    """Column widths that fit ``available`` characters, or None when every column fits at its natural width.
    From the floors, the room left goes first to long text (up to 24 characters), then unfolds the labels from
    the left (the key first: it tells the rows apart), then puts headers back on one line, the nearest first."""
    if sum(natural) <= available:
        return None
    widths = list(floor)
    spare = available - sum(widths)
    text = [min(u, _TEXT) if u > _TEXT else f for u, f in zip(unfolded, floor, strict=True)]
    steps = [(text, list(range(len(widths)))), (unfolded, list(range(len(widths)))),
             (natural, sorted(range(len(widths)), key=lambda i: natural[i] - unfolded[i]))]
    for target, order in steps:
        for i in order:
            grow = min(spare, target[i] - widths[i])
            if grow > 0:
                widths[i] += grow
                spare -= grow
    return widths


def _parts(unfolded: list[int], floor: list[int], numeric: list[bool], width: int) -> list[list[int]]:
    """Column indexes of each table to print: one table when the floors fit ``width``, else the leading label
    columns (key, period, stage ...: what tells the rows apart) repeated in every part beside as many of the
    other columns as fit; the labels unfolded when they take at most 60 % of the width."""
    everything = list(range(len(floor)))
    if sum(floor) + 3 * len(floor) + 1 <= width:
        return [everything]
    lead: list[int] = []
    for i in everything:
        if numeric[i]:
            break
        lead.append(i)
    if len(lead) == len(everything):
        lead = []
    base = unfolded if sum(unfolded[i] + 3 for i in lead) <= 0.6 * width else floor

    def need(idx: list[int]) -> int:  # a border per column and one more, a space either side of each cell
        return sum(base[i] if i in lead else floor[i] for i in idx) + 3 * len(idx) + 1

    parts: list[list[int]] = []
    current: list[int] = []
    for i in everything[len(lead):]:
        if current and need([*lead, *current, i]) > width:
            parts.append(lead + current)
            current = []
        current.append(i)
    parts.append(lead + current)
    return parts


def emit(rows: Sequence[dict[str, Any]], fmt: Format | str, *, title: str | None = None,
         payload: Any = None, whole: Sequence[str] = ()) -> None:
    """Print ``rows`` as a table, JSON (``payload`` when given, else the rows) or CSV. A table never folds a number
    nor a ``whole`` column: on a narrow terminal headers and text wrap after their separators (text folds when it
    must), and a table still too wide is printed in parts, each repeating the leading label columns."""
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
    from rich.text import Text  # noqa: PLC0415

    # a column empty on every row (an interval nobody asked for) says nothing in a table
    columns = [c for c in columns if any(r.get(c) is not None and r.get(c) != "" for r in rows)]
    numeric = [any(isinstance(r.get(c), (int, float)) and not isinstance(r.get(c), bool) for r in rows)
               for c in columns]
    cells = [[_cell(row.get(c), c) for c in columns] for row in rows]
    natural, unfolded, floor = _measure(columns, [list(col) for col in zip(*cells, strict=True)], numeric)
    floor = [u if c in whole else f for c, u, f in zip(columns, unfolded, floor, strict=True)]
    parts = _parts(unfolded, floor, numeric, console.width)
    for n, part in enumerate(parts):
        # a border per column and one more, a space either side of each cell
        widths = _widths([natural[i] for i in part], [unfolded[i] for i in part], [floor[i] for i in part],
                         console.width - 3 * len(part) - 1)
        name = title if len(parts) == 1 else f"{title or 'table'} (part {n + 1} of {len(parts)})"
        table = Table(title=Text(name) if name else None, show_lines=False)
        for j, i in enumerate(part):
            width = None if widths is None else widths[j]
            # fold, never cut: two long keys that differ at the end must stay two keys
            table.add_column(Text(columns[i] if width is None else _wrap(columns[i], width)),
                             justify="right" if numeric[i] else "left", overflow="fold", width=width)
        for row_cells in cells:
            # data is never markup: a campaign called "[spring] promo" keeps its brackets
            table.add_row(*[Text(row_cells[i] if widths is None or numeric[i] else _wrap(row_cells[i], widths[j]))
                            for j, i in enumerate(part)])
        console.print(table)


def _cell(value: Any, column: str) -> str:
    """A table cell: :func:`cell`, and a ``small`` flag as "yes"."""
    if column == "small" and isinstance(value, bool):
        return "yes" if value else ""
    return cell(value, column)


def current_workspace(workspace: Path | None = None, *, read_only: bool = False) -> Any:
    """Open the workspace a command acts on (``--workspace``, ``WANAMAKER_WORKSPACE`` or the cwd)."""
    from wanamaker.workspace import open_workspace

    return open_workspace(workspace, read_only=read_only)
