"""What a ``--paths`` file must hold, checked with the file, the line, the column and the fix.

- a header row (found in the first :data:`HEADER_BYTES` bytes) naming the path and conversions
  columns, then at least one path with a channel;
- in every count and value cell (conversions, value, nulls) a finite number from 0 to below
  :data:`MAX_COUNT` (10^15; an empty cell is 0). Below 10^15 every whole count is exact in float64,
  and the sums of ten million such cells, their squares in a bootstrap and value x share products all
  stay finite; 1e308, NaN, inf and negative counts would give NaN, infinite or negative credit.

The fast readers take plain decimals of at most 15 digits only (always below 10^15, never negative),
so a bad cell always reaches Arrow's reader; the check still runs on every route.
"""

from __future__ import annotations

import csv
import io
import stat
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from wanamaker.attribution.paths import Float, Paths
from wanamaker.errors import InputFileError

MAX_COUNT = 1e15
HEADER_BYTES = 65536
_COLUMN_FIX = "name the columns with --path-col / --conv-col / --value-col / --null-col"


def delimiter(header: str) -> str:
    """The candidate that splits the header most (path text never holds one)."""
    return max(",;\t|", key=header.count)


def regular_file(file: Path) -> None:
    """Only a regular file (or a compressed one) is read: a FIFO or a device would block or never end."""
    mode = file.stat().st_mode  # OSError (missing, no permission) is the caller's to report
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file (a pipe, socket or device)"
        raise InputFileError(f"paths file {file} is {kind}", fix="name a CSV file (gzip allowed)")


def header_names(file: Path, head: bytes) -> tuple[str, list[str]]:
    """The delimiter and column names of the header row at the start of ``head`` (the file's
    first :data:`HEADER_BYTES` bytes)."""
    if not head:
        raise InputFileError(f"paths file {file} is empty", fix="write a header row (path,total_conversions,"
                             "total_null), then one path per line, e.g. 'a > b,2,1'")
    line, newline, _ = head.partition(b"\n")
    if not newline and len(head) >= HEADER_BYTES:
        raise InputFileError(f"paths file {file} has no header row: its first line is longer than "
                             f"{HEADER_BYTES // 1024} KB", fix="start the file with a header row such as "
                             "path,total_conversions,total_null, then one path per line")
    header = line.decode("utf-8-sig", errors="replace")
    delim = delimiter(header)
    return delim, [n.strip().strip('"') for n in header.rstrip("\r").split(delim)]


def check_columns(file: Path, names: list[str], path_col: str, conv_col: str) -> None:
    missing = [c for c in (path_col, conv_col) if c not in names]
    if missing:
        shown = ", ".join(names[:20]) + (f" and {len(names) - 20} more" if len(names) > 20 else "")
        raise InputFileError(f"paths file {file} has no column {', '.join(missing)} (columns: {shown})",
                             fix=_COLUMN_FIX)


def check_counts(file: Path, columns: dict[str, Float], line_of: Callable[[int], int]) -> None:
    """Every cell finite, non-negative and below :data:`MAX_COUNT`; ``line_of(row)`` is the file
    line of a row (only asked when a cell is bad)."""
    worst: tuple[int, str, float] | None = None
    bad_cells = 0
    for name, values in columns.items():
        if values.size == 0:
            continue
        low, high = float(values.min()), float(values.max())  # NaN makes both NaN: one pass each
        if low >= 0 and high < MAX_COUNT:
            continue
        bad = ~((values >= 0) & (values < MAX_COUNT))
        bad_cells += int(bad.sum())
        row = int(np.argmax(bad))
        if worst is None or row < worst[0]:
            worst = (row, name, float(values[row]))
    if worst is None:
        return
    row, name, cell = worst
    if cell != cell:
        what = "is not a number"
    elif cell < 0:
        what = "is negative"
    elif cell == float("inf"):
        what = "is infinite"
    else:
        what = f"is too large (the limit is below {MAX_COUNT:.0e})"
    more = f" ({bad_cells} such cells in all)" if bad_cells > 1 else ""
    raise InputFileError(
        f"paths file {file}, line {line_of(row)}, column {name}: {cell:g} {what}{more}",
        fix=f"write journey counts and values as numbers from 0 to below {MAX_COUNT:.0e} in {', '.join(columns)} "
            "(an empty cell counts as 0)",
    )


def check_paths(file: Path, paths: Paths, path_col: str) -> Paths:
    """At least one path with a channel (the models have nothing to credit otherwise)."""
    if paths.n_paths == 0:
        raise InputFileError(f"paths file {file} has no path with a channel in column {path_col}",
                             fix=f"put the channels of each journey in {path_col}, e.g. 'a > b', "
                                 "or name the column with --path-col")
    return paths


def no_rows(file: Path) -> InputFileError:
    return InputFileError(f"paths file {file} has a header row and no paths",
                          fix="add one line per path after the header, e.g. 'a > b,2,1' "
                              "(channels, conversions, non-converting journeys)")


def arrow_line_of(file: Path, delim: str) -> Callable[[int], int]:
    """The line where each record of Arrow's reading of ``file`` starts (records counted as Arrow
    does: after the header, blank lines skipped); read again only when a cell is bad."""
    def line_of(row: int) -> int:
        import pyarrow as pa  # noqa: PLC0415

        limit = csv.field_size_limit()
        csv.field_size_limit(sys.maxsize)
        try:
            with pa.input_stream(str(file), compression="detect") as raw:
                text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")
                reader = csv.reader(text, delimiter=delim)
                before, seen = 0, -1  # the header is record -1
                for record in reader:
                    if record:
                        if seen == row:
                            return before + 1
                        seen += 1
                    before = reader.line_num
        finally:
            csv.field_size_limit(limit)
        return row + 2
    return line_of


def first_text(cells: list[object]) -> int | None:
    """The first cell that is not a number (the row to name when a column is not numeric)."""
    for i, cell in enumerate(cells):
        try:
            if cell is not None:
                float(str(cell))
        except ValueError:
            return i
    return None


def fast_line_of(row: int) -> int:
    """The fast readers take files without blank lines or quoted newlines: row i is line i + 2."""
    return row + 2
