"""The statistics of randomised experiments, on per-variant counts and moments only (docs/experiments.md).

Pure numpy / scipy.special; every function takes aggregates, so the engine never ships a unit row here.

- **Wilson score interval** of one rate (Wilson 1927): centre ``(x + z²/2) / (n + z²)``, half-width
  ``z sqrt(x(n - x)/n + z²/4) / (n + z²)``.
- **Newcombe hybrid score interval** of a difference of rates ``p_t - p_c`` (Newcombe 1998, *Statistics in Medicine*
  17:873, method 10): with Wilson limits ``l_t, u_t`` and ``l_c, u_c``,
  ``[d - sqrt((p_t - l_t)² + (u_c - p_c)²), d + sqrt((u_t - p_t)² + (p_c - l_c)²)]``.
- **Two-proportion z-test** (pooled variance; the same p-value as Pearson's chi-square on the 2x2 table
  without continuity correction).
- **Beta-Binomial posterior** of the difference: each rate ``Beta(1 + x, 1 + n - x)`` (uniform prior),
  independent; P(treatment better) and the equal-tailed credible interval from Monte-Carlo draws with a seed
  fixed by the counts (so a result never changes between runs).
- **Welch's t interval** for a difference of means from each group's mean and sample variance
  (Welch 1947; Welch-Satterthwaite degrees of freedom).
- **Sample-ratio mismatch**: Pearson's chi-square goodness of fit of the units per variant against the planned
  allocation (Fabijan et al. 2019, *Diagnosing sample ratio mismatch in online controlled experiments*, KDD);
  flagged below ``SRM_ALPHA`` = 0.001, their threshold.
- **Always-valid (sequential) interval**: the two-sided normal-mixture confidence sequence (Robbins 1970;
  Howard, Ramdas, McAuliffe & Sekhon 2021, *Ann. Statist.* 49:1055), which is the mixture SPRT of Johari,
  Koomen, Pekelis & Walsh 2017 (*Peeking at A/B tests*, KDD) with a normal mixing distribution, in the form of
  the Gaussian-mixture asymptotic confidence sequence of Waudby-Smith, Arbour, Sinha, Kennedy & Ramdas
  (2024, *Ann. Statist.* 52:1, "Time-uniform central limit theory"). With ``V`` the variance of the difference,
  ``N`` the units of both arms, ``c = -2 log(alpha)`` and ``r = N x* / n*`` (``x* = c + log(1 + x*)``; the
  sequence is tightest at ``n*`` units, fixed before any data is seen):
  half-width ``sqrt(V (1 + 1/r) (log(1 + r) + c))``; always-valid p-value
  ``min(1, sqrt(1 + r) exp(-d² r / (2 V (1 + r))))``. The interval may be read after every new unit and
  stays valid: the chance that it ever excludes a true difference is at most alpha (asymptotically; ``V`` uses
  add-one rates ``(x + 1)/(n + 2)`` so that the first looks, with few conversions, are not over-confident).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import erfc, exp, log, log1p, sqrt
from statistics import NormalDist
from typing import Any

import numpy as np
from scipy import special

SRM_ALPHA = 0.001  # Fabijan et al. 2019: an SRM alarm below this p-value
TARGET_UNITS = 1_000  # n*: units at which the sequential interval is tightest
DRAWS = 200_000  # posterior draws


def z_value(level: float) -> float:
    """The two-sided standard normal quantile of ``level`` (1.6449 at 0.9).

    >>> round(z_value(0.9), 4)
    1.6449
    """
    return NormalDist().inv_cdf(0.5 + level / 2)


def wilson(x: int, n: int, level: float) -> tuple[float, float] | None:
    """Wilson score interval of the rate ``x / n``; ``None`` when ``n`` is 0.

    >>> [round(v, 4) for v in wilson(0, 10, 0.95)]
    [0.0, 0.2775]
    """
    if n <= 0:
        return None
    z = z_value(level)
    z2 = z * z
    centre = (x + z2 / 2) / (n + z2)
    half = z * sqrt(x * (n - x) / n + z2 / 4) / (n + z2)
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe(x_t: int, n_t: int, x_c: int, n_c: int, level: float) -> tuple[float, float] | None:
    """Newcombe's hybrid score interval of ``x_t/n_t - x_c/n_c`` (method 10); ``None`` when a group is empty.

    >>> [round(v, 4) for v in newcombe(56, 70, 48, 80, 0.95)]  # Newcombe 1998, table II, example (a)
    [0.0524, 0.3339]
    """
    wt, wc = wilson(x_t, n_t, level), wilson(x_c, n_c, level)
    if wt is None or wc is None:
        return None
    p_t, p_c = x_t / n_t, x_c / n_c
    d = p_t - p_c
    low = d - sqrt((p_t - wt[0]) ** 2 + (wc[1] - p_c) ** 2)
    high = d + sqrt((wt[1] - p_t) ** 2 + (p_c - wc[0]) ** 2)
    return max(-1.0, low), min(1.0, high)


def two_proportion_p_value(x_t: int, n_t: int, x_c: int, n_c: int) -> float | None:
    """Two-sided p-value of the pooled two-proportion z-test; 1.0 when nobody or everybody converted.

    >>> round(two_proportion_p_value(56, 70, 48, 80), 4)
    0.008
    """
    if n_t <= 0 or n_c <= 0:
        return None
    pooled = (x_t + x_c) / (n_t + n_c)
    var = pooled * (1 - pooled) * (1 / n_t + 1 / n_c)
    if var <= 0:
        return 1.0
    z = (x_t / n_t - x_c / n_c) / sqrt(var)
    return erfc(abs(z) / sqrt(2))


@dataclass(frozen=True)
class Posterior:
    """The Beta-Binomial posterior of ``p_t - p_c``: P(p_t > p_c), its mean and equal-tailed credible interval."""

    prob_better: float
    mean: float
    low: float
    high: float


def beta_difference(x_t: int, n_t: int, x_c: int, n_c: int, level: float, draws: int = DRAWS) -> Posterior:
    """Monte-Carlo posterior of the difference of two rates under independent Beta(1, 1) priors; the seed is
    the counts, so the same data always gives the same numbers (Monte-Carlo error of ``prob_better`` about
    ``0.5 / sqrt(draws)``)."""
    rng = np.random.default_rng([x_t, n_t, x_c, n_c, draws])
    t = rng.beta(1 + x_t, 1 + n_t - x_t, draws)
    c = rng.beta(1 + x_c, 1 + n_c - x_c, draws)
    d = t - c
    low, high = np.quantile(d, [(1 - level) / 2, (1 + level) / 2])
    return Posterior(float(np.mean(d > 0)), float(np.mean(d)), float(low), float(high))


@dataclass(frozen=True)
class MeanDifference:
    """A difference of means with Welch's interval and two-sided p-value (``None`` when undefined)."""

    diff: float
    low: float | None
    high: float | None
    p_value: float | None


