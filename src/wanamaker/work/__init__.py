"""The marketing team's work (DESIGN "Work"): the campaign calendar (conflicts, gaps, missed launches, .ics)
and the calendar and work findings of ``wanamaker check``."""

from wanamaker.work.calendar import CalendarResult, calendar, to_ics
from wanamaker.work.findings import calendar_findings

__all__ = ["CalendarResult", "calendar", "calendar_findings", "to_ics"]
