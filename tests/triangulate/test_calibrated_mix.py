"""``calibrated`` with a plausible mix model: the untested channels with spend take the mix model's shares
(tests/mmm/world.py's weekly world, as opportunities a week, with one channel lift-tested)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.mmm.world import CHANNELS, make_world

import wanamaker
from support.data import write_csv


def test_untested_channels_take_the_mix_models_shares(tmp_path: Path) -> None:
    world = make_world(seed=7)
    frame = world.frame
    rng = np.random.default_rng(1)
    spend: list[dict[str, Any]] = []
    opps: list[dict[str, Any]] = []
    touches: list[dict[str, Any]] = []
    for i, week in enumerate(frame["week"].dt.date):
        day = (week + timedelta(days=3)).isoformat()  # the week's Thursday
        for ch in CHANNELS:
            spend.append({"date": day, "channel": ch, "campaign_id": f"c-{ch}", "amount": round(float(frame[ch].iloc[i]), 2), "currency": "USD"})
        for k in range(round(float(frame["revenue"].iloc[i]) / 100)):  # 200-400 opportunities a week
            pid = f"P{i}-{k}"
            opps.append({"opportunity_id": f"O{i}-{k}", "person_id": pid, "created_at": f"{day} 12:00:00",
                         "status": "open", "amount": "100", "currency": "USD"})
            touches.append({"touch_id": f"T{i}-{k}", "person_id": pid, "ts": f"{day} 09:00:00",
                            "channel": CHANNELS[int(rng.integers(0, len(CHANNELS)))]})
    # a lift test on social at the opportunity milestone: 10 % vs 9 % -> social caused a tenth of its conversions
    experiments = [{"experiment_id": "lift-social", "unit_id": f"U{j}", "kind": "lift", "channel": "social",
                    "milestone": "opportunity", "is_control": str(j % 2 == 1).lower(),
                    "converted": str((j // 2) % 100 < (9 if j % 2 else 10)).lower()} for j in range(40_000)]
    root = wanamaker.init(tmp_path / "ws")
    with wanamaker.open(root) as ws:
        for table, rows in (("spend", spend), ("opportunities", opps), ("touchpoints", touches),
                            ("experiments", experiments)):
            assert ws.load([write_csv(tmp_path / f"{table}.csv", rows)], table=table).quarantined == 0, table
        mix = ws.mmm(outcome="opportunities", replicates=0)
        assert mix.diagnostics.r2 is not None and mix.diagnostics.r2 > 0.5
        contribution = {r["channel"]: r["contribution"] for r in mix.as_json()}
        res = ws.attribution(model="calibrated", persist=False)
    assert any("take the mix model's share" in n for n in res.notes), res.notes
    credit = {r.key: r.conversions for r in res.rows}
    # the untested channels keep the mix model's proportions (whatever the scaling to fit the outcome)
    untested = [c for c in ("tv", "search", "display") if contribution[c] > 0]
    assert len(untested) >= 2
    a, b = untested[:2]
    assert credit[a] / credit[b] == pytest.approx(contribution[a] / contribution[b], rel=1e-9)
    assert sum(credit.values()) == pytest.approx(len(opps))
