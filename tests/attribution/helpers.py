"""Shared helpers for the attribution tests: synthetic paths and an independent Markov solve."""

from __future__ import annotations

import contextlib
import io
from typing import Any

import numpy as np

from wanamaker.attribution.paths import Paths, from_codes


def synthetic_paths(n_journeys: int, n_channels: int, seed: int, max_len: int = 8) -> Paths:
    rng = np.random.default_rng(seed)
    pop = 1 / np.arange(1, n_channels + 1) ** 0.8
    pop /= pop.sum()
    lengths = rng.geometric(0.35, n_journeys).clip(1, max_len)
    steps = rng.choice(n_channels, int(lengths.sum()), p=pop).astype(np.int64)
    pid = np.repeat(np.arange(n_journeys), lengths)
    boost = np.bincount(pid, weights=(steps == 0).astype(float), minlength=n_journeys) > 0
    conv = (rng.random(n_journeys) < 0.08 + 0.1 * boost).astype(float)
    value = conv * rng.gamma(2.0, 50.0, n_journeys)
    names = tuple(f"ch{i:02d}" for i in range(n_channels))
    return from_codes(names, pid, steps, conv, value, 1.0 - conv)


def dense_markov_p(paths: Paths, order: int, removed: str | None = None) -> float:
    """An independent Markov solve: dense matrix over tuple states built with plain Python."""
    counts: dict[tuple[Any, Any], float] = {}
    for i in range(paths.n_paths):
        seq = [paths.channels[c] for c in paths.steps[paths.offsets[i]:paths.offsets[i + 1]]]
        states = [tuple(seq)] if len(seq) < order else [tuple(seq[j - order + 1:j + 1]) for j in range(order - 1, len(seq))]
        w = paths.conversions[i] + paths.nulls[i]
        chain = [("start",)] + states
        for a, b in zip(chain[:-1], chain[1:], strict=False):
            counts[(a, b)] = counts.get((a, b), 0.0) + w
        counts[(states[-1], ("conv",))] = counts.get((states[-1], ("conv",)), 0.0) + paths.conversions[i]
        counts[(states[-1], ("null",))] = counts.get((states[-1], ("null",)), 0.0) + paths.nulls[i]
    nodes = sorted({a for a, _ in counts} | {b for _, b in counts}, key=str)
    index = {s: k for k, s in enumerate(nodes)}
    n = len(nodes)
    p = np.zeros((n, n))
    for (a, b), w in counts.items():
        p[index[a], index[b]] += w
    for s in nodes:
        if s in (("conv",), ("null",)) or (removed is not None and removed in s):
            p[index[s]] = 0.0
            if removed is not None and removed in s:
                p[index[s], index[("null",)]] = 1.0
            else:
                p[index[s], index[s]] = 1.0
    p = p / p.sum(axis=1, keepdims=True)
    transient = [k for k, s in enumerate(nodes) if s not in (("conv",), ("null",))]
    q = p[np.ix_(transient, transient)]
    r = p[transient, index[("conv",)]]
    x = np.linalg.solve(np.eye(len(transient)) - q, r)
    return float(x[transient.index(index[("start",)])])


def channelattribution() -> Any:
    with contextlib.redirect_stdout(io.StringIO()):
        import ChannelAttribution  # noqa: PLC0415

    return ChannelAttribution


