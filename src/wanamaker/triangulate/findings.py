"""``zero_effect_channel`` (warning) in ``wanamaker check``: a channel that attribution credits far beyond what its
lift test lets it have caused (docs/waste.md).

At each milestone a lift test measured (its ``milestone``), for each channel tested there, both:

- the test cannot tell the channel's effect from none (the lower bound of its 90 % lift interval is at or below 0);
- and it caps the channel below what attribution credits it: the posterior incremental fraction of ``calibrated``
  (the test shrunk toward ``markov_3``'s fraction at that milestone; docs/attribution.md) has a 90 % upper bound
  below the fraction ``markov_3`` credits it.

The channel rides along: it is where converting people are, not why they convert. A test too small to tell says
nothing (its posterior stays near Markov's), and a channel whose test shows an effect, however over-credited, is not
called zero-effect. One finding per channel, at the first milestone (in funnel order) that shows it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from wanamaker.errors import DataError
from wanamaker.findings import Finding
from wanamaker.triangulate import BASE_MODEL

if TYPE_CHECKING:
    from wanamaker.workspace import Workspace


def zero_effect_findings(ws: Workspace) -> list[Finding]:
    """One warning per channel whose test shows no effect and caps it below its attribution credit."""
    from wanamaker.experiments.lift import lift_tests

    if not ws.has_table("experiments"):
        return []
    measured = {t.milestone for t in lift_tests(ws) if t.milestone and t.channel}
    stages = [s for s in ws.config.funnel.stages if s in measured]
    out: list[Finding] = []
    seen: set[str] = set()
    for milestone in stages:
        for f in _at(ws, milestone):
            if f.subject not in seen:
                seen.add(f.subject)
                out.append(f)
    return out


def _at(ws: Workspace, milestone: str) -> list[Finding]:
    from wanamaker.attribution.api import attribute
    from wanamaker.triangulate.calibrated import evidence

    try:
        res = attribute(ws, model=BASE_MODEL, by="channel", value="count", milestone=milestone, persist=False)
    except DataError:
        return []
    rows = {r.key: r.conversions for r in res.rows}
    channels = tuple(sorted(k for k in rows if not k.startswith("(")))
    base = np.array([rows[c] for c in channels])
    outcome = float(sum(rows.values()))
    ev, _ = evidence(ws, milestone, channels, base, outcome)
    out = []
    for i, ch in enumerate(channels):
        if ev.tested[i] and ev.implied[i] > 0 and ev.raw_lo[i] <= 0 and ev.post_hi[i] < ev.implied[i]:
            out.append(Finding(
                "zero_effect_channel", "warning", ch, None, None,
                f"{ch} is credited with {ev.implied[i]:.1%} of the conversions it could reach at {milestone} "
                f"({BASE_MODEL}), but its lift test allows it at most {ev.post_hi[i]:.1%}: it rides along with "
                "people who convert anyway.",
                "Trust the test: use `wanamaker attribute --model calibrated` and judge its spend with "
                "`wanamaker waste` before moving budget to it."))
    return out
