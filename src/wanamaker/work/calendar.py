"""``wanamaker calendar``: the campaigns on a timeline by segment, and what is wrong with the plan
(DESIGN "Work"; docs/calendar.md).

- **Conflict**: two campaigns whose date ranges overlap for a segment they share, with offers that form a pair
  of ``calendar.conflicting_offers`` (either order). One per pair of campaigns.
- **Gap**: per segment and fiscal quarter (clipped to the calendar's span: first start to last end), the
  longest stretch of days on which no campaign for the segment is active; a gap when it lasts at least
  ``calendar.max_gap``. One per segment and quarter.
- **Missed launch**: the first touch (``touchpoints.campaign_id``) or spend (``spend.campaign_id``) of a
  campaign comes more than :data:`LAUNCH_GRACE` after its planned start, or nothing at all has come by its end.

The calendar is small (tens to hundreds of campaigns), so the pairs and day ranges are worked out in Python
on the fetched ``campaigns`` table; the first touch and spend per campaign, over the large tables, are Ibis
aggregations that run in the engine. Dates are calendar dates in the workspace time zone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from wanamaker.errors import UsageError

if TYPE_CHECKING:
    from wanamaker.workspace import Workspace

LAUNCH_GRACE = timedelta(days=7)
ROW_FIELDS = ("segment", "campaign_id", "name", "channel", "offer", "starts", "ends")


@dataclass(frozen=True)
class Campaign:
    """One campaign of the ``campaigns`` table with both dates set."""

    campaign_id: str
    name: str | None
    channel: str | None
    offer: str | None
    starts: date
    ends: date
    segments: tuple[str, ...]


@dataclass(frozen=True)
class TimelineRow:
    segment: str
    campaign_id: str
    name: str | None
    channel: str | None
    offer: str | None
    starts: date
    ends: date

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ROW_FIELDS}


@dataclass(frozen=True)
class Conflict:
    """Two overlapping campaigns (ids sorted) sending conflicting offers to the segments they share."""

    campaigns: tuple[str, str]
    offers: tuple[str, str]
    segments: tuple[str, ...]
    overlap_from: date
    overlap_to: date

    @property
    def subject(self) -> str:
        return ",".join(self.campaigns)


@dataclass(frozen=True)
class Gap:
    """The longest stretch ``gap_from``..``gap_to`` (inclusive) of a fiscal quarter with no campaign for ``segment``."""

    segment: str
    quarter: str
    gap_from: date
    gap_to: date

    @property
    def days(self) -> int:
        return (self.gap_to - self.gap_from).days + 1

    @property
    def subject(self) -> str:
        return f"{self.segment} {self.quarter}"


@dataclass(frozen=True)
class MissedLaunch:
    """A campaign whose first touch or spend (``first_activity``, None when there was none) came late."""

    campaign_id: str
    starts: date
    ends: date
    first_activity: date | None


@dataclass(frozen=True)
class CalendarResult:
    rows: list[TimelineRow]
    conflicts: list[Conflict]
    gaps: list[Gap]
    missed_launches: list[MissedLaunch]
    campaigns: list[Campaign]
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> list[dict[str, Any]]:
        """The timeline rows (the findings are in :func:`wanamaker.work.findings.calendar_findings`)."""
        return [r.as_dict() for r in self.rows]


# ---------------------------------------------------------------- pure steps


def timeline(camps: Iterable[Campaign], segment: str | None = None) -> list[TimelineRow]:
    """One row per campaign and segment, ordered by segment, start and campaign id."""
    rows = [TimelineRow(s, c.campaign_id, c.name, c.channel, c.offer, c.starts, c.ends)
            for c in camps for s in c.segments if segment is None or s == segment]
    return sorted(rows, key=lambda r: (r.segment, r.starts, r.campaign_id))


def conflicts(camps: Sequence[Campaign], pairs: Iterable[tuple[str, str]]) -> list[Conflict]:
    """Every pair of campaigns that overlap in time, share a segment and send offers forming a conflicting pair.

    >>> a = Campaign("b", None, None, "discount", date(2026, 1, 1), date(2026, 1, 31), ("smb", "mid"))
    >>> b = Campaign("a", None, None, "premium", date(2026, 1, 20), date(2026, 2, 28), ("mid",))
    >>> c = conflicts([a, b], [("discount", "premium")])[0]
    >>> (c.subject, c.segments, c.overlap_from, c.overlap_to)
    ('a,b', ('mid',), datetime.date(2026, 1, 20), datetime.date(2026, 1, 31))
    """
    clash = {frozenset(p) if p[0] != p[1] else frozenset((p[0],)) for p in pairs}
    out: list[Conflict] = []
    for i, x in enumerate(camps):
        for y in camps[i + 1:]:
            if x.offer is None or y.offer is None or frozenset((x.offer, y.offer)) not in clash:
                continue
            lo, hi = max(x.starts, y.starts), min(x.ends, y.ends)
            shared = tuple(sorted(set(x.segments) & set(y.segments)))
            if lo > hi or not shared:
                continue
            first, second = sorted((x, y), key=lambda c: c.campaign_id)
            out.append(Conflict((first.campaign_id, second.campaign_id), (first.offer or "", second.offer or ""),
                                shared, lo, hi))
    return sorted(out, key=lambda c: c.campaigns)


def longest_idle(active: Iterable[tuple[date, date]], lo: date, hi: date) -> tuple[date, date] | None:
    """The longest run of days in ``lo``..``hi`` covered by none of the ``active`` ranges (the earliest on ties).

    >>> longest_idle([(date(2026, 1, 10), date(2026, 1, 20))], date(2026, 1, 1), date(2026, 1, 31))
    (datetime.date(2026, 1, 21), datetime.date(2026, 1, 31))
    """
    best: tuple[date, date] | None = None
    cursor = lo
    for s, e in sorted(active):
        if e < cursor:
            continue
        if s > cursor:
            idle = (cursor, min(s - timedelta(days=1), hi))
            if best is None or idle[1] - idle[0] > best[1] - best[0]:
                best = idle
        cursor = max(cursor, e + timedelta(days=1))
        if cursor > hi:
            return best
    if cursor <= hi and (best is None or hi - cursor > best[1] - best[0]):
        best = (cursor, hi)
    return best


def fiscal_quarters(lo: date, hi: date, fiscal_year_start: str) -> list[tuple[str, date, date]]:
    """The fiscal quarters holding ``lo``..``hi``, each clipped to it: (label, first day, last day)."""
    from wanamaker.metrics.periods import periods_between

    periods = periods_between("quarter", datetime(lo.year, lo.month, lo.day), datetime(hi.year, hi.month, hi.day),
                              "UTC", fiscal_year_start)
    return [(p.label, max(lo, p.start.date()), min(hi, p.end.date() - timedelta(days=1))) for p in periods]


def gaps(camps: Sequence[Campaign], max_gap: timedelta, quarters: Sequence[tuple[str, date, date]],
         segments: Iterable[str]) -> list[Gap]:
    """Per segment and quarter, the longest idle stretch when it lasts at least ``max_gap``."""
    out: list[Gap] = []
    for seg in sorted(set(segments)):
        active = [(c.starts, c.ends) for c in camps if seg in c.segments]
        for label, lo, hi in quarters:
            idle = longest_idle(active, lo, hi)
            if idle is not None and idle[1] - idle[0] + timedelta(days=1) >= max_gap:
                out.append(Gap(seg, label, idle[0], idle[1]))
    return out


def missed_launches(camps: Iterable[Campaign], first_activity: dict[str, date], as_of: date,
                    grace: timedelta = LAUNCH_GRACE) -> list[MissedLaunch]:
    """Campaigns launched more than ``grace`` after their start, or not at all by their end (judged on the
    activity up to ``as_of``; a campaign is not judged before either can be known)."""
    out: list[MissedLaunch] = []
    for c in camps:
        first = first_activity.get(c.campaign_id)
        late = first > c.starts + grace if first is not None else as_of > c.starts + grace or as_of >= c.ends
        if late:
            out.append(MissedLaunch(c.campaign_id, c.starts, c.ends, first))
    return sorted(out, key=lambda m: (m.starts, m.campaign_id))


# ---------------------------------------------------------------- iCalendar (RFC 5545), written by hand


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Fold a content line at 75 octets (continuations start with one space), never inside a UTF-8 character."""
    out: list[str] = []
    current, size, limit = "", 0, 75
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > limit:
            out.append(current)
            current, size, limit = " ", 1, 75
        current += ch
        size += n
    out.append(current)
    return "\r\n".join(out)


