"""The smaller exports: the marketing calendar, ad spend, billing revenue, the HR roster, the
work-management export with approvals, the sales survey and the experiment logs — plus the dirty
rows real exports carry (each one lands in quarantine with its own reason code)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from wanamaker.demo.campaigns import CURRENCY, PLATFORM, Campaign
from wanamaker.demo.spec import DemoSpec
from wanamaker.demo.team import Team


def _csv(df: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False)


def calendar(camps: list[Campaign], budgets: dict[str, float], owners: list[str], path: Path) -> None:
    _csv(pd.DataFrame({
        "Campaign Code": [c.campaign_id for c in camps], "Campaign": [c.name for c in camps],
        "Channel": [c.channel for c in camps], "Start": [c.starts.isoformat() for c in camps],
        "End": [c.ends.isoformat() for c in camps], "Target Segments": [",".join(c.segments) for c in camps],
        "Offer": [c.offer for c in camps], "Horizon": [c.horizon for c in camps],
        "Budget (USD)": [budgets.get(c.campaign_id, 0.0) for c in camps],
        "Owner": [owners[c.owner % len(owners)] for c in camps], "Goal": [c.goal_id or "" for c in camps],
    }), path)  # fmt: skip


def spend(spec: DemoSpec, daily: dict[tuple[int, str, str], float], path: Path) -> None:
    keys = sorted(daily)
    dates = [(spec.start + timedelta(days=k[0])).isoformat() for k in keys]
    df = pd.DataFrame({"Day": dates, "Platform": [PLATFORM[k[1]] for k in keys], "Campaign": [k[2] for k in keys],
                       "Cost": [round(daily[k], 2) for k in keys], "Currency": CURRENCY})  # fmt: skip
    dirty = pd.DataFrame({"Day": [dates[0]], "Platform": ["Google Ads"], "Campaign": ["cmp-typo"], "Cost": ["$1,200.00"],
                          "Currency": ["USD"]})  # fmt: skip
    _csv(pd.concat([df, dirty]), path)


def roster(team: Team, path: Path) -> None:
    m = team.members
    _csv(pd.DataFrame({"Salesforce User ID": m.member_id, "Full Name": m["name"], "Department": m.team,
                       "Title": m.role, "Work Email": m.email, "Start Date": m.active_from.astype(str),
                       "End Date": m.active_to.map(lambda d: d.isoformat() if d else "")}), path)  # fmt: skip


def work(items: pd.DataFrame, approvals: pd.DataFrame, team: Team, root: Path) -> None:
    email = dict(zip(team.members.member_id, team.members.email, strict=True))
    fmt = "%m/%d/%Y %H:%M"
    _csv(pd.DataFrame({
        "Task ID": items.work_id, "Name": items.title, "Work Type": items.kind,
        "Created At": items.requested_at.dt.strftime(fmt), "Requester": items.requested_by.map(email),
        "Start Date": items.started_at.dt.strftime(fmt), "Due Date": items.due_at.dt.strftime(fmt),
        "Completed At": items.delivered_at.dt.strftime(fmt).fillna(""), "Assignee": items.owner_id.map(email),
        "Hours Logged": items.hours, "Recurring": np.where(items.repeatable, "Yes", "No"),
        "Campaign": items.campaign_id.fillna(""), "Goal": items.goal_id.fillna(""),
        "Expected Value": items.expected_value, "Section/Column": items.status,
    }), root / "work_management/tasks.csv")  # fmt: skip
    _csv(pd.DataFrame({
        "Task ID": approvals.work_id, "Round": approvals["round"],
        "Submitted": approvals.submitted_at.dt.strftime(fmt), "Decided": approvals.decided_at.dt.strftime(fmt),
        "Reviewer": approvals.reviewer_id.map(email), "Decision": approvals.decision,
    }), root / "work_management/approvals.csv")  # fmt: skip


def survey(df: pd.DataFrame, team: Team, path: Path) -> None:
    email = dict(zip(team.members.member_id, team.members.email, strict=True))
    _csv(pd.DataFrame({"Response ID": df.response_id, "Email": df.respondent_id.map(email), "Team": df.team,
                       "Submitted": df.submitted_at.dt.strftime("%Y-%m-%d %H:%M:%S"), "Quarter": df.period,
                       "Question": df.question, "Score (1-5)": df.score, "Comment": df.comment}), path)  # fmt: skip


def revenue(rows: pd.DataFrame, path: Path) -> None:
    dirty = pd.DataFrame({"Line ID": ["INV-DIRTY-1"], "Account": [rows["Account"].iloc[0] if len(rows) else "001"],
                          "Date": ["2025-01-15"], "Amount": [-120.0], "Currency": ["USD"], "Type": ["refund"]})  # fmt: skip
    _csv(pd.concat([rows, dirty]), path)


def experiments(rows: pd.DataFrame, path: Path) -> None:
    _csv(rows, path)
