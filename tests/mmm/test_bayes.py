"""The Bayesian method: a clear usage error without the extra; its output assembled from posterior draws (checked
without PyMC: the draws here are the example's true parameters with a little spread)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wanamaker.errors import UsageError
from wanamaker.mmm import mmm_from_frame
from wanamaker.mmm.bayes import result_from_draws
from wanamaker.mmm.data import frame_data
from wanamaker.mmm.fast import Settings
from wanamaker.mmm.transforms import geometric_adstock, logistic_saturation

EXAMPLE = Path(__file__).parent / "data" / "mmm_example.csv"
INSTALLED = importlib.util.find_spec("pymc_marketing") is not None


@pytest.mark.skipif(INSTALLED, reason="PyMC-Marketing is installed")
def test_missing_extra() -> None:
    df = pd.read_csv(EXAMPLE)
    with pytest.raises(UsageError, match=r"needs PyMC-Marketing.*pip install 'wanamaker\[bayes\]'"):
        mmm_from_frame(df, "date_week", "y", ["x1", "x2"], method="bayes")


def test_result_from_posterior_draws() -> None:
    data = frame_data(pd.read_csv(EXAMPLE), "date_week", "y", ["x1", "x2"], ["event_1", "event_2"])
    rng = np.random.default_rng(0)
    draws_n = 400
    alpha = np.array([0.4, 0.2]) + rng.normal(0, 0.01, (draws_n, 2))
    lam = np.array([4.0, 3.0]) + rng.normal(0, 0.1, (draws_n, 2))
    target_scale = float(np.abs(data.outcome).max())
    channel_scale = data.spend.max(axis=1)
    beta = np.array([3000.0, 2000.0]) / target_scale + rng.normal(0, 0.005, (draws_n, 2))
    x = data.spend / channel_scale[:, None]
    contribution = np.stack([
        (beta[d][:, None] * logistic_saturation(geometric_adstock(x, alpha[d], 8), lam[d][:, None])).T
        for d in range(draws_n)])  # draws x weeks x channels
    intercept = np.full((draws_n,), 4000.0 / target_scale)
    draws = {"adstock_alpha": alpha, "saturation_lam": lam, "saturation_beta": beta,
             "channel_contribution": contribution, "intercept_contribution": intercept[:, None] * np.ones((1, 179))}
    r = result_from_draws(data, Settings(), draws, target_scale, channel_scale, seconds=1.0)
    totals = contribution.sum(axis=1).mean(axis=0) * target_scale
    for j, ch in enumerate(["x1", "x2"]):
        row = r.row(ch)
        assert row.contribution == pytest.approx(totals[j])
        assert row.roi_low < row.roi < row.roi_high  # type: ignore[operator]
        assert row.params["alpha"] == pytest.approx(alpha[:, j].mean())
        assert row.params["beta"] == pytest.approx(beta[:, j].mean() * target_scale)
        curve = [c for c in r.curves if c.channel == ch]
        assert curve[10].contribution == pytest.approx(row.contribution, rel=0.01)  # mean parameters vs mean draws
    assert r.row("(baseline)").contribution == pytest.approx(4000.0 * 179)
    assert r.params["method"] == "bayes" and r.params["draws"] == draws_n
