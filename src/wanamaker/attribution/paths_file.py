"""Read aggregated paths in ChannelAttribution's format (``--paths FILE``).

Columns ``path`` ("a > b > c"), ``total_conversions``, optional ``total_conversion_value`` and
optional ``total_null`` (other names through arguments); steps are split on ``sep`` (default ">")
and trimmed; the CSV delimiter is detected from the header. Rows are kept as they are (a path
listed twice is simply two rows, which every model sums); empty steps are dropped, and a row with
no step left is dropped.

Two readers give identical :class:`Paths`:

- the **fast reader** handles the common shape (plain UTF-8 text, no quoting, ``\\n`` line ends,
  a one-byte separator, plain decimal numbers) with a handful of vectorised passes over the bytes:
  line and delimiter positions, separator positions, numbers from their digits, and each step
  identified by its bytes (gathered as 8-byte words, grouped by a hash and then verified word by
  word, so the grouping is exact);
- anything else (quotes, CRLF, gzip, exponents, blank lines ...) goes to Arrow's CSV reader.

In both, whitespace around a step is trimmed on the distinct step names (``str.strip``), not on
every step.
"""

from __future__ import annotations

import mmap
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from wanamaker.attribution import paths_checks as checks
from wanamaker.attribution.kernels import native
from wanamaker.attribution.markov import workers
from wanamaker.attribution.paths import Float, Int, Paths
from wanamaker.errors import InputFileError

_COMPRESSED = {".gz", ".bz2", ".xz", ".zst", ".lz4", ".zip"}
_MAX_STEP_BYTES = 64
_MAX_DIGITS = 15  # every integer below 10**15 is exact in float64
_HASH_TRIES = ((20, np.uint64(0x9E3779B97F4A7C15)), (22, np.uint64(0xD6E8FEB86659FD93)))
_PAD = _MAX_STEP_BYTES + 16


def read_paths(
    file: str | Path,
    *,
    path_col: str = "path",
    conv_col: str = "total_conversions",
    value_col: str = "total_conversion_value",
    null_col: str = "total_null",
    sep: str = ">",
) -> Paths:
    """Read a paths file into :class:`Paths`.

    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "p.csv"
    >>> _ = f.write_text("path,total_conversions,total_null\\na > b,2,1\\nb,0,3\\n")
    >>> p = read_paths(f)
    >>> p.channels, p.steps.tolist(), p.conversions.tolist(), p.nulls.tolist()
    (('a', 'b'), [0, 1, 1], [2.0, 0.0], [1.0, 3.0])
    """
    file = Path(file)
    try:
        checks.regular_file(file)
        with file.open("rb") as fh:
            head = fh.read(checks.HEADER_BYTES)
    except OSError as exc:
        raise InputFileError(f"cannot read paths file {file}: {exc}", fix="check the path") from exc
    delim = None
    if file.suffix.lower() not in _COMPRESSED:
        delim, names = checks.header_names(file, head)
        checks.check_columns(file, names, path_col, conv_col)
        if not head.rstrip(b"\r\n").count(b"\n") and len(head) < checks.HEADER_BYTES:  # one line: the header
            raise checks.no_rows(file)
        fast = _read_fast(file, delim, names, path_col, conv_col, value_col, null_col, sep)
        if fast is not None:
            return checks.check_paths(file, fast, path_col)
    return checks.check_paths(file, _read_arrow(file, path_col, conv_col, value_col, null_col, sep, delim), path_col)


# --- the fast reader -------------------------------------------------------------------------


