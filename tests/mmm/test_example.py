"""Known truth recovered on PyMC-Marketing's example data (tests/mmm/data/README.md).

The data were simulated as y = 1000 * (2 + trend + seasonality + 1.5 event_1 + 2.5 event_2 + 3.0 f1 + 2.0 f2 + e),
f_m = logistic(adstock(x_m; alpha_m, 8 weeks, normalised); lam_m), alpha 0.4 / 0.2, lam 4.0 / 3.0, e ~ N(0, 0.25).
The true contributions are recomputed here from the file's own spend columns with plain loops, and checked
against the file's outcome: what is left after the known parts is noise of sd 250 around 0.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wanamaker.mmm import mmm_from_frame

DATA = Path(__file__).parent / "data" / "mmm_example.csv"
TRUE = {"x1": (0.4, 4.0, 3.0), "x2": (0.2, 3.0, 2.0)}  # alpha, lam, effect (times 1,000)


def true_weekly(x: list[float], alpha: float, lam: float, effect: float) -> np.ndarray:
    weights = [alpha**lag for lag in range(8)]
    total = sum(weights)
    out = []
    for t in range(len(x)):
        ad = sum(weights[lag] * x[t - lag] for lag in range(8) if t - lag >= 0) / total
        out.append(1000 * effect * (1 - math.exp(-lam * ad)) / (1 + math.exp(-lam * ad)))
    return np.array(out)


@pytest.fixture(scope="module")
def example() -> pd.DataFrame:
    return pd.read_csv(DATA)


@pytest.fixture(scope="module")
def truth(example: pd.DataFrame) -> dict[str, float]:
    return {ch: float(true_weekly(list(example[ch]), *TRUE[ch]).sum()) for ch in TRUE}


def test_the_truth_comes_from_the_files_own_columns(example: pd.DataFrame, truth: dict[str, float]) -> None:
    assert truth["x1"] == pytest.approx(274_848.3, abs=1)
    assert truth["x2"] == pytest.approx(65_906.0, abs=1)
    n = len(example)
    trend = (np.linspace(0, 50, n) + 10) ** 0.25 - 1
    doy = example["dayofyear"].to_numpy()
    season = 0.5 * (-np.sin(2 * 2 * np.pi * doy / 365.5) + np.cos(2 * np.pi * doy / 365.5))
    known = 1000 * (2 + trend + season + 1.5 * example["event_1"] + 2.5 * example["event_2"])
    noise = example["y"] - known - sum(true_weekly(list(example[ch]), *TRUE[ch]) for ch in TRUE)
    assert abs(noise.mean()) < 50 and 200 < noise.std() < 300


def test_contributions_within_15_percent_and_intervals_cover(example: pd.DataFrame, truth: dict[str, float]) -> None:
    # the notebook's controls: the two events and the time index t
    r = mmm_from_frame(example, "date_week", "y", ["x1", "x2"], ["event_1", "event_2", "t"], replicates=200, seed=0)
    for ch, true_total in truth.items():
        row = r.row(ch)
        assert row.contribution == pytest.approx(true_total, rel=0.15), ch
        true_roi = true_total / row.spend
        assert row.roi_low is not None and row.roi_high is not None
        assert row.roi_low <= true_roi <= row.roi_high, (ch, row.roi_low, true_roi, row.roi_high)
        assert row.params["alpha"] == pytest.approx(TRUE[ch][0], abs=0.1)
    # measured: x1 280,805 (+2.2 %), x2 68,583 (+4.1 %); alpha 0.40 / 0.19, lam 4.1 / 3.3
    assert r.row("x1").contribution == pytest.approx(280_805, rel=0.01)
    assert r.diagnostics.r2 > 0.9
    assert r.diagnostics.sigma == pytest.approx(250, rel=0.1)
    rows = r.as_json()
    assert sum(row["contribution"] for row in rows) == pytest.approx(example["y"].sum(), rel=1e-9)
    assert all(set(row) == {"channel", "spend", "contribution", "roi", "roi_low", "roi_high", "params"}
               for row in rows)


def test_a_seed_gives_the_same_intervals(example: pd.DataFrame) -> None:
    def run() -> list[float | None]:
        r = mmm_from_frame(example, "date_week", "y", ["x1", "x2"], ["event_1", "event_2"], replicates=20, seed=3)
        return [r.row("x1").roi_low, r.row("x2").roi_high]

    assert run() == run()
