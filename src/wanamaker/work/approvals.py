"""``wanamaker work --approvals``: how work gets approved (DESIGN "Work"; docs/work.md).

Read from ``approvals`` (one row per item and round) joined to ``work_items`` for the kind:

- **rounds** of an item: its number of approval rows (rounds 1..n); ``avg_rounds`` is the mean over items.
- **review days** of a round: ``decided_at - submitted_at`` in days; ``median_review_days`` / ``p90_review_days``
  over the rounds with both times (linear interpolation, as in ``wanamaker work``).
- **first_pass_rate**: of the items whose round 1 has a decision, the share approved at round 1.
- ``--by kind``: the item's kind. ``--by reviewer``: the reviewer of each round (resolved to ``team_members``);
  a reviewer's ``items`` are the items they decided at least one round of, ``rounds`` the rounds they decided,
  ``avg_rounds`` the mean total rounds of those items (which reviewers' items go round the most), and
  ``first_pass_rate`` the share of the round-1 decisions they made that approved.

The counts are Ibis aggregations in the engine; the review-day quantiles come from the fetched durations.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import ibis

from wanamaker.funnel._source import ALL_KEY, NONE_KEY, days_between
from wanamaker.funnel.results import Tabular
from wanamaker.metrics.catalogue import n_true, ratio
from wanamaker.work.measures import _quantiles, key_or_none
from wanamaker.work.people import resolve

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from wanamaker.workspace import Workspace

APPROVAL_BY = ("reviewer", "kind")


@dataclass(frozen=True)
class ApprovalRow:
    key: str
    items: int
    rounds: int
    avg_rounds: float | None
    median_review_days: float | None
    p90_review_days: float | None
    first_pass_rate: float | None
    changes_requested: int
    rejected: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ApprovalsResult(Tabular):
    rows_: tuple[ApprovalRow, ...]
    by: str | None
    notes: tuple[str, ...] = ()

    @property
    def table_rows(self) -> tuple[ApprovalRow, ...]:
        return self.rows_

    def as_json(self) -> list[dict[str, Any]]:
        return self.rows()

    def get(self, key: str) -> ApprovalRow:
        return next(r for r in self.rows_ if r.key == key)


def rounds_table(ws: Workspace) -> ir.Table:
    """Every approval round with the item's ``kind``, its total ``item_rounds``, ``review_days`` and the
    reviewer resolved."""
    a = resolve(ws, ws.table("approvals"), ["reviewer_id"])
    per_item = a.group_by("work_id").aggregate(item_rounds=a.count())
    w = ws.table("work_items").select("work_id", "kind")
    j = a.join(per_item, "work_id").left_join(w, "work_id")
    return j.select(
        "work_id", "round", "reviewer_id", "decision", "item_rounds", kind=key_or_none(j.kind),
        review_days=ibis.ifelse(j.submitted_at.notnull() & j.decided_at.notnull(),
                                days_between(j.submitted_at, j.decided_at), ibis.null().cast("float64")))


def approvals(ws: Workspace, *, by: str | None = None) -> ApprovalsResult:
    """Rounds per item, review time, first-pass approval rate: the ``all`` row, then one per ``by`` key."""
    from wanamaker.config.options import choice_option

    if by is not None:
        choice_option("--by", by, APPROVAL_BY)
    r = rounds_table(ws)
    rows: list[ApprovalRow] = []
    for key_by in ([None, by] if by is not None else [None]):
        rows += _rows(r, key_by)
    notes = () if rows else ("No approval rounds yet: load approvals first.",)
    return ApprovalsResult(tuple(rows), by, notes)


def _rows(r: ir.Table, by: str | None) -> list[ApprovalRow]:
    if by is None:
        key: ir.StringValue = ibis.literal(ALL_KEY)
    elif by == "kind":
        key = r.kind
    else:
        key = key_or_none(r.reviewer_id)
    g = r.mutate(key=key)
    first = g.filter(g["round"] == 1)
    first_ok = first.decision.notnull()
    per_key_items = g.group_by(["key", "work_id"]).aggregate(item_rounds=g.item_rounds.max())
    items = per_key_items.group_by("key").aggregate(items=per_key_items.count(),
                                                    avg_rounds=per_key_items.item_rounds.cast("float64").mean())
    counts = g.group_by("key").aggregate(
        rounds=g.count(),
        changes=n_true(g.decision == "changes_requested"),
        rejected=n_true(g.decision == "rejected"))
    firsts = first.group_by("key").aggregate(
        first_n=n_true(first_ok), first_yes=n_true(first.decision == "approved"))
    table = items.join(counts, "key").left_join(firsts, "key").select(
        "key", "items", "avg_rounds", "rounds", "changes", "rejected", "first_n", "first_yes")
    days: dict[str, list[float]] = defaultdict(list)
    for d in g.filter(g.review_days.notnull()).select("key", "review_days").to_pyarrow().to_pylist():
        days[d["key"]].append(float(d["review_days"]))
    out = []
    for a in table.to_pyarrow().to_pylist():
        med, p90 = _quantiles(days[a["key"]])
        out.append(ApprovalRow(a["key"], int(a["items"]), int(a["rounds"]), a["avg_rounds"], med, p90,
                               ratio(a["first_yes"], a["first_n"]), int(a["changes"] or 0), int(a["rejected"] or 0)))
    out.sort(key=lambda row: (row.key == NONE_KEY, -(row.avg_rounds or 0.0), row.key))
    return out
