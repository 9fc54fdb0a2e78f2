"""Randomised experiments of the demo company: holdout (lift) tests on three channels and a pricing
test with two price points. Holdouts are assigned before anything happens, from their own streams,
so the held-out people really receive no touch of the channel.

Each lift test is logged twice: at its own milestone (``lift-paid-social``: converted = became a lead) and,
for the same units, at the ``opportunity`` milestone (``lift-paid-social@opportunity``), which the calibrated
attribution model reads when it credits opportunities."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wanamaker.demo.money import PRICE_B_UPLIFT
from wanamaker.demo.spec import DemoSpec, rng
from wanamaker.demo.world import People


@dataclass(frozen=True)
class LiftTest:
    experiment_id: str
    channel: str
    step: str  # the dose step the holdout removes the channel from
    milestone: str  # what counts as converted
    window: tuple[float, float]  # days before the end in which units enter the test (on the step's clock)
    holdout: float = 0.15


LIFT_TESTS: tuple[LiftTest, ...] = (
    LiftTest("lift-paid-social", "paid_social", "lead", "lead", (-420.0, -300.0)),
    LiftTest("lift-email-nurture", "email", "mql", "mql", (-360.0, -240.0)),
    # display has no effect, so holding half the visitors of 17 months out of it changes no outcome, only its
    # touches: a test large enough to show what the ride-along does not cause
    LiftTest("lift-display-retargeting", "display", "lead", "lead", (-600.0, -90.0), holdout=0.5),
)
PRICING_ID = "pricing-smb-2026"
PRICES = (100.0, 100.0 * PRICE_B_UPLIFT)  # the list price per seat offered by price A (control) and price B
PRICING_ALLOCATION = 0.5  # each deal in the test draws its price with probability 1/2
OPPORTUNITY = "opportunity"  # every lift test is also measured at this milestone


def measurements(test: LiftTest) -> tuple[tuple[str, str], ...]:
    """The (experiment id, milestone) pairs a lift test is logged at: its own milestone and the opportunity
    stage, for the same units."""
    return (test.experiment_id, test.milestone), (f"{test.experiment_id}@{OPPORTUNITY}", OPPORTUNITY)


def unit_clock(test: LiftTest, people: People) -> np.ndarray:
    """When a unit enters the test: first visit for lead tests, potential lead time for nurture tests."""
    return people.t0 if test.step == "lead" else people.t0 + people.w_lead


def assignments(spec: DemoSpec, people: People, chunk: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per test: (in_test, held_out) masks over the chunk's people."""
    out = {}
    for t in LIFT_TESTS:
        clock = unit_clock(t, people)
        inside = (clock >= spec.days + t.window[0]) & (clock < spec.days + t.window[1])
        held = inside & (rng(spec, f"holdout_{t.experiment_id}", chunk).random(people.n) < t.holdout)
        out[t.experiment_id] = (inside, held)
    return out


def apply_holdouts(
    doses: dict[str, dict[str, np.ndarray]], assign: dict[str, tuple[np.ndarray, np.ndarray]]
) -> np.ndarray:
    """Zero the held-out units' doses in place; return the display holdout mask (display has no dose)."""
    display = np.zeros(next(iter(assign.values()))[0].shape, dtype=bool)
    for t in LIFT_TESTS:
        held = assign[t.experiment_id][1]
        if t.channel == "display":
            display |= held
        else:
            doses[t.step][t.channel][held] = 0
    return display
