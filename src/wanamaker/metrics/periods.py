"""Reporting periods: calendar months, fiscal quarters and fiscal years, cut in the workspace time zone.

The one definition of a period for every domain (DESIGN "The metrics layer"): the funnel labels rows in
the engine with :func:`label_expr`, attribution labels fetched rows with :func:`label_array`.

Stored timestamps are naive UTC. A period is cut at local midnight in ``timezone`` (so a lead created at
23:30 UTC on 31 March is an April lead in Europe/Berlin). The boundaries are computed here in Python
with :mod:`zoneinfo` (exact across daylight-saving changes) and turned into one Ibis ``CASE`` expression,
so labelling runs inside the engine, identically on DuckDB, PostgreSQL and Spark.

Labels: ``2026-03`` for months, ``FY2026-Q1`` for fiscal quarters, ``FY2026`` for fiscal years. A fiscal
year is named after the calendar year in which it ends: with ``fiscal_year_start: 04-01`` the year from
1 April 2025 to 31 March 2026 is ``FY2026``; with ``01-01`` the fiscal year is the calendar year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa

PeriodKind = Literal["month", "quarter", "year"]
PERIOD_KINDS: tuple[str, ...] = ("month", "quarter", "year")


@dataclass(frozen=True)
class Period:
    """One reporting period: ``start`` inclusive, ``end`` exclusive, both naive UTC."""

    label: str
    start: datetime
    end: datetime


def _add_months(day: date, months: int) -> date:
    total = day.year * 12 + (day.month - 1) + months
    return date(total // 12, total % 12 + 1, day.day)


def _fiscal_start(fiscal_year_start: str) -> tuple[int, int]:
    month, day = fiscal_year_start.split("-")
    return int(month), int(day)


def _period_start(kind: PeriodKind, local: date, fiscal_year_start: str) -> date:
    """The first local day of the period holding ``local``."""
    if kind == "month":
        return date(local.year, local.month, 1)
    month, day = _fiscal_start(fiscal_year_start)
    start = date(local.year, month, day)
    if start > local:
        start = date(local.year - 1, month, day)
    if kind == "year":
        return start
    while _add_months(start, 3) <= local:
        start = _add_months(start, 3)
    return start


def _label(kind: PeriodKind, start: date, fiscal_year_start: str) -> str:
    if kind == "month":
        return f"{start.year:04d}-{start.month:02d}"
    month, day = _fiscal_start(fiscal_year_start)
    year_start = _period_start("year", start, fiscal_year_start)
    year_end = _add_months(year_start, 12) - timedelta(days=1)
    if kind == "year":
        return f"FY{year_end.year}"
    quarter = ((start.year - year_start.year) * 12 + start.month - year_start.month) // 3 + 1
    return f"FY{year_end.year}-Q{quarter}"


def _to_utc(local: date, tz: ZoneInfo) -> datetime:
    aware = datetime(local.year, local.month, local.day, tzinfo=tz)
    return aware.astimezone(UTC).replace(tzinfo=None)


def _to_local(ts: datetime, tz: ZoneInfo) -> date:
    return ts.replace(tzinfo=UTC).astimezone(tz).date()


def naive_utc(value: Any) -> datetime:
    """A timestamp fetched from an engine (datetime, pandas Timestamp, date or ISO text) as a naive-UTC datetime:
    stored times are naive UTC, and an engine that hands them back with a zone gives them in UTC."""
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return datetime.fromisoformat(str(value))


def periods_between(
    kind: PeriodKind, first: datetime, last: datetime, tz: str = "UTC", fiscal_year_start: str = "01-01"
) -> list[Period]:
    """Every period from the one holding ``first`` to the one holding ``last`` (naive UTC times).

    >>> [p.label for p in periods_between("quarter", datetime(2025, 12, 31), datetime(2026, 4, 1), "UTC", "04-01")]
    ['FY2026-Q3', 'FY2026-Q4', 'FY2027-Q1']
    >>> p = periods_between("month", datetime(2026, 3, 31, 23, 30), datetime(2026, 3, 31, 23, 30), "Europe/Berlin")
    >>> (p[0].label, p[0].start)
    ('2026-04', datetime.datetime(2026, 3, 31, 22, 0))
    """
    zone = ZoneInfo(tz)
    step = {"month": 1, "quarter": 3, "year": 12}[kind]
    start = _period_start(kind, _to_local(first, zone), fiscal_year_start)
    end_local = _to_local(last, zone)
    out: list[Period] = []
    while start <= end_local:
        nxt = _add_months(start, step)
        out.append(Period(_label(kind, start, fiscal_year_start), _to_utc(start, zone), _to_utc(nxt, zone)))
        start = nxt
    return out


def period_of(kind: PeriodKind, ts: datetime, tz: str = "UTC", fiscal_year_start: str = "01-01") -> Period:
    """The period holding one naive-UTC time."""
    return periods_between(kind, ts, ts, tz, fiscal_year_start)[0]


def label_expr(ts: ir.TimestampValue, periods: list[Period]) -> ir.StringValue:
    """An Ibis expression giving the label of the period holding ``ts`` (null outside ``periods``)."""
    if not periods:
        return ibis.null().cast("string")
    branches = [
        (ts < ibis.literal(p.end, type="timestamp"), ibis.literal(p.label, type="string")) for p in periods
    ]
    inside = (ts >= ibis.literal(periods[0].start, type="timestamp")) & (
        ts < ibis.literal(periods[-1].end, type="timestamp")
    )
    return ibis.ifelse(inside, ibis.cases(*branches), ibis.null().cast("string"))


def label_array(ts: pa.ChunkedArray, kind: PeriodKind, tz: str = "UTC",
                fiscal_year_start: str = "01-01") -> pa.ChunkedArray:
    """The label of the period holding each naive-UTC time of a fetched column (null stays null): the same
    periods as :func:`label_expr`, for rows already out of the engine.

    >>> times = pa.chunked_array([[datetime(2026, 3, 31, 23, 30), None, datetime(2026, 3, 1)]], pa.timestamp("us"))
    >>> label_array(times, "month", "Europe/Berlin").to_pylist()
    ['2026-04', None, '2026-03']
    """
    values = np.asarray(ts.cast(pa.timestamp("us")).to_numpy(zero_copy_only=False), dtype="datetime64[us]")
    valid = ~np.isnat(values)
    out = np.full(values.shape, None, dtype=object)
    if valid.any():
        lo, hi = values[valid].min().item(), values[valid].max().item()
        periods = periods_between(kind, lo, hi, tz, fiscal_year_start)
        starts = np.array([p.start for p in periods], dtype="datetime64[us]")
        index = np.searchsorted(starts, values[valid], side="right") - 1
        out[valid] = np.array([p.label for p in periods], dtype=object)[index]
    return pa.chunked_array([pa.array(out, type=pa.string())])


_LABEL_FORMS = "2026-03 (a month), FY2026-Q1 (a fiscal quarter) or FY2026 (a fiscal year)"


def parse_label(label: str, tz: str = "UTC", fiscal_year_start: str = "01-01") -> Period:
    """The period a label names (``2026-03``, ``FY2026-Q1``, ``FY2026``); ``ValueError`` with the forms
    it accepts otherwise. The inverse of the labels :func:`periods_between` gives.

    >>> parse_label("FY2026-Q1", "UTC", "04-01").start
    datetime.datetime(2025, 4, 1, 0, 0)
    >>> parse_label("2026-03").label
    '2026-03'
    """
    import re

    text = label.strip()
    zone = ZoneInfo(tz)
    month_match = re.fullmatch(r"(\d{4})-(\d{2})", text)
    fy_match = re.fullmatch(r"FY(\d{4})(?:-Q([1-4]))?", text, flags=re.IGNORECASE)
    if month_match:
        year, month = int(month_match.group(1)), int(month_match.group(2))
        if not 1 <= month <= 12:
            raise ValueError(f"'{label}' has no month {month}; use {_LABEL_FORMS}")
        start = date(year, month, 1)
        return Period(_label("month", start, fiscal_year_start), _to_utc(start, zone), _to_utc(_add_months(start, 1), zone))
    if fy_match:
        fm, fd = _fiscal_start(fiscal_year_start)
        ends_in = int(fy_match.group(1))
        # the fiscal year named FYn ends in calendar year n
        year_start = date(ends_in - 1, fm, fd) if (fm, fd) != (1, 1) else date(ends_in, 1, 1)
        if fy_match.group(2) is None:
            start, months, kind = year_start, 12, "year"
        else:
            start, months, kind = _add_months(year_start, 3 * (int(fy_match.group(2)) - 1)), 3, "quarter"
        return Period(_label(kind, start, fiscal_year_start), _to_utc(start, zone),  # type: ignore[arg-type]
                      _to_utc(_add_months(start, months), zone))
    raise ValueError(f"'{label}' is not a period label; use {_LABEL_FORMS}")


def period_between_dates(first: date, last: date, tz: str = "UTC") -> Period:
    """The local days ``first`` to ``last`` (both inclusive) as a period labelled ``first..last``."""
    zone = ZoneInfo(tz)
    return Period(f"{first.isoformat()}..{last.isoformat()}", _to_utc(first, zone),
                  _to_utc(last + timedelta(days=1), zone))
