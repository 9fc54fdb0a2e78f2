"""Read aggregated paths in ChannelAttribution's format (``--paths FILE``).

Columns ``path`` ("a > b > c"), ``total_conversions``, optional ``total_conversion_value`` and
optional ``total_null`` (other names through arguments); steps are split on ``sep`` (default ">")
and trimmed; the CSV delimiter is detected from the header. Parsing is vectorised with Arrow; rows
are kept as they are (a path listed twice is simply two rows, which every model sums).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from wanamaker.attribution.paths import Paths
from wanamaker.errors import InputFileError


def read_paths(
    file: str | Path,
    *,
    path_col: str = "path",
    conv_col: str = "total_conversions",
    value_col: str = "total_conversion_value",
    null_col: str = "total_null",
    sep: str = ">",
) -> Paths:
    """Read a paths file into :class:`Paths` (distinct paths merged)."""
    file = Path(file)
    try:
        with file.open(newline="", encoding="utf-8-sig") as fh:
            header = fh.readline()
    except OSError as exc:
        raise InputFileError(f"cannot read paths file {file}: {exc}", fix="check the path") from exc
    # the delimiter is the candidate that splits the header most (path text never holds one)
    delim = max(",;\t|", key=header.count)
    table = pacsv.read_csv(file, parse_options=pacsv.ParseOptions(delimiter=delim),
                           convert_options=pacsv.ConvertOptions(column_types={path_col: pa.string()}))
    missing = [c for c in (path_col, conv_col) if c not in table.column_names]
    if missing:
        raise InputFileError(
            f"paths file {file} has no column {', '.join(missing)} (columns: {', '.join(table.column_names)})",
            fix="name the columns with --path-col / --conv-col / --value-col / --null-col",
        )
    conv = _num(table, conv_col)
    value = _num(table, value_col) if value_col in table.column_names else conv.copy()
    nulls = _num(table, null_col) if null_col in table.column_names else np.zeros_like(conv)
    parts = pc.split_pattern(pc.fill_null(table[path_col], ""), sep)
    flat = pc.utf8_trim_whitespace(pc.list_flatten(parts))
    lengths = pc.list_value_length(parts).to_numpy(zero_copy_only=False).astype(np.int64)
    nonempty = pc.not_equal(flat, "").to_numpy(zero_copy_only=False)
    row = np.repeat(np.arange(lengths.shape[0]), lengths)[nonempty]
    names = flat.filter(pa.array(nonempty))
    enc = pc.dictionary_encode(names).combine_chunks()
    dictionary = [str(x) for x in enc.dictionary.to_pylist()]
    order = np.argsort(np.array(dictionary, dtype=object))
    remap = np.empty(len(dictionary), dtype=np.int64)
    remap[order] = np.arange(len(dictionary))
    steps = remap[enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)]
    has = np.bincount(row, minlength=lengths.shape[0]) > 0
    keep_rows = np.flatnonzero(has)
    renum = np.full(lengths.shape[0], -1, dtype=np.int64)
    renum[keep_rows] = np.arange(keep_rows.shape[0])
    channels = tuple(sorted(dictionary))
    offsets = np.concatenate([[0], np.cumsum(np.bincount(renum[row], minlength=keep_rows.shape[0]))])
    return Paths(channels, offsets.astype(np.int64), steps, conv[has], value[has], nulls[has])


def _num(table: pa.Table, col: str) -> np.ndarray:
    arr = pc.cast(table[col], pa.float64())
    return np.asarray(pc.fill_null(arr, 0.0).to_numpy(zero_copy_only=False), dtype=np.float64)
