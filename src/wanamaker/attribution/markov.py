"""Exact Markov-chain attribution of order 1-4 (DESIGN "Attribution", Markov).

Anderl, Becker, von Wangenheim & Schumann (2016), "Mapping the customer journey: lessons learned
from graph-based online attribution modeling", IJRM 33(3). States are the last ``k`` channels of a
path (a path shorter than ``k`` is one state holding the whole path, as ChannelAttribution does),
plus (start), (conversion) and (null); repeated consecutive channels are kept.

The removal effect of channel ``c`` is ``RE_c = 1 - P_c / P`` where ``P`` is the probability of
absorption in (conversion) from (start) and ``P_c`` the same with every state containing ``c``
sent to (null). Each probability is an absorbing-chain solve ``(I - Q) x = r`` on the transient
states: dense or sparse LU for chains up to 20,000 states, BiCGSTAB to a checked relative residual
below 1e-13 above that (high-order chains fill in under LU). Exact up to floating point; no
simulation, no seed. The value chain uses the same transitions with the
absorbing reward ``r_s`` = value converted at ``s`` / flow out of ``s``, so ``x`` is the expected
value and ``RE`` its relative loss.

Input: :class:`~wanamaker.attribution.paths.Paths` (distinct paths, conversions, value, nulls).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from numpy.typing import NDArray

from wanamaker.attribution.paths import Float, Int, Paths

MAX_ORDER = 4


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
class Chain:
    """The transient part of the chain: ``Q`` (row-stochastic with the absorbing columns left out),
    the one-step absorbing reward vectors, the start distribution and state membership."""

    q: sp.csr_matrix
    r_conv: Float
    r_value: Float
    start: Float
    members: sp.csr_matrix  # states x channels, 1 where the state holds the channel


def state_codes(paths: Paths, order: int) -> tuple[Int, Int]:
    """Encode every state visit: returns (code, path) for each visit, in path order.

    A state is the window of the last ``order`` channels ending at a step; paths shorter than
    ``order`` give one state (the whole path). Codes are mixed-radix numbers in base
    ``len(channels) + 1`` with digit 0 for "no channel", so short states never collide.
    """
    base = len(paths.channels) + 1
    lengths = paths.lengths
    n_steps = paths.steps.shape[0]
    pos = np.arange(n_steps, dtype=np.int64) - np.repeat(paths.offsets[:-1], lengths)
    plen = np.repeat(lengths, lengths)
    code = np.zeros(n_steps, dtype=np.int64)
    for j in range(order):
        src = np.arange(n_steps, dtype=np.int64) - j
        ok = pos >= j
        digit = np.where(ok, paths.steps[np.maximum(src, 0)] + 1, 0)
        code += digit * (base**j)
    emit = (pos >= order - 1) | ((plen < order) & (pos == plen - 1))
    return code[emit], paths.path_index[emit]


def build_chain(paths: Paths, order: int) -> Chain:
    """Count transitions (weighted by journeys) and normalise them into an absorbing chain."""
    if not 1 <= order <= MAX_ORDER:
        raise ValueError(f"Markov order must be 1 to {MAX_ORDER}, not {order}")
    weight = paths.conversions + paths.nulls
    codes, pidx = state_codes(paths, order)
    uniq, state = _dense_unique(codes, (len(paths.channels) + 1) ** order)
    n = uniq.shape[0]
    same = pidx[1:] == pidx[:-1]
    src, dst, w = state[:-1][same], state[1:][same], weight[pidx[1:][same]]
    if n * n <= DENSE_UNIQUE_MAX:  # few states: count transitions with one bincount
        flat = np.bincount(src * n + dst, weights=w, minlength=n * n).reshape(n, n)
        counts = sp.csr_matrix(flat)
    else:
        counts = sp.csr_matrix((w, (src, dst)), shape=(n, n))
        counts.sum_duplicates()
    last = np.ones(pidx.shape[0], dtype=bool)
    last[:-1] = ~same
    first = np.ones(pidx.shape[0], dtype=bool)
    first[1:] = ~same
    conv_out = np.bincount(state[last], weights=paths.conversions[pidx[last]], minlength=n)
    value_out = np.bincount(state[last], weights=paths.value[pidx[last]], minlength=n)
    null_out = np.bincount(state[last], weights=paths.nulls[pidx[last]], minlength=n)
    out = np.asarray(counts.sum(axis=1)).ravel() + conv_out + null_out
    inv = np.divide(1.0, out, out=np.zeros_like(out), where=out > 0)
    q = sp.diags(inv) @ counts
    start = np.bincount(state[first], weights=weight[pidx[first]], minlength=n)
    total = start.sum()
    start = start / total if total > 0 else start
    base = len(paths.channels) + 1
    digits = []
    rem = uniq.copy()
    for _ in range(order):
        digits.append(rem % base)
        rem //= base
    d = np.stack(digits, axis=1)
    rows = np.repeat(np.arange(n), order)
    cols = d.ravel() - 1
    keep = cols >= 0
    members = sp.csr_matrix(
        (np.ones(int(keep.sum())), (rows[keep], cols[keep])), shape=(n, len(paths.channels))
    )
    members.data[:] = 1.0
    return Chain(sp.csr_matrix(q), conv_out * inv, value_out * inv, start, members)


DENSE_UNIQUE_MAX = 50_000_000


def _dense_unique(codes: Int, code_range: int) -> tuple[Int, Int]:
    """``np.unique(codes, return_inverse=True)`` in linear time when the code range is small."""
    if code_range > DENSE_UNIQUE_MAX:
        uniq, inverse = np.unique(codes, return_inverse=True)
        return uniq, inverse.astype(np.int64)
    present = np.bincount(codes, minlength=code_range) > 0
    rank = np.cumsum(present) - 1
    return np.flatnonzero(present).astype(np.int64), rank[codes].astype(np.int64)


def absorb(chain: Chain, keep: NDArray[np.bool_] | None = None, *, value: bool = True,
           guess: tuple[Float, Float] | None = None) -> tuple[float, float, Float, Float]:
    """P(conversion) and expected value from (start), with states outside ``keep`` sent to (null);
    also the solution vectors (``x`` over the kept states) for warm starts."""
    if keep is None:
        keep = np.ones(chain.start.shape[0], dtype=bool)
    idx = np.flatnonzero(keep)
    if idx.size == 0:
        return 0.0, 0.0, np.zeros(0), np.zeros(0)
    q = chain.q[idx][:, idx]
    a = sp.csr_matrix(sp.identity(idx.size, format="csr") - q)
    s = chain.start[idx]
    g0, g1 = (guess[0][idx], guess[1][idx]) if guess is not None else (None, None)
    xc = _solve(a, chain.r_conv[idx], g0)
    xv = _solve(a, chain.r_value[idx], g1) if value else np.zeros(idx.size)
    return float(s @ xc), float(s @ xv), xc, xv


DENSE_MAX = 200
DIRECT_MAX = 20000
RESIDUAL_TOL = 1e-13


def _solve(a: sp.csr_matrix, rhs: Float, guess: Float | None) -> Float:
    """Solve ``a x = rhs``: dense LU for small chains, sparse LU up to ``DIRECT_MAX`` states, and
    above it BiCGSTAB (warm-started from the full chain's solution) driven to a checked relative
    residual below ``RESIDUAL_TOL`` (sparse LU of a high-order chain fills in badly); never sampled."""
    n = a.shape[0]
    if not rhs.any():
        return np.zeros(n)
    if n <= DENSE_MAX:
        return np.asarray(np.linalg.solve(a.toarray(), rhs), dtype=np.float64)
    if n <= DIRECT_MAX:
        return np.asarray(spla.splu(a.tocsc(), permc_spec="COLAMD").solve(rhs), dtype=np.float64)
    scale = float(np.abs(rhs).max())
    x = bicgstab(a, rhs, guess)
    if float(np.abs(a @ x - rhs).max()) > RESIDUAL_TOL * scale:
        x, _ = spla.gmres(a, rhs, x0=x, rtol=1e-15, atol=0.0, restart=100, maxiter=50)
        if float(np.abs(a @ x - rhs).max()) > RESIDUAL_TOL * scale:
            x = spla.splu(a.tocsc(), permc_spec="COLAMD").solve(rhs)
    return np.asarray(x, dtype=np.float64)


def _dot(u: Float, v: Float) -> float:
    # einsum, not BLAS: OpenBLAS threads thrash on these small dot products on a busy machine
    return float(np.einsum("i,i->", u, v))


def bicgstab(a: sp.csr_matrix, b: Float, x0: Float | None = None, rtol: float = 1e-15,
             maxiter: int = 1000) -> Float:
    """Van der Vorst's BiCGSTAB, stopped when ``|b - a x| <= rtol |b|`` (2-norm)."""
    x = np.zeros_like(b) if x0 is None else x0.copy()
    r = b - a @ x
    r_hat = r.copy()
    bnorm = max(np.sqrt(_dot(b, b)), 1e-300)
    rho = alpha = omega = 1.0
    v = np.zeros_like(b)
    p = np.zeros_like(b)
    for _ in range(maxiter):
        if np.sqrt(_dot(r, r)) <= rtol * bnorm:
            break
        rho_new = _dot(r_hat, r)
        if rho_new == 0.0 or omega == 0.0:
            break
        beta = (rho_new / rho) * (alpha / omega)
        rho = rho_new
        p = r + beta * (p - omega * v)
        v = a @ p
        denom = _dot(r_hat, v)
        if denom == 0.0:
            break
        alpha = rho / denom
        s = r - alpha * v
        if np.sqrt(_dot(s, s)) <= rtol * bnorm:
            x += alpha * p
            break
        t = a @ s
        tt = _dot(t, t)
        omega = _dot(t, s) / tt if tt > 0 else 0.0
        x += alpha * p + omega * s
        r = s - omega * t
    return np.asarray(x, dtype=np.float64)


def markov(paths: Paths, order: int = 1, *, value: bool = True) -> MarkovResult:
    """Exact Markov attribution.

    >>> from wanamaker.attribution.paths import from_sequences
    >>> r = markov(from_sequences([["a", "b"], ["a"]], [1, 0], nulls=[0, 1]))
    >>> r.p_conversion, r.removal_effects.tolist(), r.conversions.tolist()
    (0.5, [1.0, 1.0], [0.5, 0.5])
    """
    chain = build_chain(paths, order)
    p, ev, x_full, xv_full = absorb(chain, value=value)
    k = len(paths.channels)
    re = np.zeros(k)
    re_v = np.zeros(k)
    member_cols = chain.members.tocsc()
    for c in range(k):
        has = np.zeros(chain.start.shape[0], dtype=bool)
        has[member_cols.indices[member_cols.indptr[c] : member_cols.indptr[c + 1]]] = True
        if not has.any():
            continue
        pc, evc, _, _ = absorb(chain, ~has, value=value, guess=(x_full, xv_full))
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
        n_states=int(chain.start.shape[0]),
    )


def _share(re: Float, total: float) -> Float:
    re = np.maximum(re, 0.0)
    s = re.sum()
    return re / s * total if s > 0 else np.zeros_like(re)
