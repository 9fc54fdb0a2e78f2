"""Lifecycle of every person under the causal model: lead, MQL, the rep's SAL decision (with SLA
follow-up speed, reason codes and recycling), SQL and the opportunity stage.

``simulate(...)`` is the one function the ground truth re-runs: it takes the fixed draws of a
chunk and a set of channels switched off, and returns when each person entered each stage (NaN =
never, or after the end of the world).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from wanamaker.demo import causal
from wanamaker.demo.spec import DemoSpec, rng
from wanamaker.demo.world import People

REJECT_REASONS: tuple[str, ...] = ("not_icp", "no_budget", "duplicate", "bad_contact_data", "not_ready")
REJECT_SHARE = (0.3, 0.22, 0.08, 0.12, 0.28)  # not_ready leads are recycled to nurture
SAL_FIT = (0.95, 1.0, 1.1)  # acceptance multiplier by segment


@dataclass(frozen=True)
class Reps:
    """Sales development reps: each owns leads of one segment and has a follow-up speed."""

    segment: np.ndarray  # int8
    median_hours: np.ndarray  # median hours from MQL to first sales touch (some breach 24 h)
    accept: np.ndarray  # base probability of accepting an MQL

    @property
    def n(self) -> int:
        return int(self.segment.size)

    def by_segment(self) -> list[np.ndarray]:
        return [np.flatnonzero(self.segment == s) for s in range(3)]


def make_reps(spec: DemoSpec) -> Reps:
    g = rng(spec, "reps")
    n = spec.sizes.reps
    segment = (np.arange(n) * 3 // n).astype(np.int8)  # SMB, mid-market, enterprise teams
    hours = np.exp(g.uniform(np.log(1.5), np.log(14.0), n))
    slow = np.arange(n) % 4 == 1  # one rep in four is slow: the SLA breachers
    hours[slow] = g.uniform(30.0, 70.0, int(slow.sum()))
    return Reps(segment=segment, median_hours=hours, accept=g.uniform(0.45, 0.62, n))


@dataclass(frozen=True)
class Stages:
    """Stage entry times (world days; NaN = not reached by the end) of one chunk's people."""

    lead: np.ndarray
    mql: np.ndarray
    first_sales_touch: np.ndarray
    sal: np.ndarray
    rejected: np.ndarray
    recycled: np.ndarray
    reason: np.ndarray  # int8 index into REJECT_REASONS, -1 when not rejected
    sql: np.ndarray
    decision_due: np.ndarray  # when the rep decided (SAL or rejected), reached or not


@dataclass(frozen=True)
class SalesDraws:
    """The rep follow-up delays of one chunk (hours), drawn once and shared by every re-run."""

    first_touch_h: np.ndarray
    decide_h: np.ndarray


def sales_draws(spec: DemoSpec, people: People, reps: Reps, chunk: int) -> SalesDraws:
    g = rng(spec, "sales_delays", chunk)
    med = reps.median_hours[people.rep]
    first = med * g.lognormal(0.0, 0.6, people.n)
    decide = g.gamma(1.5, 10.0, people.n)
    return SalesDraws(first_touch_h=first, decide_h=decide)


def _seen(t: np.ndarray, end: float) -> np.ndarray:
    return np.where(t <= end, t, np.nan)


def simulate(
    spec: DemoSpec,
    people: People,
    reps: Reps,
    sales: SalesDraws,
    doses: dict[str, dict[str, np.ndarray]],
    off: Collection[str] = (),
) -> Stages:
    """Run the funnel for one chunk with the channels in ``off`` switched off."""
    end, u, it = spec.days, people.u, people.intent
    h = causal.hazard("lead", it, causal.LEAD_BASELINE, causal.LEAD_DOSES, doses["lead"], off)
    t_lead = np.where(causal.converts(u["lead"], h), people.t0 + people.w_lead, np.nan)
    lead = _seen(np.where(t_lead >= 0, t_lead, np.nan), end)  # leads before the start are pre-history

    h = causal.hazard("mql", it, causal.MQL_BASELINE, causal.MQL_DOSES, doses["mql"], off)
    mql = _seen(np.where(causal.converts(u["mql"], h) & ~np.isnan(lead), lead + people.w_mql, np.nan), end)

    fst = mql + sales.first_touch_h / 24.0
    decided = fst + sales.decide_h / 24.0
    fit = np.asarray(SAL_FIT)[people.segment] * np.clip(it, 0.5, 1.6) ** 0.25
    accepted = u["sal"] < reps.accept[people.rep] * fit
    sal = _seen(np.where(accepted, decided, np.nan), end)
    reason = np.searchsorted(np.cumsum(REJECT_SHARE), u["reason"] * 0.999999).astype(np.int8)
    rej_t = _seen(np.where(~accepted, decided, np.nan), end)
    reason = np.where(np.isnan(rej_t), -1, reason).astype(np.int8)
    recycled = np.where(reason == REJECT_REASONS.index("not_ready"), rej_t + 1.0 / 24, np.nan)

    sql_doses = doses["sql"]
    h = causal.hazard("sql", it, causal.SQL_BASELINE, causal.SQL_DOSES, sql_doses, off)
    sql = _seen(np.where(causal.converts(u["sql"], h) & ~np.isnan(sal), sal + people.w_sql, np.nan), end)
    return Stages(
        lead=lead,
        mql=mql,
        first_sales_touch=_seen(fst, end),
        sal=sal,
        rejected=rej_t,
        recycled=_seen(recycled, end),
        reason=reason,
        sql=sql,
        decision_due=decided,
    )
