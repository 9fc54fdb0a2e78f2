"""The people who run the company: team members (marketing, sales, CS, ops, execs), the
marketing team's work items with approval rounds, and the quarterly survey in which sales rates
marketing. Everything is a small pandas frame in contract column names; exports.py gives each the
shape of the tool it comes from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from wanamaker.demo.campaigns import Campaign
from wanamaker.demo.spec import DemoSpec, rng

FIRST = ("Ava", "Ben", "Chloe", "Diego", "Emma", "Farid", "Grace", "Hugo", "Ines", "Jon", "Kira", "Liam",
         "Maya", "Noah", "Olga", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Victor", "Wen", "Yara")  # fmt: skip
LAST = ("Adams", "Baker", "Chen", "Dubois", "Evans", "Fischer", "Garcia", "Hansen", "Ito", "Jensen", "Kim",
        "Lopez", "Meyer", "Novak", "Okafor", "Patel", "Rossi", "Silva", "Tanaka", "Weber")  # fmt: skip
DOMAIN = "northwind-demo.com"
WORK_KINDS = ("blog post", "email campaign", "webinar", "landing page", "ad creative", "event booth",
              "case study", "sales deck", "analyst report", "newsletter")  # fmt: skip
REPEATABLE = frozenset({"blog post", "email campaign", "newsletter", "ad creative"})
KIND_CHANNEL = {"blog post": "content", "email campaign": "email", "webinar": "webinar", "landing page": "paid_search",
                "ad creative": "paid_social", "event booth": "event", "case study": "content", "newsletter": "email"}  # fmt: skip
SURVEY_QUESTIONS = (
    "Lead quality from marketing",
    "Marketing understands our buyers",
    "Marketing content helps me close",
)
COMMENTS = ("", "", "", "Too many students and job seekers in the MQL queue.", "Webinar leads are great.",
            "Need better enterprise case studies.", "Leads arrive without context.", "The new deck helps.")  # fmt: skip


@dataclass(frozen=True)
class Team:
    members: pd.DataFrame  # team_members columns
    marketers: list[str]  # member ids, index = Campaign.owner
    reps: list[str]  # sales development reps, index = Reps index
    aes: list[str]  # account executives (own opportunities)
    sales_all: list[str]


def member_id(i: int) -> str:
    return f"005{i:012d}"


def make_team(spec: DemoSpec) -> Team:
    g = rng(spec, "team")
    s = spec.sizes
    roles: list[tuple[str, str]] = [("exec", "ceo"), ("exec", "cfo"), ("marketing", "cmo"), ("sales", "vp sales")]
    roles += [("marketing", "marketing manager" if i < 3 else "marketing specialist") for i in range(s.marketers)]
    roles += [("sales", "sales development rep")] * s.reps + [("sales", "account executive")] * max(s.reps // 2, 3)
    roles += [("customer success", "csm")] * 3 + [("ops", "revops analyst")] * 2 + [("IT", "it admin")]
    rows = []
    used: set[str] = set()
    for i, (team, role) in enumerate(roles):
        while True:
            name = f"{FIRST[int(g.integers(0, len(FIRST)))]} {LAST[int(g.integers(0, len(LAST)))]}"
            if name not in used:
                break
        used.add(name)
        start = spec.start - timedelta(days=int(g.integers(30, 900)))
        end = (
            spec.end - timedelta(days=int(g.integers(30, 300)))
            if role == "marketing specialist" and i % 5 == 0
            else None
        )
        email = f"{name.lower().replace(' ', '.')}@{DOMAIN}"
        rows.append((member_id(i + 1), name, team, role, email, start, end))
    df = pd.DataFrame(rows, columns=["member_id", "name", "team", "role", "email", "active_from", "active_to"])
    mk = df[df.role.str.startswith("marketing") | (df.role == "cmo")].member_id.tolist()
    reps = df[df.role == "sales development rep"].member_id.tolist()
    aes = df[df.role == "account executive"].member_id.tolist()
    return Team(df, mk[1:] if len(mk) > 1 else mk, reps, aes, df[df.team == "sales"].member_id.tolist())


def _ts(spec: DemoSpec, days: np.ndarray) -> pd.Series:
    return pd.Series(pd.Timestamp(spec.start_dt) + pd.to_timedelta(np.round(days * 24) / 24, unit="D"))


def work_items(
    spec: DemoSpec, team: Team, camps: list[Campaign], goals: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Work items (some linked to nothing) and their approval rounds."""
    g = rng(spec, "work")
    n = 90 * len(team.marketers)
    kind = np.asarray(WORK_KINDS)[g.integers(0, len(WORK_KINDS), n)]
    req = np.sort(g.uniform(0, spec.days - 5, n))
    start = req + g.gamma(1.5, 4.0, n)
    due = req + g.choice([7, 14, 21, 30, 45], n)
    hours = np.round(g.lognormal(np.log(14), 0.8, n), 1)
    delivered = start + hours / 6 * g.lognormal(0.1, 0.5, n)
    late = delivered > spec.days
    owners = np.asarray(team.marketers)[g.integers(0, len(team.marketers), n)]
    requesters_pool = team.marketers[:3] + team.sales_all[:4] + [team.members.member_id.iloc[0]]
    requesters = np.asarray(requesters_pool)[g.integers(0, len(requesters_pool), n)]
    camp_by_ch: dict[str, list[Campaign]] = {}
    for c in camps:
        camp_by_ch.setdefault(c.channel, []).append(c)
    campaign: list[str | None] = []
    goal: list[str | None] = []
    link = g.random((n, 2))
    for i in range(n):
        day = spec.start + timedelta(days=int(req[i]))
        cands = [c for c in camp_by_ch.get(KIND_CHANNEL.get(str(kind[i]), ""), []) if c.starts <= day <= c.ends]
        chosen = cands[0] if cands and link[i, 0] < 0.7 else None
        campaign.append(chosen.campaign_id if chosen else None)
        goal.append(
            chosen.goal_id if chosen and chosen.goal_id else (goals[i % len(goals)] if link[i, 1] < 0.35 else None)
        )
    status = np.where(late, "in_progress", np.where(g.random(n) < 0.05, "cancelled", "done"))
    base = pd.Timestamp(spec.start_dt)
    items = pd.DataFrame(
        {
            "work_id": [f"W-{i + 1:05d}" for i in range(n)],
            "title": [f"{k.title()} #{i + 1}" for i, k in enumerate(kind)],
            "kind": kind,
            "requested_at": _ts(spec, req),
            "requested_by": requesters,
            "started_at": _ts(spec, start),
            "due_at": _ts(spec, due),
            "delivered_at": _ts(spec, np.where(late | (status == "cancelled"), np.nan, delivered)),
            "owner_id": owners,
            "hours": hours,
            "repeatable": [k in REPEATABLE for k in kind],
            "campaign_id": campaign,
            "goal_id": goal,
            "expected_value": np.round(g.lognormal(np.log(5000), 1.0, n), -2),
            "status": status,
        }
    )
    rows = []
    reviewers = [team.members.member_id.iloc[2]] + team.marketers[:2]
    rounds = g.choice([1, 1, 1, 2, 2, 3], n)
    for i in range(n):
        if status[i] == "cancelled":  # cancelled work was turned down at its first review
            t = start[i] + g.gamma(2.0, 2.0)
            rows.append((items.work_id[i], 1, base + timedelta(days=float(t)), base + timedelta(days=float(t + 1.0)),
                         reviewers[int(g.integers(0, len(reviewers)))], "rejected"))  # fmt: skip
            continue
        if status[i] != "done":
            continue
        t = start[i] + (delivered[i] - start[i]) * 0.6
        for r in range(1, int(rounds[i]) + 1):
            decided = t + g.gamma(1.2, 0.8)
            last = r == rounds[i]
            dec = "approved" if last else "changes_requested"
            rows.append((items.work_id[i], r, base + timedelta(days=float(t)), base + timedelta(days=float(decided)),
                         reviewers[int(g.integers(0, len(reviewers)))], dec))  # fmt: skip
            t = decided + g.gamma(1.2, 1.0)
    cols = ["work_id", "round", "submitted_at", "decided_at", "reviewer_id", "decision"]
    return items, pd.DataFrame(rows, columns=cols)


def survey(spec: DemoSpec, team: Team, quality_by_quarter: dict[str, float]) -> pd.DataFrame:
    """Each quarter every sales member rates marketing 1-5 on three questions; scores follow the
    quarter's MQL acceptance rate (a proxy of lead quality) with noise."""
    g = rng(spec, "survey")
    rows: list[tuple[object, ...]] = []
    for period, accept in sorted(quality_by_quarter.items()):
        y, q = int(period[2:6]), int(period[-1])
        sent = datetime(y + (q == 4), 1 if q == 4 else 3 * q + 1, 1)
        for who in team.sales_all:
            if g.random() < 0.2:  # not everyone answers
                continue
            for k, question in enumerate(SURVEY_QUESTIONS):
                score = float(np.clip(np.round(1 + 4 * accept + g.normal(0, 0.8) - 0.3 * k), 1, 5))
                rows.append((f"R-{len(rows) + 1:06d}", who, "sales", sent + timedelta(days=float(g.uniform(0, 10))),
                             period, question, score, COMMENTS[int(g.integers(0, len(COMMENTS)))]))  # fmt: skip
    cols = ["response_id", "respondent_id", "team", "submitted_at", "period", "question", "score", "comment"]
    return pd.DataFrame(rows, columns=cols)
