"""`wanamaker demo` end to end on the small world, through the CLI."""

from __future__ import annotations

from pathlib import Path

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
    assert headline("funnel", rows) == "people: lead 1,000 -20%-> mql 200 -50%-> won 100"


PLAN_CODES = ("orphan_goal", "infeasible_target", "efficiency_only_chain", "sla_breach", "conflicting_offers",
              "promotion_gap", "unlinked_work")


def test_demo_check_reports_exactly_the_planted_plan_problems(small_demo: DemoRun) -> None:
    """`wanamaker check --format json` on the demo: each planted plan problem with its code and subject, and no
    other error; with the problems fixed, no error at all."""
    import json

    from typer.testing import CliRunner

    from wanamaker.cli.app import app

    assert "check: " in small_demo.output and "goals: " in small_demo.output  # the demo ran both
    got = CliRunner().invoke(app, ["check", "--format", "json", "-w", str(small_demo.root)])
    assert got.exit_code == 1  # the planted errors
    findings = json.loads(got.stdout)
    with wanamaker.open(small_demo.root, read_only=True) as ws:
        rows = ws.sql("SELECT code, subject FROM demo_planted").to_pylist()
    planted = {(r["code"], r["subject"]) for r in rows if r["code"] in PLAN_CODES}
    assert len(rows) == len({(r["code"], r["subject"]) for r in rows})  # one row per finding
    found = {(f["code"], f["subject"]) for f in findings if f["code"] in PLAN_CODES}
    assert found == planted
    errors = {(f["code"], f["subject"]) for f in findings if f["severity"] == "error"}
    assert errors <= planted


def test_demo_plan_with_the_problems_fixed_has_no_error(small_demo: DemoRun, tmp_path: Path) -> None:
    import shutil

    from ruamel.yaml import YAML

    folder = tmp_path / "demo"
    shutil.copytree(small_demo.root, folder, ignore=shutil.ignore_patterns("demo-data"))
    yaml = YAML()
    plan = yaml.load((folder / "plan.yml").read_text())
    goals = {g["id"]: g for g in plan["goals"]}
    with wanamaker.open(folder, read_only=True) as ws:
        found = {f.code: f for f in ws.check() if f.severity == "error"}
    orphan = found["orphan_goal"].subject
    goals[orphan]["stands_alone"] = "brand building is measured on its own"
    chain = found["efficiency_only_chain"].subject
    for g in plan["goals"]:
        if g["metric"] == goals[chain]["metric"]:
            g["metric"] = "webinar_leads"  # an outcome the e-mails drive
    fix = found["infeasible_target"]
    volume = float(fix.fix.split("Raise the target to ")[1].split(" ")[0].replace(",", ""))
    goals[fix.subject]["target"] = volume * 1.05
    with (folder / "plan.yml").open("w") as fh:
        yaml.dump(plan, fh)
    with wanamaker.open(folder, read_only=True) as ws:
        errors = [(f.code, f.subject, f.message) for f in ws.check() if f.severity == "error" and f.file == "plan.yml"]
    assert errors == []  # the plan's own problems; the calendar and work ones are planted in the data
