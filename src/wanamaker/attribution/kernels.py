"""The compiled kernels of the data-driven models, when they are built.

``_kernels`` is a small C extension (``setup.py`` builds it when a C compiler is present; the
install does not fail without one). Each kernel has a numpy twin giving identical results, so
the extension changes only speed. ``WANAMAKER_KERNELS=numpy`` uses the twins even when the
extension is built (tests compare the two; users can rule the extension out).
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from wanamaker.attribution.paths import Float, Int, Paths


def native() -> ModuleType | None:
    """The compiled kernels, or ``None`` when they are not built or ruled out."""
    if os.environ.get("WANAMAKER_KERNELS", "").strip().lower() == "numpy":
        return None
    try:
        return importlib.import_module("wanamaker.attribution._kernels")
    except ImportError:
        return None


def describe() -> str:
    """One line for notes and benchmarks: which kernels run."""
    if native() is not None:
        return "compiled kernels"
    if os.environ.get("WANAMAKER_KERNELS", "").strip().lower() == "numpy":
        return "numpy kernels (WANAMAKER_KERNELS=numpy)"
    return "numpy kernels (the compiled extension is not built)"


# --- the data layouts the kernels take -------------------------------------------------------

# chunk_ptr (int64), perm and col0 (int32), scale (float64), delta (uint8), counts (float32)
Compact = tuple[Int, NDArray[np.int32], NDArray[np.int32], Float, NDArray[np.uint8], NDArray[np.float32]]
LANES = 4  # rows per chunk of the compiled solver's matrix
# rows whose columns start within this many of each other go together (their reads of x share the
# cache; 15 % fewer seconds per solve at order 3 than sorting by length alone, for 4 % more padding)
GROUP_COLUMNS = 512


def compact_matrix(q: Any, src: Int, dst: Int, vals: Float, inv: Float) -> Compact | None:
    """``Q`` as the compiled solver reads it (5 bytes an entry instead of CSR's 12, and no branch
    per row). A state's successors share all but the newest channel, so a row's columns lie
    within ``channels + 1`` of its first: one byte each from there. Its entries are journey counts
    (exact in float32) times the row's ``1 / out``. Rows are grouped by where their columns start
    (``GROUP_COLUMNS`` columns a group), sorted by length within a group, and go four to a chunk
    with their entries interleaved, padded to the chunk's longest row.
    ``None`` when the counts are not whole numbers below 2**24 or a row spreads wider (the solver
    then works on CSR)."""
    if vals.size == 0 or float(vals.max()) >= 2**24 or not np.array_equal(vals, np.round(vals)):
        return None
    n = q.shape[0]
    indptr = np.asarray(q.indptr, dtype=np.int64)
    length = np.diff(indptr)
    first = np.zeros(n, dtype=np.int64)
    rows = np.flatnonzero(length)
    first[rows] = dst[indptr[rows]]
    delta = dst - first[src]
    if delta.size and (int(delta.min()) < 0 or int(delta.max()) > 255):
        return None
    chunks = -(-n // LANES)
    perm = np.full(chunks * LANES, -1, dtype=np.int64)
    perm[:n] = np.lexsort((first, length, first // GROUP_COLUMNS))
    real = perm >= 0
    lane_len = np.where(real, length[np.maximum(perm, 0)], 0)
    chunk_ptr = np.concatenate([[0], np.cumsum(LANES * lane_len.reshape(chunks, LANES).max(axis=1))]).astype(np.int64)
    # entry j of the row in lane l of chunk c sits at chunk_ptr[c] + LANES * j + l
    rows_in_order = perm[real]
    row_len = length[rows_in_order]
    slot0 = (chunk_ptr[:-1].repeat(LANES) + np.tile(np.arange(LANES), chunks))[real]
    j = np.arange(int(row_len.sum()), dtype=np.int64) - np.repeat(np.cumsum(row_len) - row_len, row_len)
    source = np.repeat(indptr[rows_in_order], row_len) + j
    target = np.repeat(slot0, row_len) + LANES * j
    size = int(chunk_ptr[-1])
    packed_delta = np.zeros(size, dtype=np.uint8)
    packed_cnt = np.zeros(size, dtype=np.float32)
    packed_delta[target] = delta[source]
    packed_cnt[target] = vals[source]
    at = np.maximum(perm, 0)
    return (chunk_ptr, perm.astype(np.int32), np.where(real, first[at], 0).astype(np.int32),
            np.where(real, inv[at], 0.0), packed_delta, packed_cnt)


def whole_journeys(paths: Paths) -> bool:
    """Whole journey counts whose total fits 32 bits: the compiled count holds them exactly."""
    w = paths.conversions + paths.nulls
    return bool(w.size == 0 or (float(w.sum()) < 2**32 and float(w.min()) >= 0 and np.array_equal(w, np.floor(w))))


def count_native(kernels: Any, paths: Paths, order: int, base: int) -> tuple[Int, Int, Int, Float, Float, Float, Float, Float]:
    """:func:`wanamaker.attribution.markov._count` in one compiled pass over the paths, into arrays indexed by window and state
    code (no per-step temporaries; journeys counted in 32-bit integers, so the window table is
    half the size); the same sums."""
    span = base**order
    counts = np.zeros(span * base, dtype=np.uint32)
    present = np.zeros(span, dtype=np.uint8)
    per_state = [np.zeros(span) for _ in range(4)]
    kernels.count_transitions(np.ascontiguousarray(paths.steps, dtype=np.int32),
                              np.ascontiguousarray(paths.offsets, dtype=np.int64),
                              *(np.ascontiguousarray(a, dtype=np.float64) for a in (paths.conversions, paths.value,
                                                                                  paths.nulls)),
                              order, base, counts, present, *per_state)
    uniq = np.flatnonzero(present).astype(np.int64)
    rank = np.cumsum(present, dtype=np.int64) - 1
    nz = np.flatnonzero(counts)
    start, conv_out, value_out, null_out = (a[uniq] for a in per_state)
    return uniq, rank[nz // base], rank[nz % span], counts[nz].astype(np.float64), start, conv_out, value_out, null_out

