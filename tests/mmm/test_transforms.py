"""The media transforms against values worked out by hand, and their derivatives against finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest

from wanamaker.mmm.media import MediaSpec, features, features_grad
from wanamaker.mmm.transforms import (
    adstock_weights,
    geometric_adstock,
    geometric_adstock_dalpha,
    hill_saturation,
    hill_saturation_grad,
    logistic_saturation,
    logistic_saturation_dlam,
)


def test_geometric_adstock_by_hand() -> None:
    # alpha 0.5, 3 weeks: raw weights 1, 0.5, 0.25 (sum 1.75); normalised 4/7, 2/7, 1/7
    x = np.array([7.0, 0.0, 7.0, 0.0, 0.0])
    assert geometric_adstock(x, 0.5, 3, normalize=False).tolist() == [7.0, 3.5, 8.75, 3.5, 1.75]
    assert geometric_adstock(x, 0.5, 3).tolist() == pytest.approx([4.0, 2.0, 5.0, 2.0, 1.0])
    # weeks before the data count as no spend; lags beyond l_max are dropped
    assert geometric_adstock(np.array([1.0, 0, 0, 0]), 0.5, 2, normalize=False).tolist() == [1.0, 0.5, 0.0, 0.0]
    # alpha 0: no carryover
    assert geometric_adstock(x, 0.0, 8).tolist() == x.tolist()
    # normalised weights keep a constant spend's level
    assert geometric_adstock(np.full(20, 3.0), 0.7, 8)[-1] == pytest.approx(3.0)


def test_adstock_rows_with_their_own_alpha() -> None:
    x = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    out = geometric_adstock(x, np.array([0.5, 0.0]), 3, normalize=False)
    assert out.tolist() == [[1.0, 0.5, 0.25], [1.0, 0.0, 0.0]]
    assert adstock_weights(np.array([0.5, 0.2]), 2, normalize=False).tolist() == [[1.0, 0.5], [1.0, 0.2]]


def test_logistic_saturation_by_hand() -> None:
    # (1 - e^-2) / (1 + e^-2) at lam 4, x 0.5
    expected = (1 - math.exp(-2.0)) / (1 + math.exp(-2.0))
    assert logistic_saturation(np.array([0.0, 0.5]), 4.0).tolist() == pytest.approx([0.0, expected], abs=1e-15)
    assert logistic_saturation(np.array([math.log(3.0) / 2.0]), 2.0)[0] == pytest.approx(0.5)  # half at ln3 / lam
    assert logistic_saturation(np.array([1e6]), 1.0)[0] == 1.0


def test_hill_saturation_by_hand() -> None:
    # x^2 / (x^2 + 2^2): 1 -> 0.2, 2 -> 0.5, 4 -> 0.8
    assert hill_saturation(np.array([0.0, 1.0, 2.0, 4.0]), 2.0, 2.0).tolist() == pytest.approx([0.0, 0.2, 0.5, 0.8])
    assert hill_saturation(np.array([1e-300, 1e300]), 1.0, 50.0).tolist() == [0.0, 1.0]  # no overflow


def _numeric(f, v: float, h: float = 1e-6) -> np.ndarray:
    return (f(v + h) - f(v - h)) / (2 * h)


@pytest.mark.parametrize("normalize", [True, False])
def test_derivatives_match_finite_differences(normalize: bool) -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, 30)
    d = geometric_adstock_dalpha(x, 0.45, 8, normalize=normalize)
    assert d == pytest.approx(_numeric(lambda a: geometric_adstock(x, a, 8, normalize=normalize), 0.45), abs=1e-7)
    assert logistic_saturation_dlam(x, 2.5) == pytest.approx(_numeric(lambda lam: logistic_saturation(x, lam), 2.5),
                                                              abs=1e-7)
    d_x, d_kappa, d_slope = hill_saturation_grad(x, 0.4, 1.7)
    assert d_x == pytest.approx(_numeric(lambda v: hill_saturation(x + v, 0.4, 1.7), 0.0), abs=1e-6)
    assert d_kappa == pytest.approx(_numeric(lambda k: hill_saturation(x, k, 1.7), 0.4), abs=1e-7)
    assert d_slope == pytest.approx(_numeric(lambda s: hill_saturation(x, 0.4, s), 1.7), abs=1e-7)


@pytest.mark.parametrize("saturation", ["logistic", "hill"])
def test_feature_gradients_in_search_coordinates(saturation: str) -> None:
    spec = MediaSpec(saturation=saturation)  # type: ignore[arg-type]
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, (2, 40))
    natural = np.array([[0.3, 2.0, 1.2][: len(spec.names)], [0.6, 0.5, 2.0][: len(spec.names)]])
    _, grads = features_grad(x, natural, spec)
    u = spec.to_u(natural)
    for j in range(len(spec.names)):
        for row in range(2):
            h = 1e-6
            up, down = u.copy(), u.copy()
            up[row, j] += h
            down[row, j] -= h
            numeric = (features(x, spec.to_natural(up), spec) - features(x, spec.to_natural(down), spec)) / (2 * h)
            assert grads[row, j] == pytest.approx(numeric[row], abs=1e-6)
