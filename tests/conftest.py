"""Shared fixtures: fresh workspaces on DuckDB, and on PostgreSQL and Spark through one parametrised fixture."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import wanamaker
from support.servers import PostgresServer, java_available, missing, start_postgres

os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")

_counter = itertools.count()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def spark_ready() -> bool:
    if not java_available():
        missing("Java is not installed: Spark needs a JDK 17 (apt-get install openjdk-17-jre-headless)")
    try:
        import pyspark  # noqa: F401
    except ImportError:
        missing("pyspark is not installed: pip install -e '.[test]'")
    return True


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[wanamaker.Workspace]:
    """A fresh DuckDB workspace."""
    root = wanamaker.init(tmp_path / "ws")
    ws = wanamaker.open(root)
    yield ws
    ws.close()


def _connection_for(engine: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if engine == "duckdb":
        return "duckdb:///wanamaker.duckdb"
    if engine == "postgres":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        return server.create_database(f"wm_{os.getpid()}_{next(_counter)}")
    request.getfixturevalue("spark_ready")
    return f"spark:///{tmp_path / 'warehouse'}"  # spark:////abs/path


ENGINES = ["duckdb", "postgres", "spark"]


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_workspace(engine: str, request: pytest.FixtureRequest, tmp_path: Path
                   ) -> Iterator[Callable[[], wanamaker.Workspace]]:
    """A factory of fresh workspaces on the parametrised engine (one folder, re-openable)."""
    opened: list[wanamaker.Workspace] = []
    root: dict[str, Any] = {}

    def factory() -> wanamaker.Workspace:
        if "path" not in root:
            url = _connection_for(engine, request, tmp_path)
            root["path"] = wanamaker.init(tmp_path / "ws", connection=url)
        ws = wanamaker.open(root["path"])
        opened.append(ws)
        return ws

    yield factory
    for ws in opened:
        try:
            ws.close()
        except Exception:
            pass


@pytest.fixture
def engine_workspace(make_workspace: Callable[[], wanamaker.Workspace]) -> wanamaker.Workspace:
    """A fresh workspace on each engine: duckdb, postgres, spark."""
    return make_workspace()


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """`wanamaker demo DIR --size small --seed 5`, run once per test run through the CLI for every test that reads
    it (defined here, at the root, so every folder shares the one session instance)."""
    from tests.demo.helpers import DemoRun
    from typer.testing import CliRunner

    from wanamaker.cli.app import app
    from wanamaker.demo.spec import DemoSpec

    root = tmp_path_factory.mktemp("demo") / "demo"
    result = CliRunner().invoke(app, ["demo", str(root), "--size", "small", "--seed", "5"])
    return DemoRun(root, DemoSpec(size="small", seed=5), result.exit_code, result.output)
