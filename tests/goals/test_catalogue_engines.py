"""Engine parity with known answers: every built-in metric of the catalogue and the goal rows of a small plan
(baseline, target, actual, progress, status) on DuckDB, PostgreSQL and Spark.

The world below is small enough to work every number out by hand (the comments next to the expected values
say how); the numbers follow the definitions in :mod:`wanamaker.metrics.catalogue`,
:mod:`wanamaker.funnel.measures`, :mod:`wanamaker.funnel.stages` and :mod:`wanamaker.goals.progress`.
The window is FY2026-Q1 = [2026-01-01, 2026-04-01) (UTC, fiscal year from 01-01); the baselines come from
FY2025-Q4. Default wanamaker.yml: stages visitor, lead, mql, sal, sql, opportunity, won; sourced_rule
first_touch; SLA mql_followup (mql -> first sales touch, 24h) and sal_decision (mql -> sal | rejected, 48h);
marketing = every channel but direct and outbound_sdr (the sales group).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

import wanamaker

pytestmark = pytest.mark.engines

DATA = {
    "accounts": """account_id,name,segment,region
A,Acme,ent,emea
B,Beta,smb,na
""",
    "people": """person_id,account_id,created_at,lead_source,owner_id
p1,A,2025-12-15 00:00:00,paid_search,r1
p2,A,2025-12-01 00:00:00,webinar,r1
p3,B,2026-01-25 00:00:00,paid_social,
p4,B,2026-03-01 00:00:00,email,
p5,B,2025-11-01 00:00:00,email,
p6,,2026-03-10 00:00:00,organic_search,
p7,,2026-03-20 00:00:00,,
""",
    "team_members": """member_id,name,team,active_from
r1,Rita,sales,2025-01-01
m1,Mia,marketing,2025-01-01
""",
    "identities": """anonymous_id,person_id,linked_at
a1,p3,2026-01-15 00:00:00
a1,p6,2026-02-01 00:00:00
""",
    # p1 walks the whole funnel; p2 is rejected; p3 enters at mql (seen before as a visitor: its first touch);
    # p4 is an MQL nobody answers; p5 is last quarter's; p7 enters at sql with no touch at all
    "stage_events": """subject_type,subject_id,stage,ts,owner_id,reason
person,p1,lead,2026-01-05 10:00:00,,
person,p1,mql,2026-01-06 09:00:00,r1,
person,p1,sal,2026-01-07 08:00:00,,
person,p1,sql,2026-01-10 00:00:00,,
person,p1,opportunity,2026-01-12 00:00:00,,
person,p1,won,2026-02-20 00:00:00,,
person,p2,lead,2025-12-20 00:00:00,,
person,p2,mql,2026-01-10 12:00:00,,
person,p2,rejected,2026-01-11 12:00:00,,no_budget
person,p3,mql,2026-02-01 00:00:00,,
person,p3,sal,2026-02-05 00:00:00,,
person,p4,lead,2026-03-01 00:00:00,,
person,p4,mql,2026-03-02 00:00:00,,
person,p5,lead,2025-11-01 00:00:00,,
person,p5,mql,2025-11-15 00:00:00,,
person,p5,sal,2025-11-16 00:00:00,,
person,p7,sql,2026-03-20 00:00:00,,
""",
    "touchpoints": """touch_id,person_id,anonymous_id,account_id,ts,channel,campaign_id,touch_type,owner_id
