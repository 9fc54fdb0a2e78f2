"""Rule models on journey fixtures loaded the way users load data (CSV -> ws.load).

Each journey is a small timeline with a comment giving the expected credit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from wanamaker.attribution.api import attribute

PEOPLE = """person_id,account_id,segment
p1,A1,smb
p2,A1,smb
p3,A2,ent
p4,A3,ent
"""
# p1: paid_search (1 Jan) -> email (2 Jan) -> direct (3 Jan); lead 2 Jan 12:00 (lead touch t2);
#     opportunity 4 Jan (the milestone; opp touch t3).
# p2: organic (anonymous a9, stitched through identities, 1 Jan 09:00) -> email (5 Jan);
#     lead 1 Jan 12:00 (lead touch t4 = the first touch); opportunity 6 Jan.
# p3: one paid_search touch, never converts (a non-converting journey).
# p4: converts (opportunity 10 Jan) with no touch: "(no touch)".
TOUCHES = """touch_id,person_id,anonymous_id,ts,channel,campaign_id,content,touch_type
t1,p1,,2026-01-01 10:00:00,paid_search,c1,ad-a,ad
t2,p1,,2026-01-02 10:00:00,email,c2,nl-1,email
t3,p1,,2026-01-03 10:00:00,direct,,,visit
t4,,a9,2026-01-01 09:00:00,organic_search,,,visit
t5,p2,,2026-01-05 10:00:00,email,c2,nl-1,email
t6,p3,,2026-01-05 10:00:00,paid_search,c1,ad-b,ad
t7,p1,,2026-01-09 10:00:00,email,c2,nl-2,email
"""
IDS = "anonymous_id,person_id\na9,p2\n"
STAGES = """subject_type,subject_id,stage,ts
person,p1,lead,2026-01-02 12:00:00
person,p1,opportunity,2026-01-04 00:00:00
person,p2,lead,2026-01-01 12:00:00
person,p2,opportunity,2026-01-06 00:00:00
person,p4,opportunity,2026-01-10 00:00:00
"""
OPPS = """opportunity_id,account_id,person_id,created_at,status,amount
o1,A1,p1,2026-01-04 00:00:00,won,1000
o2,A3,p4,2026-01-10 00:00:00,open,500
"""


def load_fixture(ws: Any, tmp_path: Path) -> None:
    for name, text, table in (("people", PEOPLE, "people"), ("touches", TOUCHES, "touchpoints"),
                              ("ids", IDS, "identities"), ("stages", STAGES, "stage_events"),
                              ("opps", OPPS, "opportunities")):
        f = tmp_path / f"{name}.csv"
        f.write_text(text)
        ws.load([f], table=table)


def credit(ws: Any, model: str, **kw: Any) -> dict[str, float]:
    res = attribute(ws, model=model, persist=False, **kw)
    return {r.key: r.conversions for r in res.rows}


# expected credit per channel (touch t7 is after p1's milestone and never counts)
EXPECTED = {
    "first_touch": {"paid_search": 1, "organic_search": 1, "email": 0, "direct": 0},
    "last_touch": {"paid_search": 0, "organic_search": 0, "email": 1, "direct": 1},
    "linear": {"paid_search": 1 / 3, "email": 1 / 3 + 1 / 2, "direct": 1 / 3, "organic_search": 1 / 2},
    "last_non_direct": {"email": 2, "paid_search": 0, "organic_search": 0, "direct": 0},
    # p1: first t1 .4, lead t2 .4, t3 .2; p2: first+lead both on t4 = .8, t5 the spread .2
    "u_shaped": {"paid_search": 0.4, "email": 0.4 + 0.2, "direct": 0.2, "organic_search": 0.8},
    # p1: first .3, lead .3, opp (t3, the last touch before the opportunity) .3, no other touch:
    #     the .1 spread goes to the role touches in proportion -> 1/3 each.
    # p2: first+lead on t4 (.6), opp on t5 (.3), no other touch -> t4 2/3, t5 1/3.
    "w_shaped": {"paid_search": 1 / 3, "email": 1 / 3 + 1 / 3, "direct": 1 / 3, "organic_search": 2 / 3},
    # no won stage: its .225 goes to the roles present, then the .1 spread likewise -> as w_shaped
    "full_path": {"paid_search": 1 / 3, "email": 1 / 3 + 1 / 3, "direct": 1 / 3, "organic_search": 2 / 3},
    # custom .4/.2/.4: p1 t1 .4, t2 .2, t3 .4; p2 (two touches, no middle) .5/.5
    "custom": {"paid_search": 0.4, "email": 0.2 + 0.5, "direct": 0.4, "organic_search": 0.5},
}


@pytest.mark.parametrize("model", sorted(EXPECTED))
def test_rule_models_on_fixture(workspace: Any, tmp_path: Path, model: str) -> None:
    load_fixture(workspace, tmp_path)
    got = credit(workspace, model)
    for ch, want in EXPECTED[model].items():
        assert got.get(ch, 0.0) == pytest.approx(want, abs=1e-12), (model, ch)
    assert got["(no touch)"] == 1.0  # p4


def test_time_decay_half_life(workspace: Any, tmp_path: Path) -> None:
    load_fixture(workspace, tmp_path)
    got = credit(workspace, "time_decay")
    # p2: t4 is 4 days 1 h older than t5; half-life 7 d -> weights 2^(-97/168) : 1
    w = 2 ** (-(4 * 24 + 1) / 168)
    # p1: ages 62 h, 38 h, 14 h -> weights 2^(-48/168), 2^(-24/168), 1
    a, b = 2 ** (-48 / 168), 2 ** (-24 / 168)
    assert got["organic_search"] == pytest.approx(w / (1 + w), rel=1e-12)
    assert got["paid_search"] == pytest.approx(a / (a + b + 1), rel=1e-12)


def test_values_pipeline_and_revenue(workspace: Any, tmp_path: Path) -> None:
    load_fixture(workspace, tmp_path)
    # o1 (A1, created 4 Jan) is at/after p1's milestone only (p2 converts 6 Jan): p1 gets 1000.
    res = attribute(workspace, model="first_touch", value="pipeline", persist=False)
    vals = {r.key: r.value for r in res.rows}
    assert vals["paid_search"] == pytest.approx(1000.0)
    assert vals["(no touch)"] == pytest.approx(500.0)
    rev = {r.key: r.value for r in attribute(workspace, model="first_touch", value="revenue", persist=False).rows}
    assert rev["paid_search"] == pytest.approx(1000.0)
    assert rev.get("(no touch)", 0.0) == 0.0


def test_filters_lookback_and_keys(workspace: Any, tmp_path: Path) -> None:
    load_fixture(workspace, tmp_path)
    got = credit(workspace, "linear", exclude_channels=["direct"])
    assert "direct" not in got and got["email"] == pytest.approx(1 / 2 + 1 / 2)
    # 2 days: p1 keeps t2, t3 (t1 on 1 Jan is out), p2 keeps t5 only (t4 is out)
    got = credit(workspace, "first_touch", lookback="2d")
    assert got["email"] == pytest.approx(2.0)
    by_campaign = credit(workspace, "first_touch", by="campaign")
    assert by_campaign["c1"] == 1.0 and by_campaign["(none)"] == 1.0
    by_seg = credit(workspace, "first_touch", by="segment")
    assert by_seg["smb"] == 2.0


def test_account_level(workspace: Any, tmp_path: Path) -> None:
    load_fixture(workspace, tmp_path)
    # A1's milestone is its people's earliest (4 Jan): touches t1, t2, t3, t4 (t5 is later)
    got = credit(workspace, "first_touch", level="account")
    assert got["organic_search"] == 1.0 and got.get("paid_search", 0.0) == 0.0


def test_persisted_run_and_credits(workspace: Any, tmp_path: Path) -> None:
    load_fixture(workspace, tmp_path)
    res = attribute(workspace, model="markov", order=1)
    run = res.runs[0]
    runs_tbl = workspace.sql(f"select * from attribution_runs where run_id = '{run.run_id}'").to_pylist()
    assert runs_tbl[0]["model"] == "markov_1" and runs_tbl[0]["config_hash"]
    cr = workspace.sql(f"select channel, sum(conversions) c from attribution_credits where run_id = '{run.run_id}' group by 1").to_pylist()
    per = {r["channel"]: r["c"] for r in cr}
    model = {r.key: r.conversions for r in res.rows}
    for ch, v in per.items():  # touch credits plus (unplaced) rows give the model's channel credit
        assert v == pytest.approx(model[ch], rel=1e-9, abs=1e-12)
    assert sum(per.values()) == pytest.approx(2.0, rel=1e-9)


def test_ci_and_paths_file(tmp_path: Path) -> None:
    f = tmp_path / "paths.csv"
    f.write_text("path;total_conversions;total_conversion_value;total_null\n"
                 "a > b;10;100;5\nb;3;30;20\na > c > b;2;40;2\nc;0;0;9\n")
    res = attribute(None, model="all", paths=f, ci=True, replicates=50)
    rows = [r for r in res.rows if r.model == "markov_1"]
    assert sum(r.conversions for r in rows) == pytest.approx(15.0, rel=1e-12)
    assert all(r.ci_low is not None and r.ci_low <= r.conversions + 1e-9 for r in rows)
    assert {r.model for r in res.rows} >= {"first_touch", "linear", "markov_3", "shapley", "shapley_rate"}
