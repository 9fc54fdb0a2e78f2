"""Form submissions, written like a load (DESIGN "Faces": a form submission is a load with its own ``_loads``
row, the same contracts and buckets).

Each submission is first written as a CSV file under the workspace's ``submissions/<form>/`` folder, named by
the submission id the form carried; then ``Workspace.load`` loads it. So what a person typed is kept as a file,
checked by the table's contract like any export, counted in ``_loads`` (its ``files`` name the submission),
and a row the contract refuses goes to ``_quarantine`` with its reason instead of being lost. A form sent
twice (a double click, a retried request) finds its file already there and is not loaded again.
"""

from __future__ import annotations

import csv
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import ibis

from wanamaker.errors import UsageError
from wanamaker.schema.contracts import TABLES

if TYPE_CHECKING:
    from wanamaker.web.state import WebState
    from wanamaker.workspace import Workspace

SUBMISSIONS = "submissions"
_ID = re.compile(r"^[0-9a-f]{32}$")
DEFAULT_REASONS = ("not_icp", "no_budget", "duplicate", "bad_contact_data", "not_ready", "other")
DEFAULT_QUESTIONS = ("Lead quality from marketing", "Marketing understands our buyers", "Marketing content helps me close")
DECISIONS = ("approved", "changes_requested", "rejected")
MAX_TEXT = 2000


class FormError(UsageError):
    """A form value a person must correct; the page shows it beside the form."""


@dataclass(frozen=True)
class Submitted:
    form: str
    submission_id: str
    load_id: str | None  # None when this submission was already recorded
    loaded: int
    quarantined: int
    reasons: tuple[str, ...]
    duplicate: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"form": self.form, "submission_id": self.submission_id, "load_id": self.load_id,
                "loaded": self.loaded, "quarantined": self.quarantined, "reasons": list(self.reasons),
                "duplicate": self.duplicate}


def new_submission_id() -> str:
    return uuid.uuid4().hex


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _text(value: str | None, name: str, *, required: bool = False, limit: int = MAX_TEXT) -> str:
    text = (value or "").strip()
    if required and not text:
        raise FormError(f"{name} is required.", fix=f"Fill in {name}.")
    if len(text) > limit:
        raise FormError(f"{name} is longer than {limit} characters.", fix="Shorten it.")
    if any(ord(c) < 32 and c not in "\n\t" for c in text):
        raise FormError(f"{name} holds control characters.", fix="Type it again without them.")
    return text


def _number(value: str | None, name: str, low: float, high: float) -> float:
    try:
        number = float((value or "").strip())
    except ValueError:
        raise FormError(f"{name} must be a number, not '{value}'.",
                        fix=f"Enter a number from {low:g} to {high:g}.") from None
    if not low <= number <= high or number != number:
        raise FormError(f"{name} must be from {low:g} to {high:g}, not {number:g}.", fix="Enter a value in range.")
    return number


def _duplicate(ws: Workspace, form: str, submission_id: str) -> Submitted | None:
    """The answer for a submission already recorded (checked before the form's own checks)."""
    if _ID.match(submission_id or "") and (ws.root / SUBMISSIONS / form / f"{submission_id}.csv").exists():
        return Submitted(form, submission_id, None, 0, 0, (), duplicate=True)
    return None


def _submit(state: WebState, form: str, submission_id: str, table: str, rows: list[dict[str, Any]],
            *, upsert: bool = False) -> Submitted:
    """Write ``rows`` as the submission's CSV file and load it (the caller holds the state lock)."""
    if not _ID.match(submission_id or ""):
        raise FormError("the form has no valid submission id.", fix="Reload the page and submit the form again.")
    ws = state.ws
    folder = ws.root / SUBMISSIONS / form
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{submission_id}.csv"
        columns = [c.name for c in TABLES[table].columns]
        try:
            fh = path.open("x", encoding="utf-8", newline="")
        except FileExistsError:
            return Submitted(form, submission_id, None, 0, 0, (), duplicate=True)
        with fh:
            writer = csv.DictWriter(fh, fieldnames=columns)
            writer.writeheader()
            for row in rows:
                writer.writerow({c: _cell(row.get(c)) for c in columns})
    except OSError as exc:
        raise UsageError(f"cannot save the submission under {folder}: {exc.strerror or exc}.",
                         fix="Free disk space or give the server write access to the workspace folder.") from exc
    try:
        result = ws.load([path], table=table, upsert=upsert)
    except BaseException:
        path.unlink(missing_ok=True)  # not loaded: the same submission may be sent again
        raise
    finally:
        state.bump()
    reasons = tuple(sorted({code for rep in result.tables for code in rep.quarantine_reasons}))
    loaded = sum(rep.total("loaded") for rep in result.tables)
    return Submitted(form, submission_id, result.load_id, loaded, result.quarantined, reasons)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ----------------------------------------------------------------------------------------------- sales
