"""Goals and the plan checks on a small world whose numbers are known by construction.

The world (UTC, fiscal year = calendar year, funnel stages lead -> mql -> won):
- 12 leads a month through 2025 and the first half of 2026 (flat: no month grew on the one before);
- 10 MQLs in FY2025-Q4, 8 in FY2026-Q1;
- from 2025-07 to 2026-06, 100 people reached MQL (41 more in FY2025-Q3 and in FY2026-Q2 each), 20 of them
  were won in 2025-H2 (a won stage event and a won opportunity of 25 each);
- won revenue: 1,000 in FY2025 (the 20 x 50 of 2025-07..12 = 500, plus 500 more in 2025-03), 600 in 2026-H1.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import wanamaker
from support.data import write_csv
from wanamaker.cli.app import app

CONFIG_EXTRA = "\nfunnel:\n  stages: [lead, mql, won]\n  exits: [rejected, lost]\n  sourced_rule: first_touch\n"

GOOD_PLAN = """\
goals:
  - id: revenue-fy26
    name: Grow revenue 20 %
    team: company
    metric: revenue
    target: {growth: 0.2}
    period: FY2026
  - id: mql-q1
    parent: revenue-fy26
    name: 12 MQLs in Q1
    team: marketing
    metric: mql
    target: 12
    period: FY2026-Q1
