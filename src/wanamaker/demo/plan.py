"""plan.yml of the demo company: a goal cascade (corporate revenue -> sales and marketing goals ->
team goals) with planted problems that later features must find, and the ``demo_planted`` table
that lists every planted problem of the world."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pandas as pd
import pyarrow as pa

from wanamaker.demo.campaigns import CONFLICT_IDS, GAP_SEGMENT, gap_quarter
from wanamaker.demo.causal import RIDE_ALONG
from wanamaker.demo.spec import DemoSpec


@dataclass(frozen=True)
class Facts:
    """World figures the plan is sized from."""

    mql_to_won: float  # share of MQLs whose deal was won
    avg_won_deal: float
    trailing_revenue: float  # won new revenue in the 12 months before the end


def goal_ids(spec: DemoSpec) -> dict[str, str]:
    fy, q = spec.end.year, (spec.end.month - 1) // 3 + 1
    return {
        "revenue": f"revenue-fy{fy % 100}",
        "sales": f"pipeline-fy{fy % 100}",
        "marketing": f"mkt-revenue-fy{fy % 100}",
        "mql": f"mql-fy{fy % 100}-q{q}",
        "webinar": f"webinar-leads-fy{fy % 100}-q{q}",
        "sdr": f"sal-fy{fy % 100}-q{q}",
        "email": f"email-open-rate-fy{fy % 100}",
        "newsletter": f"newsletter-open-rate-fy{fy % 100}-q{q}",
        "orphan": f"brand-awareness-fy{fy % 100}",
    }


def goal_for_channel(spec: DemoSpec) -> dict[str, str]:
    """The goal each channel's campaigns serve (work items and campaigns link to these)."""
    ids = goal_ids(spec)
    return {
        "paid_search": ids["mql"], "paid_social": ids["mql"], "display": ids["orphan"], "email": ids["email"],
        "webinar": ids["webinar"], "event": ids["marketing"], "content": ids["mql"], "partner": ids["marketing"],
    }  # fmt: skip


def build_plan(spec: DemoSpec, owners: dict[str, str], facts: Facts) -> dict[str, Any]:
    """plan.yml as a dict. ``owners`` maps roles (ceo, cmo, vp_sales, marketer, sdr_lead) to member ids."""
    ids = goal_ids(spec)
    fy, q = spec.end.year, (spec.end.month - 1) // 3 + 1
    year, quarter = f"FY{fy}", f"FY{fy}-Q{q}"
    mkt_revenue = round(facts.trailing_revenue * 0.6, -3)
    quarterly = mkt_revenue / 4
    needed_mqls = quarterly / max(facts.mql_to_won * facts.avg_won_deal, 1.0)
    mql_target = max(int(round(needed_mqls * 0.4, -1)), 10)  # planted: 40 % of what the parent needs
    goals: list[dict[str, Any]] = [
        {"id": ids["revenue"], "name": "Grow revenue 15 %", "owner": owners["ceo"], "team": "company",
         "metric": "revenue", "direction": "increase", "baseline": "auto", "target": {"growth": 0.15}, "period": year},
        {"id": ids["sales"], "parent": ids["revenue"], "name": "Grow pipeline 20 %", "owner": owners["vp_sales"],
         "team": "sales", "metric": "pipeline", "direction": "increase", "baseline": "auto",
         "target": {"growth": 0.2}, "period": year},
        {"id": ids["marketing"], "parent": ids["revenue"], "name": "Marketing-sourced revenue",
         "owner": owners["cmo"], "team": "marketing", "metric": "revenue_sourced", "direction": "increase",
         "baseline": "auto", "target": mkt_revenue, "period": year},
        {"id": ids["mql"], "parent": ids["marketing"], "name": f"{mql_target} MQLs in Q{q}", "owner": owners["cmo"],
         "team": "marketing", "metric": "mql", "direction": "increase", "baseline": "auto", "target": mql_target,
         "period": quarter},
        {"id": ids["webinar"], "parent": ids["mql"], "name": "Webinar leads", "owner": owners["marketer"],
         "team": "demand generation", "metric": "webinar_leads", "direction": "increase", "baseline": "auto",
         "target": {"growth": 0.25}, "period": quarter},
        {"id": ids["sdr"], "parent": ids["sales"], "name": "Accepted leads (SAL)", "owner": owners["sdr_lead"],
         "team": "sales development", "metric": "sal", "direction": "increase", "baseline": "auto",
         "target": {"growth": 0.1}, "period": quarter},
        {"id": ids["email"], "parent": ids["revenue"], "name": "Raise email click-to-open rate",
         "owner": owners["cmo"], "team": "marketing", "metric": "email_click_to_open", "direction": "increase",
         "baseline": "auto",
         "target": {"growth": 0.1}, "period": year},
        {"id": ids["newsletter"], "parent": ids["email"], "name": "Newsletter click-to-open rate",
         "owner": owners["marketer"], "team": "content", "metric": "email_click_to_open", "direction": "increase",
         "baseline": "auto",
         "target": {"growth": 0.05}, "period": quarter},
        {"id": ids["orphan"], "name": "Brand awareness: more web visits", "owner": owners["marketer"],
         "team": "brand", "metric": "web_sessions", "direction": "increase", "baseline": "auto",
         "target": {"growth": 0.3}, "period": year},
    ]  # fmt: skip
    return {
        "goals": goals,
        "metrics": [
            {
                "id": "webinar_leads",
                "table": "touchpoints",
                "agg": "count_distinct",
                "column": "person_id",
                "where": "channel = 'webinar'",
                "kind": "effectiveness",
            },
            {
                "id": "email_clicks",
                "name": "E-mail clicks",
                "table": "touchpoints",
                "agg": "count",
                "where": "channel = 'email' AND touch_type = 'email_click'",
                "kind": "efficiency",
            },
            {
                "id": "email_click_to_open",
                "name": "E-mail click-to-open rate",
                "numerator": "email_clicks",
                "denominator": "email_opens",
                "kind": "efficiency",
            },
            {
                "id": "web_sessions",
                "name": "Web sessions",
                "table": "touchpoints",
                "agg": "count",
                "where": "anonymous_id IS NOT NULL",
                "kind": "effectiveness",
            },
        ],  # fmt: skip
        "journey": journey(spec, owners),
        "balance": {"long_term_share": 0.46},
        "_mql_needed": round(needed_mqls),
    }


