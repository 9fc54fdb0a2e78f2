"""`wanamaker demo` end to end on the small world, through the CLI."""

from __future__ import annotations

from tests.demo.helpers import DemoRun

import wanamaker


def test_demo_small_end_to_end(small_demo: DemoRun) -> None:
    root = small_demo.root
    assert small_demo.exit_code == 0, small_demo.output
    assert "quarantined" in small_demo.output and "Next steps" in small_demo.output
    with wanamaker.open(root) as ws:
        counts = {t: ws.sql(f"SELECT count(*) AS n FROM {t}").column("n")[0].as_py()
                  for t in ("accounts", "people", "touchpoints", "opportunities", "stage_events", "campaigns",
                            "spend", "work_items", "approvals", "survey_responses", "experiments", "identities",
                            "revenue", "team_members", "ground_truth", "ground_truth_experiments", "demo_planted")}  # fmt: skip
        assert all(n > 0 for n in counts.values()), counts
        assert counts["touchpoints"] >= 100_000 and counts["accounts"] >= 500
        reasons = ws.sql("SELECT DISTINCT reason_code FROM _quarantine").column("reason_code").to_pylist()
        assert len(reasons) >= 5, reasons
        channels = set(ws.sql("SELECT DISTINCT channel FROM touchpoints").column("channel").to_pylist())
        assert {"paid_search", "display", "email", "webinar", "event", "outbound_sdr", "direct", "content"} <= channels
        planted = set(ws.sql("SELECT code FROM demo_planted").column("code").to_pylist())
        assert {
            "orphan_goal",
            "infeasible_target",
            "efficiency_only_chain",
            "conflicting_offers",
            "promotion_gap",
        } <= planted
        people = ws.sql("SELECT count(*) AS n, count(account_id) AS a, count(segment) AS s FROM people").to_pylist()[0]
        assert people["n"] == people["a"] == people["s"]  # the upsert of sf_lead_accounts filled them
        truth = ws.sql("SELECT channel, sum(incremental_conversions) AS n FROM ground_truth GROUP BY 1").to_pylist()
        assert len(truth) == 12 and {r["channel"]: r["n"] for r in truth}["display"] == 0
        assert ws.sql("SELECT count(*) AS n FROM ground_truth").column("n")[0].as_py() == 72
        assert ws.plan.goals and any(g.parent is None and g.stands_alone is None for g in ws.plan.goals[1:])


def test_funnel_headline_puts_each_rate_on_its_arrow() -> None:
    from wanamaker.demo.run import headline

    rows = [{"key": "all", "stage": "lead", "entered": 1000, "rate": 0.2},
            {"key": "all", "stage": "mql", "entered": 200, "rate": 0.5},
            {"key": "all", "stage": "won", "entered": 100, "rate": None}]
    assert headline("funnel", rows) == "lead 1,000 -20%-> mql 200 -50%-> won 100"
