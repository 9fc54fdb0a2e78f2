"""A simulated world with known ROI per channel, for recovery tests and the benchmark.

Four channels with different carryover and saturation, written out with plain loops (an implementation apart
from ``wanamaker.mmm.transforms``):

    channel   spend pattern                              alpha  lam   beta (weekly max, outcome units)
    tv        flighted: 6 weeks on, 5 off                 0.6    1.5   9,000
    search    always on, 10-100 % of its top, seasonal    0.1    3.0   6,000
    social    bursts: off half the weeks                  0.3    5.0   3,000
    display   rare pulses                                 0.2    2.0   4,000

Every channel's spend varies enough to be told from the baseline: a channel spending the same every week is not
identifiable by any MMM (its effect is a constant, like the intercept), which docs/mmm.md says.

Outcome = 20,000 + trend 4,000 over the data + yearly seasonality (amplitude 2,500) + a promotion control
(+3,000 in its weeks) + the channels + Normal noise (sd 800). Spend is scaled by its largest week before
adstock (normalised, 8 weeks) and logistic saturation, as in PyMC-Marketing's simulation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

CHANNELS = ("tv", "search", "social", "display")
PARAMS = {"tv": (0.6, 1.5, 9000.0), "search": (0.1, 3.0, 6000.0), "social": (0.3, 5.0, 3000.0),
          "display": (0.2, 2.0, 4000.0)}
L_MAX = 8


@dataclass(frozen=True)
class World:
    frame: pd.DataFrame
    contribution: dict[str, float]
    spend: dict[str, float]
    weekly: dict[str, np.ndarray]  # each channel's true weekly contribution

    @property
    def roi(self) -> dict[str, float]:
        return {c: self.contribution[c] / self.spend[c] for c in CHANNELS}


def _adstock(x: list[float], alpha: float) -> list[float]:
    weights = [alpha**lag for lag in range(L_MAX)]
    total = sum(weights)
    out = []
    for t in range(len(x)):
        out.append(sum(weights[lag] * x[t - lag] for lag in range(L_MAX) if t - lag >= 0) / total)
    return out


def _logistic(v: float, lam: float) -> float:
    return (1 - math.exp(-lam * v)) / (1 + math.exp(-lam * v))


def make_world(seed: int = 7, weeks: int = 156) -> World:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2022-01-03", periods=weeks, freq="W-MON")
    doy = dates.dayofyear.to_numpy()
    season = np.sin(2 * np.pi * doy / 365.25)
    spend = {
        "tv": np.where((np.arange(weeks) % 11) < 6, rng.uniform(30_000, 60_000, weeks), 0.0),
        "search": 15_000 * np.clip(rng.uniform(0.1, 0.8, weeks) + 0.2 * season, 0.1, 1.0),
        "social": np.where(rng.uniform(size=weeks) < 0.5, rng.uniform(2_000, 10_000, weeks), 0.0),
        "display": np.where(rng.uniform(size=weeks) < 0.15, rng.uniform(5_000, 8_000, weeks), 0.0),
    }
    promo = (rng.uniform(size=weeks) < 0.08).astype(float)
    y = 20_000 + 4_000 * np.arange(weeks) / (weeks - 1) + 2_500 * season + 3_000 * promo
    contribution, weekly_by_channel = {}, {}
    for c in CHANNELS:
        alpha, lam, beta = PARAMS[c]
        scaled = list(spend[c] / spend[c].max())
        weekly = np.array([beta * _logistic(v, lam) for v in _adstock(scaled, alpha)])
        contribution[c] = float(weekly.sum())
        weekly_by_channel[c] = weekly
        y = y + weekly
    y = y + rng.normal(0, 800, weeks)
    frame = pd.DataFrame({"week": dates, "revenue": y, **spend, "promo": promo})
    return World(frame, contribution, {c: float(spend[c].sum()) for c in CHANNELS}, weekly_by_channel)


def workspace_tables(world: World) -> dict[str, list[dict[str, object]]]:
    """The world as a workspace would hold it: one spend row per channel and week, dated on the week's Thursday,
    and one opportunity a week (created that Thursday at noon UTC) whose amount is the week's revenue."""
    frame = world.frame
    spend, opportunities = [], []
    for i, week in enumerate(frame["week"].dt.date):
        thursday = (week + pd.Timedelta(days=3)).isoformat()
        for ch in CHANNELS:
            spend.append({"date": thursday, "channel": ch, "campaign_id": "(none)",
                          "amount": round(float(frame[ch].iloc[i]), 6), "currency": "USD"})
        opportunities.append({"opportunity_id": f"O{i}", "account_id": "A", "person_id": "",
                              "created_at": f"{thursday} 12:00:00+00:00", "closed_at": "", "status": "open",
                              "amount": round(float(frame["revenue"].iloc[i]), 6), "currency": "USD"})
    return {"spend": spend, "opportunities": opportunities}
