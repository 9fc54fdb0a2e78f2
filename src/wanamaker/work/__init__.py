"""The marketing team's work (DESIGN "Work"): deliverables on one scale (``work``), approvals, the priority queue
and audit, journey ownership, the campaign calendar (conflicts, gaps, missed launches, .ics) and the calendar and work findings of
``wanamaker check``."""

from wanamaker.work.approvals import ApprovalsResult, approvals
from wanamaker.work.calendar import CalendarResult, calendar, to_ics
from wanamaker.work.findings import calendar_findings
from wanamaker.work.journey import JourneyResult, journey
from wanamaker.work.measures import WorkResult, work
from wanamaker.work.priorities import AuditResult, QueueResult, audit, queue

__all__ = ["ApprovalsResult", "AuditResult", "CalendarResult", "JourneyResult", "QueueResult", "WorkResult",
           "approvals", "audit", "calendar", "calendar_findings", "journey", "queue", "to_ics", "work"]