def welch(mean_t: float, var_t: float, n_t: int, mean_c: float, var_c: float, n_c: int,
          level: float) -> MeanDifference:
    """Welch's interval for ``mean_t - mean_c`` from group means and sample variances (ddof 1).

    >>> r = welch(10.0, 4.0, 20, 8.0, 9.0, 30, 0.95)
    >>> round(r.low, 4), round(r.high, 4)
    (0.5783, 3.4217)
    """
    diff = mean_t - mean_c
    if n_t < 2 or n_c < 2:
        return MeanDifference(diff, None, None, None)
    a, b = max(var_t, 0.0) / n_t, max(var_c, 0.0) / n_c
    se2 = a + b
    if se2 <= 0:
        return MeanDifference(diff, diff, diff, 1.0 if diff == 0 else 0.0)
    df = se2**2 / (a**2 / (n_t - 1) + b**2 / (n_c - 1))
    half = float(special.stdtrit(df, 0.5 + level / 2)) * sqrt(se2)
    p = 2 * float(special.stdtr(df, -abs(diff) / sqrt(se2)))
    return MeanDifference(diff, diff - half, diff + half, p)


def t_interval(mean: float, var: float, n: int, level: float) -> tuple[float, float] | None:
    """Student's t interval of one mean; ``None`` below two units."""
    if n < 2:
        return None
    half = float(special.stdtrit(n - 1, 0.5 + level / 2)) * sqrt(max(var, 0.0) / n)
    return mean - half, mean + half


