"""A demo B2B SaaS company with known ground truth (docs/demo.md).

    >>> from wanamaker.demo import DemoSpec
    >>> DemoSpec(size="small").start.isoformat()
    '2024-07-01'

The pipeline: ``world`` (accounts, people, fixed draws) -> ``journeys.draw_doses`` (exposures) ->
``funnel.simulate`` + ``money.simulate_opps`` (the causal model of ``causal``) -> ``journeys``
touches -> ``exports`` -> ``run`` (load through ``ws.load``). ``truth`` re-runs the funnel with each
channel switched off on the same random streams.
"""

from wanamaker.demo.build import Built, build
from wanamaker.demo.causal import CHANNELS, RIDE_ALONG
from wanamaker.demo.run import DemoResult, run_demo
from wanamaker.demo.spec import SIZES, DemoSpec
from wanamaker.demo.truth import MILESTONES, Truth

__all__ = [
    "CHANNELS",
    "MILESTONES",
    "RIDE_ALONG",
    "SIZES",
    "Built",
    "DemoResult",
    "DemoSpec",
    "Truth",
    "build",
    "run_demo",
]
