"""``wanamaker journey``: who owns each stage of the buyer journey, how their deliverables stand, and where the
journey leaks (DESIGN "Work"; docs/journey.md).

``plan.yml``'s ``journey`` lists stages in order, each with an ``owner_team``, the ``funnel_stages`` it covers
(names from ``funnel.stages`` of wanamaker.yml) and its ``deliverables``. The rules:

- **Conversion** of a journey stage: of the people who entered the first of its funnel stages (in funnel order),
  the share that reached the funnel stage after its last one -- the stage's hand-off to the next. A stage that
  ends at the funnel's last stage converts from its first funnel stage to that last one; a stage covering only
  the last funnel stage, or none, has no conversion. The numbers are the funnel's own
  (:func:`wanamaker.funnel.api.funnel` with ``stages=[FROM, TO]``, person level, cohort): the same as
  ``wanamaker funnel --stages FROM,TO``, over the stage events and touches up to as-of.
- **Velocity** (``median_days``): that funnel row's median days from entering FROM to entering TO, over the
  people who did both (linear interpolation).
- **Leak**: the stage(s) with the lowest conversion among the stages that have one (ties all flagged).
- **Deliverable status**, as of a day (default: the day of the last stage event or touch, workspace time zone):
  ``missing_work_item`` when ``work_id`` names no ``work_items`` row (a broken link is shown whatever else the
  deliverable says); else ``done`` when ``done: true``, or the work item's ``delivered_at`` falls on or before
  the as-of day, or it has no ``delivered_at`` and its ``status`` is ``delivered`` or ``done``; else ``overdue``
  when the due date is before the as-of day; else ``due`` (due on or after it, or no due date). The due date is
  the deliverable's ``due``, else the work item's ``due_at`` (its local day); the owner likewise ``owner``, else
  the work item's ``owner_id``.

The plan's journey is small (a handful of stages): the deliverables are judged in Python on the few work items
they name (fetched by id); the conversions are the funnel's Ibis aggregations, in the engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from wanamaker.config.issues import ConfigIssue, did_you_mean, raise_if_any
from wanamaker.config.models import Deliverable, JourneyStage, Plan, WorkspaceConfig
from wanamaker.errors import DataError
from wanamaker.funnel.results import Tabular

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from wanamaker.workspace import Workspace

ROW_FIELDS = ("stage", "owner_team", "funnel_stages", "conversion", "median_days", "deliverable", "owner", "due",
              "work_id", "status", "leak")
DELIVERED_STATUSES = frozenset({"delivered", "done"})


@dataclass(frozen=True)
class StageFlow:
    """The funnel under a journey stage: of ``entered`` people entering ``from_stage``, ``converted`` reached
    ``to_stage``; ``median_days`` between the two entries."""

    from_stage: str
    to_stage: str
    entered: int
    converted: int
    median_days: float | None

    @property
    def conversion(self) -> float | None:
        return self.converted / self.entered if self.entered else None


@dataclass(frozen=True)
class StageSummary:
    """One journey stage: its owner, the funnel stages it covers, its flow (None without one) and the leak flag."""

    stage: str
    owner_team: str | None
    funnel_stages: tuple[str, ...]
    flow: StageFlow | None
    leak: bool = False

    @property
    def conversion(self) -> float | None:
        return self.flow.conversion if self.flow is not None else None

    @property
    def median_days(self) -> float | None:
        return self.flow.median_days if self.flow is not None else None


@dataclass(frozen=True)
class WorkItem:
    """The part of a ``work_items`` row a deliverable's status reads (days in the workspace time zone)."""

    work_id: str
    owner_id: str | None
    due: date | None
    delivered: date | None
    status: str | None


@dataclass(frozen=True)
class JourneyRow:
    """One deliverable of a journey stage, or the stage alone (deliverable fields None) when it has none."""

    stage: str
    owner_team: str | None
    funnel_stages: tuple[str, ...]
    conversion: float | None
    median_days: float | None
    deliverable: str | None
    owner: str | None
    due: date | None
    work_id: str | None
    status: str | None
    leak: bool

    def as_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in ROW_FIELDS}
        out["funnel_stages"] = list(self.funnel_stages)
        return out