def srm_p_value(units: Sequence[int], allocation: Sequence[float]) -> float | None:
    """Chi-square goodness-of-fit p-value of ``units`` against the planned shares ``allocation`` (normalised to
    sum to 1); ``None`` with fewer than two variants. A variant planned at 0 that received units gives 0.

    >>> round(srm_p_value([5000, 5200], [0.5, 0.5]), 4)
    0.0477
    """
    if len(units) < 2 or len(units) != len(allocation):
        return None
    total, planned = float(sum(units)), float(sum(allocation))
    if total <= 0 or planned <= 0:
        return None
    stat, cells = 0.0, 0
    for o, a in zip(units, allocation, strict=True):
        e = total * a / planned
        if e <= 0:
            if o > 0:
                return 0.0
            continue
        stat += (o - e) ** 2 / e
        cells += 1
    if cells < 2:
        return None
    return float(special.chdtrc(cells - 1, stat))


def _x_star(c: float) -> float:
    """The fixed point ``x = c + log(1 + x)``: the mixture precision that makes the boundary tightest at n*."""
    x = c
    for _ in range(60):
        x = c + log1p(x)
    return x


@dataclass(frozen=True)
class Sequential:
    """The always-valid interval of ``p_t - p_c`` at level ``1 - alpha`` and its always-valid p-value."""

    low: float
    high: float
    p_value: float
    alpha: float
    target_units: int

    @property
    def significant(self) -> bool:
        """The interval excludes 0: a winner (or loser) may be called now, however often one has looked."""
        return self.low > 0 or self.high < 0


def _mixture(x_t: Any, n_t: Any, x_c: Any, n_c: Any, alpha: float, target_units: int) -> tuple[Any, Any, Any]:
    """The difference, its add-one variance ``V`` and ``r = N x* / n*`` (floats or numpy arrays)."""
    d = x_t / n_t - x_c / n_c
    qt, qc = (x_t + 1) / (n_t + 2), (x_c + 1) / (n_c + 2)
    v = qt * (1 - qt) / n_t + qc * (1 - qc) / n_c
    r = (n_t + n_c) * _x_star(-2 * log(alpha)) / target_units
    return d, v, r


def sequential(x_t: int, n_t: int, x_c: int, n_c: int, alpha: float,
               target_units: int = TARGET_UNITS) -> Sequential | None:
    """The normal-mixture confidence sequence for ``p_t - p_c`` at level ``1 - alpha`` (see the module
    docstring); ``None`` when a group is empty.

    >>> s = sequential(60, 500, 40, 500, 0.1)
    >>> round(s.low, 4), round(s.high, 4), s.significant
    (-0.0127, 0.0927, False)
    """
    if n_t <= 0 or n_c <= 0:
        return None
    d, v, r = _mixture(x_t, n_t, x_c, n_c, alpha, target_units)
    half = sqrt(v * (1 + 1 / r) * (log1p(r) - 2 * log(alpha)))
    log_lambda = d * d * r / (2 * v * (1 + r)) - 0.5 * log1p(r)
    p = 1.0 if log_lambda <= 0 else min(1.0, exp(-log_lambda))
    return Sequential(d - half, d + half, p, alpha, target_units)


def sequential_paths(x_t: np.ndarray, n_t: np.ndarray, x_c: np.ndarray, n_c: np.ndarray, alpha: float,
                     target_units: int = TARGET_UNITS) -> tuple[np.ndarray, np.ndarray]:
    """:func:`sequential` on arrays of cumulative counts, one look per element (every group non-empty): the
    low and high limits of every look."""
    d, v, r = _mixture(x_t, n_t, x_c, n_c, alpha, target_units)
    half = np.sqrt(v * (1 + 1 / r) * (np.log1p(r) - 2 * log(alpha)))
    return d - half, d + half
