"""One chunk of the demo world, from draws to touches: the pure pipeline of the generator.

accounts -> people -> doses (+ holdouts) -> funnel -> deals -> touches -> revenue
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from wanamaker.demo import experiments, funnel, journeys, money, world
from wanamaker.demo.spec import DemoSpec


@dataclass(frozen=True)
class Chunk:
    index: int
    accounts: world.Accounts
    people: world.People
    doses: dict[str, dict[str, np.ndarray]]
    assign: dict[str, tuple[np.ndarray, np.ndarray]]
    display_holdout: np.ndarray
    sales: funnel.SalesDraws
    deals: money.DealDraws
    stages: funnel.Stages
    opps: money.Opps


def draw_chunk(spec: DemoSpec, reps: funnel.Reps, index: int) -> Chunk:
    """All draws of a chunk and its realised funnel (every channel on)."""
    accounts = world.make_accounts(spec, index)
    people = world.make_people(spec, accounts, index, reps.by_segment())
    doses = journeys.draw_doses(spec, people, index)
    assign = experiments.assignments(spec, people, index)
    display_holdout = experiments.apply_holdouts(doses, assign)
    sales = funnel.sales_draws(spec, people, reps, index)
    deals = money.deal_draws(spec, people, index)
    stages, opps = run_funnel(spec, people, reps, sales, deals, doses)
    return Chunk(index, accounts, people, doses, assign, display_holdout, sales, deals, stages, opps)


def run_funnel(
    spec: DemoSpec,
    people: world.People,
    reps: funnel.Reps,
    sales: funnel.SalesDraws,
    deals: money.DealDraws,
    doses: dict[str, dict[str, np.ndarray]],
    off: Collection[str] = (),
    force_variant: int | None = None,
) -> tuple[funnel.Stages, money.Opps]:
    """The causal re-run: the same draws, with ``off`` channels switched off."""
    stages = funnel.simulate(spec, people, reps, sales, doses, off)
    opps = money.simulate_opps(spec, people, stages, deals, doses["won"], off, force_variant)
    return stages, opps


def rerun(
    chunk: Chunk, spec: DemoSpec, reps: funnel.Reps, off: Collection[str] = (), force_variant: int | None = None
) -> tuple[funnel.Stages, money.Opps]:
    return run_funnel(spec, chunk.people, reps, chunk.sales, chunk.deals, chunk.doses, off, force_variant)


def touches(spec: DemoSpec, chunk: Chunk) -> journeys.Touches:
    return journeys.make_touches(
        spec, chunk.people, chunk.stages, chunk.opps, chunk.doses, chunk.display_holdout, chunk.index
    )
