"""Media transforms of the marketing-mix model: geometric adstock, then logistic or Hill saturation.

The forms and parameter names are PyMC-Marketing's (``pymc_marketing.mmm.transformers``), so a fit of either
can be read against the other:

- **Geometric adstock** (Jin et al. 2017, "Bayesian methods for media mix modeling with carryover and shape
  effects", eq. 1): ``a_t = sum_{l=0}^{L-1} w_l x_{t-l}`` with ``w_l = alpha^l``, **normalised by default**
  (``w_l = alpha^l / sum_k alpha^k``, PyMC-Marketing's ``GeometricAdstock`` default), so a constant spend keeps its
  level and ``alpha`` moves only the timing. Weeks before the data count as no spend. ``L`` is ``l_max``
  (default 8 weeks).
- **Logistic saturation**: ``f(x) = (1 - exp(-lam x)) / (1 + exp(-lam x)) = tanh(lam x / 2)``, 0 at no spend,
  tending to 1; half-saturated at ``x = ln 3 / lam``.
- **Hill saturation**: ``f(x) = x^slope / (x^slope + kappa^slope)``; ``kappa`` is the half-saturation point
  (PyMC-Marketing's ``hill_function``).

Each transform also gives its derivatives with respect to its parameters, which the fit uses for exact
gradients. Inputs are numpy arrays; spend is scaled by the model (each channel divided by its largest week)
before it reaches these functions.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

#: weeks of carryover a geometric adstock keeps by default (PyMC-Marketing's examples use 8)
L_MAX = 8


def adstock_weights(alpha: float | Array, l_max: int = L_MAX, *, normalize: bool = True) -> Array:
    """The ``l_max`` geometric weights ``alpha^l`` (``l = 0 .. l_max-1``, last axis), normalised to sum to 1 by
    default; ``alpha`` may be an array (one set of weights per value).

    >>> adstock_weights(0.5, 3).round(4).tolist()
    [0.5714, 0.2857, 0.1429]
    >>> adstock_weights(0.5, 3, normalize=False).tolist()
    [1.0, 0.5, 0.25]
    """
    w = np.power(np.asarray(alpha, dtype=np.float64)[..., None], np.arange(l_max, dtype=np.float64))
    out: Array = w / w.sum(axis=-1, keepdims=True) if normalize else w
    return out


def _adstock_weight_derivative(alpha: float | Array, l_max: int, normalize: bool) -> Array:
    a = np.asarray(alpha, dtype=np.float64)[..., None]
    lags = np.arange(l_max, dtype=np.float64)
    raw = np.power(a, lags)
    d_raw = lags * np.power(a, np.maximum(lags - 1.0, 0.0))
    if not normalize:
        return d_raw
    total, d_total = raw.sum(axis=-1, keepdims=True), d_raw.sum(axis=-1, keepdims=True)
    out: Array = (d_raw * total - raw * d_total) / (total * total)
    return out


def _convolve(x: Array, w: Array) -> Array:
    """``sum_l w_l x_{t-l}`` along the last axis of ``x`` (weeks before the data count as 0); ``w`` is one set of
    weights (last axis: lags) or one set per leading index of ``x``."""
    n = x.shape[-1]
    out = np.zeros(np.broadcast_shapes(x.shape, w.shape[:-1] + (1,)), dtype=np.float64)
    for lag in range(min(w.shape[-1], n)):
        out[..., lag:] += w[..., lag : lag + 1] * x[..., : n - lag]
    return out


def geometric_adstock(x: Array, alpha: float | Array, l_max: int = L_MAX, *, normalize: bool = True) -> Array:
    """Geometric adstock of weekly series (the last axis is time; an array ``alpha`` gives one per row).

    >>> geometric_adstock(np.array([1.0, 0.0, 0.0, 0.0]), 0.5, 3).round(4).tolist()
    [0.5714, 0.2857, 0.1429, 0.0]
    """
    return _convolve(np.asarray(x, dtype=np.float64), adstock_weights(alpha, l_max, normalize=normalize))


def geometric_adstock_dalpha(x: Array, alpha: float | Array, l_max: int = L_MAX, *, normalize: bool = True
                             ) -> Array:
    """The derivative of :func:`geometric_adstock` with respect to ``alpha``."""
    return _convolve(np.asarray(x, dtype=np.float64), _adstock_weight_derivative(alpha, l_max, normalize))


def logistic_saturation(x: Array, lam: float | Array) -> Array:
    """``(1 - exp(-lam x)) / (1 + exp(-lam x))``, written as ``tanh(lam x / 2)`` (the same number, stable).

    >>> round(float(logistic_saturation(np.array([np.log(3.0)]), 1.0)[0]), 12)
    0.5
    """
    out: Array = np.tanh(0.5 * lam * np.asarray(x, dtype=np.float64))
    return out


def logistic_saturation_dlam(x: Array, lam: float | Array) -> Array:
    """``d f / d lam = x / 2 * (1 - f^2)``."""
    x = np.asarray(x, dtype=np.float64)
    f = np.tanh(0.5 * lam * x)
    out: Array = 0.5 * x * (1.0 - f * f)
    return out


def logistic_saturation_dx(x: Array, lam: float | Array) -> Array:
    """``d f / d x = lam / 2 * (1 - f^2)``."""
    f = np.tanh(0.5 * lam * np.asarray(x, dtype=np.float64))
    out: Array = 0.5 * lam * (1.0 - f * f)
    return out


def hill_saturation(x: Array, kappa: float | Array, slope: float | Array) -> Array:
    """``x^slope / (x^slope + kappa^slope)`` (0 at no spend; 1/2 at ``x = kappa``).

    >>> hill_saturation(np.array([0.0, 2.0, 6.0]), 2.0, 1.0).tolist()
    [0.0, 0.5, 0.75]
    """
    x = np.maximum(np.asarray(x, dtype=np.float64), 0.0)
    positive = x > 0
    # x^s / (x^s + k^s) = 1 / (1 + (k / x)^s): no overflow of x^s; (k / x)^s = inf gives 0
    with np.errstate(over="ignore"):
        ratio = np.power(kappa / np.where(positive, x, 1.0), slope)
    out: Array = np.where(positive, 1.0 / (1.0 + ratio), 0.0)
    return out


def hill_saturation_grad(x: Array, kappa: float | Array, slope: float | Array) -> tuple[Array, Array, Array]:
    """``(d f / d x, d f / d kappa, d f / d slope)``: ``slope f (1-f) / x``, ``-slope f (1-f) / kappa`` and
    ``f (1-f) ln(x / kappa)`` (each 0 at ``x = 0``)."""
    x = np.maximum(np.asarray(x, dtype=np.float64), 0.0)
    f = hill_saturation(x, kappa, slope)
    g = f * (1.0 - f)
    positive = x > 0
    safe_x = np.where(positive, x, 1.0)
    d_x: Array = np.where(positive, slope * g / safe_x, 0.0)
    d_kappa: Array = -slope * g / kappa
    d_slope: Array = np.where(positive, g * (np.log(safe_x) - np.log(kappa)), 0.0)
    return d_x, d_kappa, d_slope


__all__ = [
    "L_MAX",
    "adstock_weights",
    "geometric_adstock",
    "geometric_adstock_dalpha",
    "hill_saturation",
    "hill_saturation_grad",
    "logistic_saturation",
    "logistic_saturation_dlam",
    "logistic_saturation_dx",
]
