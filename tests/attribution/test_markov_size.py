"""Markov size: chains too big for their state codes fail at once; wide chains (many channels at a low
order) are solved iteratively and agree with an independent dense solve. Both kernels."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from tests.attribution.helpers import dense_markov_p, synthetic_paths

from support.kernels import KERNELS, use_kernel
from wanamaker.attribution.markov import markov
from wanamaker.attribution.markov_size import LU_MAX_DEGREE, lu_is_narrow, max_channels
from wanamaker.attribution.paths import Paths, from_codes
from wanamaker.errors import DataError

mk = importlib.import_module("wanamaker.attribution.markov")


@pytest.fixture(autouse=True, params=KERNELS)
def kernel(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    return use_kernel(str(request.param), monkeypatch)


def uniform_paths(n_journeys: int, n_channels: int, seed: int) -> Paths:
    """Journeys of 2-5 steps over equally popular channels: every state has many successors."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(2, 6, n_journeys)
    steps = rng.integers(0, n_channels, int(lengths.sum()))
    conv = (rng.random(n_journeys) < 0.2).astype(float)
    return from_codes(tuple(f"c{i:03d}" for i in range(n_channels)), np.repeat(np.arange(n_journeys), lengths), steps,
                      conv, conv * 10.0, 1.0 - conv)


def test_wide_chain_is_solved_iteratively_and_exactly() -> None:
    """300 channels at order 1: 300 states averaging more than 32 successors (LU would fill in)."""
    paths = uniform_paths(8000, 300, seed=7)
    chain = mk.build_chain(paths, 1)
    assert chain.n > mk.DENSE_MAX and not lu_is_narrow(chain.n, chain.q.data.shape[0])
    r = markov(paths, 1)
    p = dense_markov_p(paths, 1)
    assert r.p_conversion == pytest.approx(p, rel=1e-10)
    for c in (0, 1, 150, 299):
        pc = dense_markov_p(paths, 1, removed=paths.channels[c])
        assert r.removal_effects[c] == pytest.approx(1 - pc / p, rel=1e-8, abs=1e-12)
    assert r.conversions.sum() == pytest.approx(paths.conversions.sum(), rel=1e-12)


def test_narrow_chain_keeps_the_direct_solve() -> None:
    paths = synthetic_paths(3000, 8, seed=3)
    chain = mk.build_chain(paths, 3)
    assert mk.DENSE_MAX < chain.n <= mk.DIRECT_MAX
    assert chain.q.data.shape[0] <= LU_MAX_DEGREE * chain.n


@pytest.mark.parametrize(("order", "channels"), [(4, 5_404), (3, 46_340), (2, 1_664_510)])
def test_one_channel_past_the_code_limit_fails(order: int, channels: int) -> None:
    assert max_channels(order) == channels - 1
    codes = np.arange(channels, dtype=np.int64)
    paths = from_codes(tuple(f"c{i}" for i in range(channels)), codes, codes, np.ones(channels),
                       np.ones(channels), np.ones(channels))
    with pytest.raises(DataError, match=f"Markov order {order} over {channels:,} channels is too big") as err:
        markov(paths, order)
    assert err.value.code == "markov_too_large"
    assert "lower the order (--order)" in err.value.fix
