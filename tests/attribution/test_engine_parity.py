"""Engine parity: the same credits (1e-9 relative) on DuckDB, PostgreSQL and Spark."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.attribution.test_rules_journeys import load_fixture

import wanamaker
from wanamaker.attribution.api import attribute

# ties in time are ordered by touch_id as bytes: "X9" sorts before "x1" in binary collation
TIE = """touch_id,person_id,ts,channel
x1,p3,2026-01-07 10:00:00,email
X9,p3,2026-01-07 10:00:00,display
"""
TIE_STAGES = "subject_type,subject_id,stage,ts\nperson,p3,opportunity,2026-01-08 00:00:00\n"


def _load(ws: Any, tmp_path: Path) -> None:
    load_fixture(ws, tmp_path)
    for name, text, table in (("tie", TIE, "touchpoints"), ("tie_st", TIE_STAGES, "stage_events")):
        f = tmp_path / f"{name}.csv"
        f.write_text(text)
        ws.load([f], table=table)


def _rows(ws: Any, **kw: Any) -> dict[tuple[str, str], tuple[float, float]]:
    res = attribute(ws, model="all", **kw)
    return {(r.model, r.key): (r.conversions, r.value) for r in res.rows}


def test_same_credits_on_every_engine(engine_workspace: Any, tmp_path: Path) -> None:
    workspace = wanamaker.open(wanamaker.init(tmp_path / "ref"))
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _load(engine_workspace, tmp_path / "a")
    _load(workspace, tmp_path / "b")
    for kw in ({}, {"value": "pipeline", "by": "campaign"}, {"level": "account"}):
        got, ref = _rows(engine_workspace, **kw), _rows(workspace, persist=False, **kw)
        assert got.keys() == ref.keys(), kw
        for k in ref:
            assert got[k][0] == pytest.approx(ref[k][0], rel=1e-9, abs=1e-12), (kw, k)
            assert got[k][1] == pytest.approx(ref[k][1], rel=1e-9, abs=1e-12), (kw, k)
    # binary collation: "X9" < "x1", so the last touch of p3 is x1 (email), as is p2's
    last = attribute(engine_workspace, model="last_touch", persist=False)
    assert {r.key: r.conversions for r in last.rows}["email"] == 2.0
    n = engine_workspace.sql("select count(*) as n from attribution_runs").to_pylist()[0]["n"]
    assert n == 3 * 14  # every model of --model all, calibrated among them
    workspace.close()


def test_opportunity_fallback_on_every_engine(engine_workspace: Any, tmp_path: Path) -> None:
    """Milestones dated by opportunities (no opportunity or won stage events): the journeys and
    credits of tests/attribution/test_milestone_fallback.py on every engine."""
    from tests.attribution.test_milestone_fallback import ACCOUNT, PERSON, load_opportunity_fixture

    workspace = wanamaker.open(wanamaker.init(tmp_path / "ref"))
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    load_opportunity_fixture(engine_workspace, tmp_path / "a")
    load_opportunity_fixture(workspace, tmp_path / "b")
    cases: tuple[dict[str, Any], ...] = ({"milestone": "opportunity", "value": "pipeline"},
                                         {"milestone": "opportunity", "level": "account", "by": "campaign"},
                                         {"milestone": "won", "level": "account", "value": "revenue"})
    for kw in cases:
        res = attribute(engine_workspace, model="all", persist=False, **kw)
        ref = attribute(workspace, model="all", persist=False, **kw)
        assert res.notes == ref.notes and any("stage events" in n for n in res.notes), kw
        got = {(r.model, r.key): (r.conversions, r.value) for r in res.rows}
        want = {(r.model, r.key): (r.conversions, r.value) for r in ref.rows}
        assert got.keys() == want.keys(), kw
        for k in want:
            assert got[k][0] == pytest.approx(want[k][0], rel=1e-9, abs=1e-12), (kw, k)
            assert got[k][1] == pytest.approx(want[k][1], rel=1e-9, abs=1e-12), (kw, k)
    for level, expected in (("person", PERSON), ("account", ACCOUNT)):
        for model, credit in expected.items():
            rows = attribute(engine_workspace, model=model, milestone="opportunity", level=level, persist=False).rows
            got_c = {r.key: r.conversions for r in rows}
            for ch, v in credit.items():
                assert got_c.get(ch, 0.0) == pytest.approx(v, abs=1e-12), (level, model, ch)
    workspace.close()
