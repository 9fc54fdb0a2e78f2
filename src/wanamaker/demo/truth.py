"""Ground truth by intervention: re-run each chunk's funnel with one channel switched off (same
random streams) and count what is lost. Also the conversions that need no touch at all (every
channel off) and the true effects of the experiments.

Tables (docs/demo.md): ``ground_truth`` (channel, milestone, incremental_conversions,
incremental_revenue), ``ground_truth_experiments`` (experiment_id, channel, milestone, units,
true_effect, true_effect_per_unit): a lift test at each milestone it is logged at (``lift-paid-social`` at
lead, ``lift-paid-social@opportunity`` at opportunity), the pricing test's won revenue of price B minus A.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from wanamaker.demo import causal, experiments
from wanamaker.demo.funnel import Reps, Stages
from wanamaker.demo.generate import Chunk, rerun
from wanamaker.demo.money import Opps
from wanamaker.demo.spec import DemoSpec

MILESTONES: tuple[str, ...] = ("lead", "mql", "sal", "sql", "opportunity", "won")
ALL_OFF = "(all channels)"


def person_milestones(stages: Stages, opps: Opps) -> dict[str, np.ndarray]:
    """Per milestone, a boolean per person: reached by the end of the world."""
    won = np.zeros(stages.lead.shape, dtype=bool)
    has = opps.person_opp >= 0
    won[has] = opps.status[opps.person_opp[has]] == 1
    return {
        "lead": ~np.isnan(stages.lead),
        "mql": ~np.isnan(stages.mql),
        "sal": ~np.isnan(stages.sal),
        "sql": ~np.isnan(stages.sql),
        "opportunity": ~np.isnan(opps.person_opp_at),
        "won": won,
    }


def _counts(stages: Stages, opps: Opps) -> tuple[dict[str, int], float]:
    return {m: int(v.sum()) for m, v in person_milestones(stages, opps).items()}, opps.won_revenue()


@dataclass
class Truth:
    """Accumulates the ground truth over chunks."""

    world: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MILESTONES, 0))
    world_revenue: float = 0.0
    lost: dict[str, dict[str, int]] = field(default_factory=dict)  # scenario -> milestone -> conversions lost
    lost_revenue: dict[str, float] = field(default_factory=dict)
    exp_units: dict[str, int] = field(default_factory=dict)
    exp_effect: dict[str, float] = field(default_factory=dict)

    def add_chunk(self, spec: DemoSpec, reps: Reps, chunk: Chunk) -> None:
        base = person_milestones(chunk.stages, chunk.opps)
        counts, rev = _counts(chunk.stages, chunk.opps)
        for m in MILESTONES:
            self.world[m] += counts[m]
        self.world_revenue += rev
        scenarios: list[tuple[str, tuple[str, ...]]] = [(c, (c,)) for c in causal.CHANNELS]
        scenarios.append((ALL_OFF, causal.CHANNELS))
        for name, off in scenarios:
            st, op = rerun(chunk, spec, reps, off)
            c_counts, c_rev = _counts(st, op)
            lost = self.lost.setdefault(name, dict.fromkeys(MILESTONES, 0))
            for m in MILESTONES:
                lost[m] += counts[m] - c_counts[m]
            self.lost_revenue[name] = self.lost_revenue.get(name, 0.0) + rev - c_rev
            if name != ALL_OFF:
                self._lift(chunk, name, base, person_milestones(st, op))
        self._pricing(spec, reps, chunk)

    def _lift(self, chunk: Chunk, channel: str, base: dict[str, np.ndarray], off: dict[str, np.ndarray]) -> None:
        """Each lift test's true effect at every milestone it is logged at (experiments.measurements): the
        treated units' conversions with the channel on minus with it off."""
        for t in experiments.LIFT_TESTS:
            if t.channel != channel:
                continue
            inside, held = chunk.assign[t.experiment_id]
            treated = inside & ~held
            if t.milestone == "mql":  # the nurture test's units are leads
                treated &= base["lead"]
            for exp_id, milestone in experiments.measurements(t):
                gain = int(base[milestone][treated].sum() - off[milestone][treated].sum())
                self.exp_effect[exp_id] = self.exp_effect.get(exp_id, 0.0) + gain
                self.exp_units[exp_id] = self.exp_units.get(exp_id, 0) + int(treated.sum())

    def _pricing(self, spec: DemoSpec, reps: Reps, chunk: Chunk) -> None:
        revs = []
        for v in (0, 1):
            _, op = rerun(chunk, spec, reps, (), force_variant=v)
            m = (op.variant >= 0) & (op.status == 1)
            revs.append(float(op.amount[m].sum()))
            units = int((op.variant >= 0).sum())
        pid = experiments.PRICING_ID
        self.exp_effect[pid] = self.exp_effect.get(pid, 0.0) + revs[1] - revs[0]
        self.exp_units[pid] = self.exp_units.get(pid, 0) + units

    def no_touch_share(self, milestone: str) -> float:
        """Share of the world's conversions that happen with every channel switched off."""
        total = self.world[milestone]
        return (total - self.lost[ALL_OFF][milestone]) / total if total else 0.0

    def ground_truth(self) -> pa.Table:
        rows = [
            (c, m, float(self.lost[c][m]), float(self.lost_revenue[c])) for c in causal.CHANNELS for m in MILESTONES
        ]
        return pa.table(
            {
                "channel": [r[0] for r in rows],
                "milestone": [r[1] for r in rows],
                "incremental_conversions": [r[2] for r in rows],
                "incremental_revenue": [r[3] for r in rows],
            }
        )

    def experiments_table(self) -> pa.Table:
        lifts = [(t.channel, *m) for t in experiments.LIFT_TESTS for m in experiments.measurements(t)]
        ids = [i for _, i, _ in lifts] + [experiments.PRICING_ID]
        chans = [c for c, _, _ in lifts] + [None]
        miles = [m for _, _, m in lifts] + ["won_revenue"]
        units = [self.exp_units.get(i, 0) for i in ids]
        eff = [self.exp_effect.get(i, 0.0) for i in ids]
        return pa.table(
            {
                "experiment_id": ids,
                "channel": pa.array(chans, pa.string()),
                "milestone": miles,
                "units": pa.array(units, pa.int64()),
                "true_effect": pa.array(eff, pa.float64()),
                "true_effect_per_unit": [e / u if u else 0.0 for e, u in zip(eff, units, strict=True)],
            }
        )