def journey(spec: DemoSpec, owners: dict[str, str]) -> list[dict[str, Any]]:
    """plan.yml's journey: three stages over the default funnel (marketing up to the hand-off of MQLs, sales from SAL
    to won; every person of the demo is a lead, so awareness runs from visitor to MQL), with one deliverable of each
    status ``wanamaker journey`` reports as of the end: done through its work item (the ``work_id`` is set by
    :func:`link_work` once the work items exist), done by hand (``done: true``), overdue and due. Journey status is
    not a ``wanamaker check`` finding: nothing here is planted."""
    end = spec.end
    return [
        {"stage": "awareness", "owner_team": "marketing", "funnel_stages": ["visitor", "lead"],
         "deliverables": [{"name": "Quarterly webinar series", "owner": owners["marketer"],
                           "due": end - timedelta(days=20)}]},
        {"stage": "consideration", "owner_team": "marketing", "funnel_stages": ["mql"],
         "deliverables": [{"name": "Enterprise case studies", "owner": owners["marketer"],
                           "due": end - timedelta(days=45), "done": True}]},
        {"stage": "decision", "owner_team": "sales", "funnel_stages": ["sal", "sql", "opportunity", "won"],
         "deliverables": [{"name": "Sales deck", "owner": owners["vp_sales"], "due": end - timedelta(days=10)},
                          {"name": "Competitive battle cards", "owner": owners["vp_sales"],
                           "due": end + timedelta(days=30)}]},
    ]  # fmt: skip


def link_work(plan: dict[str, Any], items: pd.DataFrame) -> None:
    """Link the webinar deliverable of the journey to the last webinar work item delivered (``work_id``)."""
    done = items[(items.kind == "webinar") & items.delivered_at.notna() & (items.status == "done")]
    if done.empty:
        return
    last = done.sort_values(["delivered_at", "work_id"]).iloc[-1]
    plan["journey"][0]["deliverables"][0]["work_id"] = str(last.work_id)


def planted(spec: DemoSpec, plan: dict[str, Any], slow_reps: list[str], unlinked_work: list[str]) -> pa.Table:
    """One row per finding a check must report (DESIGN "Goals and plan checks"): its code and subject."""
    ids = goal_ids(spec)
    gy, gq = gap_quarter(spec)
    rows = [
        ("orphan_goal", ids["orphan"], "Goal with no parent corporate goal and no stands_alone reason."),
        ("infeasible_target", ids["mql"],
         f"MQL target is 40 % of the ~{plan['_mql_needed']} MQLs its parent's revenue needs at the world's rates."),
        ("efficiency_only_chain", ids["email"],
         f"The goals {ids['email']} and {ids['newsletter']} are measured only by an efficiency metric (e-mail "
         "click-to-open rate), never by an outcome."),
        ("conflicting_offers", ",".join(CONFLICT_IDS),
         "Two overlapping campaigns send a discount and a premium offer to mid-market at the same time."),
        ("promotion_gap", f"{GAP_SEGMENT} FY{gy}-Q{gq}", f"No campaign targets {GAP_SEGMENT} in FY{gy}-Q{gq}."),
        ("zero_effect_channel", RIDE_ALONG,
         "Display retargeting has no causal effect but is shown to people about to convert."),
        *[("sla_breach", rep, "A sales rep whose median MQL follow-up is slower than the 24 h SLA.")
          for rep in sorted(slow_reps)],
        *[("unlinked_work", work_id, "A work item linked to no campaign and no goal.") for work_id in unlinked_work],
    ]  # fmt: skip
    return pa.table(
        {"code": [r[0] for r in rows], "subject": [r[1] for r in rows], "description": [r[2] for r in rows]}
    )
