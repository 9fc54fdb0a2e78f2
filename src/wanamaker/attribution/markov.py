"""Exact Markov-chain attribution of order 1-4 (DESIGN "Attribution", Markov).

Anderl, Becker, von Wangenheim & Schumann (2016), "Mapping the customer journey: lessons learned
from graph-based online attribution modeling", IJRM 33(3). States are the last ``k`` channels of a
path (a path shorter than ``k`` is one state holding the whole path, as ChannelAttribution does),
plus (start), (conversion) and (null); repeated consecutive channels are kept.

The removal effect of channel ``c`` is ``RE_c = 1 - P_c / P`` where ``P`` is the probability of
absorption in (conversion) from (start) and ``P_c`` the same with every state containing ``c``
sent to (null). Each probability is an absorbing-chain solve ``(I - Q) x = r`` on the transient
states: dense LU for small chains (plain numpy), sparse LU for narrow chains up to 20,000
states (markov_size), else BiCGSTAB on the whole chain with the removed states masked, warm-started
from the full chain's solution and driven to a checked relative residual below 1e-13 (high-order
chains fill in under LU); the removal solves of a large chain are shared between the machine's
cores (forked workers; ``WANAMAKER_WORKERS`` caps them). Exact up to floating point; no
simulation, no seed. The value chain uses the same transitions with the
absorbing reward ``r_s`` = value converted at ``s`` / flow out of ``s``, so ``x`` is the expected
value and ``RE`` its relative loss.

Input: :class:`~wanamaker.attribution.paths.Paths` (distinct paths, conversions, value, nulls).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray

from wanamaker.attribution.kernels import Compact, compact_matrix, count_native, native, whole_journeys
from wanamaker.attribution.markov_size import check_codes, check_work, lu_is_narrow
from wanamaker.attribution.paths import Float, Int, Paths

MAX_ORDER = 4
DENSE_MAX = 200  # states: dense numpy solves
DIRECT_MAX = 20000  # states: sparse LU per removal; above, masked BiCGSTAB on the whole chain
RESIDUAL_TOL = 1e-13
WINDOW_CODES_MAX = 20_000_000  # count transitions with one bincount over window codes below this
PARALLEL_MIN_STATES = 20000


@dataclass(frozen=True)
class MarkovResult:
    """Channel credits and the exact quantities behind them."""

    order: int
    channels: tuple[str, ...]
    conversions: Float  # credited conversions per channel
    value: Float  # credited value per channel
    removal_effects: Float  # RE_c on conversions
    removal_effects_value: Float  # RE_c on value
    p_conversion: float  # P(conversion | start)
    n_states: int


@dataclass(frozen=True)
class Csr:
    """A large chain's ``Q`` in CSR arrays; SciPy's matrix is made only when a solve needs it (the
    compiled solver does not, so a run that uses it never loads SciPy)."""

    data: Float
    indices: Int
    indptr: Int
    n: int

    @property
    def shape(self) -> tuple[int, int]:
        return (self.n, self.n)

    @cached_property
    def matrix(self) -> Any:
        import scipy.sparse as sp  # noqa: PLC0415

        return sp.csr_matrix((self.data, self.indices, self.indptr), shape=self.shape)


@dataclass(frozen=True)
class Chain:
    """The transient part of the chain: ``Q`` (row-stochastic with the absorbing columns left out;
    a dense array for small chains, CSR otherwise), the one-step absorbing reward vectors, the
    start distribution and, per channel, the states holding it."""

    q: Any  # NDArray[np.float64] (dense) or Csr
    r_conv: Float
    r_value: Float
    start: Float
    holding: list[Int]  # holding[c]: the states whose window holds channel c
    value_is_count: bool  # r_value == r_conv: the value chain is the count chain, solved once
    compact: Compact | None = None  # Q for the compiled solver (see kernels.compact_matrix), when it applies

    @property
    def n(self) -> int:
        return int(self.start.shape[0])

    @property
    def dense(self) -> bool:
        return isinstance(self.q, np.ndarray)


def build_chain(paths: Paths, order: int) -> Chain:
    """Count transitions (weighted by journeys) and normalise them into an absorbing chain.

    A state is the window of the last ``order`` channels; paths shorter than ``order`` give one
    state (the whole path). States are coded as mixed-radix numbers in base ``channels + 1``
    (digit 0 = no channel, latest channel in the lowest digit), so a transition is the code of
    the ``order + 1`` channel window ending at a step: counted with one bincount over that code
    range (no sort) when it is small, by ``np.unique`` otherwise. Only steps at least ``order``
    into their path are transitions; starts and ends are read once per path.
    """
    if not 1 <= order <= MAX_ORDER:
        raise ValueError(f"Markov order must be 1 to {MAX_ORDER}, not {order}")
    k = len(paths.channels)
    base = k + 1
    check_codes(k, order)
    kernels = native()
    if kernels is not None and base ** (order + 1) <= WINDOW_CODES_MAX and whole_journeys(paths):
        uniq, src, dst, vals, start, conv_out, value_out, null_out = count_native(kernels, paths, order, base)
    else:
        uniq, src, dst, vals, start, conv_out, value_out, null_out = _count(paths, order, base)
    n = uniq.shape[0]
    out = np.bincount(src, weights=vals, minlength=n) + conv_out + null_out
    inv = np.divide(1.0, out, out=np.zeros_like(out), where=out > 0)
    probs = vals * inv[src]
    q: Any
    if n <= DENSE_MAX:
        q = np.zeros((n, n))
        q[src, dst] = probs  # (src, dst) pairs are distinct
    else:
        # nz is sorted by source window, so rows come in order: the CSR arrays directly
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
        q = Csr(probs, dst, indptr, n)
    total = start.sum()
    start = start / total if total > 0 else start
    r_conv, r_value = conv_out * inv, value_out * inv
    compact = compact_matrix(q, src, dst, vals, inv) if kernels is not None and n > DENSE_MAX else None
    return Chain(q, r_conv, r_value, start, _holding(uniq, order, k), bool(np.array_equal(r_value, r_conv)), compact)


def _count(paths: Paths, order: int, base: int) -> tuple[Int, Int, Int, Float, Float, Float, Float, Float]:
    """The states (codes, sorted), every transition's source and destination state and journeys,
    and per state the journeys starting there and the conversions, value and nulls ending there."""
    span = base**order
    window, w, first_code, last_code = _windows(paths, order, base)
    dst_code = window % span
    present = np.zeros(span, dtype=bool) if span <= WINDOW_CODES_MAX else None
    if present is not None:
        present[first_code] = True
        present[dst_code] = True
        rank: Int | None = np.cumsum(present) - 1
        uniq = np.flatnonzero(present).astype(np.int64)
    else:
        uniq = np.unique(np.concatenate([first_code, dst_code]))
        rank = None
    n = uniq.shape[0]
    if base ** (order + 1) <= WINDOW_CODES_MAX:
        counted = np.bincount(window, weights=w, minlength=base ** (order + 1))
        nz = np.flatnonzero(counted)
        vals = counted[nz]
    else:
        nz, inverse = np.unique(window, return_inverse=True)
        vals = np.bincount(inverse.ravel(), weights=w, minlength=nz.shape[0])
    src = _lookup(rank, uniq, nz // base)
    dst = _lookup(rank, uniq, nz % span)
    first_state = _lookup(rank, uniq, first_code)
    last_state = _lookup(rank, uniq, last_code)
    conv_out = np.bincount(last_state, weights=paths.conversions, minlength=n)
    value_out = np.bincount(last_state, weights=paths.value, minlength=n)
    null_out = np.bincount(last_state, weights=paths.nulls, minlength=n)
    start = np.bincount(first_state, weights=paths.conversions + paths.nulls, minlength=n)
    return uniq, src, dst, vals, start, conv_out, value_out, null_out


BLOCK_STEPS = 1 << 20


def _windows(paths: Paths, order: int, base: int) -> tuple[Int, Float, Int, Int]:
    """Every transition's ``order + 1`` window code and journey weight, and each path's first and
    last state code; computed a block of paths at a time (a million steps: the block's arrays stay
    in cache and their memory is reused)."""
    lengths = paths.lengths
    offsets = paths.offsets
    weight = paths.conversions + paths.nulls
    n_paths = lengths.shape[0]
    cuts = np.unique(np.concatenate([[0], np.searchsorted(offsets[:-1], np.arange(0, int(offsets[-1]), BLOCK_STEPS)),
                                     [n_paths]]))
    wide = np.int32 if base ** (order + 1) < 2**31 else np.int64
    windows: list[Int] = []
    weights: list[Float] = []
    first_code = np.empty(n_paths, dtype=np.int64)
    last_code = np.empty(n_paths, dtype=np.int64)
    for p0, p1 in zip(cuts[:-1], cuts[1:], strict=True):
        s0 = int(offsets[p0])
        digits = paths.steps[s0 : offsets[p1]].astype(np.int64) + 1  # window codes need 64 bits
        block_len = lengths[p0:p1]
        heads = offsets[p0:p1] - s0
        window = digits.copy()  # the window ending at each step, across path starts
        at_head = np.zeros(digits.shape[0], dtype=bool)
        at_head[heads[block_len > 0]] = True
        recent = at_head.copy()  # a path starts within the last `order` steps
        for i in range(1, order + 1):
            window[i:] += digits[:-i] * base**i
            if i < order:
                recent[i:] |= at_head[:-i]
        trans = ~recent
        windows.append(window[trans].astype(wide))
        weights.append(np.repeat(weight[p0:p1], block_len)[trans])
        long = block_len >= order
        short = ~long
        first = np.empty(p1 - p0, dtype=np.int64)
        last = np.empty(p1 - p0, dtype=np.int64)
        first[long] = _window_code(digits, heads[long] + order - 1, order, base, order)
        last[long] = _window_code(digits, heads[long] + block_len[long] - 1, order, base, order)
        if short.any():
            whole = _window_code(digits, heads[short] + block_len[short] - 1, order, base, block_len[short])
            first[short] = whole
            last[short] = whole
        first_code[p0:p1] = first
        last_code[p0:p1] = last
    empty = np.zeros(0, dtype=np.int64)
    return (np.concatenate(windows) if windows else empty, np.concatenate(weights) if weights else empty.astype(float),
            first_code, last_code)


def _window_code(digits: Int, ends: Int, order: int, base: int, width: Int | int) -> Int:
    """The code of the last ``width`` (at most ``order``) channels ending at each step in ``ends``."""
    code = np.zeros(ends.shape[0], dtype=np.int64)
    for i in range(order):
        inside = np.asarray(width > i)
        code += np.where(inside, digits[np.where(inside, ends - i, 0)], 0) * base**i
    return code


def _holding(uniq: Int, order: int, k: int) -> list[Int]:
    """For every channel, the states whose window holds it."""
    base = k + 1
    rows = np.repeat(np.arange(uniq.shape[0], dtype=np.int64), order)
    rem = uniq.copy()
    digits = []
    for _ in range(order):
        digits.append(rem % base)
        rem //= base
    members = np.stack(digits, axis=1).ravel()
    keep = members > 0
    rows, members = rows[keep], members[keep] - 1
    pairs = np.sort(members * uniq.shape[0] + rows)
    pairs = pairs[np.concatenate([[True], pairs[1:] != pairs[:-1]])]  # a repeated channel counts once
    ch, st = np.divmod(pairs, uniq.shape[0])
    cuts = np.searchsorted(ch, np.arange(k + 1))
    return [st[cuts[c] : cuts[c + 1]] for c in range(k)]


def _lookup(rank: Int | None, uniq: Int, codes: Int) -> Int:
    if rank is not None:
        return np.asarray(rank[codes], dtype=np.int64)
    return np.searchsorted(uniq, codes).astype(np.int64)


def absorb(chain: Chain, keep: NDArray[np.bool_] | None = None, *, value: bool = True,
           guess: tuple[Float, Float] | None = None) -> tuple[float, float, Float, Float]:
    """P(conversion) and expected value from (start), with states outside ``keep`` sent to (null);
    also the solution vectors over the whole chain (0 on removed states), for warm starts."""
    n = chain.n
    if keep is None:
        keep = np.ones(n, dtype=bool)
    same_value = not value or chain.value_is_count
    if chain.dense or (n <= DIRECT_MAX and lu_is_narrow(n, chain.q.data.shape[0])):
        idx = np.flatnonzero(keep)
        xc, xv = np.zeros(n), np.zeros(n)
        if idx.size:
            a = _submatrix(chain, idx)
            solve = _direct(a)
            xc[idx] = solve(chain.r_conv[idx])
            xv[idx] = xc[idx] if same_value else solve(chain.r_value[idx])
    else:
        xc = _masked_solve(chain, keep, chain.r_conv, None if guess is None else guess[0])
        xv = xc if same_value else _masked_solve(chain, keep, chain.r_value, None if guess is None else guess[1])
    if not value:
        xv = np.zeros(n)
    return _dot(chain.start, xc), _dot(chain.start, xv), xc, xv


def _submatrix(chain: Chain, idx: Int) -> Any:
    if chain.dense:
        return np.eye(idx.size) - chain.q[np.ix_(idx, idx)]
    import scipy.sparse as sp  # noqa: PLC0415

    return sp.csc_matrix(sp.identity(idx.size, format="csr") - chain.q.matrix[idx][:, idx])


def _direct(a: Any) -> Callable[[Float], Float]:
    """A solver for ``a x = b`` by LU: dense (numpy) or sparse (SuperLU, COLAMD ordering)."""
    if isinstance(a, np.ndarray):
        if a.shape[0] <= DENSE_MAX:
            return lambda b: np.asarray(np.linalg.solve(a, b), dtype=np.float64)
        import scipy.sparse as sp  # noqa: PLC0415

        a = sp.csc_matrix(a)
    import scipy.sparse.linalg as spla  # noqa: PLC0415

    lu = spla.splu(a, permc_spec="COLAMD")
    return lambda b: np.asarray(lu.solve(b), dtype=np.float64)


def _masked_solve(chain: Chain, keep: NDArray[np.bool_], rhs: Float, guess: Float | None) -> Float:
    """Solve ``x = mask * (Q x + rhs)`` (removed states fixed at 0) on the whole chain with
    BiCGSTAB (compiled when the kernels are built), warm-started from ``guess``; the residual is
    checked, and a restarted GMRES and then a sparse LU of the kept states take over if it is not
    small enough."""
    mask = keep.astype(np.float64)
    b = mask * rhs
    if not b.any():
        return np.zeros(chain.n)
    scale = float(np.abs(b).max())
    # the recurrence's residual drifts from the true one by rounding: aim a little below the check
    atol = 0.25 * RESIDUAL_TOL * scale
    kernels = native()
    if kernels is not None and chain.compact is not None:
        x = np.zeros(chain.n) if guess is None else mask * guess
        _, residual = kernels.bicgstab(*chain.compact, keep.view(np.uint8), b, x, atol, 1000)
        if residual <= RESIDUAL_TOL * scale:  # recomputed from x by the kernel
            return x
    q = chain.q.matrix

    def matvec(x: Float) -> Float:
        y: Float = np.asarray(q @ x)
        y *= mask
        np.subtract(x, y, out=y)
        return y

    if kernels is None or chain.compact is None:
        x = bicgstab(matvec, b, None if guess is None else mask * guess, atol_max=atol)
    if float(np.abs(matvec(x) - b).max()) <= RESIDUAL_TOL * scale:
        return x
    import scipy.sparse.linalg as spla  # noqa: PLC0415

    op = spla.LinearOperator((chain.n, chain.n), matvec=matvec, dtype=np.float64)
    x, _ = spla.gmres(op, b, x0=x, rtol=1e-15, atol=0.0, restart=100, maxiter=50)
    if float(np.abs(matvec(x) - b).max()) <= RESIDUAL_TOL * scale:
        return np.asarray(x, dtype=np.float64)
    idx = np.flatnonzero(mask)
    out = np.zeros(chain.n)
    out[idx] = _direct(_submatrix(chain, idx))(rhs[idx])
    return out


def _dot(u: Float, v: Float) -> float:
    # einsum, not BLAS: OpenBLAS threads thrash on these small dot products on a busy machine
    return float(np.einsum("i,i->", u, v))


def bicgstab(a: Any, b: Float, x0: Float | None = None, rtol: float = 1e-15,
             maxiter: int = 1000, atol_max: float = 0.0) -> Float:
    """Van der Vorst's BiCGSTAB, stopped when ``|b - a x| <= rtol |b|`` (2-norm) or, when
    ``atol_max`` is given, when the largest residual entry is at most ``atol_max``; ``a`` is a
    matrix or a function computing ``a @ x``."""
    mv: Callable[[Float], Float] = a if callable(a) else (lambda x: a @ x)
    x = np.zeros_like(b) if x0 is None else x0.copy()
    r = b - mv(x)
    r_hat = r.copy()
    bnorm = max(np.sqrt(_dot(b, b)), 1e-300)
    rho = alpha = omega = 1.0
    v = np.zeros_like(b)
    p = np.zeros_like(b)
    s = np.empty_like(b)
    tmp = np.empty_like(b)  # scratch: the vectors are updated in place

    def small(res: Float) -> bool:
        if atol_max > 0.0:
            return max(float(res.max()), -float(res.min())) <= atol_max
        return bool(np.sqrt(_dot(res, res)) <= rtol * bnorm)

    for _ in range(maxiter):
        if small(r):
            break
        rho_new = _dot(r_hat, r)
        if rho_new == 0.0 or omega == 0.0:
            break
        beta = (rho_new / rho) * (alpha / omega)
        rho = rho_new
        p -= np.multiply(v, omega, out=tmp)
        p *= beta
        p += r
        v = mv(p)
        denom = _dot(r_hat, v)
        if denom == 0.0:
            break
        alpha = rho / denom
        np.subtract(r, np.multiply(v, alpha, out=tmp), out=s)
        if small(s):
            x += np.multiply(p, alpha, out=tmp)
            break
        t = mv(s)
        tt = _dot(t, t)
        omega = _dot(t, s) / tt if tt > 0 else 0.0
        x += np.multiply(p, alpha, out=tmp)
        x += np.multiply(s, omega, out=tmp)
        np.subtract(s, np.multiply(t, omega, out=tmp), out=r)
    return np.asarray(x, dtype=np.float64)


def markov(paths: Paths, order: int = 1, *, value: bool = True) -> MarkovResult:
    """Exact Markov attribution.

    >>> from wanamaker.attribution.paths import from_sequences
    >>> r = markov(from_sequences([["a", "b"], ["a"]], [1, 0], nulls=[0, 1]))
    >>> r.p_conversion, r.removal_effects.tolist(), r.conversions.tolist()
    (0.5, [1.0, 1.0], [0.5, 0.5])
    """
    chain = build_chain(paths, order)
    k = len(paths.channels)
    todo = [c for c in range(k) if chain.holding[c].size]
    check_work(k, order, len(todo), chain.n, chain.q.data.shape[0] if not chain.dense else chain.n**2)
    p, ev, x_full, xv_full = absorb(chain, value=value)
    solved = _map_removals(chain, todo, value, (x_full, xv_full))
    re = np.zeros(k)
    re_v = np.zeros(k)
    for c, (pc, evc) in zip(todo, solved, strict=True):
        re[c] = 1.0 - pc / p if p > 0 else 0.0
        re_v[c] = 1.0 - evc / ev if ev > 0 else 0.0
    if not value:
        re_v = re.copy()
    total_conv = float(paths.conversions.sum())
    total_val = float(paths.value.sum())
    return MarkovResult(
        order=order,
        channels=paths.channels,
        conversions=_share(re, total_conv),
        value=_share(re_v, total_val),
        removal_effects=re,
        removal_effects_value=re_v,
        p_conversion=p,
        n_states=chain.n,
    )


_JOB: tuple[Chain, bool, tuple[Float, Float]] | None = None


def _removal(c: int) -> tuple[float, float]:
    """P(conversion) and expected value with channel ``c`` removed (the job set by the caller)."""
    assert _JOB is not None
    chain, value, guess = _JOB
    keep = np.ones(chain.n, dtype=bool)
    keep[chain.holding[c]] = False
    pc, evc, _, _ = absorb(chain, keep, value=value, guess=guess)
    return pc, evc


def workers() -> int:
    """Processes for the removal solves: the usable cores, capped by ``WANAMAKER_WORKERS``."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - platforms without affinity
        cores = os.cpu_count() or 1
    cap = os.environ.get("WANAMAKER_WORKERS", "").strip()
    return max(1, min(cores, int(cap))) if cap.isdigit() else cores


def _map_removals(chain: Chain, todo: list[int], value: bool,
                  guess: tuple[Float, Float]) -> list[tuple[float, float]]:
    """Run the removal solves, side by side when the chain is large: on threads when the
    compiled solver runs (it lets go of the GIL), else in forked worker processes (each solve
    reads the shared chain; only two numbers per channel come back)."""
    global _JOB
    _JOB = (chain, value, guess)
    try:
        n_workers = min(workers(), len(todo))
        if chain.n < PARALLEL_MIN_STATES or n_workers < 2:
            return [_removal(c) for c in todo]
        if native() is not None and chain.compact is not None:
            from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

            with ThreadPoolExecutor(n_workers) as threads:
                return list(threads.map(_removal, todo))
        if not hasattr(os, "fork"):
            return [_removal(c) for c in todo]
        import multiprocessing  # noqa: PLC0415

        with multiprocessing.get_context("fork").Pool(n_workers) as pool:
            return pool.map(_removal, todo, chunksize=1)
    finally:
        _JOB = None


def _share(re: Float, total: float) -> Float:
    re = np.maximum(re, 0.0)
    s = re.sum()
    return re / s * total if s > 0 else np.zeros_like(re)
