"""Markov exactness: hand-solved chains, an independent dense solve, and ChannelAttribution."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.attribution.helpers import channelattribution, dense_markov_p, synthetic_paths

from wanamaker.attribution.markov import markov
from wanamaker.attribution.paths import from_sequences


def test_hand_solved_order_1() -> None:
    # a>b>c: 3 conv, 1 null; c>a: 1 conv, 2 null; b: 4 null.
    # x_a = 4/7 x_b + 1/7, x_b = x_c / 2, x_c = 3/7 + 3/7 x_a  =>  x_c = 24/43, x_b = 12/43, x_a = 13/43
    # P = (4 x_a + 3 x_c + 4 x_b) / 11 = 4/11. Without a: x_c = 3/7, x_b = 3/14, P = 15/77.
    p = from_sequences([["a", "b", "c"], ["c", "a"], ["b"]], [3, 1, 0], nulls=[1, 2, 4])
    r = markov(p, 1)
    assert r.p_conversion == pytest.approx(4 / 11, rel=1e-12)
    assert r.removal_effects[0] == pytest.approx(1 - (15 / 77) / (4 / 11), rel=1e-12)
    assert r.conversions.sum() == pytest.approx(4.0, rel=1e-12)


def test_hand_solved_two_channels() -> None:
    # a>b converts once, a alone fails once: P = 1/2; removing a or b kills every conversion,
    # so both removal effects are 1 and the one conversion splits 1/2 : 1/2.
    r = markov(from_sequences([["a", "b"], ["a"]], [1, 0], nulls=[0, 1]), 1)
    assert r.p_conversion == pytest.approx(0.5)
    assert r.conversions.tolist() == pytest.approx([0.5, 0.5], rel=1e-12)


def test_higher_order_short_path_is_one_state() -> None:
    # order 2: "b" (shorter than 2) is its own state, so removing a leaves b's conversions intact.
    # P = (1 [a>b converts] + 1 [b converts]) / 3 journeys... with a>c failing: 2/3; without a: 1/3.
    p = from_sequences([["a", "b"], ["b"], ["a", "c"]], [1, 1, 0], nulls=[0, 0, 1])
    r = markov(p, 2)
    assert r.p_conversion == pytest.approx(2 / 3, rel=1e-12)
    assert r.removal_effects[0] == pytest.approx(0.5, rel=1e-12)
    assert r.removal_effects[1] == pytest.approx(1.0, rel=1e-12)  # every converting state holds b


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_independent_dense_solve_agrees(order: int) -> None:
    paths = synthetic_paths(400, 5, seed=order, max_len=6)
    r = markov(paths, order)
    p = dense_markov_p(paths, order)
    assert r.p_conversion == pytest.approx(p, rel=1e-10)
    for c, name in enumerate(paths.channels):
        pc = dense_markov_p(paths, order, removed=name)
        assert r.removal_effects[c] == pytest.approx(1 - pc / p, rel=1e-9, abs=1e-12)


def test_iterative_path_matches_direct(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    mk = importlib.import_module("wanamaker.attribution.markov")

    paths = synthetic_paths(3000, 8, seed=3)
    direct = markov(paths, 3)
    monkeypatch.setattr(mk, "DENSE_MAX", 10)
    monkeypatch.setattr(mk, "DIRECT_MAX", 20)
    iterative = markov(paths, 3)
    np.testing.assert_allclose(iterative.conversions, direct.conversions, rtol=1e-9)
    np.testing.assert_allclose(iterative.value, direct.value, rtol=1e-9)


def test_forked_removal_solves_match_serial(monkeypatch: pytest.MonkeyPatch) -> None:
    """The removal solves shared between worker processes give the serial answer, bit for bit."""
    import importlib

    mk = importlib.import_module("wanamaker.attribution.markov")

    paths = synthetic_paths(3000, 8, seed=4)
    monkeypatch.setattr(mk, "DENSE_MAX", 10)
    monkeypatch.setattr(mk, "DIRECT_MAX", 20)
    monkeypatch.setattr(mk, "PARALLEL_MIN_STATES", 1)
    monkeypatch.setenv("WANAMAKER_WORKERS", "1")
    serial = markov(paths, 2)
    monkeypatch.setattr(mk, "workers", lambda: 2)
    forked = markov(paths, 2)
    np.testing.assert_array_equal(forked.removal_effects, serial.removal_effects)
    np.testing.assert_array_equal(forked.removal_effects_value, serial.removal_effects_value)
    assert mk._JOB is None


def test_value_chain_differs_from_count_chain() -> None:
    """With a value column the value chain is solved separately (hand-checked): a>b converts
    once worth 10, b converts once worth 30, a fails once."""
    p = from_sequences([["a", "b"], ["b"], ["a"]], [1, 1, 0], value=[10, 30, 0], nulls=[0, 0, 1])
    r = markov(p, 1)
    # count: x_b = 1, x_a = 1/2, P = (2 * 1/2 + 1) / 3 = 2/3; without a: P = 1/3 -> RE_a = 1/2
    assert r.removal_effects[0] == pytest.approx(0.5, rel=1e-12)
    # value: reward at b = 40 / 2 = 20 per visit; EV = (2 * 1/2 * 20 + 20) / 3 = 40/3; without a: 20/3
    assert r.removal_effects_value[0] == pytest.approx(0.5, rel=1e-12)
    assert r.removal_effects[1] == pytest.approx(1.0) and r.removal_effects_value[1] == pytest.approx(1.0)
    assert r.value.sum() == pytest.approx(40.0, rel=1e-12)


def test_channelattribution_converges_to_exact() -> None:
    """With enough simulations and no step cap ChannelAttribution approaches the exact answer."""
    ca = channelattribution()
    paths = synthetic_paths(2000, 4, seed=5, max_len=5)
    df = pd.DataFrame({"path": paths.path_strings(), "conv": paths.conversions, "null": paths.nulls})
    res = ca.markov_model(df, "path", "conv", var_null="null", order=1, verbose=0, out_more=True,
                          nsim_start=1e6, max_step=200, flg_pro=False)
    got = dict(zip(res["removal_effects"].iloc[:, 0], res["removal_effects"].iloc[:, 1], strict=False))
    exact = markov(paths, 1)
    for c, name in enumerate(paths.channels):
        assert got[name] == pytest.approx(exact.removal_effects[c], rel=0.01)


def test_heuristics_equal_channelattribution() -> None:
    from wanamaker.attribution.models import path_credit

    ca = channelattribution()
    paths = synthetic_paths(3000, 6, seed=11)
    df = pd.DataFrame({"path": paths.path_strings(), "conv": paths.conversions, "val": paths.value})
    res = ca.heuristic_models(df, "path", "conv", var_value="val", flg_pro=False)
    res = res.set_index("channel_name")
    for ours, theirs in (("first_touch", "first_touch_conversions"), ("last_touch", "last_touch_conversions"),
                         ("linear", "linear_touch_conversions")):
        credit = path_credit(ours, paths)
        for c, name in enumerate(paths.channels):
            assert credit.conversions[c] == pytest.approx(res.loc[name, theirs], rel=1e-9, abs=1e-9)
        for c, name in enumerate(paths.channels):
            col = theirs.replace("conversions", "value")
            assert credit.value[c] == pytest.approx(res.loc[name, col], rel=1e-9, abs=1e-9)