def to_ics(camps: Iterable[Campaign], stamp: datetime | None = None) -> str:
    """An iCalendar file with one all-day VEVENT per campaign (DTEND exclusive: the day after ``ends``).

    >>> c = Campaign("cmp-1", "Spring; sale", "email", "discount", date(2026, 3, 1), date(2026, 3, 31), ("smb",))
    >>> text = to_ics([c], datetime(2026, 1, 1))
    >>> [ln for ln in text.split("\\r\\n") if ln.startswith(("DTEND", "SUMMARY", "UID"))]
    ['UID:cmp-1@wanamaker', 'SUMMARY:Spring\\\\; sale', 'DTEND;VALUE=DATE:20260401']
    """
    moment = (stamp or datetime.now(UTC).replace(tzinfo=None)).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//wanamaker//calendar//EN", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", "X-WR-CALNAME:Marketing calendar"]
    for c in camps:
        description = (f"Channel: {c.channel or '-'}\nOffer: {c.offer or '-'}\nSegments: {', '.join(c.segments) or '-'}")
        lines += ["BEGIN:VEVENT", f"UID:{_escape(c.campaign_id)}@wanamaker", f"DTSTAMP:{moment}",
                  f"SUMMARY:{_escape(c.name or c.campaign_id)}",
                  f"DTSTART;VALUE=DATE:{c.starts:%Y%m%d}",
                  f"DTEND;VALUE=DATE:{c.ends + timedelta(days=1):%Y%m%d}",
                  f"DESCRIPTION:{_escape(description)}", "TRANSP:TRANSPARENT", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)


