from __future__ import annotations

import pytest
from tests.demo.helpers import DemoRun
from typer.testing import CliRunner

from wanamaker.cli.app import app
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


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """`wanamaker demo DIR --size small --seed 5`, run once through the CLI for every test that reads it."""
    root = tmp_path_factory.mktemp("demo") / "demo"
    result = CliRunner().invoke(app, ["demo", str(root), "--size", "small", "--seed", "5"])
    return DemoRun(root, DemoSpec(size="small", seed=5), result.exit_code, result.output)