@dataclass(frozen=True)
class JourneyResult(Tabular):
    """The journey rows in plan order, its stages, the as-of day and notes."""

    entries: tuple[JourneyRow, ...]
    stages: tuple[StageSummary, ...]
    as_of: date
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def table_rows(self) -> tuple[Any, ...]:
        return self.entries

    def as_json(self) -> list[dict[str, Any]]:
        """The rows of ``--format json`` (dates as YYYY-MM-DD)."""
        out = []
        for r in self.entries:
            d = r.as_dict()
            d["due"] = r.due.isoformat() if r.due is not None else None
            out.append(d)
        return out

    @property
    def unowned(self) -> list[str]:
        """The journey stages no team owns."""
        return [s.stage for s in self.stages if s.owner_team is None]

    @property
    def overdue(self) -> list[JourneyRow]:
        return [r for r in self.entries if r.status == "overdue"]

    @property
    def leaks(self) -> list[StageSummary]:
        return [s for s in self.stages if s.leak]


# ---------------------------------------------------------------- pure steps


def flow_span(covered: Sequence[str], stages: Sequence[str]) -> tuple[str, str] | None:
    """(FROM, TO) of a journey stage covering the funnel stages ``covered`` of the funnel ``stages``: the first
    covered stage (in funnel order), and the funnel stage after the last one -- or that last one when it is the
    funnel's end. None when nothing is covered, or only the funnel's last stage.

    >>> funnel = ["visitor", "lead", "mql", "sal", "won"]
    >>> flow_span(["mql", "lead"], funnel), flow_span(["sal", "won"], funnel), flow_span(["won"], funnel)
    (('lead', 'sal'), ('sal', 'won'), None)
    """
    order = sorted(stages.index(s) for s in covered if s in stages)
    if not order:
        return None
    first, last = order[0], order[-1]
    to = last + 1 if last + 1 < len(stages) else last
    return (stages[first], stages[to]) if to != first else None


def status_of(d: Deliverable, item: WorkItem | None, as_of: date) -> tuple[str, date | None, str | None]:
    """(status, due date, owner) of deliverable ``d`` as of the day ``as_of``; ``item`` is its work item (None when
    it names none, or names one that does not exist). See the module doc for the rules.

    >>> d = Deliverable(name="Deck", due=date(2026, 3, 1))
    >>> status_of(d, None, date(2026, 3, 1))[0], status_of(d, None, date(2026, 3, 2))[0]
    ('due', 'overdue')
    """
    due = d.due or (item.due if item is not None else None)
    owner = d.owner or (item.owner_id if item is not None else None)
    if d.work_id is not None and item is None:
        return "missing_work_item", due, owner
    delivered = item is not None and (
        item.delivered <= as_of if item.delivered is not None else (item.status or "") in DELIVERED_STATUSES)
    if d.done or delivered:
        return "done", due, owner
    if due is not None and due < as_of:
        return "overdue", due, owner
    return "due", due, owner


def mark_leaks(stages: Iterable[StageSummary]) -> list[StageSummary]:
    """The stages with ``leak`` set on those with the lowest conversion (among the stages that have one)."""
    stages = list(stages)
    rates = [s.conversion for s in stages if s.conversion is not None]
    low = min(rates) if rates else None
    return [StageSummary(s.stage, s.owner_team, s.funnel_stages, s.flow, low is not None and s.conversion == low)
            for s in stages]


def journey_rows(stages: Sequence[StageSummary], plan: Sequence[JourneyStage], items: dict[str, WorkItem],
                 as_of: date) -> list[JourneyRow]:
    """One row per deliverable, in plan order, and one for each stage without deliverables."""
    out: list[JourneyRow] = []
    for s, js in zip(stages, plan, strict=True):
        head = (s.stage, s.owner_team, s.funnel_stages, s.conversion, s.median_days)
        if not js.deliverables:
            out.append(JourneyRow(*head, None, None, None, None, None, s.leak))
        for d in js.deliverables:
            status, due, owner = status_of(d, items.get(d.work_id) if d.work_id is not None else None, as_of)
            out.append(JourneyRow(*head, d.name, owner, due, d.work_id, status, s.leak))
    return out