"""


def _world(root: Path) -> None:
    people, events, opps = [], [], []
    n = 0

    def person(ts: datetime) -> str:
        nonlocal n
        n += 1
        pid = f"p{n:04d}"
        people.append({"person_id": pid, "created_at": ts.isoformat()})
        events.append({"subject_type": "person", "subject_id": pid, "stage": "lead", "ts": ts.isoformat()})
        return pid

    month = date(2025, 1, 1)
    while month < date(2026, 7, 1):
        for i in range(12):
            person(datetime(month.year, month.month, 2 + i))
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    # MQLs: 10 in FY2025-Q4, 8 in FY2026-Q1 (people of their own, lead and MQL the same day)
    for i in range(10):
        pid = person(datetime(2025, 10, 5 + i))
        events.append({"subject_type": "person", "subject_id": pid, "stage": "mql", "ts": f"2025-10-{5 + i:02d}T12:00:00"})
    for i in range(8):
        pid = person(datetime(2026, 2, 3 + i))
        events.append({"subject_type": "person", "subject_id": pid, "stage": "mql", "ts": f"2026-02-{3 + i:02d}T12:00:00"})
    # the conversion history: 82 more MQLs from 2025-07 to 2026-06, 100 in all, 20 won at 50
    mqls = [p["person_id"] for p in people[-18:]]
    for i in range(82):  # 41 in FY2025-Q3 and 41 in FY2026-Q2: none in the quarters the goals compare
        day = datetime(2025, 7, 1) + timedelta(days=2 * i) if i < 41 else datetime(2026, 4, 1) + timedelta(days=2 * (i - 41))
        pid = person(day)
        events.append({"subject_type": "person", "subject_id": pid, "stage": "mql", "ts": (day + timedelta(hours=1)).isoformat()})
        mqls.append(pid)
    for k, pid in enumerate(mqls[18:38]):  # 20 of the 2025-H2 MQLs are won in 2025-07..12
        won_at = datetime(2025, 7, 10) + timedelta(days=8 * k)
        events.append({"subject_type": "person", "subject_id": pid, "stage": "won", "ts": won_at.isoformat()})
        opps.append({"opportunity_id": f"o{k}", "person_id": pid, "created_at": "2025-06-01", "closed_at": won_at.isoformat(),
                     "status": "won", "amount": "25"})
    opps.append({"opportunity_id": "o-march", "person_id": people[0]["person_id"], "created_at": "2025-02-01",
                 "closed_at": "2025-03-15", "status": "won", "amount": "500"})  # 20 x 25 + 500 = 1,000 in FY2025
    for k, amount in enumerate((250, 350)):  # 600 in 2026-H1
        opps.append({"opportunity_id": f"o26-{k}", "person_id": people[1]["person_id"], "created_at": "2026-01-05",
                     "closed_at": f"2026-0{3 + k}-10", "status": "won", "amount": str(amount)})
    ws = wanamaker.open(root)
    try:
        ws.load([write_csv(root / "people.csv", people)], table="people")
        ws.load([write_csv(root / "events.csv", events)], table="stage_events")
        ws.load([write_csv(root / "opps.csv", opps)], table="opportunities")
    finally:
        ws.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = wanamaker.init(tmp_path_factory.mktemp("goals") / "ws")
    config = root / "wanamaker.yml"
    text = config.read_text()
    start = text.index("funnel:")
    end = text.index("sla:")
    config.write_text(text[:start] + CONFIG_EXTRA.lstrip("\n") + text[end:])
    _world(root)
    return root


@pytest.fixture
def plan(world: Path) -> Iterator[Any]:
    """Write a plan.yml and open the workspace on it: ``plan(text) -> Workspace``."""
    opened: list[wanamaker.Workspace] = []

    def write(text: str) -> wanamaker.Workspace:
        (world / "plan.yml").write_text(text)
        ws = wanamaker.open(world, read_only=True)
        opened.append(ws)
        return ws

    yield write
    for ws in opened:
        ws.close()
    (world / "plan.yml").write_text(GOOD_PLAN)


AS_OF = datetime(2026, 7, 1)  # the end of 2026-06-30


def test_goal_numbers_progress_and_status_roll_up(plan: Any) -> None:
    ws = plan(GOOD_PLAN)
    result = ws.goals(as_of=AS_OF)
    root, mql = result.get("revenue-fy26"), result.get("mql-q1")
    assert root.baseline == pytest.approx(1000) and root.target == pytest.approx(1200)
    assert root.actual == pytest.approx(600)
    assert root.progress == pytest.approx(0.5)  # a sum counts from zero: 600 / 1,200
    assert root.expected_progress == pytest.approx(181 / 365)
    assert root.own_status == "on_track"
    assert mql.baseline == 10 and mql.target == 12 and mql.actual == 8  # baseline auto = FY2025-Q4
    assert mql.progress == pytest.approx(8 / 12) and mql.expected_progress == 1.0
    assert mql.status == "behind"  # 0.67 is more than 0.15 below 1.0
    assert root.status == "behind"  # no better than its worst child
    assert [r.id for r in result.rows] == ["revenue-fy26", "mql-q1"] and result.rows[1].depth == 1
    assert root.rollup_progress == pytest.approx(8 / 12)
    early = ws.goals(as_of=datetime(2025, 12, 1))
    assert {r.id: r.status for r in early.rows} == {"revenue-fy26": "not_started", "mql-q1": "not_started"}


def test_level_metric_progress_moves_from_baseline_to_target(plan: Any) -> None:
    ws = plan(GOOD_PLAN + """\
  - id: mql-share
    parent: revenue-fy26
    name: MQL share of leads
    team: marketing
    metric: mql_per_lead
    baseline: 0.2
    target: 0.4
    period: FY2026-Q1
metrics:
  - {id: mql_per_lead, numerator: mql, denominator: leads, kind: efficiency}
