"""Aggregated paths: the compact input of the data-driven models (DESIGN "Attribution").

A :class:`Paths` holds distinct channel sequences in CSR form (``offsets`` into ``steps``, each step
a channel code) with, per path, the number of converting journeys, their value and the number of
non-converting journeys. Markov and Shapley read nothing else, so a journey table and a
ChannelAttribution-style paths file reach the same code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

Int = NDArray[np.int64]
Steps = NDArray[np.int32]  # channel codes, one per step (4 bytes: a paths file can hold tens of millions)
# float arrays; typed loosely because numpy's stubs type bincount(weights=...) as integer
Float = NDArray[Any]


@dataclass(frozen=True)
class Paths:
    """Distinct paths with their counts.

    ``steps[offsets[i]:offsets[i+1]]`` are the channel codes of path ``i`` (indices into
    ``channels``); ``conversions``, ``value`` and ``nulls`` are aligned with the paths.
    """

    channels: tuple[str, ...]
    offsets: Int
    steps: Steps
    conversions: Float
    value: Float
    nulls: Float

    @property
    def n_paths(self) -> int:
        return int(self.offsets.shape[0] - 1)

    @property
    def lengths(self) -> Int:
        return np.diff(self.offsets)

    @property
    def path_index(self) -> Int:
        """The path number of every step."""
        return np.repeat(np.arange(self.n_paths, dtype=np.int64), self.lengths)

    def with_counts(self, conversions: Float, value: Float, nulls: Float) -> Paths:
        """The same paths with other counts (a bootstrap replicate)."""
        return Paths(self.channels, self.offsets, self.steps, conversions, value, nulls)

    def path_strings(self, sep: str = " > ") -> list[str]:
        names = np.asarray(self.channels, dtype=object)
        return [sep.join(names[self.steps[a:b]]) for a, b in zip(self.offsets[:-1], self.offsets[1:], strict=False)]


def from_sequences(
    sequences: list[list[str]],
    conversions: list[float] | Float,
    value: list[float] | Float | None = None,
    nulls: list[float] | Float | None = None,
) -> Paths:
    """Build :class:`Paths` from Python lists (small inputs, tests, docs).

    >>> p = from_sequences([["a", "b"], ["b"]], [1, 0], nulls=[0, 2])
    >>> p.channels, p.n_paths, p.steps.tolist()
    (('a', 'b'), 2, [0, 1, 1])
    """
    channels = tuple(sorted({c for seq in sequences for c in seq}))
    code = {c: i for i, c in enumerate(channels)}
    lengths = np.array([len(s) for s in sequences], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    steps = np.array([code[c] for s in sequences for c in s], dtype=np.int32)
    conv = np.asarray(conversions, dtype=np.float64)
    val = conv.copy() if value is None else np.asarray(value, dtype=np.float64)
    nul = np.zeros_like(conv) if nulls is None else np.asarray(nulls, dtype=np.float64)
    return Paths(channels, offsets, steps, conv, val, nul)


def from_codes(
    channels: tuple[str, ...],
    path_of_step: Int,
    steps: Int,
    conversions: Float,
    value: Float,
    nulls: Float,
) -> Paths:
    """Aggregate journeys (steps sorted by journey, ``path_of_step`` the journey number of each
    step, journeys numbered 0..n-1 with at least one step) into distinct paths."""
    n = conversions.shape[0]
    lengths = np.bincount(path_of_step, minlength=n).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    key = _path_keys(offsets, steps, len(channels))
    uniq, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    m = uniq.shape[0]
    conv = np.bincount(inverse, weights=conversions, minlength=m)
    val = np.bincount(inverse, weights=value, minlength=m)
    nul = np.bincount(inverse, weights=nulls, minlength=m)
    keep_len = lengths[first]
    new_offsets = np.concatenate([[0], np.cumsum(keep_len)]).astype(np.int64)
    take = np.repeat(offsets[first], keep_len) + (
        np.arange(int(new_offsets[-1]), dtype=np.int64) - np.repeat(new_offsets[:-1], keep_len)
    )
    return Paths(channels, new_offsets, steps[take].astype(np.int32), conv, val, nul)


def _path_keys(offsets: Int, steps: Int, n_channels: int) -> NDArray[np.void]:
    """A hashable key per path (its code sequence as bytes, length-prefixed)."""
    lengths = np.diff(offsets)
    width = int(lengths.max()) if lengths.size else 0
    mat = np.full((lengths.shape[0], width + 1), -1, dtype=np.int32)
    mat[:, 0] = lengths
    rows = np.repeat(np.arange(lengths.shape[0]), lengths)
    cols = np.arange(steps.shape[0]) - np.repeat(offsets[:-1], lengths) + 1
    mat[rows, cols] = steps
    return np.ascontiguousarray(mat).view(np.dtype((np.void, mat.dtype.itemsize * mat.shape[1]))).ravel()
