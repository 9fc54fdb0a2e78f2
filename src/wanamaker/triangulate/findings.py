"""``zero_effect_channel`` (warning) in ``wanamaker check``: a channel that attribution credits far beyond what its
lift test lets it have caused (docs/waste.md).

At the workspace's attribution milestone, for each channel with a lift test there: the posterior incremental
fraction of ``calibrated`` (the test shrunk toward ``markov_3``'s fraction; docs/attribution.md) has a 90 % upper
bound below half the fraction ``markov_3`` credits it (:data:`RATIO`). The channel rides along: it is where
converting people are, not why they convert. A test too small to tell says nothing, so nothing is reported."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from wanamaker.errors import DataError
from wanamaker.findings import Finding
from wanamaker.triangulate import BASE_MODEL

if TYPE_CHECKING:
    from wanamaker.workspace import Workspace

RATIO = 0.5


def zero_effect_findings(ws: Workspace) -> list[Finding]:
    """One warning per channel whose test caps its effect below half its attribution credit."""
    from wanamaker.attribution.api import attribute
    from wanamaker.triangulate.calibrated import evidence, incremental_fractions

    if not ws.has_table("experiments"):
        return []
    milestone = ws.config.attribution.milestone
    if not incremental_fractions(ws, milestone)[0]:
        return []
    try:
        res = attribute(ws, model=BASE_MODEL, by="channel", value="count", persist=False)
    except DataError:
        return []
    rows = {r.key: r.conversions for r in res.rows}
    channels = tuple(sorted(k for k in rows if not k.startswith("(")))
    base = np.array([rows[c] for c in channels])
    outcome = float(sum(rows.values()))
    ev, _ = evidence(ws, milestone, channels, base, outcome)
    out = []
    for i, ch in enumerate(channels):
        if ev.tested[i] and ev.implied[i] > 0 and ev.post_hi[i] < RATIO * ev.implied[i]:
            out.append(Finding(
                "zero_effect_channel", "warning", ch, None, None,
                f"{ch} is credited with {ev.implied[i]:.1%} of the conversions it could reach at {milestone} "
                f"({BASE_MODEL}), but its lift test allows it at most {ev.post_hi[i]:.1%}: it rides along with "
                "people who convert anyway.",
                "Trust the test: use `wanamaker attribute --model calibrated` and judge its spend with "
                "`wanamaker waste` before moving budget to it."))
    return out
