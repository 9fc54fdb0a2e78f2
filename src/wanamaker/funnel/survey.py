"""Sales satisfaction: how sales rates marketing, quarter by quarter.

Responses are the ``survey_responses`` rows whose ``team`` is ``sales`` (any case) or whose respondent is
a sales team member. A response belongs to its ``period`` column when given (e.g. ``FY2026-Q1``), else to
the fiscal quarter of ``submitted_at`` (workspace time zone). Per period: the number of responses, the
distinct respondents, the mean and median score (linear interpolation), the score distribution, the
comments, and the **response rate** = distinct respondents / sales team members active in the period
(``active_from`` on or before its last day and ``active_to`` empty or on or after its first day).
The acceptance rate of leads handed off in that period is shown next to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir

from wanamaker.funnel._source import Source
from wanamaker.funnel.conversion import _clean
from wanamaker.metrics.periods import Period, label_expr


@dataclass(frozen=True)
class SurveyRow:
    period: str
    responses: int
    respondents: int
    active_sales: int
    response_rate: float | None
    mean_score: float | None
    median_score: float | None
    distribution: dict[str, int] = field(default_factory=dict)
    comments: tuple[str, ...] = ()
    acceptance_rate: float | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "period": self.period, "responses": self.responses, "respondents": self.respondents,
            "active_sales": self.active_sales, "response_rate": self.response_rate,
            "mean_score": self.mean_score, "median_score": self.median_score,
            "distribution": dict(self.distribution), "comments": list(self.comments),
            "acceptance_rate": self.acceptance_rate,
        }


def sales_responses(src: Source, quarters: list[Period]) -> ir.Table:
    sr = src.table("survey_responses")
    tm = src.table("team_members")
    reps = tm.filter(tm.team.lower() == "sales").select(rep_id=tm.member_id)
    sales = sr.filter((sr.team.lower() == "sales") | sr.respondent_id.isin(reps.rep_id))
    fallback = label_expr(sales.submitted_at, quarters) if quarters else ibis.null().cast("string")
    given = ibis.ifelse(sales.period.isnull() | (sales.period == ""), fallback, sales.period)
    return sales.mutate(q=given).filter(given.notnull())


def _local_dates(p: Period, tz: str) -> tuple[date, date]:
    zone = ZoneInfo(tz)
    start = p.start.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).date()
    end = p.end.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).date() - timedelta(days=1)
    return start, end


def survey_rows(
    src: Source, quarters: list[Period], acceptance: dict[str, float | None]
) -> list[SurveyRow]:
    s = sales_responses(src, quarters)
    agg = s.group_by("q").aggregate(
        responses=s.count(),
        respondents=s.respondent_id.nunique(),
        mean_score=s.score.mean(),
        median_score=s.score.quantile(0.5),
    ).to_pyarrow().to_pylist()
    scored = s.filter(s.score.notnull())
    dist_t = scored.group_by(["q", "score"]).aggregate(n=scored.count()).to_pyarrow().to_pylist()
    com = s.filter(s.comment.notnull() & (s.comment.strip() != ""))
    comments_t = com.select("q", "submitted_at", "comment").to_pyarrow().to_pylist()
    tm = src.table("team_members")
    roster = tm.filter(tm.team.lower() == "sales").select("member_id", "active_from", "active_to")
    members = roster.to_pyarrow().to_pylist()
    bounds = {p.label: _local_dates(p, src.config.timezone) for p in quarters}
    rows: list[SurveyRow] = []
    for r in agg:
        label = str(r["q"])
        dist = {
            f"{float(d['score']):g}": int(d["n"])
            for d in sorted(dist_t, key=lambda d: float(d["score"]))
            if d["q"] == label
        }
        notes = tuple(
            str(c["comment"]).strip()
            for c in sorted(comments_t, key=lambda c: (c["submitted_at"] is None, c["submitted_at"] or 0))
            if c["q"] == label
        )
        active = 0
        if label in bounds:
            first, last = bounds[label]
            active = sum(
                1 for m in members
                if (m["active_from"] is None or m["active_from"] <= last)
                and (m["active_to"] is None or m["active_to"] >= first)
            )
        else:
            active = len(members)
        respondents = int(r["respondents"])
        rows.append(
            SurveyRow(
                period=label, responses=int(r["responses"]), respondents=respondents, active_sales=active,
                response_rate=respondents / active if active else None,
                mean_score=_clean(r["mean_score"]), median_score=_clean(r["median_score"]),
                distribution=dist, comments=notes, acceptance_rate=acceptance.get(label),
            )
        )
    return sorted(rows, key=lambda r: r.period)
