"""Intervals for the fast fit: a moving-block residual bootstrap that refits every replicate.

Each replicate keeps the spend, the baseline columns and the fitted outcome, and adds the fit's residuals
resampled in blocks of consecutive weeks (Kunsch 1989, "The jackknife and the bootstrap for general stationary
observations"), so residual autocorrelation over a few weeks is kept; the residuals are first inflated for the
degrees of freedom the fit used. Each replicate is refitted in full (the
channel coefficients, the baseline, and the adstock and saturation parameters, searched from the point fit);
a lift test's measured lift is redrawn from its interval for every replicate. Intervals are the 5th and 95th
percentiles of the replicates (90 %), as elsewhere in wanamaker. The generator is seeded: a seed gives the same
intervals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from wanamaker.mmm.model import CalibrationRows, PointFit, Problem
from wanamaker.mmm.transforms import Array

LEVEL = 0.90

#: called with (replicates done, replicates in all)
OnReplicate = Callable[[int, int], None]


def block_length(n: int) -> int:
    """The block length: ``n^(1/3)`` rounded, at least 2 weeks (the usual rate for the moving-block bootstrap).

    >>> block_length(179)
    6
    """
    return max(2, int(round(n ** (1.0 / 3.0))))


def resample_blocks(residuals: Array, length: int, rng: np.random.Generator) -> Array:
    """Residuals resampled in moving blocks of ``length`` weeks, cut to the series' length."""
    n = residuals.size
    length = min(length, n)
    starts = rng.integers(0, n - length + 1, size=-(-n // length))
    index = (starts[:, None] + np.arange(length)[None, :]).ravel()[:n]
    out: Array = residuals[index]
    return out


@dataclass(frozen=True)
class Replicates:
    """Every replicate's natural parameters (replicates x channels x names) and scaled coefficients."""

    natural: Array
    beta: Array

    @property
    def size(self) -> int:
        return int(self.beta.shape[0])


def bootstrap(problem: Problem, point: PointFit, fitted: Array, residuals: Array, *, replicates: int,
              seed: int, parameters: int = 0, cal: CalibrationRows | None = None, cal_sd: Array | None = None,
              on_replicate: OnReplicate | None = None) -> Replicates:
    """Refit ``replicates`` resampled outcomes (scaled units) starting from ``point``; ``parameters`` (the fit's
    count) inflates the residuals by ``sqrt(n / (n - parameters))``, since fitted residuals are smaller than the
    errors they stand for (Davison & Hinkley 1997, "Bootstrap methods and their application", section 6.2.3)."""
    rng = np.random.default_rng(seed)
    n = fitted.size
    length = block_length(n)
    centred = (residuals - residuals.mean()) * np.sqrt(n / max(n - parameters, 1))
    naturals = np.empty((replicates, *point.natural.shape))
    betas = np.empty((replicates, point.beta.size))
    for i in range(replicates):
        y_star = fitted + resample_blocks(centred, length, rng)
        rep_cal = cal
        if cal is not None and cal_sd is not None:
            rep_cal = cal.with_targets(cal.target + rng.normal(0.0, 1.0, cal.size) * cal_sd)
        refit = problem.fit(problem.design.project_out(y_star), rep_cal, start=point.natural)
        naturals[i], betas[i] = refit.natural, refit.beta
        if on_replicate is not None:
            on_replicate(i + 1, replicates)
    return Replicates(naturals, betas)


def interval(samples: Array) -> tuple[Array, Array]:
    """The 90 % percentile interval of each column of (replicates x columns)."""
    lo = np.percentile(samples, 100 * (1 - LEVEL) / 2, axis=0)
    hi = np.percentile(samples, 100 * (1 + LEVEL) / 2, axis=0)
    return lo, hi


__all__ = ["LEVEL", "OnReplicate", "Replicates", "block_length", "bootstrap", "interval", "resample_blocks"]
