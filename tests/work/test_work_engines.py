"""``wanamaker work``, ``--approvals``, ``--audit`` and ``queue`` give work_world.py's known answers on DuckDB,
PostgreSQL and Spark (people resolved, cycle days, WIP days and quarters computed by each engine)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from tests.work import work_world

import wanamaker

pytestmark = pytest.mark.engines


def test_work_known_answers_on_every_engine(make_workspace: Callable[[], wanamaker.Workspace], tmp_path: Path) -> None:
    ws = work_world.build(make_workspace, tmp_path / "in")
    work_world.check_work(ws)
    work_world.check_approvals(ws)
    work_world.check_queue(ws)
    work_world.check_audit(ws)
