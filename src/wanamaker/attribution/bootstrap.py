"""Uncertainty: a Poisson bootstrap over journeys (DESIGN "Attribution", ``--ci``).

Each replicate gives every journey a Poisson(1) weight. For models whose credit is a sum over
journeys (the rule models) a replicate's channel credit is ``weights @ credit matrix``. For the
data-driven models journeys are aggregated to paths, and the sum of Poisson(1) weights over a
path's ``n`` journeys is Poisson(n), so each replicate redraws the path counts and re-solves the
model. Intervals are the 5th and 95th percentiles (90 %).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from wanamaker.attribution.paths import Float, Int, Paths

LEVEL = 0.90


def interval(samples: Float) -> tuple[Float, Float]:
    """Per column of (replicates x channels): the 90 % percentile interval."""
    lo = np.percentile(samples, 100 * (1 - LEVEL) / 2, axis=0)
    hi = np.percentile(samples, 100 * (1 + LEVEL) / 2, axis=0)
    return np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)


def journey_sum(journey: Int, key: Int, credit: Float, n_journeys: int, n_keys: int,
                replicates: int, seed: int) -> Float:
    """Replicates x keys of credits re-weighted by Poisson(1) journey weights."""
    m = sp.csr_matrix((credit, (journey, key)), shape=(n_journeys, n_keys))
    rng = np.random.default_rng(seed)
    w = rng.poisson(1.0, size=(replicates, n_journeys)).astype(np.float64)
    return np.asarray((m.T @ w.T).T, dtype=np.float64)


def path_replicates(paths: Paths, model: Callable[[Paths], Float], replicates: int, seed: int) -> Float:
    """Replicates x channels of a path model's credit under Poisson-redrawn path counts."""
    rng = np.random.default_rng(seed)
    out = np.zeros((replicates, len(paths.channels)))
    per_conv = np.divide(paths.value, paths.conversions, out=np.zeros_like(paths.value),
                         where=paths.conversions > 0)
    for b in range(replicates):
        conv = rng.poisson(paths.conversions).astype(np.float64)
        nulls = rng.poisson(paths.nulls).astype(np.float64)
        out[b] = model(paths.with_counts(conv, conv * per_conv, nulls))
    return out
