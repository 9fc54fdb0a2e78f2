from __future__ import annotations

import pytest

from wanamaker.demo import funnel, generate
from wanamaker.demo.generate import Chunk
from wanamaker.demo.spec import DemoSpec


@pytest.fixture(scope="session")
def small_spec() -> DemoSpec:
    return DemoSpec(size="small", seed=7)


@pytest.fixture(scope="session")
def small_world(small_spec: DemoSpec) -> tuple[funnel.Reps, Chunk]:
    reps = funnel.make_reps(small_spec)
    return reps, generate.draw_chunk(small_spec, reps, 0)
