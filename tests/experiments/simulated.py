"""A randomised checkout experiment with known effects: four arms on an unequal planned split (40/20/20/20), one of
which (``express``) loses 10 % of its units from the log at random — a sample-ratio mismatch that leaves its lift
unbiased — plus a clean 50/50 banner test. Exported the way an experimentation tool would (its own column names),
with the mapping a user would write for it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

# arm: (planned share, conversion rate, order-value multiplier, share of its units lost from the log)
CHECKOUT = {"control": (0.4, 0.100, 1.0, 0.0), "one_click": (0.2, 0.115, 1.0, 0.0),
            "upsell": (0.2, 0.100, 1.25, 0.0), "express": (0.2, 0.130, 1.0, 0.10)}
BANNER = {"old": (0.5, 0.050, 1.0, 0.0), "new": (0.5, 0.056, 1.0, 0.0)}
ORDER_LOG_MEAN, ORDER_LOG_SD = 4.0, 0.6  # order value ~ lognormal: mean exp(4 + 0.18) = 65.4


def true_rate(arms: dict[str, tuple[float, float, float, float]], arm: str) -> float:
    return arms[arm][1]


def true_revenue_per_unit(arms: dict[str, tuple[float, float, float, float]], arm: str) -> float:
    _, rate, mult, _ = arms[arm]
    return rate * mult * float(np.exp(ORDER_LOG_MEAN + ORDER_LOG_SD**2 / 2))


@dataclass(frozen=True)
class ArmData:
    converted: np.ndarray
    revenue: np.ndarray  # 0 for a unit that did not buy

    @property
    def units(self) -> int:
        return int(self.converted.size)

    @property
    def conversions(self) -> int:
        return int(self.converted.sum())


def simulate(rng: np.random.Generator, arms: dict[str, tuple[float, float, float, float]],
             visitors: int) -> dict[str, ArmData]:
    """Assign ``visitors`` by the planned split, draw conversions and order values, then lose each arm's share of
    its units from the log (independently of outcome)."""
    names = list(arms)
    assigned = rng.choice(len(names), size=visitors, p=[arms[n][0] for n in names])
    out = {}
    for i, name in enumerate(names):
        _, rate, mult, lost = arms[name]
        n = int((assigned == i).sum())
        kept = n - rng.binomial(n, lost) if lost else n
        converted = rng.random(kept) < rate
        revenue = np.where(converted, np.round(mult * rng.lognormal(ORDER_LOG_MEAN, ORDER_LOG_SD, kept), 2), 0.0)
        out[name] = ArmData(converted, revenue)
    return out


HEADER = ("Experiment Key,Visitor ID,Variation Name,Is Baseline,Traffic %,First Exposure (UTC),Purchased,"
          "Purchase Time (UTC),Order Value")

MAPPING = """\
# An experimentation tool's exposure export, joined to orders (its own column names)
experiments:
  experiment_id: Experiment Key
  unit_id: Visitor ID
  kind: {const: ab}
  milestone: {const: purchase}
  variant: Variation Name
  is_control: {column: Is Baseline, values: {"Yes": "true", "No": "false"}}
  allocation: {sql: "CAST(\\"Traffic %\\" AS DOUBLE) / 100"}
  assigned_at: First Exposure (UTC)
  converted: {column: Purchased, values: {"Y": "true", "N": "false"}}
  converted_at: Purchase Time (UTC)
  revenue: Order Value
"""


def export(experiments: dict[str, tuple[dict[str, tuple[float, float, float, float]], dict[str, ArmData]]],
           folder: Path) -> tuple[Path, Path]:
    """Write the tool's CSV and the user's mapping; return both paths."""
    start = datetime(2026, 3, 1)
    lines = [HEADER]
    for key, (arms, data) in experiments.items():
        control = next(iter(arms))
        for arm, d in data.items():
            for i in range(d.units):
                seen = start + timedelta(minutes=7 * i)
                bought = bool(d.converted[i])
                lines.append(",".join((
                    key, f"{key}-{arm}-{i}", arm, "Yes" if arm == control else "No", f"{arms[arm][0] * 100:g}",
                    seen.strftime("%Y-%m-%d %H:%M:%S"), "Y" if bought else "N",
                    (seen + timedelta(hours=3)).strftime("%Y-%m-%d %H:%M:%S") if bought else "",
                    f"{d.revenue[i]:.2f}" if bought else "")))
    folder.mkdir(parents=True, exist_ok=True)
    data_path, map_path = folder / "exposures_with_orders.csv", folder / "experiments.map.yml"
    data_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    map_path.write_text(MAPPING, encoding="utf-8")
    return data_path, map_path
