"""Generate the whole demo world and write its exports: chunk by chunk (bounded memory), with the
ground truth accumulated on the way. Returns what the loader and the summary need."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from wanamaker.demo import (
    campaigns,
    dirty,
    experiments,
    exports,
    exports_misc,
    funnel,
    generate,
    ids,
    money,
    plan,
    team,
)
from wanamaker.demo.causal import CHANNELS
from wanamaker.demo.journeys import Touches
from wanamaker.demo.spec import DemoSpec, to_datetime64
from wanamaker.demo.truth import Truth


@dataclass
class Built:
    spec: DemoSpec
    truth: Truth
    plan: dict[str, Any]
    planted: pa.Table
    team: team.Team
    counts: dict[str, int]
    files: dict[str, int]  # export file -> rows
    dirty_expected: dict[str, int]
    timings: dict[str, float] = field(default_factory=dict)


def build(spec: DemoSpec, out: Path, progress: Callable[[int, int], None] | None = None) -> Built:
    t_gen = t_write = 0.0
    t = time.perf_counter()
    reps = funnel.make_reps(spec)
    tm = team.make_team(spec)
    camps = campaigns.calendar(spec, plan.goal_for_channel(spec))
    truth = Truth()
    w = exports.Writer(out)
    daily = campaigns.fixed_spend(spec, camps)
    counts = dict.fromkeys(("accounts", "people", "touchpoints", "opportunities", "won_deals"), 0)
    acc_q: dict[str, list[int]] = {}
    mqls = won_people = 0
    won_amounts: list[float] = []
    trailing = 0.0
    rev_parts, exp_parts = [], []
    t_gen += time.perf_counter() - t
    for i in range(spec.chunks):
        t = time.perf_counter()
        ch = generate.draw_chunk(spec, reps, i)
        truth.add_chunk(spec, reps, ch)
        touches = generate.touches(spec, ch)
        seg = ch.people.segment[touches.person]
        camp = campaigns.assign(spec, camps, touches, seg, i)
        cost = campaigns.touch_cost(spec, touches, i)
        _add_click_spend(spec, touches, camp, cost, camps, daily)
        op = ch.opps
        counts["accounts"] += ch.accounts.n
        counts["people"] += int((~np.isnan(ch.stages.lead)).sum())
        counts["touchpoints"] += touches.n
        counts["opportunities"] += op.n
        counts["won_deals"] += int((op.status == 1).sum())
        mqls += int((~np.isnan(ch.stages.mql)).sum())
        won_people += int(((op.person_opp >= 0) & (op.status[np.maximum(op.person_opp, 0)] == 1)).sum())
        won_amounts += op.amount[op.status == 1].tolist()
        trailing += float(op.amount[(op.status == 1) & (op.closed > spec.days - 365)].sum())
        _acceptance(spec, ch, acc_q)
        rev_parts.append(_revenue_rows(spec, ch))
        exp_parts.append(_experiment_rows(spec, ch))
        t_gen += time.perf_counter() - t
        t = time.perf_counter()
        exports.write_crm(w, spec, ch, exports.first_channel(ch, touches), tm.reps, tm.aes)
        exports.write_touches(w, spec, ch, touches, camp, camps, tm.reps, cost)
        t_write += time.perf_counter() - t
        if progress:
            progress(i + 1, spec.chunks)
        del ch, touches, camp, cost
    t = time.perf_counter()
    facts = plan.Facts(mqls and won_people / mqls or 0.0, float(np.mean(won_amounts)) if won_amounts else 0.0, trailing)
    owners = {"ceo": tm.members.member_id.iloc[0], "cmo": tm.members.member_id.iloc[2],
              "vp_sales": tm.members.member_id.iloc[3], "marketer": tm.marketers[0], "sdr_lead": tm.reps[0]}  # fmt: skip
    the_plan = plan.build_plan(spec, owners, facts)
    items, approvals = team.work_items(spec, tm, camps, [g["id"] for g in the_plan["goals"]])
    plan.link_work(the_plan, items)
    quarters = {k: v[0] / max(v[0] + v[1], 1) for k, v in acc_q.items() if _quarter_done(spec, k)}
    answers = team.survey(spec, tm, quarters)
    slow = [tm.reps[i] for i in range(reps.n) if reps.median_hours[i] > 24]
    unlinked = [str(w) for w in items.work_id[items.campaign_id.isna() & items.goal_id.isna()]]
    planted = plan.planted(spec, the_plan, slow, unlinked)
    budgets: dict[str, float] = {}
    for (_, _, cid), v in daily.items():
        budgets[cid] = budgets.get(cid, 0.0) + v
    budgets = {k: float(round(v * 1.1, -2)) for k, v in budgets.items()}
    t_gen += time.perf_counter() - t
    t = time.perf_counter()
    expected = dirty.add_dirty_rows(w)
    w.close()
    mk = tm.marketers
    exports_misc.calendar(camps, budgets, mk, out / "marketing/campaign_calendar.csv")
    exports_misc.spend(spec, daily, out / "ads/daily_spend.csv")
    exports_misc.roster(tm, out / "hr/team_roster.csv")
    exports_misc.work(items, approvals, tm, out)
    exports_misc.survey(answers, tm, out / "survey/sales_rates_marketing.csv")
    exports_misc.revenue(pd.concat(rev_parts), out / "billing/revenue_lines.csv")
    exports_misc.experiments(pd.concat(exp_parts), out / "experiments/experiment_log.csv")
    expected.update({"bad_number": 1, "bad_value": 1})
    t_write += time.perf_counter() - t
    files = dict(w.rows)
    return Built(spec, truth, the_plan, planted, tm, counts, files, expected, {"generate": t_gen, "write": t_write})


def _add_click_spend(
    spec: DemoSpec,
    t: Touches,
    camp: np.ndarray,
    cost: np.ndarray,
    camps: list[campaigns.Campaign],
    daily: dict[tuple[int, str, str], float],
) -> None:
    """Add the paid clicks' costs to the daily spend per (day, channel, campaign): the ad platforms'
    daily spend is the sum of their clicks' costs. The day is the UTC day of the exported click
    timestamp (microseconds), so each touch's cost lands on the day its touchpoint has."""
    paid = np.flatnonzero(~np.isnan(cost))
    day = (ids.epoch_us(spec, t.ts[paid]) - ids.epoch_us(spec, np.zeros(1))[0]) // 86_400_000_000
    frame = pd.DataFrame({"d": day, "c": t.channel[paid], "k": camp[paid], "v": cost[paid]})
    sums = frame.groupby(["d", "c", "k"]).v.sum()
    for (d, c, k), v in zip(sums.index.tolist(), sums.tolist(), strict=True):
        key = (int(d), CHANNELS[int(c)], camps[int(k)].campaign_id if k >= 0 else "(none)")
        daily[key] = daily.get(key, 0.0) + float(v)


