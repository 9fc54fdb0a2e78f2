"""Exact Markov-chain attribution of order 1-4 (DESIGN "Attribution", Markov).

Anderl, Becker, von Wangenheim & Schumann (2016), "Mapping the customer journey: lessons learned
from graph-based online attribution modeling", IJRM 33(3). States are the last ``k`` channels of a
path (a path shorter than ``k`` is one state holding the whole path, as ChannelAttribution does),
plus (start), (conversion) and (null); repeated consecutive channels are kept.

The removal effect of channel ``c`` is ``RE_c = 1 - P_c / P`` where ``P`` is the probability of
absorption in (conversion) from (start) and ``P_c`` the same with every state containing ``c``
sent to (null). Each probability is an absorbing-chain solve ``(I - Q) x = r`` on the transient
states, done with a sparse LU factorisation (``scipy.sparse.linalg.splu``): exact up to floating
point, with no simulation and no seed. The value chain uses the same transitions with the
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
    uniq, state = np.unique(codes, return_inverse=True)
    n = uniq.shape[0]
    state = state.astype(np.int64)
    same = pidx[1:] == pidx[:-1]
    src, dst, w = state[:-1][same], state[1:][same], weight[pidx[1:][same]]
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


def absorb(chain: Chain, keep: NDArray[np.bool_] | None = None) -> tuple[float, float]:
    """P(conversion) and expected value from (start), with states outside ``keep`` sent to (null)."""
    if keep is None:
        keep = np.ones(chain.start.shape[0], dtype=bool)
    idx = np.flatnonzero(keep)
    if idx.size == 0:
        return 0.0, 0.0
    q = chain.q[idx][:, idx]
    a = (sp.identity(idx.size, format="csc") - q.tocsc()).tocsc()
    rhs = np.column_stack([chain.r_conv[idx], chain.r_value[idx]])
    x = _solve(a, rhs)
    s = chain.start[idx]
    return float(s @ x[:, 0]), float(s @ x[:, 1])


def _solve(a: sp.csc_matrix, rhs: Float) -> Float:
    if a.shape[0] <= 2000:
        return np.asarray(np.linalg.solve(a.toarray(), rhs), dtype=np.float64)
    lu = spla.splu(a, permc_spec="COLAMD")
    return np.asarray(lu.solve(rhs), dtype=np.float64)


def markov(paths: Paths, order: int = 1) -> MarkovResult:
    """Exact Markov attribution.

    >>> from wanamaker.attribution.paths import from_sequences
    >>> r = markov(from_sequences([["a", "b"], ["a"]], [1, 0], nulls=[0, 1]))
    >>> r.p_conversion, r.removal_effects.tolist(), r.conversions.tolist()
    (0.5, [1.0, 1.0], [0.5, 0.5])
    """
    chain = build_chain(paths, order)
    p, ev = absorb(chain)
    k = len(paths.channels)
    re = np.zeros(k)
    re_v = np.zeros(k)
    member_cols = chain.members.tocsc()
    for c in range(k):
        has = np.zeros(chain.start.shape[0], dtype=bool)
        has[member_cols.indices[member_cols.indptr[c] : member_cols.indptr[c + 1]]] = True
        if not has.any():
            continue
        pc, evc = absorb(chain, ~has)
        re[c] = 1.0 - pc / p if p > 0 else 0.0
        re_v[c] = 1.0 - evc / ev if ev > 0 else 0.0
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