def handoff(ws: Workspace) -> tuple[str, list[str], float]:
    """(hand-off stage, accepted stages, SLA hours for the decision) from the workspace's SLA rules."""
    from wanamaker.funnel.acceptance import REJECTED, handoff_stages

    stage, accepted = handoff_stages(ws.config)
    hours = next((r.within.total_seconds() / 3600 for r in ws.config.sla
                  if r.from_stage == stage and REJECTED in r.to), 48.0)
    return stage, accepted, hours


def pending_leads(ws: Workspace, limit: int = 200) -> list[dict[str, Any]]:
    """People handed to sales with no acceptance or rejection yet, newest first, with their SLA deadline."""
    from datetime import timedelta

    from wanamaker.funnel.acceptance import REJECTED

    stage, accepted, hours = handoff(ws)
    ev = ws.table("stage_events").filter(ibis._.subject_type == "person")
    handed = ev.filter(ev.stage == stage).group_by(person_id=ev.subject_id).aggregate(handed_at=ev.ts.min())
    decided = ev.filter(ev.stage.isin([*accepted, REJECTED])).select(person_id=ev.subject_id).distinct()
    pending = handed.anti_join(decided, "person_id")
    people = ws.table("people").select("person_id", "account_id", "segment", "lead_source", "owner_id")
    rows: list[dict[str, Any]] = (pending.left_join(people, "person_id").select(pending.person_id, pending.handed_at, people.account_id,
                                                          people.segment, people.lead_source, people.owner_id)
            .order_by(ibis.desc("handed_at"), "person_id").limit(limit).to_pyarrow().to_pylist())
    now = now_utc().replace(tzinfo=None)
    for row in rows:
        due = row["handed_at"] + timedelta(hours=hours)
        row["due_at"] = due
        row["hours_left"] = round((due - now).total_seconds() / 3600, 1)
    return rows


def rejection_reasons(ws: Workspace) -> list[str]:
    from wanamaker.funnel.acceptance import REJECTED

    ev = ws.table("stage_events")
    seen = (ev.filter((ev.stage == REJECTED) & ev.reason.notnull() & (ev.reason != "")).select("reason").distinct()
            .to_pyarrow().column("reason").to_pylist())
    return sorted({*DEFAULT_REASONS, *(str(r) for r in seen)})


def lead_decision(state: WebState, *, submission_id: str, person_id: str, decision: str, reason: str | None,
                  who: str) -> Submitted:
    from wanamaker.funnel.acceptance import REJECTED

    ws = state.ws
    if (dup := _duplicate(ws, "lead_decision", submission_id)) is not None:
        return dup
    person_id = _text(person_id, "the lead", required=True, limit=200)
    if decision not in ("accept", "reject"):
        raise FormError(f"'{decision}' is not a decision.", fix="Choose accept or reject.")
    _stage, accepted, _hours = handoff(ws)
    code = _text(reason, "the reason", limit=100)
    if decision == "reject":
        if not code:
            raise FormError("a rejection needs a reason code.", fix="Choose why the lead is rejected.")
        if code not in rejection_reasons(ws):
            raise FormError(f"'{code}' is not a reason code.", fix="Choose one of the listed reasons.")
    elif code:
        raise FormError("an accepted lead takes no rejection reason.", fix="Clear the reason, or reject the lead.")
    if ws.table("people").filter(ibis._.person_id == person_id).count().execute() == 0:
        raise FormError(f"there is no lead '{person_id}'.", fix="Pick a lead from the list.")
    ev = ws.table("stage_events")
    if ev.filter((ev.subject_type == "person") & (ev.subject_id == person_id)
                 & ev.stage.isin([*accepted, REJECTED])).count().execute():
        raise FormError(f"lead '{person_id}' was already accepted or rejected.", fix="Reload the list of leads.")
    row = {"subject_type": "person", "subject_id": person_id, "stage": accepted[0] if decision == "accept" else REJECTED,
           "ts": now_utc(), "owner_id": who, "reason": code or None}
    return _submit(state, "lead_decision", submission_id, "stage_events", [row])