# ---------------------------------------------------------------- from the workspace


def read_campaigns(ws: Workspace) -> tuple[list[Campaign], int]:
    """The ``campaigns`` table (small: fetched whole) and the number of campaigns skipped for a missing date."""
    cols = ("campaign_id", "name", "channel", "offer", "starts", "ends", "segments")
    rows = ws.table("campaigns").select(*cols).to_pyarrow().to_pylist()
    out: list[Campaign] = []
    skipped = 0
    for r in rows:
        if r["starts"] is None or r["ends"] is None or r["ends"] < r["starts"]:
            skipped += 1
            continue
        segs = tuple(dict.fromkeys(s.strip() for s in (r["segments"] or "").split(",") if s.strip()))
        out.append(Campaign(str(r["campaign_id"]), r["name"], r["channel"], r["offer"], r["starts"], r["ends"], segs))
    return sorted(out, key=lambda c: (c.starts, c.campaign_id)), skipped


def first_activity(ws: Workspace, ids: Sequence[str], as_of: datetime | None) -> tuple[dict[str, date], date | None]:
    """The first local day of a touch or spend per campaign (up to ``as_of``, naive UTC), in the engine; and
    the last day of either (the end of the data), None when neither table has a row."""
    import ibis

    zone = ZoneInfo(ws.config.timezone)

    def local(ts: datetime) -> date:
        return ts.replace(tzinfo=UTC).astimezone(zone).date()

    t = ws.table("touchpoints")
    s = ws.table("spend")
    if as_of is not None:
        t = t.filter(t.ts < ibis.literal(as_of, type="timestamp"))
        s = s.filter(s.date <= ibis.literal(local(as_of - timedelta(microseconds=1)), type="date"))
    firsts: dict[str, date] = {}
    if ids:
        for expr, conv in ((t.filter(t.campaign_id.isin(list(ids))).group_by("campaign_id").aggregate(first=t.ts.min()),
                            local),
                           (s.filter(s.campaign_id.isin(list(ids))).group_by("campaign_id").aggregate(first=s.date.min()),
                            None)):
            for r in expr.to_pyarrow().to_pylist():
                day = conv(r["first"]) if conv is not None else r["first"]
                cid = str(r["campaign_id"])
                firsts[cid] = min(firsts.get(cid, day), day)
    last_touch = t.aggregate(x=t.ts.max()).to_pyarrow().to_pylist()[0]["x"]
    last_spend = s.aggregate(x=s.date.max()).to_pyarrow().to_pylist()[0]["x"]
    days = [d for d in (local(last_touch) if last_touch is not None else None, last_spend) if d is not None]
    return firsts, max(days) if days else None