def plan_issues(plan: Plan, config: WorkspaceConfig, file: Path | None = None) -> list[ConfigIssue]:
    """The journey's problems that only wanamaker.yml can reveal: a funnel stage that ``funnel.stages`` does not
    list (``unknown_funnel_stage``), and a journey stage named twice (``duplicate_journey_stage``), each with
    the line in plan.yml (``file``, default: the plan's file name)."""
    stages = list(config.funnel.stages)
    where = file or Path(plan.file)
    issues: list[ConfigIssue] = []
    seen: set[str] = set()
    for i, js in enumerate(plan.journey):
        if js.stage in seen:
            issues.append(ConfigIssue("duplicate_journey_stage", where, plan.line_of("journey", i, "stage")
                                      or 1, f"journey.{i}.stage", f"the journey stage '{js.stage}' is listed twice.",
                                      "Give each journey stage its own name (merge their deliverables)."))
        seen.add(js.stage)
        for j, name in enumerate(js.funnel_stages):
            if name in stages:
                continue
            exits = " (it is an exit in funnel.exits, not a stage)" if name in config.funnel.exits else ""
            issues.append(ConfigIssue(
                "unknown_funnel_stage", where, plan.line_of("journey", i, "funnel_stages", j) or 1,
                f"journey.{i}.funnel_stages.{j}",
                f"'{name}' is not a funnel stage{exits}.{did_you_mean(name, stages)}",
                f"Use stages from funnel.stages in wanamaker.yml: {', '.join(stages)}."))
    return issues


# ---------------------------------------------------------------- from the workspace


@dataclass(frozen=True)
class _Until:
    """A workspace seen as of a moment: stage events and touches before ``moment`` (naive UTC), for the funnel."""

    ws: Workspace
    moment: datetime

    @property
    def config(self) -> WorkspaceConfig:
        return self.ws.config

    def table(self, name: str) -> ir.Table:
        import ibis

        t: ir.Table = self.ws.table(name)
        if name in ("stage_events", "touchpoints"):
            t = t.filter(t.ts < ibis.literal(self.moment, type="timestamp"))
        return t


def stage_flow(src: _Until, span: tuple[str, str]) -> StageFlow:
    """The funnel's cohort row for ``span`` = (FROM, TO): ``funnel(stages=[FROM, TO])``, key ``all`` (raises
    :class:`~wanamaker.errors.DataError` when there are no person stage events)."""
    from wanamaker.funnel.api import funnel

    result = funnel(src, stages=list(span), as_of=src.moment)
    row = next((r for r in result.conversion if r.key == "all" and r.stage == span[0]), None)
    if row is None:  # nobody entered either stage
        return StageFlow(span[0], span[1], 0, 0, None)
    return StageFlow(span[0], span[1], row.entered, row.converted_to_next or 0, row.median_days_to_next)


def _local_day(ts: datetime | None, zone: ZoneInfo) -> date | None:
    from wanamaker.metrics.periods import naive_utc

    return None if ts is None else naive_utc(ts).replace(tzinfo=UTC).astimezone(zone).date()


def read_work_items(ws: Workspace, ids: Sequence[str]) -> dict[str, WorkItem]:
    """The work items named by ``ids`` (a few: fetched by id)."""
    if not ids:
        return {}
    zone = ZoneInfo(ws.config.timezone)
    t = ws.table("work_items")
    expr = t.filter(t.work_id.isin(sorted(set(ids)))).select("work_id", "owner_id", "due_at", "delivered_at", "status")
    out: dict[str, WorkItem] = {}
    for r in expr.to_pyarrow().to_pylist():
        status = str(r["status"]).strip().lower() if r["status"] is not None else None
        out[str(r["work_id"])] = WorkItem(str(r["work_id"]), r["owner_id"], _local_day(r["due_at"], zone),
                                          _local_day(r["delivered_at"], zone), status)
    return out


