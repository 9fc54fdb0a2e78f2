"""The model's weekly input from a workspace, aggregated in the engine (the same Ibis on DuckDB, PostgreSQL and
Spark); only one row per week and channel leaves it.

- **Weeks** start on Monday in the workspace time zone. A week is labelled by its Monday (``2026-03-02``) and cut
  with :func:`wanamaker.metrics.periods.label_expr`, one ``CASE`` over the weeks' boundaries.
- **Spend** per channel: the catalogue's ``spend`` measure (workspace currency at the day's rate; a foreign amount
  with no rate is left out). A spend ``date`` is a calendar day in the workspace time zone, so it is placed in
  its week as it is, without a time-zone shift.
- **Outcome**: the catalogue's ``opportunities`` (opportunities created, by ``created_at``), ``pipeline`` (their
  amount) or ``revenue`` (won amount, by ``closed_at``), money in the workspace currency
  (:func:`wanamaker.metrics.money.opportunity_money`); timestamps are naive UTC and the weeks' local midnights
  are converted to UTC (exact across daylight-saving changes).
- **Span**: the weeks of the spend data. Weekly spend (every date on the same weekday, e.g. each week's Monday)
  gives every week from the first row's to the last row's; daily spend gives the whole weeks (Monday to Sunday)
  between its first and last date, so a partial week at either end is left out. ``in_label`` (``2026-03``,
  ``FY2026-Q1``, ``FY2026``) keeps the weeks wholly inside that period. A week with no spend on a channel has
  spend 0; a week with no outcome has outcome 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir
import numpy as np

from wanamaker.config.options import choice_option
from wanamaker.errors import UsageError
from wanamaker.metrics.catalogue import Catalogue, Source, core_metrics, measure_table
from wanamaker.metrics.money import opportunity_money
from wanamaker.metrics.periods import Period, label_expr, naive_utc, parse_label, period_between_dates
from wanamaker.mmm.data import WeeklyData

OUTCOMES: tuple[str, ...] = ("opportunities", "pipeline", "revenue")
LOAD_SPEND = "Load weekly or daily spend per channel: `wanamaker load spend.csv --table spend`."


def _local_day(ts: datetime, tz: str) -> date:
    return ts.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(tz)).date()


def week_starts(first: date, last: date) -> list[date]:
    """The Mondays of the whole weeks (Monday to Sunday) between ``first`` and ``last``, both inclusive.

    >>> week_starts(date(2026, 3, 3), date(2026, 3, 22))
    [datetime.date(2026, 3, 9), datetime.date(2026, 3, 16)]
    """
    monday = first + timedelta(days=(7 - first.weekday()) % 7)
    out = []
    while monday + timedelta(days=6) <= last:
        out.append(monday)
        monday += timedelta(days=7)
    return out


def spend_weeks(days: Sequence[date]) -> list[date]:
    """The Mondays of the weeks spend dated ``days`` covers: from the first day's week to the last day's when the
    rows are weekly (all on one weekday), else the whole weeks between the first and last day.

    >>> spend_weeks([date(2026, 3, 4), date(2026, 3, 11)])  # Wednesdays: weekly rows
    [datetime.date(2026, 3, 2), datetime.date(2026, 3, 9)]
    >>> spend_weeks([date(2026, 3, 4), date(2026, 3, 5), date(2026, 3, 16)])  # daily rows
    [datetime.date(2026, 3, 9)]
    """
    first, last = min(days), max(days)
    if len({d.weekday() for d in days}) == 1:
        return week_starts(first - timedelta(days=first.weekday()), last + timedelta(days=6 - last.weekday()))
    return week_starts(first, last)


def week_periods(mondays: Sequence[date], tz: str) -> tuple[list[Period], list[Period]]:
    """Each week as a period with local-calendar boundaries (for dates) and with UTC boundaries (for naive-UTC
    timestamps), both labelled by the Monday."""
    local = [Period(d.isoformat(), datetime(d.year, d.month, d.day),
                    datetime(d.year, d.month, d.day) + timedelta(days=7)) for d in mondays]
    utc = []
    for d in mondays:
        p = period_between_dates(d, d + timedelta(days=6), tz)
        utc.append(Period(d.isoformat(), p.start, p.end))
    return local, utc


def no_data(outcome: str, note: str) -> WeeklyData:
    """No weeks to fit: the result is empty, with ``note`` saying why (DESIGN "Conventions": no data is an empty
    list and a note, not an error)."""
    return WeeklyData((), np.zeros(0), outcome, (), np.zeros((0, 0)), np.zeros((0, 0)), (), (note,))


def _spend_days(spend: ir.Table) -> list[date]:
    """The distinct spend dates (a few thousand at most: one per day)."""
    days = spend.select(day=spend.ts).distinct().to_pyarrow().column("day").to_pylist()
    return [naive_utc(d).date() for d in days if d is not None]


def _in(ts: ir.TimestampValue, start: datetime, end: datetime) -> ir.BooleanValue:
    return (ts >= ibis.literal(start, type="timestamp")) & (ts < ibis.literal(end, type="timestamp"))


def _unconverted(ws: Source, outcome: str, start: datetime, end: datetime) -> int:
    """Opportunities in the window whose foreign amount had no fx rate (left out of pipeline / revenue)."""
    if outcome == "opportunities":
        return 0
    m = opportunity_money(ws, ws.config.currency)
    ts, flag = (m.created_at, m.pipeline_unconverted) if outcome == "pipeline" else (m.closed_at, m.won_unconverted)
    return int(m.filter(_in(ts, start, end) & flag).count().to_pyarrow().as_py() or 0)


def weekly_frame(ws: Source, outcome: str = "opportunities", *, in_label: str | None = None,
                 channels: Sequence[str] | None = None) -> WeeklyData:
    """Weekly spend per channel and the weekly ``outcome`` of a workspace (see the module doc)."""
    choice_option("--outcome-metric", outcome, OUTCOMES)
    cfg = ws.config
    catalogue = Catalogue(core_metrics())
    spend = measure_table(ws, catalogue["spend"], "channel")
    days = _spend_days(spend)
    if not days:
        return no_data(outcome, f"The workspace has no spend: the mix model needs weekly spend per channel. {LOAD_SPEND}")
    mondays = spend_weeks(days)
    if in_label is not None:
        try:
            period = parse_label(in_label, cfg.timezone, cfg.fiscal_year_start)
        except ValueError as exc:
            raise UsageError(f"--in {exc}.", fix="Use --in 2026-03, FY2026-Q1 or FY2026.") from None
        inside = set(week_starts(_local_day(period.start, cfg.timezone),
                                 _local_day(period.end, cfg.timezone) - timedelta(days=1)))
        mondays = [d for d in mondays if d in inside]
    where = f" in {in_label}" if in_label else ""
    if not mondays:
        return no_data(outcome, f"No whole week (Monday to Sunday) of spend{where}: spend runs from {min(days)} to "
                                f"{max(days)}. Pick a longer period with --in, or load more spend.")
    local, utc = week_periods(mondays, cfg.timezone)

    s = spend.filter(_in(spend.ts, local[0].start, local[-1].end))
    known = sorted(str(k) for k in s.select("key").distinct().to_pyarrow().column("key").to_pylist())
    if channels is not None:
        missing = [c for c in channels if c not in known]
        if missing:
            raise UsageError(f"no spend on {', '.join(missing)}{where} (channels with spend: {', '.join(known)}).",
                             fix="Name channels from that list, or leave --channels out for all of them.")
        s = s.filter(s.key.isin(list(channels)))
    s = s.mutate(week=label_expr(s.ts, local))
    spend_rows = s.group_by(["week", "key"]).aggregate(value=s.value.sum()).to_pyarrow().to_pylist()

    metric = catalogue[outcome]
    t = measure_table(ws, metric, None)
    t = t.filter(_in(t.ts, utc[0].start, utc[-1].end))
    t = t.mutate(week=label_expr(t.ts, utc))
    # a count measure is counted, not summed: its value is the literal 1.0, a decimal on PostgreSQL and Spark
    value = t.count() if metric.agg == "count" else t.value.sum()
    outcome_rows = t.group_by("week").aggregate(value=value).to_pyarrow().to_pylist()

    index = {p.label: i for i, p in enumerate(local)}
    names = list(channels) if channels is not None else known
    matrix = np.zeros((len(names), len(mondays)))
    for rec in spend_rows:
        matrix[names.index(str(rec["key"])), index[rec["week"]]] += float(rec["value"] or 0.0)
    y = np.zeros(len(mondays))
    for rec in outcome_rows:
        y[index[rec["week"]]] += float(rec["value"] or 0.0)

    notes = []
    empty = [c for i, c in enumerate(names) if not (matrix[i] > 0).any()]
    if empty:
        notes.append(f"Left out (no spend in the weeks fitted): {', '.join(empty)}.")
        keep = [i for i, c in enumerate(names) if c not in empty]
        names, matrix = [names[i] for i in keep], matrix[keep]
    if not names:
        return no_data(outcome, f"No channel has spend in the whole weeks{where}.")
    unconverted = _unconverted(ws, outcome, utc[0].start, utc[-1].end)
    if unconverted:
        notes.append(f"{unconverted} opportunit{'y' if unconverted == 1 else 'ies'} in a foreign currency with no fx "
                     f"rate left out of the {outcome} ({cfg.currency}); load fx_rates.")
    notes.append(f"Weeks {mondays[0]} to {mondays[-1] + timedelta(days=6)} (Monday to Sunday, {cfg.timezone}); "
                 f"outcome: {metric.description}")
    return WeeklyData(tuple(mondays), y, outcome, tuple(names), matrix, np.zeros((0, len(mondays))), (),
                      tuple(notes))


__all__ = ["OUTCOMES", "no_data", "spend_weeks", "week_periods", "week_starts", "weekly_frame"]
