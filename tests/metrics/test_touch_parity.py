"""Funnel and attribution read whose touch a touchpoint is from one definition (wanamaker.metrics.touches),
so they agree on every person's touches and first touch, on every engine.

The journeys (expected owner in the comment):
- a1 is linked to p1 (Jan 5) and to p2 (Jan 3): its touches are p2's, the earliest link (not the smallest id);
- a2 is linked to p1 with no time and to p3 (Jan 10): p3's, a dated link before an undated one;
- a3 is linked to p3 and p2 at the same moment: p2's, ties broken by person_id;
- a9 is linked to nobody: nobody's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ibis
import pytest

import wanamaker
from wanamaker.attribution.journeys import JourneyOptions, resolved_touches
from wanamaker.funnel.touches import first_touch_times, first_touches, person_touches

PEOPLE = "person_id,created_at\np1,2025-12-01\np2,2025-12-01\np3,2025-12-01\n"
IDENTITIES = ("anonymous_id,person_id,linked_at\na1,p1,2026-01-05\na1,p2,2026-01-03\na2,p1,\na2,p3,2026-01-10\n"
              "a3,p3,2026-01-02 00:00\na3,p2,2026-01-02 00:00\n")
TOUCHES = ("touch_id,person_id,anonymous_id,ts,channel\n"
           "t1,,a1,2026-01-02 09:00,display\n"
           "t2,p1,,2026-01-04 10:00,email\n"
           "t3,,a2,2026-01-01 12:00,paid_search\n"
           "t4,p2,,2026-01-06 10:00,webinar\n"
           "t5,p3,,2026-01-08 10:00,event\n"
           "t6,,a3,2026-01-01 08:00,content\n"
           "t7,,a9,2025-12-31 08:00,direct\n")

EXPECTED_TOUCHES = {"p1": ["t2"], "p2": ["t1", "t4", "t6"], "p3": ["t3", "t5"]}  # each touch once
EXPECTED_FIRST = {"p1": "email", "p2": "content", "p3": "paid_search"}


@pytest.mark.engines
def test_funnel_and_attribution_agree_on_touches(engine_workspace: wanamaker.Workspace, tmp_path: Path) -> None:
    ws = engine_workspace
    for name, text, table in (("people", PEOPLE, "people"), ("identities", IDENTITIES, "identities"),
                              ("touches", TOUCHES, "touchpoints")):
        path = tmp_path / f"{name}.csv"
        path.write_text(text)
        ws.load([path], table=table)

    funnel = person_touches(ws).to_pyarrow().to_pylist()
    by_person: dict[str, list[str]] = {}
    for row in funnel:
        by_person.setdefault(row["person_id"], []).append(row["touch_id"])
    assert {k: sorted(v) for k, v in by_person.items()} == EXPECTED_TOUCHES

    attribution = resolved_touches(ws, JourneyOptions(level="person")).to_pyarrow().to_pylist()
    by_subject: dict[str, list[str]] = {}
    for row in attribution:
        by_subject.setdefault(row["subject"], []).append(row["touch_id"])
    assert {k: sorted(v) for k, v in by_subject.items()} == EXPECTED_TOUCHES

    funnel_first = {r["person_id"]: r["channel"] for r in first_touches(person_touches(ws)).to_pyarrow().to_pylist()}
    t = resolved_touches(ws, JourneyOptions(level="person"))
    ranked = t.mutate(rn=ibis.row_number().over(group_by=t.subject, order_by=[t.ts, t.touch_id]))
    first = ranked.filter(ranked.rn == 0)
    attribution_first = {r["subject"]: r["channel"] for r in first.select("subject", "channel").to_pyarrow().to_pylist()}
    assert funnel_first == attribution_first == EXPECTED_FIRST

    times = {r["person_id"]: str(r["ts"]) for r in first_touch_times(ws).to_pyarrow().to_pylist()}
    assert times == {"p1": "2026-01-04 10:00:00", "p2": "2026-01-01 08:00:00", "p3": "2026-01-01 12:00:00"}


@pytest.mark.engines
@pytest.mark.parametrize("level", ["person", "account"])
def test_funnel_and_attribution_agree_on_stage_entries(engine_workspace: wanamaker.Workspace, tmp_path: Path,
                                                       level: str) -> None:
    """Account A enters `opportunity` at its person a1's event (Jan 5), earlier than its own (Jan 10);
    account B only through its own event; person a2 has no account, so it is in no account's funnel."""
    from wanamaker.attribution.journeys import subject_stages as attribution_stages
    from wanamaker.funnel.stages import subject_stages as funnel_stages
    from wanamaker.metrics.stages import stage_events

    ws = engine_workspace
    data = {
        "accounts": "account_id,name\nA,Acme\nB,Beta\n",
        "people": "person_id,account_id,created_at\na1,A,2025-12-01\na2,,2025-12-01\nb1,B,2025-12-01\n",
        "stage_events": ("subject_type,subject_id,stage,ts\naccount,A,opportunity,2026-01-10\n"
                         "person,a1,opportunity,2026-01-05\nperson,a2,opportunity,2026-01-07\n"
                         "account,B,opportunity,2026-01-12\nperson,b1,lead,2026-01-02\n"),
    }
    for table, text in data.items():
        path = tmp_path / f"{table}.csv"
        path.write_text(text)
        ws.load([path], table=table)
    wide = funnel_stages(stage_events(ws, level), ["lead", "opportunity"], level)
    funnel = {r["subject_id"]: str(r["obs_1"]) for r in wide.to_pyarrow().to_pylist() if r["obs_1"] is not None}
    st = attribution_stages(ws, JourneyOptions(level=level, milestone="opportunity"))
    attribution = {r["subject"]: str(r["m_ts"]) for r in st.to_pyarrow().to_pylist() if r["m_ts"] is not None}
    expected = ({"A": "2026-01-05 00:00:00", "B": "2026-01-12 00:00:00"} if level == "account"
                else {"a1": "2026-01-05 00:00:00", "a2": "2026-01-07 00:00:00"})
    assert funnel == attribution == expected