t1,p1,,A,2025-12-15 00:00:00,paid_search,c1,web_session,
t2,p1,,A,2026-01-06 15:00:00,outbound_sdr,,call,r1
t3,p2,,A,2025-12-01 00:00:00,webinar,c4,webinar_attended,
t4,p2,,A,2026-01-20 00:00:00,email,c5,email_sent,
t5,p2,,A,2026-01-21 00:00:00,email,c5,email_open,
t6,p1,,A,2026-01-22 00:00:00,email,c5,email_sent,
t7,,a1,,2026-01-25 00:00:00,paid_social,c2,web_session,
t8,p3,,B,2026-02-10 00:00:00,email,c5,email_click,
t9,,a9,,2026-02-11 00:00:00,direct,,web_session,
t10,p4,,B,2026-03-01 00:00:00,email,c5,email_sent,
t11,p4,,B,2026-03-01 01:00:00,email,c5,email_open,
t12,p6,,,2026-03-10 00:00:00,organic_search,,web_session,
t13,p5,,B,2025-11-01 00:00:00,email,c5,email_sent,
t14,p5,,B,2025-11-02 00:00:00,email,c5,email_open,
t15,p5,,B,2025-11-03 00:00:00,email,c5,email_sent,
t16,,,A,2025-11-20 00:00:00,direct,,visit,
""",
    "opportunities": """opportunity_id,account_id,person_id,created_at,closed_at,status,amount,currency,owner_id,source
o1,A,p1,2026-01-12 00:00:00,2026-02-20 00:00:00,won,1000,USD,r1,paid_search
o2,A,,2026-01-20 00:00:00,2026-03-05 00:00:00,won,2000,EUR,r1,partner
o3,B,p3,2026-02-10 00:00:00,2026-03-10 00:00:00,lost,500,USD,r1,paid_social
o4,B,p4,2026-03-15 00:00:00,,open,800,,r1,email
o5,B,p5,2025-11-20 00:00:00,2025-12-15 00:00:00,won,1500,USD,r1,email
o6,A,p2,2025-10-10 00:00:00,2026-01-25 00:00:00,won,600,USD,r1,webinar
""",
    "fx_rates": """date,currency,rate_to_workspace_currency
2026-01-20,EUR,1.10
2026-03-05,EUR,1.20
2026-02-15,EUR,1.25
""",
    "spend": """date,channel,campaign_id,amount,currency
2026-01-15,paid_search,c1,300,USD
2026-02-15,paid_social,c2,100,EUR
2026-03-20,paid_search,c1,75,
2026-02-16,display,c3,50,GBP
2025-12-01,paid_search,c1,200,USD
""",
    "survey_responses": """response_id,respondent_id,team,submitted_at,question,score
s1,r1,Sales,2026-01-20 00:00:00,quality,4
s2,r1,,2026-02-20 00:00:00,quality,2
s3,m1,marketing,2026-02-01 00:00:00,quality,1
s4,r1,sales,2026-03-01 00:00:00,quality,
s5,r1,sales,2025-12-10 00:00:00,quality,5
""",
}

PLAN = """goals:
  - id: revenue-q1
    name: Grow won revenue 50 %
    metric: revenue
    baseline: auto
    target: {growth: 0.5}
    period: FY2026-Q1
  - id: email-activity-q1
    parent: revenue-q1
    name: E-mails sent and clicked
    metric: email_activity
    baseline: 2
    target: 7
    period: FY2026-Q1
  - id: open-rate-q1
    parent: revenue-q1
    name: Open rate to 90 %
    metric: email_open_rate
    baseline: auto
    target: 0.9
    period: FY2026-Q1
    weight: 2
  - id: mql-q1
    name: Triple the MQLs
    metric: mql
    baseline: auto
    target: {growth: 2.0}
    period: FY2026-Q1
metrics:
  - id: email_activity
    table: touchpoints
    agg: count
    where: channel = 'email' AND touch_type IN ('email_sent', 'email_click')
