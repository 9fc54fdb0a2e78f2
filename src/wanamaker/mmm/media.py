"""The media part of the model: each channel's scaled spend through adstock and saturation, with the parameter
space the fit searches.

A channel's parameters are ``alpha`` (adstock) and ``lam`` (logistic) or ``kappa, slope`` (Hill). The search runs
in coordinates ``u``: ``alpha`` as it is, the others as logarithms (they are scale parameters), each inside
bounds wide enough for spend scaled to a largest week of 1. :func:`features` evaluates every channel at once
(one row per channel) and, when asked, the derivatives of each row with respect to its coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from wanamaker.mmm.transforms import (
    L_MAX,
    Array,
    geometric_adstock,
    geometric_adstock_dalpha,
    hill_saturation,
    hill_saturation_grad,
    logistic_saturation,
    logistic_saturation_dlam,
    logistic_saturation_dx,
)

SaturationName = Literal["logistic", "hill"]
SATURATIONS: tuple[str, ...] = ("logistic", "hill")

#: natural bounds of each parameter (spend scaled so that its largest week is 1)
BOUNDS: dict[str, tuple[float, float]] = {
    "alpha": (0.0, 0.95),
    "lam": (0.05, 20.0),
    "kappa": (0.02, 5.0),
    "slope": (0.3, 5.0),
}
#: the starting grid of each parameter (coordinate descent over it, then a bounded gradient search)
GRID: dict[str, tuple[float, ...]] = {
    "alpha": tuple(np.round(np.linspace(0.0, 0.9, 10), 2)),
    "lam": tuple(np.round(np.geomspace(0.1, 16.0, 12), 4)),
    "kappa": tuple(np.round(np.geomspace(0.05, 2.5, 8), 4)),
    "slope": (0.7, 1.0, 1.5, 2.5),
}
LOG_PARAMS = frozenset({"lam", "kappa", "slope"})


@dataclass(frozen=True)
class MediaSpec:
    """How spend becomes a channel's feature: adstock (``l_max`` weeks, normalised or not), then saturation."""

    saturation: SaturationName = "logistic"
    l_max: int = L_MAX
    normalize: bool = True

    @property
    def names(self) -> tuple[str, ...]:
        return ("alpha", "lam") if self.saturation == "logistic" else ("alpha", "kappa", "slope")

    def to_u(self, natural: Array) -> Array:
        """Natural parameters (channels x names) to search coordinates."""
        u = np.array(natural, dtype=np.float64)
        for j, name in enumerate(self.names):
            if name in LOG_PARAMS:
                u[..., j] = np.log(u[..., j])
        return u

    def to_natural(self, u: Array) -> Array:
        out = np.array(u, dtype=np.float64)
        for j, name in enumerate(self.names):
            if name in LOG_PARAMS:
                out[..., j] = np.exp(out[..., j])
        return out

    def u_bounds(self) -> list[tuple[float, float]]:
        out = []
        for name in self.names:
            lo, hi = BOUNDS[name]
            out.append((float(np.log(lo)), float(np.log(hi))) if name in LOG_PARAMS else (lo, hi))
        return out

    def grid(self) -> Array:
        """Every combination of the grids (rows), natural parameters."""
        axes = [np.asarray(GRID[name]) for name in self.names]
        mesh = np.meshgrid(*axes, indexing="ij")
        return np.stack([m.ravel() for m in mesh], axis=1)


def features(x: Array, natural: Array, spec: MediaSpec) -> Array:
    """Each row of ``x`` (scaled spend, rows x weeks) through adstock and saturation with its row of ``natural``."""
    alpha = natural[:, 0]
    a = geometric_adstock(x, alpha, spec.l_max, normalize=spec.normalize)
    if spec.saturation == "logistic":
        return logistic_saturation(a, natural[:, 1:2])
    return hill_saturation(a, natural[:, 1:2], natural[:, 2:3])


def features_grad(x: Array, natural: Array, spec: MediaSpec) -> tuple[Array, Array]:
    """The features and their derivatives with respect to the search coordinates ``u``: shapes (rows, weeks) and
    (rows, names, weeks)."""
    alpha = natural[:, 0]
    a = geometric_adstock(x, alpha, spec.l_max, normalize=spec.normalize)
    da = geometric_adstock_dalpha(x, alpha, spec.l_max, normalize=spec.normalize)
    grads = np.empty((x.shape[0], len(spec.names), x.shape[-1]))
    if spec.saturation == "logistic":
        lam = natural[:, 1:2]
        f = logistic_saturation(a, lam)
        grads[:, 0] = logistic_saturation_dx(a, lam) * da
        grads[:, 1] = lam * logistic_saturation_dlam(a, lam)  # d / d log(lam)
        return f, grads
    kappa, slope = natural[:, 1:2], natural[:, 2:3]
    f = hill_saturation(a, kappa, slope)
    d_x, d_kappa, d_slope = hill_saturation_grad(a, kappa, slope)
    grads[:, 0] = d_x * da
    grads[:, 1] = kappa * d_kappa
    grads[:, 2] = slope * d_slope
    return f, grads


__all__ = ["BOUNDS", "GRID", "SATURATIONS", "MediaSpec", "SaturationName", "features", "features_grad"]
