"""Lead acceptance: does sales accept the leads marketing hands over, and why does it reject them?

The **hand-off** stage and the **accepted** stages come from the SLA rule whose ``to`` names the
``rejected`` exit (the default ``sal_decision: from mql to [sal, rejected]``): hand-off = ``mql``,
accepted = ``sal``. Without such a rule, hand-off is ``mql`` and accepted is the stage after it.

Per person handed off (first entry into the hand-off stage, skipped stages counting as passed):
**accepted** when it reached an accepted stage before any rejection at or after the hand-off
(a lead that jumps from MQL to SQL was accepted), **rejected** when a ``rejected`` event came first,
else **pending**. Rates are over leads handed off. The reason of a rejection is the ``reason`` of that
first ``rejected`` event (``(none)`` when empty).

**Recycled** leads (a ``recycled`` exit): of them, how many came back to any funnel stage later
(``reentered``), reached an accepted stage later (``accepted_after``), reached the last stage later
(``won_after``), or had no stage event since (``dormant``).
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from wanamaker.config.models import WorkspaceConfig
from wanamaker.errors import ConfigError
from wanamaker.funnel._source import NONE_KEY
from wanamaker.metrics.periods import Period, label_expr

REJECTED = "rejected"
RECYCLED = "recycled"


@dataclass(frozen=True)
class AcceptanceRow:
    by: str
    key: str
    period: str | None
    handed_off: int
    accepted: int
    rejected: int
    pending: int
    accepted_rate: float | None
    rejected_rate: float | None


@dataclass(frozen=True)
class ReasonRow:
    by: str
    key: str
    reason: str
    rejected: int
    share: float


@dataclass(frozen=True)
class RecycledRow:
    by: str
    key: str
    recycled: int
    reentered: int
    accepted_after: int
    won_after: int
    dormant: int


def handoff_stages(config: WorkspaceConfig) -> tuple[str, list[str]]:
    """(hand-off stage, accepted stages) from the SLA rules (see module doc)."""
    stages = list(config.funnel.stages)
    for rule in config.sla:
        if REJECTED in rule.to and rule.from_stage in stages:
            accepted = [t for t in rule.to if t in stages]
            if accepted:
                return rule.from_stage, accepted
    if "mql" in stages and stages.index("mql") + 1 < len(stages):
        return "mql", [stages[stages.index("mql") + 1]]
    raise ConfigError(
        "Cannot tell which stage hands leads to sales and which stage means accepted.",
        fix="Add an SLA rule such as {name: sal_decision, from: mql, to: [sal, rejected], within: 48h}.",
    )


def decisions(wide: ir.Table, events: ir.Table, config: WorkspaceConfig) -> ir.Table:
    """Per handed-off subject and breakdown: ``by, key, subject_id, handoff_at, decision, reason``
    (``wide`` carries ``by`` and ``key`` columns)."""
    stages = list(config.funnel.stages)
    handoff, accepted = handoff_stages(config)
    h = stages.index(handoff)
    acc_cols = [wide[f"at_{stages.index(a)}"] for a in accepted]
    acc_at = acc_cols[0] if len(acc_cols) == 1 else ibis.least(*acc_cols)
    base = wide.filter(wide[f"at_{h}"].notnull()).select(
        by=wide.by, key=wide.key, subject_id=wide.subject_id, handoff_at=wide[f"at_{h}"], accepted_at=acc_at
    )
    rej = events.filter((events.subject_type == "person") & (events.stage == REJECTED))
    rej = rej.select(r_subject=rej.subject_id, r_ts=rej.ts, r_reason=rej.reason)
    j = base.left_join(rej, [base.subject_id == rej.r_subject, rej.r_ts >= base.handoff_at])
    win = ibis.window(group_by=[j.by, j.key, j.subject_id], order_by=[j.r_ts, j.r_reason])
    j = j.mutate(rn=ibis.row_number().over(win))
    first = j.filter(j.rn == 0)
    is_acc = first.accepted_at.notnull() & (first.r_ts.isnull() | (first.accepted_at <= first.r_ts))
    return first.select(
        by=first.by,
        key=first.key,
        subject_id=first.subject_id,
        handoff_at=first.handoff_at,
        decision=ibis.cases((is_acc, "accepted"), (first.r_ts.notnull(), "rejected"), else_="pending"),
        reason=ibis.ifelse(
            first.r_ts.notnull() & ~is_acc,
            ibis.ifelse(first.r_reason.isnull() | (first.r_reason == ""), NONE_KEY, first.r_reason),
            ibis.null().cast("string"),
        ),
    )


def acceptance_rows(dec: ir.Table, periods: list[Period] | None) -> list[AcceptanceRow]:
    period = label_expr(dec.handoff_at, periods) if periods else ibis.null().cast("string")
    d = dec.mutate(period=period)
    agg = d.group_by(["by", "key", "period"]).aggregate(
        handed_off=d.count(),
        accepted=(d.decision == "accepted").ifelse(1, 0).sum(),
        rejected=(d.decision == "rejected").ifelse(1, 0).sum(),
    )
    rows = []
    for r in agg.to_pyarrow().to_pylist():
        n, a, x = int(r["handed_off"]), int(r["accepted"]), int(r["rejected"])
        rows.append(AcceptanceRow(str(r["by"]), str(r["key"]), r["period"], n, a, x, n - a - x, a / n if n else None,
                                  x / n if n else None))
    return sorted(rows, key=lambda r: (r.by != "all", r.by, r.key, r.period or ""))


def reason_rows(dec: ir.Table) -> list[ReasonRow]:
    d = dec.filter(dec.decision == "rejected")
    agg = d.group_by(["by", "key", "reason"]).aggregate(rejected=d.count())
    recs = agg.to_pyarrow().to_pylist()
    totals: dict[tuple[str, str], int] = {}
    for r in recs:
        k = (str(r["by"]), str(r["key"]))
        totals[k] = totals.get(k, 0) + int(r["rejected"])
    rows = [
        ReasonRow(str(r["by"]), str(r["key"]), str(r["reason"]), int(r["rejected"]),
                  int(r["rejected"]) / totals[(str(r["by"]), str(r["key"]))])
        for r in recs
    ]
    return sorted(rows, key=lambda r: (r.by != "all", r.by, r.key, -r.rejected, r.reason))


def recycled_rows(keys: ir.Table, events: ir.Table, config: WorkspaceConfig) -> list[RecycledRow]:
    """What became of recycled leads; ``keys`` holds ``subject_id, by, key`` (one row per breakdown)."""
    stages = list(config.funnel.stages)
    _, accepted = handoff_stages(config)
    ev = events.filter(events.subject_type == "person")
    rec = ev.filter(ev.stage == RECYCLED).group_by("subject_id").aggregate(recycled_at=ev.ts.min())
    later = ev.filter(ev.stage.isin(stages)).select(l_subject=ev.subject_id, l_ts=ev.ts, l_stage=ev.stage)
    j = rec.left_join(later, [rec.subject_id == later.l_subject, later.l_ts > rec.recycled_at])
    per = j.group_by("subject_id").aggregate(
        back=j.l_ts.notnull().ifelse(1, 0).max(),
        acc=j.l_stage.isin(accepted).ifelse(1, 0).max(),
        won=(j.l_stage == stages[-1]).ifelse(1, 0).max(),
    )
    k = keys.select(k_subject=keys.subject_id, by=keys.by, key=keys.key)
    pk = per.join(k, per.subject_id == k.k_subject)
    agg = pk.group_by(["by", "key"]).aggregate(
        recycled=pk.count(), reentered=pk.back.sum(), accepted_after=pk.acc.sum(), won_after=pk.won.sum()
    )
    rows = [
        RecycledRow(str(r["by"]), str(r["key"]), int(r["recycled"]), int(r["reentered"]), int(r["accepted_after"]),
                    int(r["won_after"]), int(r["recycled"]) - int(r["reentered"]))
        for r in agg.to_pyarrow().to_pylist()
    ]
    return sorted(rows, key=lambda r: (r.by != "all", r.by, r.key))