""")
    row = ws.goals(as_of=AS_OF).get("mql-share")
    leads_q1 = 36 + 8  # 12 a month plus the 8 MQL people (leads the same day)
    assert row.actual == pytest.approx(8 / leads_q1)
    assert row.progress == pytest.approx((8 / leads_q1 - 0.2) / 0.2 if 8 / leads_q1 > 0.2 else 0.0)


def _codes(ws: wanamaker.Workspace) -> dict[tuple[str, str], Any]:
    return {(f.code, f.subject): f for f in ws.check(as_of=AS_OF) if f.file == "plan.yml"}


def test_a_clean_plan_has_no_error(plan: Any) -> None:
    fixed = GOOD_PLAN.replace("    target: 12\n", "    target: 60\n")  # enough MQLs for the revenue (see below)
    fixed = fixed.replace("    period: FY2026-Q1\n", "    period: FY2026-Q1\n    set_on: 2025-12-20\n")  # set in time
    ws = plan(fixed)
    errors = [f for f in ws.check(as_of=AS_OF) if f.severity == "error"]
    assert errors == []


def test_infeasible_target_says_the_shortfall_in_both_units(plan: Any) -> None:
    ws = plan(GOOD_PLAN)
    found = _codes(ws)[("infeasible_target", "mql-q1")]
    # history (2025-07..2026-06): the won took 9 + 6k days (k = 0..19) from MQL, p90 111 days, so the rate counts
    # only MQLs that entered 111+ days before as-of (the waterfall's maturity rule): the 59 of 2025-Q3..2026-Q1,
    # 20 of them won -> posterior mean 21/61; 1,100 won in the window / 20 won people
    rate, per_won = 21 / 61, (500 + 600) / 20
    needed = 1200 * (90 / 365)  # the parent's target prorated to Q1
    assert f"{12 * rate * per_won:,.0f}" in found.message and f"{needed:,.0f}" in found.message
    assert f"Raise the target to {needed / (rate * per_won):,.0f} mql" in found.fix
    assert found.severity == "error" and found.line == 8  # the line of "- id: mql-q1"


def test_linkage_smart_and_metric_findings(plan: Any) -> None:
    ws = plan(GOOD_PLAN + """\
  - id: lonely
    name: A goal with no parent
    team: marketing
    metric: leads
    target: 10
    period: FY2026-Q1
  - id: alone-ok
    name: Hiring
    team: hr
    stands_alone: "not a revenue goal"
    metric: leads
    target: 10
    period: FY2026-Q1
  - id: lost-child
    parent: nowhere
    name: Parent missing
    metric: leads
    target: 10
    period: FY2026-Q1
  - id: open-rate
    parent: revenue-fy26
    name: Open rate
    metric: clicks_per_open
    target: {growth: 0.1}
    period: FY2026
  - id: open-rate-q1
    parent: open-rate
    name: Open rate Q1
    metric: clicks_per_open
    target: {growth: 0.1}
    period: FY2026-Q1
  - id: typo
    parent: revenue-fy26
    name: Typo
    metric: revnue
    target: 1
    period: FY2026
  - id: empty
    parent: revenue-fy26
    name: Nothing to measure
    metric: experiment_units
    target: 1
    period: FY2026
  - id: old
    parent: revenue-fy26
    name: Last year's
    metric: leads
    target: 100
    period: FY2024
metrics:
  - {id: clicks, table: touchpoints, agg: count, where: "touch_type = 'email_click'", kind: efficiency}
  - {id: opens, table: touchpoints, agg: count, where: "touch_type = 'email_open'", kind: efficiency}
  - {id: clicks_per_open, numerator: clicks, denominator: opens, kind: efficiency}
  - {id: experiment_units, table: experiments, agg: count_distinct, column: unit_id}
  - {id: leads, table: people, agg: count}
  - {id: bad_where, table: people, agg: count, where: "(SELECT 1) = 1"}
""")
    found = _codes(ws)
    assert found[("orphan_goal", "lonely")].line == 15
    assert ("orphan_goal", "alone-ok") not in found
    assert ("unknown_parent", "lost-child") in found
    chain = found[("efficiency_only_chain", "open-rate")]
    assert "open-rate-q1" in chain.message
    assert ("efficiency_only_chain", "open-rate-q1") not in found  # one finding per branch
    assert "revenue" in found[("unknown_metric", "typo")].fix  # did you mean
    assert ("no_data", "empty") in found
    assert ("period_past", "old") in found
    assert found[("duplicate_metric", "leads")].line is not None
    bad = found[("bad_metric", "bad_where")]
    assert "subquery" in bad.message
    assert all(f.severity == "error" for f in found.values() if f.code != "too_little_history")


def test_unrealistic_target_against_the_best_history(plan: Any) -> None:
    ws = plan(GOOD_PLAN + """\
  - id: leads-jan
    parent: revenue-fy26
    name: Double the leads in January
    team: marketing
    metric: leads
    target: {growth: 2.0}
    period: 2026-01