def survey_questions(ws: Workspace) -> list[str]:
    t = ws.table("survey_responses")
    seen = t.select("question").distinct().to_pyarrow().column("question").to_pylist()
    return sorted(str(q) for q in seen if q) or list(DEFAULT_QUESTIONS)


def current_quarter(ws: Workspace) -> str:
    from wanamaker.metrics.periods import period_of

    moment = now_utc().replace(tzinfo=None)
    return period_of("quarter", moment, ws.config.timezone, ws.config.fiscal_year_start).label


def survey(state: WebState, *, submission_id: str, scores: dict[str, str], comment: str | None, who: str,
           team: str) -> Submitted:
    ws = state.ws
    if (dup := _duplicate(ws, "survey", submission_id)) is not None:
        return dup
    questions = survey_questions(ws)
    unknown = sorted(set(scores) - set(questions))
    if unknown:
        raise FormError(f"unknown question {unknown[0]!r}.", fix="Reload the survey page.")
    missing = [q for q in questions if not (scores.get(q) or "").strip()]
    if missing:
        raise FormError(f"no score for '{missing[0]}'.", fix="Score every question from 1 to 5.")
    note = _text(comment, "the comment")
    period, when = current_quarter(ws), now_utc()
    rows = [{"response_id": f"{submission_id}-{i}", "respondent_id": who, "team": team, "submitted_at": when,
             "period": period, "question": q, "score": int(_number(scores[q], f"the score for '{q}'", 1, 5)),
             "comment": note or None} for i, q in enumerate(questions, 1)]
    return _submit(state, "survey", submission_id, "survey_responses", rows)


# ----------------------------------------------------------------------------------------------- marketing
def open_work(ws: Workspace, limit: int = 300) -> list[dict[str, Any]]:
    t = ws.table("work_items")
    rows: list[dict[str, Any]] = (
        t.select("work_id", "title", "kind", "owner_id", "hours", "requested_at", "delivered_at", "status")
        .order_by(ibis.desc("requested_at"), "work_id").limit(limit).to_pyarrow().to_pylist())
    return rows


def _work_row(ws: Workspace, work_id: str) -> dict[str, Any]:
    t = ws.table("work_items")
    columns = [c.name for c in TABLES["work_items"].columns]
    rows = t.filter(t.work_id == work_id).select(*columns).to_pyarrow().to_pylist()
    if not rows:
        raise FormError(f"there is no work item '{work_id}'.", fix="Pick a work item from the list.")
    return dict(rows[0])


def log_hours(state: WebState, *, submission_id: str, work_id: str, hours: str, delivered: bool,
              who: str) -> Submitted:
    ws = state.ws
    if (dup := _duplicate(ws, "work_hours", submission_id)) is not None:
        return dup
    work_id = _text(work_id, "the work item", required=True, limit=200)
    added = _number(hours, "hours", 0.25, 200)
    row = _work_row(ws, work_id)
    row["hours"] = round(float(row.get("hours") or 0.0) + added, 2)
    if delivered and row.get("delivered_at") is None:
        row["delivered_at"] = now_utc()
        row["status"] = "done"
    if not row.get("owner_id"):
        row["owner_id"] = who
    return _submit(state, "work_hours", submission_id, "work_items", [row], upsert=True)


def record_approval(state: WebState, *, submission_id: str, work_id: str, decision: str, submitted_on: str | None,
                    who: str) -> Submitted:
    ws = state.ws
    if (dup := _duplicate(ws, "approval", submission_id)) is not None:
        return dup
    work_id = _text(work_id, "the work item", required=True, limit=200)
    if decision not in DECISIONS:
        raise FormError(f"'{decision}' is not a decision.", fix=f"Choose {', '.join(DECISIONS)}.")
    _work_row(ws, work_id)
    t = ws.table("approvals")
    last = t.filter(t.work_id == work_id).round.max().execute()
    now = now_utc()
    submitted = now
    if submitted_on:
        try:
            submitted = datetime.fromisoformat(submitted_on.strip()).replace(tzinfo=UTC)
        except ValueError:
            raise FormError(f"'{submitted_on}' is not a date.", fix="Enter the date as YYYY-MM-DD.") from None
        if submitted > now:
            raise FormError("the submission date is in the future.", fix="Enter the day the work was sent for review.")
    round_no = int(last) + 1 if last is not None and last == last else 1
    row = {"work_id": work_id, "round": round_no, "submitted_at": submitted, "decided_at": now, "reviewer_id": who,
           "decision": decision}
    return _submit(state, "approval", submission_id, "approvals", [row])

