"""Exact Shapley attribution over channel sets (DESIGN "Attribution", Shapley).

``shapley`` is the simplified form of Zhao, Mahboobi & Bagheri (2018), "Shapley value methods for
attribution modeling in online advertising" (arXiv:1804.05327): phi_c = sum over sets S holding c of
R(S) / |S|, R(S) the outcome of converting journeys whose channel set is exactly S. It equals
splitting every converting journey's outcome equally over its distinct channels, and does not
depend on touch order.

``shapley_rate`` is the classical Shapley value of the characteristic function v(S) = conversion
rate (or value per journey) of all journeys, converting or not, whose channel set is a subset of S
(v = 0 when there is none); credit_c = outcome x max(phi_c, 0) / sum max(phi, 0). It enumerates all
2^n channel sets, so it is limited to ``MAX_RATE_CHANNELS`` channels.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import factorial

import numpy as np

from wanamaker.attribution.paths import Float, Int, Paths

MAX_RATE_CHANNELS = 20


@dataclass(frozen=True)
class ShapleyResult:
    model: str
    channels: tuple[str, ...]
    conversions: Float
    value: Float
    phi: Float  # raw Shapley values (shapley_rate: of the rate function, conversions)
    phi_value: Float


def channel_sets(paths: Paths) -> tuple[Int, Int]:
    """Per path: its distinct channels as (path index, channel) pairs, one row per pair."""
    pidx = paths.path_index
    pair = np.unique(pidx * len(paths.channels) + paths.steps)
    return pair // len(paths.channels), pair % len(paths.channels)


def shapley(paths: Paths) -> ShapleyResult:
    """Simplified Shapley: each converting journey's outcome split equally over its channels.

    >>> from wanamaker.attribution.paths import from_sequences
    >>> shapley(from_sequences([["a", "b", "a"], ["b"]], [2, 1])).conversions.tolist()
    [1.0, 2.0]
    """
    rows, cols = channel_sets(paths)
    size = np.bincount(rows, minlength=paths.n_paths).astype(np.float64)
    k = len(paths.channels)
    conv = np.bincount(cols, weights=paths.conversions[rows] / size[rows], minlength=k)
    val = np.bincount(cols, weights=paths.value[rows] / size[rows], minlength=k)
    return ShapleyResult("shapley", paths.channels, conv, val, conv, val)


def shapley_rate(paths: Paths) -> ShapleyResult:
    """Shapley values of the conversion-rate characteristic function, exact over all 2^n sets.

    >>> from wanamaker.attribution.paths import from_sequences
    >>> r = shapley_rate(from_sequences([["a"], ["b"], ["a", "b"]], [1, 0, 1], nulls=[1, 1, 0]))
    >>> [round(x, 6) for x in r.phi.tolist()]
    [0.5, 0.0]
    """
    n = len(paths.channels)
    if n > MAX_RATE_CHANNELS:
        raise ValueError(f"shapley_rate enumerates 2^n channel sets; {n} channels exceed {MAX_RATE_CHANNELS}")
    rows, cols = channel_sets(paths)
    mask = np.bincount(rows, weights=(1 << cols).astype(np.float64), minlength=paths.n_paths).astype(np.int64)
    size = 1 << n
    journeys = np.bincount(mask, weights=paths.conversions + paths.nulls, minlength=size)
    conv = np.bincount(mask, weights=paths.conversions, minlength=size)
    val = np.bincount(mask, weights=paths.value, minlength=size)
    for arr in (journeys, conv, val):
        _subset_sums(arr, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        v_conv = np.where(journeys > 0, conv / np.where(journeys > 0, journeys, 1), 0.0)
        v_val = np.where(journeys > 0, val / np.where(journeys > 0, journeys, 1), 0.0)
    phi = _shapley_values(v_conv, n)
    phi_v = _shapley_values(v_val, n)
    return ShapleyResult(
        "shapley_rate",
        paths.channels,
        _positive_share(phi, float(paths.conversions.sum())),
        _positive_share(phi_v, float(paths.value.sum())),
        phi,
        phi_v,
    )


def _subset_sums(arr: Float, n: int) -> None:
    """In place: arr[S] <- sum over T subset of S of arr[T] (the zeta transform)."""
    for i in range(n):
        view = arr.reshape(-1, 2, 1 << i)
        view[:, 1, :] += view[:, 0, :]


def _shapley_values(v: Float, n: int) -> Float:
    masks = np.arange(1 << n, dtype=np.int64)
    popcount = np.zeros(1 << n, dtype=np.int64)
    for i in range(n):
        popcount += (masks >> i) & 1
    weights = np.array([factorial(s) * factorial(n - s - 1) / factorial(n) for s in range(n)])
    phi = np.zeros(n)
    for c in range(n):
        without = masks[(masks >> c) & 1 == 0]
        phi[c] = float(np.sum(weights[popcount[without]] * (v[without | (1 << c)] - v[without])))
    return phi


def _positive_share(phi: Float, total: float) -> Float:
    pos = np.maximum(phi, 0.0)
    s = pos.sum()
    return pos / s * total if s > 0 else np.zeros_like(pos)