"""

EUR_O2_PIPELINE = 2000 * 1.10  # at the rate of its created_at
EUR_O2_REVENUE = 2000 * 1.20  # at the rate of its closed_at

# FY2026-Q1, every built-in metric, worked out from DATA
EXPECTED: dict[str, float | None] = {
    "opportunities": 4,  # o1 o2 o3 o4 created in Q1
    "pipeline": 1000 + EUR_O2_PIPELINE + 500 + 800,  # o4 has no currency: the workspace's
    "won_deals": 3,  # o1 o2 o6 closed won in Q1 (o6 was created in 2025)
    "closed_deals": 4,  # and o3 lost
    "revenue": 1000 + EUR_O2_REVENUE + 600,
    "win_rate": 3 / 4,
    "avg_deal_size": (1000 + EUR_O2_REVENUE + 600) / 3,
    "sales_cycle_days": (39 + 44 + 107) / 3,  # o1 01-12..02-20, o2 01-20..03-05, o6 2025-10-10..01-25
    "spend": 300 + 100 * 1.25 + 75,  # the GBP row has no rate: left out; the 2025 row is outside
    "new_customers": 1,  # A's first won deal (o6) closes 01-25; B's first (o5) closed in 2025
    "cac": (300 + 100 * 1.25 + 75) / 1,
    "email_sends": 3,  # t4 t6 t10
    "email_opens": 2,  # t5 t11
    "email_open_rate": 2 / 3,
    # stage counts: first touches make visitors (p3 through its anonymous id a1, linked to p3 first)
    "visitors": 3,  # p3 (01-25), p4 (03-01), p6 (03-10); p1 p2 p5 were visitors in 2025, p7 has no touch
    "leads": 3,  # p1, p4 and p3 (seen as a visitor, then at mql: lead passed at the mql time); not p7
    "mql": 4,  # p1 p2 p3 p4
    "sal": 2,  # p1, p3 (p2 was rejected; p7 entered at sql, after sal, without being seen before it)
    "sql": 2,  # p1, p7
    # first touch at or before created_at: o1 p1's t1 paid_search; o2 (no person) the account's t16 direct:
    # not sourced, but influenced; o3 p3's t7 paid_social (stitched); o4 p4's t10 email; o6 none before
    "pipeline_sourced": 1000 + 500 + 800,
    "pipeline_influenced": 1000 + EUR_O2_PIPELINE + 500 + 800,
    "revenue_sourced": 1000,
    "revenue_influenced": 1000 + EUR_O2_REVENUE,
    "cost_per_lead": (300 + 125 + 75) / 3,
    "cost_per_mql": (300 + 125 + 75) / 4,
    # as of the end of the data (p7's sql at 03-20): mql_followup p1 met (t2 after 6h), p2 p3 p4 breached
    # (no sales touch); sal_decision p1 met (23h), p2 met (rejected after 24h), p3 late (96h), p4 breached
    "sla_compliance": 3 / 8,
    "acceptance_rate": 2 / 3,  # p1 p3 accepted, p2 rejected, p4 pending (not decided)
    "sales_satisfaction": (4 + 2) / 2,  # s1 (team Sales), s2 (r1 is in sales); not s3 (marketing), s4 (no score)
}

AS_OF = datetime(2026, 3, 2)  # 60 of the quarter's 90 days have passed
ELAPSED = 60 / 90


def load_world(ws: wanamaker.Workspace, folder: Path) -> None:
    folder.mkdir()
    for table, text in DATA.items():
        path = folder / f"{table}.csv"
        path.write_text(text, encoding="utf-8")
        result = ws.load([path], table=table)
        counts = result.tables[0].files[0]
        assert counts.loaded == text.count("\n") - 1, (table, counts, result.tables[0].quarantine_reasons)


@pytest.fixture
def world(engine_workspace: wanamaker.Workspace, tmp_path: Path) -> wanamaker.Workspace:
    ws = engine_workspace
    load_world(ws, tmp_path / "in")
    (ws.root / "plan.yml").write_text(PLAN, encoding="utf-8")
    root = ws.root
    ws.close()
    return wanamaker.open(root)


def test_every_builtin_metric_has_its_known_value(world: wanamaker.Workspace) -> None:
    with world as ws:
        cat, problems = ws.metrics()
        assert not problems
        builtins = [mid for mid in cat if cat[mid].origin == "built-in" and cat[mid].agg != "computed"]  # measures
        assert sorted(builtins) == sorted(EXPECTED)
        got: dict[str, float | None] = {}
        for mid in builtins:
            rows = [r for r in ws.metric(mid, in_label="FY2026-Q1").rows if r.key == "all" and r.period is None]
            assert len(rows) == 1, mid
            got[mid] = rows[0].value
        assert got == {k: pytest.approx(v, rel=1e-9) for k, v in EXPECTED.items()}
        # the custom metric, through its where:
        assert ws.metric("email_activity", in_label="FY2026-Q1").rows[0].value == 4  # t4 t6 t8 t10
        # the baseline quarter
        q4 = {mid: ws.metric(mid, in_label="FY2025-Q4").rows[0].value
              for mid in ("revenue", "mql", "email_open_rate", "visitors", "spend")}
        assert q4 == {"revenue": 1500, "mql": 1, "email_open_rate": 0.5, "visitors": 3, "spend": 200}


def test_goal_rows_have_their_known_values(world: wanamaker.Workspace) -> None:
    with world as ws:
        result = ws.goals(as_of=AS_OF)
        assert result.as_of == AS_OF
        rows = {r.id: r for r in result.rows}
        assert [r.id for r in result.rows] == ["revenue-q1", "email-activity-q1", "open-rate-q1", "mql-q1"]
        # (baseline, target, actual, progress, own status, status); the actual counts up to as_of, inclusive
        email_progress = 4 / 7  # count: actual / target
        rate_progress = (2 / 3 - 0.5) / (0.9 - 0.5)  # level: from the baseline to the target
        want = {
            # FY2025-Q4 revenue o5 1500; by 03-02 o6 600 + o1 1000 are won (o2 closes on 03-05)
            "revenue-q1": (1500, 2250, 1600, 1600 / 2250, "on_track", "behind"),
            # t4 t6 t8 (a click) t10 by 03-02; 4/7 = 0.571 is less than 0.15 below the elapsed 0.667
            "email-activity-q1": (2, 7, 4, email_progress, "at_risk", "at_risk"),
            # Q4: 1 open / 2 sends; by 03-02: t5 t11 / t4 t6 t10
            "open-rate-q1": (0.5, 0.9, 2 / 3, rate_progress, "behind", "behind"),
            # Q4: p5; by 03-02 00:00: p1 p2 p3 and p4 (its mql is at as_of exactly)
            "mql-q1": (1, 3, 4, 1.0, "done", "done"),
        }
        for gid, (baseline, target, actual, progress, own, status) in want.items():
            r = rows[gid]
            assert (r.baseline, r.target, r.actual, r.progress) == (
                pytest.approx(baseline, rel=1e-9), pytest.approx(target, rel=1e-9),
                pytest.approx(actual, rel=1e-9), pytest.approx(progress, rel=1e-9)), gid
            assert (r.own_status, r.status) == (own, status), gid
            assert r.expected_progress == pytest.approx(ELAPSED, rel=1e-9), gid
        assert rows["revenue-q1"].rollup_progress == pytest.approx((email_progress + 2 * rate_progress) / 3)
        assert rows["email-activity-q1"].depth == 1 and rows["revenue-q1"].depth == 0


def test_stage_metrics_per_quarter_equal_the_funnel(world: wanamaker.Workspace) -> None:
    with world as ws:
        conversion = ws.funnel(period="quarter").conversion
        for mid, stage in (("visitors", "visitor"), ("leads", "lead"), ("mql", "mql"), ("sal", "sal"),
                           ("sql", "sql")):
            got = {r.period: r.value for r in ws.metric(mid, period="quarter").rows if r.key == "all"}
            funnel = {r.period: float(r.entered) for r in conversion if r.key == "all" and r.stage == stage}
            labels = sorted(set(got) | set(funnel))
            assert [got.get(p, 0.0) for p in labels] == [funnel.get(p, 0.0) for p in labels], (mid, labels)
