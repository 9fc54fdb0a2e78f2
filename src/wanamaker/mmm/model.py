"""The fast fit of the marketing-mix model: penalised least squares, profiled over adstock and saturation.

Model (outcome and spend scaled by their largest absolute week, as PyMC-Marketing scales them)::

    y_t = baseline_t + sum_m beta_m f_m(x_m; alpha_m, lam_m)_t + e_t,   beta_m >= 0

with ``baseline_t`` the unpenalised intercept, trend, Fourier and control columns of
:mod:`wanamaker.mmm.design` and ``f_m`` the media transform of :mod:`wanamaker.mmm.media`. For given adstock
and saturation parameters the model is linear, so the fit **profiles** them out (variable projection, Golub &
Pereyra 1973): the baseline is removed by projection, and the channel coefficients solve a non-negative least
squares problem (``scipy.optimize.nnls``) augmented with

- a **ridge** row per channel, ``rho beta_m^2`` with ``rho = sigma^2 / tau^2``: the posterior mode under
  PyMC-Marketing's default ``beta ~ HalfNormal(tau = 2)`` prior (``sigma^2`` the residual variance of a first
  fit), so collinear channels share credit instead of swinging to extremes;
- a **calibration** row per lift test (:mod:`wanamaker.mmm.calibration`).

The criterion is that penalised sum of squares (the model is chosen by penalised fit, not cross-validation).
The search over each channel's parameters is a coordinate descent over a grid (:data:`wanamaker.mmm.media.GRID`)
followed by a bounded truncated-Newton search (TNC) with exact gradients: by the envelope theorem the gradient of
the profiled criterion needs only the derivatives of the features at the optimal coefficients.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize, nnls

from wanamaker.mmm.design import BaseDesign
from wanamaker.mmm.media import MediaSpec, features, features_grad
from wanamaker.mmm.transforms import Array

#: the scale of PyMC-Marketing's default prior on a channel's coefficient (HalfNormal, target scaled to max 1)
BETA_PRIOR_SCALE = 2.0
MAX_SWEEPS = 6


@dataclass(frozen=True)
class CalibrationRows:
    """Lift tests as rows of the regression: for test ``k``, ``coef_k * sum_{t in window_k} beta_c f_c(t)`` is
    pulled toward ``target_k`` (both already divided by the test's standard error, times the residual spread)."""

    channel: NDArray[np.int64]
    window: Array  # tests x weeks, 1 inside the test's weeks
    coef: Array
    target: Array

    @property
    def size(self) -> int:
        return int(self.channel.size)

    def with_targets(self, target: Array) -> CalibrationRows:
        return CalibrationRows(self.channel, self.window, self.coef, target)


@dataclass(frozen=True)
class PointFit:
    """Natural parameters (channels x names), scaled coefficients and the criterion at the optimum."""

    natural: Array
    beta: Array
    criterion: float


class Problem:
    """One fit's fixed parts: scaled spend (channels x weeks), the baseline, the media spec, ``rho`` and the
    calibration rows; :meth:`fit` takes the outcome with the baseline projected out."""

    def __init__(self, x: Array, design: BaseDesign, spec: MediaSpec, rho: float,
                 calibration: CalibrationRows | None = None) -> None:
        self.x = x
        self.design = design
        self.spec = spec
        self.rho = rho
        self.calibration = calibration if calibration is not None and calibration.size else None
        self.m, self.n = x.shape
        self.q = len(spec.names)

    # ------------------------------------------------------------------ the inner problem
    def _system(self, fp: Array, f: Array, yp: Array, cal: CalibrationRows | None) -> tuple[Array, Array]:
        """The augmented matrix (weeks + channels + tests) x channels and its right-hand side."""
        k = cal.size if cal is not None else 0
        a = np.zeros((self.n + self.m + k, self.m))
        a[: self.n] = fp.T
        a[self.n : self.n + self.m] = np.sqrt(self.rho) * np.eye(self.m)
        b = np.zeros(self.n + self.m + k)
        b[: self.n] = yp
        if cal is not None:
            sums = (cal.window * f[cal.channel]).sum(axis=1)
            a[self.n + self.m + np.arange(k), cal.channel] = cal.coef * sums
            b[self.n + self.m :] = cal.target
        return a, b

    def solve(self, f: Array, yp: Array, cal: CalibrationRows | None = None) -> tuple[Array, float, Array]:
        """The non-negative coefficients for features ``f`` (channels x weeks), the criterion and the residual
        of the augmented system."""
        a, b = self._system(self.design.project_out(f), f, yp, cal)
        beta, _ = nnls(a, b, maxiter=50 * self.m)
        r = b - a @ beta
        return beta, float(r @ r), r

    def objective(self, u_flat: Array, yp: Array, cal: CalibrationRows | None) -> tuple[float, Array]:
        """The profiled criterion and its gradient in search coordinates (channels x names, flattened)."""
        natural = self.spec.to_natural(u_flat.reshape(self.m, self.q))
        f, d = features_grad(self.x, natural, self.spec)
        beta, crit, r = self.solve(f, yp, cal)
        grad = d @ r[: self.n]  # channels x names: r1 is orthogonal to the baseline, so no projection is needed
        if cal is not None:
            r_cal = r[self.n + self.m :]
            for k, ch in enumerate(cal.channel):
                grad[ch] += r_cal[k] * cal.coef[k] * (d[ch] @ cal.window[k])
        grad *= -2.0 * beta[:, None]
        return crit, grad.ravel()

    # ------------------------------------------------------------------ the search
    def grid_search(self, yp: Array, cal: CalibrationRows | None) -> Array:
        """Coordinate descent over the grid, one channel at a time, until no channel moves."""
        grid = self.spec.grid()
        start = np.array([grid[len(grid) // 2]] * self.m)
        natural = start.copy()
        f = features(self.x, natural, self.spec)
        best = self.solve(f, yp, cal)[1]
        for _ in range(MAX_SWEEPS):
            moved = False
            for ch in range(self.m):
                candidates = features(np.broadcast_to(self.x[ch], (len(grid), self.n)), grid, self.spec)
                for g, row in enumerate(candidates):
                    trial = f.copy()
                    trial[ch] = row
                    crit = self.solve(trial, yp, cal)[1]
                    if crit < best - 1e-12 * max(best, 1.0):
                        best, natural[ch], moved = crit, grid[g], True
                        f = trial
            if not moved:
                break
        return natural

    def polish(self, natural: Array, yp: Array, cal: CalibrationRows | None) -> PointFit:
        """A bounded truncated-Newton search (SciPy's TNC) from ``natural``. Not L-BFGS-B or SLSQP: their steps
        call OpenBLAS, whose worker threads spin on tiny matrices and made fits 10-20 times slower on a busy
        2-core machine; TNC's C code uses no BLAS and reaches the same optima."""
        u0 = self.spec.to_u(natural).ravel()
        bounds = self.spec.u_bounds() * self.m
        u0 = np.clip(u0, [lo for lo, _ in bounds], [hi for _, hi in bounds])
        res = minimize(self.objective, u0, args=(yp, cal), jac=True, method="TNC", bounds=bounds,
                       options={"maxfun": max(200, 40 * u0.size), "ftol": 1e-12})
        best_natural = self.spec.to_natural(np.asarray(res.x).reshape(self.m, self.q))
        beta, crit, _ = self.solve(features(self.x, best_natural, self.spec), yp, cal)
        return PointFit(best_natural, beta, crit)

    def fit(self, yp: Array, cal: CalibrationRows | None = None, start: Array | None = None) -> PointFit:
        """The best parameters for ``yp``: from ``start`` when given (a bootstrap refit), else from the grid."""
        natural = start if start is not None else self.grid_search(yp, cal)
        return self.polish(natural, yp, cal)


def residual_variance(rss: float, n: int, parameters: int) -> float:
    """``rss / (n - parameters)``, floored at one parameter short of saturation."""
    return rss / max(n - parameters, 1)


def ridge_from_variance(sigma2: float) -> float:
    """``rho = sigma^2 / tau^2`` for the ``HalfNormal(tau)`` prior on each scaled coefficient."""
    return sigma2 / BETA_PRIOR_SCALE**2


__all__ = ["BETA_PRIOR_SCALE", "CalibrationRows", "PointFit", "Problem", "residual_variance", "ridge_from_variance"]
