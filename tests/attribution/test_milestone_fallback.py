"""Milestones dated by ``opportunities`` when the workspace has no stage events for the stage.

The fixture has lead stage events only: the ``opportunity`` and ``won`` stages come from
``opportunities.created_at`` and the ``closed_at`` of won opportunities (DESIGN "Attribution";
issue 4). Each journey below is commented with what the run must find.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from wanamaker.attribution.api import attribute
from wanamaker.cli.app import app

PEOPLE = """person_id,account_id
p1,A1
p2,A1
p3,A2
p4,A3
"""
TOUCHES = """touch_id,person_id,ts,channel,campaign_id
t1,p1,2026-01-01 10:00:00,paid_search,c1
t2,p1,2026-01-03 10:00:00,email,c2
t3,p2,2026-01-02 10:00:00,webinar,c3
t4,p2,2026-01-06 10:00:00,email,c2
t5,p3,2026-01-05 10:00:00,paid_search,c1
t6,p4,2026-01-07 10:00:00,display,c4
t7,p1,2026-01-20 10:00:00,direct,
"""
# Lead stage events only (lead touches: p1 -> t2, p2 -> t3); an opportunity's own lifecycle event
# (subject_type opportunity) is not a person's or an account's and does not stop the fallback.
STAGES = """subject_type,subject_id,stage,ts
person,p1,lead,2026-01-03 12:00:00
person,p2,lead,2026-01-02 12:00:00
opportunity,o1,opportunity,2026-01-04 00:00:00
"""
# o1 is p1's first opportunity (o4 is later); o3 names an account only; o5 a person only.
OPPS = """opportunity_id,account_id,person_id,created_at,closed_at,status,amount
o1,A1,p1,2026-01-04 00:00:00,2026-02-10 00:00:00,won,1000
o2,A1,p2,2026-01-08 00:00:00,,open,500
o3,A2,,2026-01-09 00:00:00,2026-01-30 00:00:00,lost,300
o4,A1,p1,2026-01-15 00:00:00,,open,200
o5,,p4,2026-01-10 00:00:00,,open,50
"""


def load_opportunity_fixture(ws: Any, tmp_path: Path, extra_stages: str = "") -> None:
    for name, text, table in (("people", PEOPLE, "people"), ("touches", TOUCHES, "touchpoints"),
                              ("stages", STAGES + extra_stages, "stage_events"), ("opps", OPPS, "opportunities")):
        f = tmp_path / f"fallback_{name}.csv"
        f.write_text(text)
        ws.load([f], table=table)


def credit(ws: Any, model: str, measure: str = "conversions", **kw: Any) -> dict[str, float]:
    """Credit per key (keys credited nothing left out)."""
    res = attribute(ws, model=model, persist=False, **kw)
    return {r.key: getattr(r, measure) for r in res.rows if getattr(r, measure)}


# Person level, milestone opportunity (each person's first opportunities.created_at):
#   p1: milestone 4 Jan (o1): t1 paid_search -> t2 email          (t7 on 20 Jan is after it)
#   p2: milestone 8 Jan (o2): t3 webinar -> t4 email
#   p3: no opportunity names p3 (o3 names only A2): non-converting, t5 paid_search
#   p4: milestone 10 Jan (o5): t6 display
PERSON = {
    "first_touch": {"paid_search": 1.0, "webinar": 1.0, "display": 1.0, "email": 0.0},
    "last_touch": {"email": 2.0, "display": 1.0, "paid_search": 0.0, "webinar": 0.0},
    "linear": {"paid_search": 0.5, "email": 1.0, "webinar": 0.5, "display": 1.0},
    # the opportunity-creation touch is dated by the same fallback: p1's is t2 (also its lead touch):
    # t1 first .3, t2 lead + opp .6, the .1 spread back to the roles -> 1/3, 2/3;
    # p2: t3 first + lead .6, t4 opp .3 -> 2/3, 1/3; p4: one touch, 100 %
    "w_shaped": {"paid_search": 1 / 3, "email": 2 / 3 + 1 / 3, "webinar": 2 / 3, "display": 1.0},
}
# Account level, milestone opportunity (the account's first opportunity, by account_id, else the
# account of the opportunity's person):
#   A1: milestone 4 Jan (o1): t1 paid_search (p1) -> t3 webinar (p2) -> t2 email (p1)
#   A2: milestone 9 Jan (o3, no person): t5 paid_search
#   A3: milestone 10 Jan (o5 has no account; p4 belongs to A3): t6 display
ACCOUNT = {
    "first_touch": {"paid_search": 2.0, "display": 1.0, "webinar": 0.0, "email": 0.0},
    "last_touch": {"email": 1.0, "paid_search": 1.0, "display": 1.0, "webinar": 0.0},
    "linear": {"paid_search": 4 / 3, "webinar": 1 / 3, "email": 1 / 3, "display": 1.0},
}


@pytest.mark.parametrize("model", sorted(PERSON))
def test_person_milestone_from_opportunities(workspace: Any, tmp_path: Path, model: str) -> None:
    load_opportunity_fixture(workspace, tmp_path)
    got = credit(workspace, model, milestone="opportunity")
    for ch, want in PERSON[model].items():
        assert got.get(ch, 0.0) == pytest.approx(want, abs=1e-12), (model, ch)
    assert "(no touch)" not in got


@pytest.mark.parametrize("model", sorted(ACCOUNT))
def test_account_milestone_from_opportunities(workspace: Any, tmp_path: Path, model: str) -> None:
    load_opportunity_fixture(workspace, tmp_path)
    got = credit(workspace, model, milestone="opportunity", level="account")
    for ch, want in ACCOUNT[model].items():
        assert got.get(ch, 0.0) == pytest.approx(want, abs=1e-12), (model, ch)


def test_fallback_values_and_data_driven_sums(workspace: Any, tmp_path: Path) -> None:
    load_opportunity_fixture(workspace, tmp_path)
    # pipeline at person level: A1's opportunities created at or after a converting person's
    # milestone, split over those people: o1 (4 Jan) p1 only = 1000; o2 (8 Jan) p1 and p2 = 250
    # each; o4 (15 Jan) both = 100 each -> p1 1350, p2 350; o5 (no account) is p4's own = 50.
    # o3 (A2, 300) has no converting person: its own row, so the rows add up to all 2,050 of pipeline
    got = credit(workspace, "first_touch", "value", milestone="opportunity", value="pipeline")
    assert got == pytest.approx({"paid_search": 1350.0, "webinar": 350.0, "display": 50.0,
                                 "(no converting person)": 300.0})
    # account level: A1 = o1 + o2 + o4 = 1700, A2 = o3 = 300, A3 = o5 = 50 (via p4's account)
    got = credit(workspace, "first_touch", "value", milestone="opportunity", value="pipeline", level="account")
    assert got == pytest.approx({"paid_search": 2000.0, "display": 50.0})
    for level in ("person", "account"):
        res = attribute(workspace, model="all", milestone="opportunity", level=level, persist=False)
        for m in {r.model for r in res.rows}:
            assert sum(r.conversions for r in res.rows if r.model == m) == pytest.approx(3.0, rel=1e-9), (level, m)


def test_won_milestone_from_closed_won_opportunities(workspace: Any, tmp_path: Path) -> None:
    load_opportunity_fixture(workspace, tmp_path)
    # only o1 is won (closed 10 Feb, after the last touch and stage event: the data end moves to it)
    # p1: t1 paid_search -> t2 email -> t7 direct (20 Jan); everyone else is non-converting
    assert credit(workspace, "first_touch", milestone="won") == {"paid_search": 1.0}
    assert credit(workspace, "last_touch", milestone="won") == {"direct": 1.0}
    # at the won milestone the value is the deal won (o1, 1,000), although it was created before
    for value in ("revenue", "pipeline"):
        assert credit(workspace, "last_touch", "value", milestone="won", value=value) == {"direct": 1000.0}
    # A1: t1 paid_search -> t3 webinar -> t2 email -> t4 email -> t7 direct
    lin = credit(workspace, "linear", milestone="won", level="account")
    assert lin == pytest.approx({"paid_search": 0.2, "webinar": 0.2, "email": 0.4, "direct": 0.2})
    notes = attribute(workspace, model="linear", milestone="won", persist=False).notes
    assert any("milestone is dated by the closed_at of the person's first won opportunity" in n for n in notes), notes


def test_notes_and_run_record(workspace: Any, tmp_path: Path) -> None:
    load_opportunity_fixture(workspace, tmp_path)
    res = attribute(workspace, model="linear", milestone="opportunity")
    assert any("no 'opportunity' stage events for any person" in n and "created_at" in n for n in res.notes)
    assert any("the closed-won touch (full_path) is dated by" in n for n in res.notes), res.notes
    assert res.runs[0].params["dated_by_opportunities"] == ["opportunity", "won"]
    cli = CliRunner().invoke(app, ["attribute", "-w", str(workspace.root), "--model", "linear", "--format", "json"])
    assert cli.exit_code == 0, cli.output
    assert "note: no 'opportunity' stage events" in cli.stderr


def test_stage_events_win_when_present(workspace: Any, tmp_path: Path) -> None:
    # one person-level opportunity stage event: stage events date the stage, opportunities do not.
    # p2 converts on 5 Jan 12:00 with journey t3 webinar alone (t4 is on 6 Jan); p1 and p4, whose
    # opportunities have no stage event, do not convert.
    load_opportunity_fixture(workspace, tmp_path, "person,p2,opportunity,2026-01-05 12:00:00\n")
    res = attribute(workspace, model="first_touch", milestone="opportunity", persist=False)
    assert {r.key: r.conversions for r in res.rows if r.conversions} == {"webinar": 1.0}
    assert not any("'opportunity' stage events" in n for n in res.notes)