""")
    found = _codes(ws)
    hit = found[("unrealistic_target", "leads-jan")]
    assert "+200.0%" in hit.message
    assert "+133.3%" in hit.message  # the best month on month: 2025-07 (12 + 16 MQL people) over 2025-06 (12)
    assert "the best the history has shown" in hit.message


def test_period_past_respects_set_on(plan: Any) -> None:
    ws = plan(GOOD_PLAN + """\
  - id: set-in-time
    parent: revenue-fy26
    name: Q1 leads, set in December
    metric: leads
    target: 40
    period: FY2026-Q1
    set_on: 2025-12-15
  - id: set-late
    parent: revenue-fy26
    name: Q1 leads, set after the quarter
    metric: leads
    target: 40
    period: FY2026-Q1
    set_on: 2026-04-02
""")
    found = _codes(ws)
    assert ("period_past", "set-late") in found and ("period_past", "set-in-time") not in found


def test_where_is_built_as_a_tree_never_as_text(plan: Any) -> None:
    ws = plan(GOOD_PLAN + """\
metrics:
  - {id: mql_events, table: stage_events, agg: count, where: "stage = 'mql' AND ts BETWEEN '2026-01-01' AND '2026-03-31'"}
  - {id: drop, table: people, agg: count, where: "1=1; DROP TABLE people"}
  - {id: files, table: people, agg: count, where: "read_text('/etc/passwd') IS NOT NULL"}
""")
    assert ws.metric("mql_events").rows[0].value == 8
    cat, problems = ws.metrics()
    assert {p.metric: p.code for p in problems} == {"drop": "bad_metric", "files": "bad_metric"}
    assert "drop" not in cat and "files" not in cat
    assert int(ws.sql("SELECT count(*) AS n FROM people").column("n")[0].as_py()) > 0


def test_cli_metric_goals_check(plan: Any, world: Path) -> None:
    plan(GOOD_PLAN)
    runner = CliRunner()
    got = runner.invoke(app, ["metric", "revenue", "--in", "FY2025", "--format", "json", "-w", str(world)])
    assert got.exit_code == 0, got.output
    assert '"value": 1000.0' in got.stdout
    got = runner.invoke(app, ["metric", "mql", "--period", "quarter", "--explain", "-w", str(world)])
    assert got.exit_code == 0 and "SELECT" in got.output
    got = runner.invoke(app, ["metric", "revnue", "-w", str(world)])
    assert got.exit_code != 0
    got = runner.invoke(app, ["goals", "--as-of", "2026-06-30", "--format", "json", "-w", str(world)])
    assert got.exit_code == 0
    import json

    rows = json.loads(got.stdout)
    assert set(rows[0]) >= {"id", "parent", "name", "owner", "team", "metric", "kind", "period", "baseline",
                            "target", "actual", "progress", "expected_progress", "status"}
    got = runner.invoke(app, ["check", "--as-of", "2026-06-30", "--format", "json", "-w", str(world)])
    assert got.exit_code == 1  # the infeasible MQL target is an error
    findings = json.loads(got.stdout)
    assert {"code", "severity", "subject", "file", "line", "message", "fix"} <= set(findings[0])
    got = runner.invoke(app, ["metrics", "--format", "json", "-w", str(world)])
    ids = {m["id"] for m in json.loads(got.stdout)}
    assert {"visitors", "leads", "mql", "sal", "sql", "opportunities", "pipeline", "pipeline_sourced",
            "pipeline_influenced", "won_deals", "revenue", "revenue_sourced", "win_rate", "avg_deal_size",
            "sales_cycle_days", "spend", "cost_per_lead", "cost_per_mql", "email_open_rate", "sla_compliance",
            "acceptance_rate", "sales_satisfaction"} <= ids


def test_sum_of_a_text_column_is_a_bad_metric_not_a_crash(plan: Any) -> None:
    ws = plan(GOOD_PLAN + """\
metrics:
  - {id: owner_sum, table: opportunities, agg: sum, column: owner_id}
""")
    _, problems = ws.metrics()
    assert [(p.code, p.metric) for p in problems] == [("bad_metric", "owner_sum")]
    assert "number column" in problems[0].message