@pytest.mark.engines
def test_funnel_and_attribution_agree_on_periods(make_workspace: Any, tmp_path: Path) -> None:
    """An opportunity entered at 23:30 UTC on 31 March is an April opportunity in Europe/Berlin, for the
    funnel's months and for attribution's `--by period` alike (both cut by wanamaker.metrics.periods)."""
    ws = make_workspace()
    config = ws.root / "wanamaker.yml"
    config.write_text(config.read_text().replace("timezone: UTC", "timezone: Europe/Berlin"))
    ws = make_workspace()
    data = {
        "people": "person_id,created_at\np1,2026-03-01T00:00:00Z\np2,2026-03-01T00:00:00Z\n",
        "touchpoints": "touch_id,person_id,ts,channel\nt1,p1,2026-03-20T10:00:00Z,email\nt2,p2,2026-03-20T10:00:00Z,webinar\n",
        "stage_events": ("subject_type,subject_id,stage,ts\nperson,p1,opportunity,2026-03-31T23:30:00Z\n"
                         "person,p2,opportunity,2026-03-30T10:00:00Z\n"),
    }
    for table, text in data.items():
        path = tmp_path / f"{table}.csv"
        path.write_text(text)
        ws.load([path], table=table)
    rows = ws.funnel(period="month", stages=["opportunity", "won"]).rows()
    funnel = {r["period"]: r["entered"] for r in rows if r["stage"] == "opportunity" and r["key"] == "all"}
    credits = ws.attribution(model="first_touch", by="period", milestone="opportunity").to_dicts()
    attribution = {r["key"]: r["conversions"] for r in credits if r["model"] == "first_touch" and r["key"] != "all"}
    assert funnel == {"2026-03": 1, "2026-04": 1}
    assert {k: round(v, 9) for k, v in attribution.items()} == {"2026-03": 1.0, "2026-04": 1.0}
