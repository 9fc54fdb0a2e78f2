"""Uncertainty: a Poisson bootstrap over journeys (DESIGN "Attribution", ``--ci``).

Each replicate gives every journey a Poisson(1) weight. For models whose credit is a sum over
journeys (the rule models) a replicate's credit by any key is ``weights @ credit matrix``
(:func:`journey_sum`). For the data-driven models by channel, journeys are aggregated to paths, and
the sum of Poisson(1) weights over a path's ``n`` journeys is Poisson(n), so each replicate redraws
the path counts and re-solves the model (:func:`path_replicates`).

For the data-driven models by any other key (campaign, content, touch type, segment, period) the
replicate is carried down to touches (:func:`placed_replicates`): every converting journey draws
its own Poisson(1) weight and every path's non-converting journeys a Poisson(n) count; the model is
re-solved on the replicate's paths; the replicate's channel credit is placed on the touches of the
replicate's journeys exactly as the point estimate is (IPF on the same journey x channel layout,
from the same start, with each journey's outcome times its weight); and the touches' credits are
summed by key. So a key's interval moves with its channels' credit as well as with its own
journeys, and each replicate's key credits sum to the replicate's outcome (checked). Intervals are
the 5th and 95th percentiles (90 %).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from wanamaker.attribution import credits
from wanamaker.attribution.paths import Float, Int, Paths

LEVEL = 0.90
WEIGHTS_PER_BLOCK = 1 << 24  # journey weights drawn at once by journey_sum (128 MB)


def interval(samples: Float) -> tuple[Float, Float]:
    """Per column of (replicates x channels): the 90 % percentile interval."""
    lo = np.percentile(samples, 100 * (1 - LEVEL) / 2, axis=0)
    hi = np.percentile(samples, 100 * (1 + LEVEL) / 2, axis=0)
    return np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)


def journey_sum(journey: Int, key: Int, credit: Float, n_journeys: int, n_keys: int,
                replicates: int, seed: int) -> Float:
    """Replicates x keys of credits re-weighted by Poisson(1) journey weights; the weights are drawn
    a block of replicates at a time (about 16 M weights), the same stream as in one draw."""
    m = sp.csr_matrix((credit, (journey, key)), shape=(n_journeys, n_keys))
    rng = np.random.default_rng(seed)
    out = np.zeros((replicates, n_keys))
    block = max(1, WEIGHTS_PER_BLOCK // max(n_journeys, 1))
    for b0 in range(0, replicates, block):
        w = rng.poisson(1.0, size=(min(block, replicates - b0), n_journeys)).astype(np.float64)
        out[b0:b0 + w.shape[0]] = (m.T @ w.T).T
    return out


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


@dataclass(frozen=True)
class Resample:
    """What :func:`placed_replicates` redraws: every path's non-converting journeys (``paths``,
    whose conversions the replicate replaces), and each converting journey (its outcome, value and
    path among ``conv_paths``, the distinct sequences of converting journeys)."""

    paths: Paths
    conv_paths: Paths
    path_of_journey: Int
    journey_value: Float


def resample(paths: Paths, journey: Int, channel: Int, journey_value: Float) -> Resample:
    """The :class:`Resample` of ``paths`` and the converting journeys' touches (sorted by
    journey and position; journeys numbered 0..n-1)."""
    offsets, steps, path_of_journey = distinct_sequences(journey, channel, journey_value.shape[0])
    zeros = np.zeros(offsets.shape[0] - 1)
    conv_paths = Paths(paths.channels, offsets, steps.astype(np.int32), zeros, zeros, zeros)
    return Resample(paths, conv_paths, path_of_journey, journey_value)


def distinct_sequences(journey: Int, code: Int, n_journeys: int) -> tuple[Int, Int, Int]:
    """Distinct code sequences of journeys in CSR form (offsets, steps) and each journey's index
    among them; sequences are compared exactly (as bytes, hashed by Arrow)."""
    lengths = np.bincount(journey, minlength=n_journeys).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    data = np.ascontiguousarray(code, dtype=np.int32)
    seqs = pa.Array.from_buffers(pa.large_binary(), n_journeys,
                                 [None, pa.py_buffer(offsets * 4), pa.py_buffer(data.tobytes())])
    idx = pc.dictionary_encode(seqs).indices.to_numpy(zero_copy_only=False).astype(np.int64)
    n = int(idx.max()) + 1 if idx.size else 0
    first = np.zeros(n, dtype=np.int64)
    first[idx[::-1]] = np.arange(n_journeys - 1, -1, -1)
    keep = lengths[first]
    new_offsets = np.concatenate([[0], np.cumsum(keep)]).astype(np.int64)
    take = np.repeat(offsets[first], keep) + (np.arange(int(new_offsets[-1])) - np.repeat(new_offsets[:-1], keep))
    return new_offsets, np.asarray(code, dtype=np.int64)[take], idx


def placed_replicates(model: Callable[[Paths], Float], rs: Resample, lay: credits.Layout, key: Int, n_keys: int,
                      outcome: Float, replicates: int, seed: int) -> Float:
    """Replicates x keys: each replicate's model credit, placed on its touches, summed by ``key``.

    ``model`` maps a replicate's paths to its channel credit of the measure whose per-journey
    ``outcome`` is given (1 per converting journey for conversions, the journey's value for value);
    ``lay`` and ``key`` are over the converting journeys' touches.
    """
    rng = np.random.default_rng(seed)
    template = _template(rs)
    out = np.zeros((replicates, n_keys))
    for b in range(replicates):
        w = np.asarray(rng.poisson(1.0, size=rs.path_of_journey.shape[0]), dtype=np.float64)
        nulls = np.asarray(rng.poisson(rs.paths.nulls), dtype=np.float64)
        out[b] = placed_credit(model, rs, lay, key, n_keys, outcome, w, nulls, template)
        credits.check_sum(f"bootstrap replicate {b}", float(out[b].sum()), float((w * outcome).sum()))
    return out


def placed_credit(model: Callable[[Paths], Float], rs: Resample, lay: credits.Layout, key: Int, n_keys: int,
                  outcome: Float, weights: Float, nulls: Float, template: Paths | None = None) -> Float:
    """Credit by key of one replicate: converting journeys weighted by ``weights``, every path's
    non-converting journeys counted ``nulls``. Weights of 1 and the observed nulls give the point
    estimate."""
    c = rs.conv_paths
    rep = (template or _template(rs)).with_counts(
        np.concatenate([np.zeros(rs.paths.n_paths), np.bincount(rs.path_of_journey, weights=weights,
                                                                  minlength=c.n_paths)]),
        np.concatenate([np.zeros(rs.paths.n_paths), np.bincount(rs.path_of_journey, weights=weights * rs.journey_value,
                                                                  minlength=c.n_paths)]),
        np.concatenate([nulls, np.zeros(c.n_paths)]),
    )
    o = weights * outcome
    share = credits.place_on(lay, o, model(rep)).touch_share
    return np.bincount(key, weights=share * o[lay.touch_journey], minlength=n_keys)


def _template(rs: Resample) -> Paths:
    """Every path (for its non-converting journeys) followed by every converting sequence."""
    p, c = rs.paths, rs.conv_paths
    return Paths(p.channels, np.concatenate([p.offsets, p.offsets[-1] + c.offsets[1:]]),
                 np.concatenate([p.steps, c.steps]), p.conversions, p.value, p.nulls)