def _read_fast(file: Path, delim: str, names: list[str], path_col: str, conv_col: str, value_col: str,
               null_col: str, sep: str) -> Paths | None:
    """The common case in vectorised passes over the bytes, a few megabytes of whole lines at a
    time (small arrays stay in cache and are reused instead of faulted in); ``None`` when the
    file needs a CSV parser (the caller then uses Arrow)."""
    if len(sep) != 1 or not sep.isascii() or sep in "0123456789.\n\r\"" or sep == delim:
        return None
    if len(set(names)) != len(names):
        return None
    kernels = native()
    if kernels is not None:
        return _read_native(kernels, file, delim, names, path_col, conv_col, value_col, null_col, sep)
    size = file.stat().st_size
    raw = np.zeros(size + _PAD, dtype=np.uint8)  # zero padding: 8-byte loads past the end are safe
    with file.open("rb") as fh:
        if fh.readinto(raw.data[:size]) != size:
            return None
    text = raw[:size].tobytes()
    if b'"' in text or b"\r" in text or b"\n\n" in text:
        return None
    body = text.find(b"\n") + 1
    if body == 0:
        return None
    end = size
    if end > body and text[end - 1] != 10:  # a last line without its newline
        raw[end] = 10
        end += 1
    if end == body:
        return None
    bounds = []
    a = body
    while a < end:
        b = text.find(b"\n", a + _CHUNK_BYTES) + 1 if a + _CHUNK_BYTES < end else end
        b = end if b <= a else b  # past the last newline of a file without a final one
        bounds.append((a, b))
        a = b
    threads = workers()
    cols = {name: names.index(name) for name in (path_col, conv_col, value_col, null_col) if name in names}
    filter_seps = any(c not in cols for c in names)  # another text column may hold a separator
    for bits, mix in _HASH_TRIES:  # a hash collision between two different steps: retry wider
        encoder = _StepEncoder(raw, bits, mix)

        def work(job: tuple[int, int, int], encoder: _StepEncoder = encoder) -> tuple[dict[str, Float], Int] | None:
            i, a, b = job
            return _read_chunk(raw, a, b, ord(delim), len(names), cols, ord(sep), filter_seps, encoder, i)

        jobs = list(enumerate(bounds))
        if len(jobs) > 1 and threads > 1:  # numpy lets go of the GIL in its loops: chunks side by side
            with ThreadPoolExecutor(threads) as pool:
                got = list(pool.map(work, [(i, a, b) for i, (a, b) in jobs]))
        else:
            got = [work((i, a, b)) for i, (a, b) in jobs]
        if all(g is not None for g in got):
            parts = [g for g in got if g is not None]
            coded = encoder.finish()
            if coded is not None:
                break
        if not encoder.collided:
            return None  # not a collision: the file needs the general reader
    else:
        return None
    codes, dictionary = coded

    def column(name: str) -> Float:
        return np.concatenate([p[0][name] for p in parts])

    checks.check_counts(file, {c: column(c) for c in (conv_col, value_col, null_col) if c in cols}, checks.fast_line_of)
    conv = column(conv_col)
    value = column(value_col) if value_col in cols else conv.copy()
    nulls = column(null_col) if null_col in cols else np.zeros_like(conv)
    per_row = np.concatenate([p[1] for p in parts])
    return _assemble(per_row, [codes], [dictionary], conv, value, nulls)


_CHUNK_BYTES = 4 << 20