def _day(name: str, value: str | date | None) -> date | None:
    from wanamaker.config.options import moment_option

    moment = moment_option(name, value, "UTC")
    return None if moment is None else moment.date()


def calendar(ws: Workspace, *, date_from: str | date | None = None, date_to: str | date | None = None,
             segment: str | None = None, as_of: datetime | None = None) -> CalendarResult:
    """The campaigns on a timeline by segment, with their conflicts, gaps and missed launches.

    ``date_from``/``date_to`` keep the campaigns active in that window (and clip the gap quarters to it);
    ``segment`` keeps one segment; ``as_of`` (naive UTC, default: the end of the touch and spend data) is
    the moment up to which launches are judged.
    """
    lo, hi = _day("--from", date_from), _day("--to", date_to)
    if lo is not None and hi is not None and lo > hi:
        raise UsageError(f"--from {date_from} comes after --to {date_to}: the window is empty.",
                         fix="Give --from a date on or before --to, or swap them.")
    cfg = ws.config.calendar
    camps, skipped = read_campaigns(ws)
    notes: list[str] = []
    if skipped:
        notes.append(f"{skipped} campaign(s) without a start or end date (or ending before they start) are left out.")
    if not camps:
        notes.append("No campaigns with dates: load the `campaigns` table (see docs/calendar.md).")
        return CalendarResult([], [], [], [], [], notes)
    span_lo = max(lo or date.min, min(c.starts for c in camps))
    span_hi = min(hi or date.max, max(c.ends for c in camps))
    if segment is not None and not any(segment in c.segments for c in camps):
        known = sorted({s for c in camps for s in c.segments})
        raise UsageError(f"--segment '{segment}' is not a segment of any campaign.",
                         fix=f"Use one of: {', '.join(known)}.")
    shown = [c for c in camps if c.starts <= span_hi and c.ends >= span_lo
             and (segment is None or segment in c.segments)]
    found = [x for x in conflicts(shown, cfg.conflicting_offers)
             if x.overlap_from <= span_hi and x.overlap_to >= span_lo and (segment is None or segment in x.segments)]
    segs = [segment] if segment is not None else [s for c in camps for s in c.segments]
    holes = gaps(camps, cfg.max_gap, fiscal_quarters(span_lo, span_hi, ws.config.fiscal_year_start), segs) \
        if span_lo <= span_hi else []
    firsts, end_of_data = first_activity(ws, [c.campaign_id for c in shown], as_of)
    as_of_day: date | None = end_of_data
    if as_of is not None:
        as_of_day = (as_of.replace(tzinfo=UTC).astimezone(ZoneInfo(ws.config.timezone)) - timedelta(microseconds=1)).date()
    if as_of_day is None:
        notes.append("No touchpoints or spend loaded: launches are not checked.")
        judged: list[MissedLaunch] = []
    else:
        judged = missed_launches([c for c in shown if c.starts <= as_of_day], firsts, as_of_day)
    return CalendarResult(timeline(shown, segment), found, holes, judged, shown, notes)