def _quarter(spec: DemoSpec, days: np.ndarray) -> np.ndarray:
    d = to_datetime64(spec, days).astype("datetime64[M]").astype(np.int64)
    year, month = d // 12 + 1970, d % 12
    return np.char.add(np.char.add("FY", year.astype(str)), np.char.add("-Q", (month // 3 + 1).astype(str)))


def _quarter_done(spec: DemoSpec, period: str) -> bool:
    y, q = int(period[2:6]), int(period[-1])
    return (y, q) < campaigns.quarter_of(spec.end)  # the survey goes out after the quarter closes


def _acceptance(spec: DemoSpec, ch: generate.Chunk, acc: dict[str, list[int]]) -> None:
    for col, k in ((ch.stages.sal, 0), (ch.stages.rejected, 1)):
        m = ~np.isnan(col)
        if m.any():
            for q, n in zip(*np.unique(_quarter(spec, col[m]), return_counts=True), strict=True):
                acc.setdefault(str(q), [0, 0])[k] += int(n)


def _revenue_rows(spec: DemoSpec, ch: generate.Chunk) -> pd.DataFrame:
    rv = money.revenue(spec, ch.opps, ch.index)
    acc = ch.accounts.offset + ch.people.account[ch.opps.creator[rv.opp]]
    return pd.DataFrame({
        "Line ID": [f"INV-{ch.index}-{i:07d}" for i in range(rv.ts.size)],
        "Account": [f"001{a:012d}" for a in acc],
        "Date": np.datetime_as_string(to_datetime64(spec, rv.ts), unit="D"),
        "Amount": rv.amount, "Currency": "USD", "Type": np.asarray(money.KINDS)[rv.kind],
    })  # fmt: skip


def _experiment_rows(spec: DemoSpec, ch: generate.Chunk) -> pd.DataFrame:
    """The experimentation log of a chunk: each lift test's units at its own milestone and again at the
    opportunity milestone (experiments.measurements), then the pricing test's deals (converted = won)."""
    from wanamaker.demo.truth import person_milestones

    pid, g = exports.person_ids(ch)
    pid_np = np.asarray(pid.to_pylist(), dtype=object)
    cookie = np.char.add((g + 1_000_000_000).astype(str), ".1")
    parts = []
    reached = person_milestones(ch.stages, ch.opps)
    lead = reached["lead"]
    reached_at = {"lead": ch.stages.lead, "mql": ch.stages.mql, "opportunity": ch.opps.person_opp_at}
    for t in experiments.LIFT_TESTS:
        inside, held = ch.assign[t.experiment_id]
        m = inside & (lead if t.milestone == "mql" else True)
        idx = np.flatnonzero(m)
        for exp_id, milestone in experiments.measurements(t):
            hit = reached[milestone][idx]
            parts.append(pd.DataFrame({
                "Experiment": exp_id, "Unit": np.where(lead[idx], pid_np[idx], cookie[idx]), "Kind": "lift",
                "Channel": t.channel, "Milestone": milestone, "Variant": np.where(held[idx], "holdout", "exposed"),
                "Group": np.where(held[idx], "control", "treatment"),
                "Allocation": np.where(held[idx], t.holdout, 1 - t.holdout),
                "Assigned": _stamp(spec, experiments.unit_clock(t, ch.people)[idx]),
                "Converted": hit.astype(int).astype(str),
                "Converted At": np.where(hit, _stamp(spec, reached_at[milestone][idx]), ""),
                "Revenue": "", "Price": "",
            }))  # fmt: skip
    op = ch.opps
    m = np.flatnonzero(op.variant >= 0)
    oid = np.asarray(exports.opp_ids(ch).to_pylist(), dtype=object) if op.n else np.zeros(0, dtype=object)
    won = op.status[m] == 1
    parts.append(pd.DataFrame({
        "Experiment": experiments.PRICING_ID, "Unit": oid[m], "Kind": "pricing", "Channel": "", "Milestone": "won",
        "Variant": np.where(op.variant[m] == 1, "price_b", "price_a"),
        "Group": np.where(op.variant[m] == 0, "control", "treatment"),
        "Allocation": experiments.PRICING_ALLOCATION,
        "Assigned": _stamp(spec, op.created[m]),
        "Converted": won.astype(int).astype(str), "Converted At": np.where(won, _stamp(spec, op.closed[m]), ""),
        "Revenue": np.where(won, op.amount[m], np.nan), "Price": np.asarray(experiments.PRICES)[op.variant[m]],
    }))  # fmt: skip
    return pd.concat(parts)


def _stamp(spec: DemoSpec, days: np.ndarray) -> np.ndarray:
    """World days as ISO timestamps to the second (NaN as NaT: only used where the moment exists)."""
    return np.datetime_as_string(to_datetime64(spec, days), unit="s")
