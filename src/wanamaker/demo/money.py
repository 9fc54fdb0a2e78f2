"""Opportunities (one open deal per account at a time, heavy-tailed amounts) and the customer
revenue that follows a won deal: new business, renewals, expansions, contractions and churn."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from wanamaker.demo import causal
from wanamaker.demo.funnel import Stages
from wanamaker.demo.spec import DemoSpec, rng
from wanamaker.demo.world import SEGMENTS, People

DEAL_MEDIAN = (9_000.0, 38_000.0, 140_000.0)  # ACV by segment
DEAL_SIGMA = 0.9  # lognormal spread: a few deals are ten times the median
CYCLE_MEDIAN = (30.0, 65.0, 120.0)  # days from opportunity to close
PRICE_B_UPLIFT = 1.25  # the pricing test's premium price point
PRICE_B_HAZARD = 0.78  # ... which wins less often
PRICING_WINDOW = (-330.0, -150.0)  # days before the end: SMB opportunities created then are randomised


DEALS_PER_ACCOUNT = 4  # draws per account; a fifth deal reuses the first's


@dataclass(frozen=True)
class DealDraws:
    """Per person: the lag from SQL to the deal. Per (account, k-th deal): cycle, amount, won and
    price draws, so a deal keeps its size and fate whoever of the buying group opens it."""

    lag: np.ndarray
    cycle: np.ndarray  # (accounts, DEALS_PER_ACCOUNT)
    amount: np.ndarray  # ACV before the pricing variant
    u_won: np.ndarray
    u_price: np.ndarray


def deal_draws(spec: DemoSpec, people: People, chunk: int) -> DealDraws:
    g = rng(spec, "deals", chunk)
    n_acc = int(people.account.max()) + 1 if people.n else 0
    seg = np.zeros(n_acc, dtype=np.int64)
    seg[people.account] = people.segment
    shape = (n_acc, DEALS_PER_ACCOUNT)
    return DealDraws(
        lag=g.uniform(0.0, 3.0, people.n),
        cycle=np.asarray(CYCLE_MEDIAN)[seg][:, None] * g.lognormal(0.0, 0.5, shape),
        amount=np.round(np.asarray(DEAL_MEDIAN)[seg][:, None] * g.lognormal(0.0, DEAL_SIGMA, shape), -2),
        u_won=g.random(shape),
        u_price=g.random(shape),
    )


@dataclass(frozen=True)
class Opps:
    creator: np.ndarray  # person index (local) who created the deal
    created: np.ndarray
    closed: np.ndarray  # NaN while open at the end
    status: np.ndarray  # 0 open, 1 won, 2 lost
    amount: np.ndarray
    variant: np.ndarray  # -1 not in the pricing test, 0 price A, 1 price B
    person_opp: np.ndarray  # per person: index of the deal they joined, -1 if none
    person_opp_at: np.ndarray  # per person: when they entered the opportunity stage
    cycle: np.ndarray  # planned days from creation to close (the expected close date of open deals)

    @property
    def n(self) -> int:
        return int(self.creator.size)

    def won_revenue(self) -> float:
        return float(self.amount[self.status == 1].sum())


def simulate_opps(
    spec: DemoSpec,
    people: People,
    stages: Stages,
    deals: DealDraws,
    won_doses: dict[str, np.ndarray],
    off: Collection[str] = (),
    force_variant: int | None = None,
) -> Opps:
    """Group each account's SQLs into deals: the first SQL opens one, later SQLs join it while open."""
    end = spec.days
    sqls = np.flatnonzero(~np.isnan(stages.sql))
    sqls = sqls[np.lexsort((stages.sql[sqls], people.account[sqls]))]
    creators: list[int] = []
    seqs: list[int] = []
    person_opp = np.full(people.n, -1, dtype=np.int64)
    person_at = np.full(people.n, np.nan)
    cur_acc, cur_close, cur_idx, seq = -1, -np.inf, -1, 0
    for p in sqls.tolist():
        t = float(stages.sql[p])
        acc = int(people.account[p])
        if acc == cur_acc and t < cur_close:
            person_opp[p], person_at[p] = cur_idx, t
            continue
        created = t + float(deals.lag[p])
        if created > end:
            continue
        seq = seq + 1 if acc == cur_acc else 0
        k = seq % DEALS_PER_ACCOUNT
        cur_acc, cur_idx, cur_close = acc, len(creators), created + float(deals.cycle[acc, k])
        creators.append(p)
        seqs.append(k)
        person_opp[p], person_at[p] = cur_idx, created
    c = np.asarray(creators, dtype=np.int64)
    acc_c, k_c = people.account[c], np.asarray(seqs, dtype=np.int64)
    created = stages.sql[c] + deals.lag[c]
    seg = people.segment[c]
    lo, hi = end + PRICING_WINDOW[0], end + PRICING_WINDOW[1]
    in_test = (seg == SEGMENTS.index("smb")) & (created >= lo) & (created < hi)
    variant = np.where(in_test, (deals.u_price[acc_c, k_c] < 0.5).astype(np.int64), -1)
    if force_variant is not None:
        variant = np.where(in_test, force_variant, -1)
    base = np.asarray([causal.WON_BASELINE[s] for s in SEGMENTS])[seg]
    base = base * np.where(variant == 1, PRICE_B_HAZARD, 1.0)
    won_counts = {k: v[c] for k, v in won_doses.items()}
    h = causal.hazard("won", people.intent[c], base, causal.WON_DOSES, won_counts, off)
    won = causal.converts(deals.u_won[acc_c, k_c], h)
    cycle = deals.cycle[acc_c, k_c]
    close_at = created + cycle
    closed = np.where(close_at <= end, close_at, np.nan)
    status = np.where(np.isnan(closed), 0, np.where(won, 1, 2)).astype(np.int8)
    amount = deals.amount[acc_c, k_c] * np.where(variant == 1, PRICE_B_UPLIFT, 1.0)
    return Opps(c, created, closed, status, amount, variant.astype(np.int8), person_opp, person_at, cycle)


