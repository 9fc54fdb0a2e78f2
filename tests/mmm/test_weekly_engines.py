"""The weekly frame of the mix model is the same on DuckDB, PostgreSQL and Spark (the tiny world of
tests/mmm/tiny.py: weeks cut at Monday midnight in America/New_York, spend dates taken as local days, money in
the workspace currency)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import wanamaker
from mmm import tiny
from wanamaker.mmm import weekly_frame

pytestmark = pytest.mark.engines


def test_same_weekly_frame_on_every_engine(make_workspace: Callable[[], wanamaker.Workspace], tmp_path: Path) -> None:
    first = make_workspace()
    root = first.root
    first.close()
    tiny.set_timezone(root)
    ws = make_workspace()
    tiny.load_tables(ws, tmp_path / "in")
    for outcome, expected in tiny.OUTCOME.items():
        data = weekly_frame(ws, outcome)
        assert [d.isoformat() for d in data.weeks] == tiny.WEEKS
        assert list(data.channels) == tiny.CHANNELS
        assert np.allclose(data.spend, tiny.SPEND)
        assert data.outcome.tolist() == pytest.approx(expected), outcome
    period = weekly_frame(ws, "pipeline", in_label="2025-01", channels=["tv"])
    assert [d.isoformat() for d in period.weeks] == tiny.WEEKS[1:]
    assert period.spend.tolist() == [[0.0, 30.0]] and period.outcome.tolist() == pytest.approx([220.0, 350.0])
