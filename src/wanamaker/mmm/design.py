"""The baseline of the marketing-mix model: intercept, linear trend, yearly Fourier terms and controls.

These columns enter the regression without constraint or penalty. The fit removes them from the outcome and
from every channel feature by projection (Frisch-Waugh-Lovell), so the search over adstock and saturation works
on a small problem with one column per channel.

- **Trend**: days since the first week over the days the data spans (0 at the first week, 1 at the last), so its
  coefficient is the baseline's change over the data.
- **Yearly seasonality**: ``sin(2 pi k d / 365.25)`` and ``cos(2 pi k d / 365.25)`` for ``k = 1 .. order``, ``d``
  the days since 1970-01-01 (PyMC-Marketing's ``yearly_seasonality`` uses the same Fourier modes).
- **Controls**: as given (scaled to unit spread for the numerics only; coefficients are reported per unit of
  the control).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from wanamaker.mmm.transforms import Array

YEAR_DAYS = 365.25


@dataclass(frozen=True)
class BaseDesign:
    """The baseline's columns (weeks x columns), their names and an orthonormal basis of the space they span."""

    matrix: Array
    names: tuple[str, ...]
    basis: Array

    def project_out(self, v: Array) -> Array:
        """``v`` (weeks, or rows x weeks) minus its projection on the baseline's columns."""
        coef = v @ self.basis
        out: Array = v - coef @ self.basis.T
        return out

    def coefficients(self, target: Array) -> Array:
        """Least-squares coefficients of the baseline's columns for ``target`` (weeks)."""
        coef, *_ = np.linalg.lstsq(self.matrix, target, rcond=None)
        return np.asarray(coef, dtype=np.float64)


def base_design(days: NDArray[np.int64], controls: Array | None = None, control_names: tuple[str, ...] = (),
                *, fourier_order: int = 2, trend: bool = True) -> BaseDesign:
    """The baseline design for weeks starting on ``days`` (days since 1970-01-01) and ``controls`` (controls x
    weeks).

    >>> d = base_design(np.arange(0, 7 * 104, 7), fourier_order=1)
    >>> d.names
    ('intercept', 'trend', 'sin_1', 'cos_1')
    >>> d.basis.shape
    (104, 4)
    """
    n = len(days)
    t = np.asarray(days, dtype=np.float64)
    columns: list[Array] = [np.ones(n)]
    names = ["intercept"]
    if trend:
        span = float(t[-1] - t[0]) or 1.0
        columns.append((t - t[0]) / span)
        names.append("trend")
    for k in range(1, fourier_order + 1):
        phase = 2.0 * np.pi * k * t / YEAR_DAYS
        columns += [np.sin(phase), np.cos(phase)]
        names += [f"sin_{k}", f"cos_{k}"]
    if controls is not None:
        for name, column in zip(control_names, np.atleast_2d(controls), strict=True):
            columns.append(np.asarray(column, dtype=np.float64))
            names.append(name)
    matrix = np.column_stack(columns)
    spread = np.abs(matrix).max(axis=0)
    spread[spread == 0] = 1.0
    u, s, _ = np.linalg.svd(matrix / spread, full_matrices=False)
    rank = int((s > s[0] * 1e-10).sum()) if s.size else 0
    return BaseDesign(matrix, tuple(names), u[:, :rank])


__all__ = ["BaseDesign", "base_design"]