@dataclass(frozen=True)
class Revenue:
    opp: np.ndarray  # index of the won deal
    ts: np.ndarray
    amount: np.ndarray
    kind: np.ndarray  # index into KINDS


KINDS: tuple[str, ...] = ("new", "renewal", "expansion", "contraction", "churn")


def revenue(spec: DemoSpec, opps: Opps, chunk: int) -> Revenue:
    """New ACV at close; at each anniversary churn (12 %), contract (10 %), expand (20 %) or renew;
    mid-term expansions (8 %) six months after close."""
    g = rng(spec, "revenue", chunk)
    won = np.flatnonzero(opps.status == 1)
    rows: list[tuple[int, float, float, int]] = []
    r = g.random((won.size, 4))
    for i, o in enumerate(won.tolist()):
        t, acv = float(opps.closed[o]), float(opps.amount[o])
        rows.append((o, t, acv, 0))
        if r[i, 3] < 0.08 and t + 182 <= spec.days:
            rows.append((o, t + 182, round(acv * 0.3, -2), 2))
            acv = round(acv * 1.3, -2)
        year = 1
        while t + 365 * year <= spec.days:
            at = t + 365 * year
            u = r[i, year - 1] if year <= 3 else 0.5
            if u < 0.12:
                rows.append((o, at, -acv, 4))
                break
            if u < 0.22:
                cut = round(acv * 0.25, -2)
                rows.append((o, at, -cut, 3))
                acv -= cut
            elif u < 0.42:
                add = round(acv * 0.35, -2)
                rows.append((o, at, add, 2))
                acv += add
            rows.append((o, at, acv, 1))
            year += 1
    if not rows:
        z = np.zeros(0)
        return Revenue(z.astype(np.int64), z, z, z.astype(np.int8))
    a = np.asarray(rows)
    return Revenue(a[:, 0].astype(np.int64), a[:, 1], a[:, 2], a[:, 3].astype(np.int8))
