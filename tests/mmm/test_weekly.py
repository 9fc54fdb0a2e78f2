"""The workspace input: weekly spend and outcome aggregated in the engine (wanamaker.mmm.weekly), on DuckDB; the
fit on a workspace equals the fit on the same weeks from a file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pytest

import wanamaker
from mmm import tiny
from mmm.world import CHANNELS, make_world, workspace_tables
from wanamaker.errors import DataError, UsageError
from wanamaker.mmm import mmm_from_frame, mmm_from_workspace, weekly_frame


@pytest.fixture
def tiny_ws(tmp_path: Path) -> Iterator[wanamaker.Workspace]:
    root = wanamaker.init(tmp_path / "ws")
    tiny.set_timezone(root)
    with wanamaker.open(root) as ws:
        tiny.load_tables(ws, tmp_path / "in")
        yield ws


@pytest.mark.parametrize("outcome", ["opportunities", "pipeline", "revenue"])
def test_weekly_aggregation(tiny_ws: wanamaker.Workspace, outcome: str) -> None:
    data = weekly_frame(tiny_ws, outcome)
    assert [d.isoformat() for d in data.weeks] == tiny.WEEKS
    assert list(data.channels) == tiny.CHANNELS
    assert np.allclose(data.spend, tiny.SPEND)
    assert data.outcome.tolist() == pytest.approx(tiny.OUTCOME[outcome])
    unconverted = [n for n in data.notes if "no fx rate" in n]
    assert len(unconverted) == (1 if outcome == "pipeline" else 0)


def test_period_and_channels(tiny_ws: wanamaker.Workspace) -> None:
    data = weekly_frame(tiny_ws, "opportunities", in_label="2025-01", channels=["tv", "search"])
    assert [d.isoformat() for d in data.weeks] == tiny.WEEKS[1:]  # the week from 30 December is not all in January
    assert list(data.channels) == ["tv", "search"]
    assert data.spend.tolist() == [[0.0, 30.0], [25.0, 7.0]]
    with pytest.raises(UsageError, match="no spend on radio"):
        weekly_frame(tiny_ws, "opportunities", channels=["radio"])
    with pytest.raises(UsageError, match="--outcome-metric 'bookings' is not one of"):
        weekly_frame(tiny_ws, "bookings")
    none = weekly_frame(tiny_ws, "opportunities", in_label="2024-12")  # no data: no weeks and a note, no error
    assert none.weeks == () and "No whole week (Monday to Sunday) of spend in 2024-12" in none.notes[0]
    with pytest.raises(DataError, match="too few"):  # three weeks cannot be fitted
        mmm_from_workspace(tiny_ws, "pipeline", replicates=0)


def test_a_workspace_without_spend(workspace: wanamaker.Workspace) -> None:
    r = mmm_from_workspace(workspace)
    assert r.as_json() == [] and r.curves == () and r.diagnostics.weeks == 0
    assert r.notes[0].startswith("The workspace has no spend") and "wanamaker load" in r.notes[0]


def test_workspace_fit_equals_the_file_fit(tmp_path: Path) -> None:
    """The simulated world loaded as weekly spend rows (dated on Thursdays) and one opportunity a week whose
    amount is that week's revenue (tests/mmm/world.py): the workspace path gives the file path's numbers."""
    w = make_world(7, weeks=104)
    frame = w.frame
    root = wanamaker.init(tmp_path / "ws")
    with wanamaker.open(root) as ws:
        tiny.load_tables(ws, tmp_path / "in", workspace_tables(w))
        from_ws = mmm_from_workspace(ws, "pipeline", replicates=20, seed=1)
    rounded = frame.copy()
    for col in [*CHANNELS, "revenue"]:
        rounded[col] = rounded[col].round(6)
    from_file = mmm_from_frame(rounded, "week", "revenue", sorted(CHANNELS), replicates=20, seed=1)
    assert from_ws.params["weeks_from"] == date(2022, 1, 3) and from_ws.diagnostics.weeks == 104
    for ch in CHANNELS:
        a, b = from_ws.row(ch), from_file.row(ch)
        assert a.contribution == pytest.approx(b.contribution, rel=1e-6)
        assert a.roi_low == pytest.approx(b.roi_low, rel=1e-6)
    assert np.isclose(sum(r.contribution for r in from_ws.rows), frame["revenue"].round(6).sum())
