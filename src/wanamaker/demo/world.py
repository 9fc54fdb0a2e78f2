"""The demo company's population: accounts, the people in their buying groups, and the fixed
random draws (intent, timing, decision uniforms) that every re-run of the world shares.

A world is generated chunk by chunk (a chunk is a slice of accounts with its own random streams),
so ``large`` never holds more than one chunk of people in memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wanamaker.demo.causal import INTENT_SIGMA
from wanamaker.demo.spec import DemoSpec, rng

SEGMENTS: tuple[str, ...] = ("smb", "mid_market", "enterprise")
SEGMENT_SHARE = (0.62, 0.28, 0.10)
PEOPLE_PER_ACCOUNT = (19.0, 44.0, 105.0)  # buying-group pool (people who may ever show up)
EMPLOYEES = ((10, 200), (200, 2_000), (2_000, 50_000))
INDUSTRIES: tuple[str, ...] = (
    "software", "financial services", "healthcare", "manufacturing", "retail",
    "education", "media", "logistics", "energy", "public sector",
)  # fmt: skip
REGIONS: tuple[str, ...] = ("north_america", "emea", "apac", "latam")
REGION_SHARE = (0.5, 0.3, 0.13, 0.07)
COUNTRIES: dict[str, tuple[str, ...]] = {
    "north_america": ("US", "US", "US", "CA"),
    "emea": ("GB", "DE", "FR", "NL", "SE", "ES"),
    "apac": ("AU", "SG", "JP", "IN"),
    "latam": ("BR", "MX", "AR"),
}
# monthly demand (Jan..Dec): summer and December dips, a September-November peak
SEASONALITY = (1.0, 1.05, 1.1, 1.0, 1.0, 0.9, 0.78, 0.72, 1.15, 1.25, 1.15, 0.7)
GROWTH = 0.35  # demand grows 35 % over the 24 months


@dataclass(frozen=True)
class Accounts:
    offset: int  # global index of the first account of the chunk
    segment: np.ndarray  # int8 code into SEGMENTS
    industry: np.ndarray
    region: np.ndarray
    employees: np.ndarray
    created_at: np.ndarray  # world days (may be before 0: an older CRM record)

    @property
    def n(self) -> int:
        return int(self.segment.size)


@dataclass(frozen=True)
class People:
    """Everyone who may enter the funnel; most never become leads and stay anonymous visitors."""

    offset: int
    account: np.ndarray  # local account index
    segment: np.ndarray
    country: np.ndarray  # index into the account region's COUNTRIES
    intent: np.ndarray  # lognormal, mean 1: raises exposure to intent channels and every hazard
    t0: np.ndarray  # first web visit (world days)
    w_lead: np.ndarray  # days of anonymous research before a lead would be created
    w_mql: np.ndarray  # nurture days from lead to MQL
    w_sql: np.ndarray  # days from the rep's acceptance to SQL
    rep: np.ndarray  # index of the sales rep who would own the lead
    u: dict[str, np.ndarray]  # decision uniforms per step: lead, mql, sal, sql, won, reason, identify

    @property
    def n(self) -> int:
        return int(self.account.size)


def _seasonal_days(spec: DemoSpec, size: int, g: np.random.Generator) -> np.ndarray:
    """Draw first-visit days with monthly seasonality and growth, from 45 days before start."""
    lead_in = 45
    days = np.arange(-lead_in, int(spec.days))
    dates = np.datetime64(spec.start) + days.astype("timedelta64[D]")
    months = dates.astype("datetime64[M]").astype(int) % 12
    w = np.asarray(SEASONALITY)[months] * (1 + GROWTH * np.clip(days, 0, None) / spec.days)
    weekday = (dates.astype("datetime64[D]").astype(int) + 3) % 7  # 0 = Monday
    w = w * np.where(weekday >= 5, 0.35, 1.0)
    picks = g.choice(days, size=size, p=w / w.sum())
    return picks + g.random(size)


def make_accounts(spec: DemoSpec, chunk: int) -> Accounts:
    s = spec.sizes
    offset = chunk * s.chunk_accounts
    n = min(s.chunk_accounts, s.accounts - offset)
    g = rng(spec, "accounts", chunk)
    seg = g.choice(3, size=n, p=SEGMENT_SHARE).astype(np.int8)
    lo = np.asarray([e[0] for e in EMPLOYEES])[seg]
    hi = np.asarray([e[1] for e in EMPLOYEES])[seg]
    employees = np.exp(g.uniform(np.log(lo), np.log(hi))).astype(np.int64)
    return Accounts(
        offset=offset,
        segment=seg,
        industry=g.integers(0, len(INDUSTRIES), n).astype(np.int8),
        region=g.choice(len(REGIONS), size=n, p=REGION_SHARE).astype(np.int8),
        employees=employees,
        created_at=g.uniform(-900, spec.days - 30, n),
    )


def make_people(spec: DemoSpec, accounts: Accounts, chunk: int, reps_by_segment: list[np.ndarray]) -> People:
    g = rng(spec, "people", chunk)
    per = g.poisson(np.asarray(PEOPLE_PER_ACCOUNT)[accounts.segment]) + 2
    account = np.repeat(np.arange(accounts.n), per)
    n = int(account.size)
    segment = accounts.segment[account]
    offset = chunk * 10_000_000  # a unique id space per chunk
    intent = g.lognormal(-(INTENT_SIGMA**2) / 2, INTENT_SIGMA, n)
    rep = np.empty(n, dtype=np.int32)
    for code, team in enumerate(reps_by_segment):
        m = segment == code
        rep[m] = team[g.integers(0, team.size, int(m.sum()))]
    return People(
        offset=offset,
        account=account,
        segment=segment,
        country=g.integers(0, 6, n).astype(np.int8),
        intent=intent,
        t0=_seasonal_days(spec, n, g),
        w_lead=np.clip(g.gamma(2.0, 14.0, n), 0.5, 85.0),
        w_mql=np.clip(g.gamma(1.6, 14.0, n), 0.5, 85.0),
        w_sql=np.clip(g.gamma(2.0, 6.0, n), 0.5, 60.0),
        rep=rep,
        u={k: rng(spec, f"u_{k}", chunk).random(n) for k in ("lead", "mql", "sal", "sql", "won", "reason", "identify")},
    )