def _read_native(kernels: Any, file: Path, delim: str, names: list[str], path_col: str, conv_col: str,
                 value_col: str, null_col: str, sep: str) -> Paths | None:
    """The fast reader's work compiled: one pass per part of the file (a part per core, side by
    side), same rules, same :class:`Paths`."""
    with file.open("rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size == 0:
            return None
        # the page cache mapped in one go: no copy, and no fresh memory to fault in and zero
        text = mmap.mmap(fh.fileno(), 0, flags=mmap.MAP_PRIVATE | getattr(mmap, "MAP_POPULATE", 0),
                         prot=mmap.PROT_READ)
    with text, memoryview(text) as view:
        return _split_native(kernels, file, text, view, delim, names, path_col, conv_col, value_col, null_col, sep)


def _split_native(kernels: Any, file: Path, text: mmap.mmap, view: memoryview, delim: str, names: list[str],
                  path_col: str, conv_col: str, value_col: str, null_col: str, sep: str) -> Paths | None:
    body = text.find(b"\n") + 1
    if body == 0 or body == len(text) or b'"' in text[:body] or b"\r" in text[:body]:
        return None
    number_cols = [c for c in (conv_col, value_col, null_col) if c in names]
    args = (ord(delim), len(names), names.index(path_col), [names.index(c) for c in number_cols], ord(sep))
    bounds = _parts(text, body, workers())

    def split(bound: tuple[int, int]) -> Any:
        return kernels.split_paths(view, *bound, *args)

    got = _side_by_side(split, bounds)
    if any(g is None for g in got):
        return None
    codes, dictionaries, per_row, numbers = [], [], [], []
    for codes_b, per_row_b, numbers_b, names_b in got:
        spans = np.frombuffer(names_b, dtype=np.int64).reshape(-1, 2)
        try:
            dictionaries.append([text[a:a + n].decode("utf-8") for a, n in spans.tolist()])
        except UnicodeDecodeError:
            return None
        codes.append(np.frombuffer(codes_b, dtype=np.int32))
        per_row.append(np.frombuffer(per_row_b, dtype=np.int64))
        numbers.append([np.frombuffer(b, dtype=np.float64) for b in numbers_b])
    cols = {c: _join([part[i] for part in numbers]) for i, c in enumerate(number_cols)}
    checks.check_counts(file, cols, checks.fast_line_of)
    conv = cols[conv_col]
    value = cols[value_col] if value_col in cols else conv.copy()
    nulls = cols[null_col] if null_col in cols else np.zeros_like(conv)
    return _assemble(_join(per_row), codes, dictionaries, conv, value, nulls)


def _join(parts: list[NDArray[Any]]) -> NDArray[Any]:
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


_PART_MIN_BYTES = 4 << 20


def _parts(text: mmap.mmap, body: int, n: int) -> list[tuple[int, int]]:
    """``text[body:]`` cut into up to ``n`` ranges of whole lines."""
    size = len(text)
    n = max(1, min(n, (size - body) // _PART_MIN_BYTES))
    bounds, a = [], body
    for i in range(1, n):
        b = text.find(b"\n", body + (size - body) * i // n) + 1
        if b <= a:
            continue
        bounds.append((a, b))
        a = b
    bounds.append((a, size))
    return bounds


def _side_by_side(fn: Any, jobs: list[Any]) -> list[Any]:
    """``fn`` over ``jobs`` on threads (for work that lets go of the GIL), in order."""
    if len(jobs) < 2:
        return [fn(j) for j in jobs]
    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(fn, jobs))


def _read_chunk(raw: Any, a: int, b: int, delim: int, ncol: int, cols: dict[str, int], sep: int,
                filter_seps: bool, encoder: _StepEncoder, chunk: int) -> tuple[dict[str, Float], Int] | None:
    """Whole lines ``raw[a:b]``: their numbers, steps per line, and their steps fed to ``encoder``."""
    view = raw[a:b]
    nl = np.flatnonzero(view == 10) + a
    n = nl.shape[0]
    starts = np.empty(n, dtype=np.int64)
    starts[0] = a
    starts[1:] = nl[:-1] + 1
    dl2 = np.empty((n, 0), dtype=np.int64)
    if ncol > 1:
        dl = np.flatnonzero(view == delim) + a
        if dl.shape[0] != n * (ncol - 1):
            return None
        dl2 = dl.reshape(n, ncol - 1)
        if not ((dl2[:, 0] >= starts).all() and (dl2[:, -1] < nl).all()):
            return None  # some line has too many delimiters and another too few

    def field(j: int) -> tuple[Int, Int]:
        return (starts if j == 0 else dl2[:, j - 1] + 1), (nl if j == ncol - 1 else dl2[:, j])

    names = list(cols)
    path_j = cols[names[0]]
    numbers: dict[str, Float] = {}
    for name in names[1:]:
        got = _numbers(raw, *field(cols[name]))
        if got is None:
            return None
        numbers[name] = got
    ps, pe = field(path_j)
    seps = np.flatnonzero(view == sep) + a
    if filter_seps:
        row_of = np.searchsorted(starts, seps, side="right") - 1
        seps = seps[(seps >= ps[row_of]) & (seps < pe[row_of])]
    per_row, tstart, tend = _split(seps, ps)
    tend[np.cumsum(per_row) - 1] = pe
    if not encoder.add(chunk, tstart, tend):
        return None
    return numbers, per_row


def _numbers(raw: Any, fs: Int, fe: Int) -> Float | None:
    """Plain decimals (digits with at most one '.') from their bytes, one digit column at a time;
    an empty field is 0."""
    n = fs.shape[0]
    lengths = fe - fs
    width = int(lengths.max()) if n else 0
    if width > _MAX_DIGITS + 1:
        return None
    whole = np.zeros(n)
    scale = np.ones(n)
    dotted = np.zeros(n, dtype=bool)
    digits = np.zeros(n, dtype=np.int64)
    for j in range(width):
        inside = lengths > j
        ch = raw[fs + j]  # past a field's end this reads its neighbour (or padding): masked below
        digit = (ch >= 48) & (ch <= 57) & inside
        dot = (ch == 46) & inside
        if (inside & ~digit & ~dot).any() or (dot & dotted).any():
            return None
        whole = np.where(digit, whole * 10 + (ch - 48), whole)
        scale = np.where(digit & dotted, scale * 10, scale)
        digits += digit
        dotted |= dot
    if (dotted & (digits == 0)).any() or (digits > _MAX_DIGITS).any():
        return None
    # an integer below 2**53 divided by an exact power of ten: correctly rounded, as strtod
    return np.asarray(whole / scale, dtype=np.float64)


def _split(seps: Int, ps: Int) -> tuple[Int, Int, Int]:
    """Step boundaries from separator positions: steps per row, and the start and end of every
    step, in order (the end of a row's last step is filled in by the caller)."""
    n = ps.shape[0]
    before = np.searchsorted(seps, ps)
    # separators lie inside path fields only (numbers hold none; other text columns were filtered)
    per_row = np.diff(before, append=seps.shape[0])
    total = n + seps.shape[0]
    first = np.arange(n, dtype=np.int64) + before
    after_sep = np.arange(seps.shape[0], dtype=np.int64) + np.repeat(np.arange(n, dtype=np.int64), per_row)
    tstart = np.empty(total, dtype=np.int64)
    tend = np.empty(total, dtype=np.int64)
    tstart[first] = ps
    tstart[after_sep + 1] = seps + 1
    tend[after_sep] = seps
    return per_row + 1, tstart, tend


_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F))
_BYTE_MASK = np.array([(1 << (8 * v)) - 1 for v in range(8)] + [(1 << 64) - 1], dtype=np.uint64)


class _StepEncoder:
    """Numbers steps by their bytes, chunk by chunk: each step is read as 8-byte words, given a
    bucket by a multiplicative hash of its words and length, and compared word by word with the
    first step that took the bucket, so the numbering is exact; a collision (two different steps
    in one bucket) makes ``add`` fail and the caller falls back to the general reader."""

    def __init__(self, raw: Any, bits: int, mix: np.uint64) -> None:
        self.raw = raw
        self.bits = bits
        self.mix = mix
        self.collided = False
        # every byte offset read as a little-endian 8-byte word (overlapping, unaligned view)
        self.at = np.ndarray((raw.shape[0] - 7,), dtype="<u8", buffer=raw, strides=(1,))
        size = 1 << bits
        self.taken = np.zeros(size, dtype=bool)
        self.head = np.full(size, -1, dtype=np.int64)  # the byte offset of each bucket's first step
        self.length = np.zeros(size, dtype=np.int64)
        self.words: list[NDArray[np.uint64]] = []  # word k of each bucket's first step (made on demand)
        self.buckets: dict[int, NDArray[np.int32]] = {}
        self.lock = threading.Lock()

    def add(self, chunk: int, tstart: Int, tend: Int) -> bool:
        """Number the steps of one chunk (chunks may come from several threads, in any order)."""
        lengths = tend - tstart
        if lengths.shape[0] == 0:
            self.buckets[chunk] = np.zeros(0, dtype=np.int32)
            return True
        if int(lengths.max()) > _MAX_STEP_BYTES:
            return False
        n_words = max(1, -(-int(lengths.max()) // 8))
        words = [self.at[tstart + 8 * k] & _BYTE_MASK[np.minimum(np.maximum(lengths - 8 * k, 0), 8)]
                 for k in range(n_words)]
        key = lengths.astype(np.uint64)
        for w in words:
            key *= self.mix
            key ^= w
        key *= _MIX[1]
        bucket = (key >> np.uint64(64 - self.bits)).astype(np.intp)
        with self.lock:
            return self._commit(chunk, bucket, tstart, lengths, words)

    def _commit(self, chunk: int, bucket: NDArray[np.intp], tstart: Int, lengths: Int,
                words: list[NDArray[np.uint64]]) -> bool:
        n_words = len(words)
        while len(self.words) < n_words:  # steps so far were shorter: their further words are 0
            self.words.append(np.zeros(1 << self.bits, dtype=np.uint64))
        fresh = bucket[~self.taken[bucket]]
        if fresh.size:
            first = np.empty(1 << self.bits, dtype=np.intp)
            first[bucket] = np.arange(bucket.shape[0], dtype=np.intp)  # some step of each bucket
            new = np.unique(fresh)
            who = first[new]
            self.taken[new] = True
            self.head[new] = tstart[who]
            self.length[new] = lengths[who]
            for k in range(n_words):
                self.words[k][new] = words[k][who]
        same = (self.length[bucket] == lengths).all() and all(
            (self.words[k][bucket] == words[k]).all() for k in range(n_words))
        if not same:
            self.collided = True
            return False
        self.buckets[chunk] = bucket.astype(np.int32)
        return True

    def finish(self) -> tuple[NDArray[np.int32], list[str]] | None:
        """(code per step, the raw text of each code)."""
        used = np.flatnonzero(self.taken)
        code_of = np.zeros(1 << self.bits, dtype=np.int32)
        code_of[used] = np.arange(used.shape[0], dtype=np.int32)
        heads, lengths = self.head[used], self.length[used]
        try:
            dictionary = [self.raw[h:h + n].tobytes().decode("utf-8") for h, n in zip(heads, lengths, strict=True)]
        except UnicodeDecodeError:
            return None
        ordered = [self.buckets[i] for i in sorted(self.buckets)]
        all_buckets = np.concatenate(ordered) if ordered else np.zeros(0, dtype=np.int32)
        return code_of[all_buckets], dictionary


def _assemble(per_row: Int, codes: Sequence[NDArray[np.integer[Any]]], dictionaries: list[list[str]], conv: Float,
              value: Float, nulls: Float) -> Paths:
    """Number the steps of every part (``codes[i]`` index ``dictionaries[i]``) by their trimmed
    name among all parts, merge names equal after trimming, drop empty steps and rows left
    without a step."""
    trimmed = [[d.strip() for d in dictionary] for dictionary in dictionaries]
    channels = tuple(sorted(set().union(*trimmed) - {""}))
    index = {c: i for i, c in enumerate(channels)}
    cuts = np.cumsum([0] + [c.shape[0] for c in codes])
    steps = np.empty(int(cuts[-1]), dtype=np.int32)

    def number(i: int) -> None:
        remap = np.array([index.get(t, -1) for t in trimmed[i]], dtype=np.int32)
        np.take(remap, codes[i], out=steps[cuts[i]:cuts[i + 1]])

    _side_by_side(number, list(range(len(codes))))
    if any("" in t for t in trimmed):  # empty steps ("a >> b", an empty path): drop them, then rows left empty
        keep = steps >= 0
        row = np.repeat(np.arange(per_row.shape[0], dtype=np.int64), per_row)[keep]
        steps = steps[keep]
        per_row = np.bincount(row, minlength=per_row.shape[0])
    has = per_row > 0
    if not has.all():
        per_row, conv, value, nulls = per_row[has], conv[has], value[has], nulls[has]
    offsets = np.zeros(per_row.shape[0] + 1, dtype=np.int64)
    np.cumsum(per_row, out=offsets[1:])
    return Paths(channels, offsets, steps, conv, value, nulls)


# --- the general reader ----------------------------------------------------------------------


def _read_arrow(file: Path, path_col: str, conv_col: str, value_col: str, null_col: str, sep: str,
                delim: str | None = None) -> Paths:
    import pyarrow as pa  # noqa: PLC0415 - only files the fast reader declines pay for Arrow
    import pyarrow.compute as pc  # noqa: PLC0415
    import pyarrow.csv as pacsv  # noqa: PLC0415

    if delim is None:  # a compressed file: its header is read through the decompressor
        with pa.input_stream(str(file), compression="detect") as stream:
            delim = checks.header_names(file, stream.read(checks.HEADER_BYTES))[0]
    try:
        table = pacsv.read_csv(file, parse_options=pacsv.ParseOptions(delimiter=delim),  # only "" is null: "nan" is NaN
                               convert_options=pacsv.ConvertOptions(column_types={path_col: pa.string()}, null_values=[""]))
    except (pa.ArrowInvalid, OSError) as exc:
        if "Empty CSV file" in str(exc):  # a header line and nothing after it
            raise checks.no_rows(file) from exc
        if "straddl" in str(exc):  # a record longer than Arrow's block (1 MB)
            raise InputFileError(f"cannot parse paths file {file}: a line is longer than 1 MB, the most the CSV "
                                 "reader takes in a file with quotes, CRLF line ends or compression",
                                 fix="save the file uncompressed with plain \\n line ends and no quotes (read at any "
                                     "line length), or shorten the path") from exc
        raise InputFileError(f"cannot parse paths file {file}: {exc}",
                             fix="check the CSV: a header row, then one path per line") from exc
    checks.check_columns(file, table.column_names, path_col, conv_col)
    if table.num_rows == 0:
        raise checks.no_rows(file)
    line_of = checks.arrow_line_of(file, delim)

    def num(col: str) -> Float:
        try:
            arr = pc.cast(table[col], pa.float64())
        except pa.ArrowInvalid as exc:
            row = checks.first_text(table[col].to_pylist())
            where = f", line {line_of(row)}" if row is not None else ""
            raise InputFileError(f"cannot parse paths file {file}{where}: column {col} is not numeric ({exc})",
                                 fix=f"{col} must hold plain numbers (journey counts or values)") from exc
        return np.asarray(pc.fill_null(arr, 0.0).to_numpy(zero_copy_only=False), dtype=np.float64)

    numbers = {c: num(c) for c in (conv_col, value_col, null_col) if c in table.column_names}
    checks.check_counts(file, numbers, line_of)
    conv = numbers[conv_col]
    value = numbers[value_col] if value_col in numbers else conv.copy()
    nulls = numbers[null_col] if null_col in numbers else np.zeros_like(conv)
    parts = pc.split_pattern(pc.fill_null(table[path_col], ""), sep)
    lengths = pc.list_value_length(parts).to_numpy(zero_copy_only=False).astype(np.int64)
    enc = pc.dictionary_encode(pc.list_flatten(parts)).combine_chunks()
    dictionary = [str(x) for x in enc.dictionary.to_pylist()]
    codes = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    return checks.check_paths(file, _assemble(lengths, [codes], [dictionary], conv, value, nulls), path_col)