def as_of_moment(ws: Workspace, as_of: str | date | datetime | None) -> tuple[date, datetime, str | None]:
    """(as-of day, the moment it ends as naive UTC, a note): ``as_of`` as ``--as-of`` reads it (a date ends at the
    end of that day); by default the day of the last stage event or touch, or today when there is none."""
    from wanamaker.config.options import moment_option
    from wanamaker.funnel.alignment import end_of_data

    zone = ZoneInfo(ws.config.timezone)
    moment = moment_option("--as-of", as_of, ws.config.timezone, end_of_day=True)
    if moment is not None:
        return (moment.replace(tzinfo=UTC).astimezone(zone) - timedelta(microseconds=1)).date(), moment, None
    note = None
    try:
        day = end_of_data(ws).replace(tzinfo=UTC).astimezone(zone).date()
    except DataError:
        day = datetime.now(zone).date()
        note = f"No stage events or touches: deliverables are judged as of today ({day})."
    end = moment_option("--as-of", day, ws.config.timezone, end_of_day=True)
    assert end is not None
    return day, end, note


def stage_summaries(ws: Workspace, moment: datetime, notes: list[str]) -> list[StageSummary]:
    """Each journey stage with its flow up to ``moment`` (one funnel query per distinct FROM, TO), leaks marked;
    what cannot be measured goes to ``notes``."""
    configured = list(ws.config.funnel.stages)
    src = _Until(ws, moment)
    flows: dict[tuple[str, str], StageFlow | None] = {}
    no_events = False
    out: list[StageSummary] = []
    for js in ws.plan.journey:
        span = flow_span(js.funnel_stages, configured)
        if span is None:
            notes.append(f"journey stage {js.stage}: " + (
                f"it covers only the funnel's last stage ({configured[-1]}), so it has no conversion."
                if js.funnel_stages else "no funnel_stages: list the funnel stages it covers to measure it."))
        elif span not in flows:
            flows[span] = None
            if not no_events:
                try:
                    flows[span] = stage_flow(src, span)
                except DataError:
                    no_events = True
                    notes.append("No person stage events up to the as-of day: the journey has no conversions.")
        out.append(StageSummary(js.stage, js.owner_team, tuple(js.funnel_stages),
                                flows.get(span) if span is not None else None))
    return mark_leaks(out)


def journey(ws: Workspace, as_of: str | date | datetime | None = None) -> JourneyResult:
    """The buyer journey of plan.yml: each stage's owner, conversion, velocity and deliverables, and the leak.

    ``as_of``: a date (its end, in the workspace time zone), a date and time, or a naive-UTC ``datetime``;
    default: the end of the data. A funnel stage plan.yml names that wanamaker.yml's ``funnel.stages`` does not
    list is a :class:`~wanamaker.errors.ConfigError` naming plan.yml and the line.
    """
    plan = ws.plan
    raise_if_any(plan_issues(plan, ws.config, ws.root / plan.file), plan.file)
    day, moment, note = as_of_moment(ws, as_of)
    notes: list[str] = [note] if note else []
    if not plan.journey:
        notes.append("plan.yml has no journey: list its stages under `journey:` (see docs/journey.md).")
        return JourneyResult((), (), day, tuple(notes))
    stages = stage_summaries(ws, moment, notes)
    ids = [d.work_id for js in plan.journey for d in js.deliverables if d.work_id is not None]
    items = read_work_items(ws, ids)
    for js in plan.journey:
        for d in js.deliverables:
            item = items.get(d.work_id) if d.work_id is not None else None
            if d.work_id is not None and item is None:
                notes.append(f"deliverable '{d.name}' ({js.stage}) names work item {d.work_id}, which is not in "
                             "work_items: load it, or correct work_id in plan.yml.")
            elif item is not None and item.status == "cancelled" and not d.done:
                notes.append(f"deliverable '{d.name}' ({js.stage}) is linked to work item {d.work_id}, which is "
                             "cancelled.")
    return JourneyResult(tuple(journey_rows(stages, plan.journey, items, day)), tuple(stages), day, tuple(notes))
