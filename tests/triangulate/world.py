"""A simulated world whose causal truth is known, for the ``calibrated`` model and ``wanamaker waste``.

N people; each converts to ``lead`` with probability ``BASE + sum of EFFECT[c]`` over the channels c that reach
them. ``search`` reaches 50 % and ``social`` 40 % of people, independently; ``display`` has no effect and rides
along: it reaches 90 % of the people who convert anyway and 10 % of the rest (so attribution credits it heavily).
Every channel has a randomised holdout (``HOLDOUT`` of the people, drawn per channel): a held-out person is never
reached by it. The truth: channel c causes ``EFFECT[c]`` x the people it reached conversions; display causes none.
Touches come on days 1-3, the lead on day 5.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

import wanamaker
from support.data import write_csv

BASE = 0.05
EFFECT = {"search": 0.10, "social": 0.06, "display": 0.0}
REACH = {"search": 0.5, "social": 0.4}
HOLDOUT = 0.2
START = datetime(2026, 1, 1)


def simulate(n: int, seed: int, tested: tuple[str, ...] = ("search", "social", "display")) -> dict[str, Any]:
    g = np.random.default_rng(seed)
    held = {c: g.random(n) < HOLDOUT for c in EFFECT}
    reached = {c: (g.random(n) < REACH[c]) & ~held[c] for c in REACH}
    p = BASE + sum(EFFECT[c] * reached[c] for c in REACH)
    converted = g.random(n) < p
    reached["display"] = np.where(converted, g.random(n) < 0.9, g.random(n) < 0.1) & ~held["display"]
    truth = {c: EFFECT[c] * float(reached[c].sum()) for c in REACH}
    truth["display"] = 0.0
    touches, events, experiments = [], [], []
    for i in range(n):
        pid = f"P{i:06d}"
        day = 1
        for c in ("display", "social", "search"):  # display first: a ride-along is often not the last touch either
            if reached[c][i]:
                touches.append({"touch_id": f"T{len(touches)}", "person_id": pid, "channel": c,
                                "ts": (START + timedelta(days=day, hours=i % 24)).isoformat(sep=" ")})
                day += 1
        if converted[i]:
            events.append({"subject_type": "person", "subject_id": pid, "stage": "lead",
                           "ts": (START + timedelta(days=5, hours=i % 24)).isoformat(sep=" ")})
        for c in tested:
            experiments.append({"experiment_id": f"lift-{c}", "unit_id": pid, "kind": "lift", "channel": c,
                                "milestone": "lead", "variant": "holdout" if held[c][i] else "exposed",
                                "is_control": str(bool(held[c][i])).lower(),
                                "allocation": HOLDOUT if held[c][i] else 1 - HOLDOUT,
                                "converted": str(bool(converted[i])).lower()})
    return {"touchpoints": touches, "stage_events": events, "experiments": experiments, "truth": truth,
            "conversions": int(converted.sum())}


def build(root: Path, world: dict[str, Any]) -> wanamaker.Workspace:
    ws = wanamaker.open(root)
    for table in ("touchpoints", "stage_events", "experiments"):
        rows = world[table]
        if rows:
            counts = ws.load([write_csv(root / f"{table}.csv", rows)], table=table).tables[0].files[0]
            assert counts.loaded == len(rows), (table, counts)
    truth = world["truth"]
    ws.write_table("ground_truth", pa.table({
        "channel": list(truth), "milestone": ["lead"] * len(truth),
        "incremental_conversions": [float(v) for v in truth.values()],
        "incremental_revenue": [0.0] * len(truth)}), mode="replace")
    return ws


def shares(credit: dict[str, float]) -> dict[str, float]:
    pos = {k: max(v, 0.0) for k, v in credit.items() if not k.startswith("(")}
    total = sum(pos.values())
    return {k: v / total for k, v in pos.items()}
