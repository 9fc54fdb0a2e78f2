"""The history the reverse waterfall plans from (the Ibis part): per stage and key, the cohort that entered the
stage in the 12 months before as-of, how many of its *mature* members (entered at least the stage's p90
conversion time before as-of: right-censoring) reached the next stage, the median velocity, and the won money.
See :mod:`wanamaker.goals.waterfall` for the rules; this module only counts, in the engine."""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir

from wanamaker.config.options import choice_option, moment_option
from wanamaker.errors import UsageError
from wanamaker.funnel._source import ALL_KEY, Source
from wanamaker.funnel.api import all_and_key, data_window
from wanamaker.funnel.breakdowns import BREAKDOWNS
from wanamaker.funnel.conversion import steps
from wanamaker.funnel.stages import VISITOR, subject_stages, with_visitors
from wanamaker.funnel.touches import first_touch_times
from wanamaker.metrics.money import opportunity_money
from wanamaker.metrics.stages import stage_events

Level = Literal["person", "account"]
LEVELS: tuple[str, ...] = ("person", "account")
BY_KEYS: tuple[str, ...] = tuple(k for k in BREAKDOWNS if k != "cohort_month")
HISTORY_MONTHS = 12
MIN_MATURE_MONTHS = 3  # the mature cohort spans at least this much of the window
MATURITY_QUANTILE = 0.9  # the maturity lag: this quantile of days to the next stage among converters
MIN_MATURE = 30  # fewer mature subjects: the rate falls back to the whole cohort




@dataclass(frozen=True)
class StageHistory:
    """One stage of the history: ``entered`` the window's cohort, ``converted`` of them reached the next
    stage (None for the last stage), ``median_days`` to the next stage among converters. The rate comes
    from ``rate_entered``/``rate_converted`` (the mature cohort: entered at least ``lag_days`` before
    ``as_of``; None = the whole cohort)."""

    stage: str
    entered: int
    converted: int | None
    median_days: float | None
    rate_entered: int | None = None
    rate_converted: int | None = None
    lag_days: float | None = None

    @property
    def rate_counts(self) -> tuple[int, int]:
        """(entered, converted) of the cohort the rate comes from."""
        assert self.converted is not None
        if self.rate_entered is None or self.rate_converted is None:
            return self.entered, self.converted
        return self.rate_entered, self.rate_converted

    @property
    def has_rate(self) -> bool:
        return self.converted is not None and self.rate_counts[0] > 0

    def beta(self) -> tuple[float, float]:
        """The posterior's (alpha, beta) = (1 + converted, 1 + not converted) of the rate cohort."""
        n, k = self.rate_counts
        return 1.0 + k, 1.0 + n - k


@dataclass(frozen=True)
class KeyHistory:
    """The history of one breakdown key (``all`` for everyone)."""

    key: str
    stages: tuple[StageHistory, ...]

    @property
    def won_subjects(self) -> int:
        return self.stages[-1].entered


@dataclass(frozen=True)
class History:
    """Stage conversion, velocity and won money in ``[start, end)`` (naive UTC); ``keys[0]`` is ``all``.
    ``won_left_out`` counts won opportunities left out of ``won_amount`` for want of an exchange rate."""

    level: str
    stages: tuple[str, ...]
    by: str | None
    start: datetime
    end: datetime
    data_end: datetime
    keys: tuple[KeyHistory, ...]
    won_amount: float = 0.0
    won_left_out: int = 0
    timezone: str = "UTC"
    notes: tuple[str, ...] = ()

    @property
    def overall(self) -> KeyHistory:
        return self.keys[0]

    @property
    def average_won_amount(self) -> float | None:
        """Won money per won subject of the window (None without won subjects or won money)."""
        won = self.overall.won_subjects
        return self.won_amount / won if won and self.won_amount > 0 else None


def end_of_day(ts: datetime, tz: str) -> datetime:
    local = ts.replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).date()
    out = moment_option("--as-of", local, tz, end_of_day=True)
    assert out is not None
    return out


def _months_before(ts: datetime, months: int, tz: str) -> datetime:
    """``ts`` (naive UTC) minus whole calendar months in local time (31 March - 1 month = 28/29 February)."""
    local = ts.replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).replace(tzinfo=None)
    year, month = divmod(local.year * 12 + local.month - 1 - months, 12)
    day = min(local.day, calendar.monthrange(year, month + 1)[1])
    back = local.replace(year=year, month=month + 1, day=day, tzinfo=ZoneInfo(tz))
    return back.astimezone(UTC).replace(tzinfo=None)


def level_events(ws: Source, level: str, stages: list[str], before: datetime) -> ir.Table:
    """Stage events of ``level`` before ``before``; a ``visitor`` stage with no visitor events is derived
    from each subject's first touch (an account's: its people's earliest)."""
    every = stage_events(ws, level)
    events = every.filter(every.ts < ibis.literal(before, type="timestamp"))
    if VISITOR not in stages:
        return events
    visits = every.filter(every.stage == VISITOR)
    if int(visits.limit(1).count().to_pyarrow().as_py()) > 0:
        return events
    firsts = first_touch_times(ws)
    if level == "account":
        people = ws.table("people").select("person_id", "account_id")
        joined = firsts.join(people, firsts.person_id == people.person_id)
        joined = joined.filter(joined.account_id.notnull())
        firsts = joined.group_by(joined.account_id).aggregate(ts=joined.ts.min()).rename(person_id="account_id")
    firsts = firsts.filter(firsts.ts < ibis.literal(before, type="timestamp"))
    return with_visitors(events, firsts).mutate(subject_type=ibis.literal(level, type="string"))


def check_by(by: str | None) -> None:
    if by is not None and by not in BY_KEYS:
        raise UsageError(f"--by '{by}' is not a waterfall breakdown.", fix=f"Use --by with one of: {', '.join(BY_KEYS)}.")


def history(ws: Source, *, level: str = "person", as_of: datetime | None = None, by: str | None = None) -> History:
    """The 12 months of history before ``as_of`` (naive UTC, exclusive; default: the end of the day of the
    last stage event) that the waterfall plans from: per key and stage, the cohort, converters and median
    velocity, and the won money."""
    choice_option("--level", level, LEVELS)
    check_by(by)
    cfg = ws.config
    stages = list(cfg.funnel.stages)
    _, last = data_window(stage_events(ws, level))
    end = as_of or end_of_day(last, cfg.timezone)
    start = _months_before(end, HISTORY_MONTHS, cfg.timezone)
    wide = subject_stages(level_events(ws, level, stages, end), stages, level)
    st = steps(all_and_key(ws, wide, by, level, []), len(stages))
    st = st.filter(st.at >= ibis.literal(start, type="timestamp"))
    agg = st.group_by(["key", "stage_idx"]).aggregate(
        entered=st.count(), converted=st.next_ok.sum(), median_days=st.days_to_next.quantile(0.5),
        lag_days=st.days_to_next.quantile(MATURITY_QUANTILE))
    counts: dict[str, dict[int, dict[str, Any]]] = {}
    for rec in agg.to_pyarrow().to_pylist():
        counts.setdefault(str(rec["key"]), {})[int(rec["stage_idx"])] = rec
    lags = _maturity_lags(counts.get(ALL_KEY, {}), len(stages) - 1, start, end, cfg.timezone)
    mature = _mature_counts(st, lags, end)
    keys = sorted(set(counts) | {ALL_KEY}, key=lambda k: (k != ALL_KEY, k))
    out: list[KeyHistory] = []
    notes: list[str] = []
    for key in keys:
        per = counts.get(key, {})
        rows = []
        for i, stage in enumerate(stages):
            rec = per.get(i, {})
            median = _clean_float(rec.get("median_days"))
            entered = int(rec.get("entered") or 0)
            if i == len(stages) - 1:
                rows.append(StageHistory(stage, entered, None, None))
                continue
            converted = int(rec.get("converted") or 0)
            m_in, m_conv = mature.get((key, i), (0, 0))
            if m_in < MIN_MATURE and entered > m_in:  # too few mature subjects: the whole cohort, biased low
                where = "" if by is None else f" ({by} {key})"
                notes.append(f"{stage}{where}: only {m_in} of {entered} subjects entered at least the maturity lag "
                             f"({lags[i]:.0f} days) before the as-of date, so its rate uses the whole cohort and may "
                             "lean low (recent entries have not had time to convert).")
                m_in, m_conv = entered, converted
            rows.append(StageHistory(stage, entered, converted, median, m_in, m_conv, lags[i]))
        out.append(KeyHistory(key, tuple(rows)))
    amount, left_out = _won_money(ws, start, end)
    return History(level, tuple(stages), by, start, end, last, tuple(out), amount, left_out, cfg.timezone,
                   tuple(notes))


def _clean_float(value: Any) -> float | None:
    return None if value is None or math.isnan(float(value)) else float(value)


def _maturity_lags(overall: dict[int, dict[str, Any]], n: int, start: datetime, end: datetime, tz: str) -> list[float]:
    """Each stage's maturity lag in days: the 90th percentile of days to the next stage among the window's
    converters (0 without any), capped so ``[start, end - lag)`` spans at least ``MIN_MATURE_MONTHS``."""
    cap = (end - _months_before(end, HISTORY_MONTHS - MIN_MATURE_MONTHS, tz)).total_seconds() / 86_400
    out = []
    for i in range(n):
        lag = _clean_float(overall.get(i, {}).get("lag_days"))
        out.append(min(max(lag or 0.0, 0.0), cap))
    return out


def _mature_counts(st: ir.Table, lags: list[float], end: datetime) -> dict[tuple[str, int], tuple[int, int]]:
    """Per (key, stage index): the mature cohort (entered at least the stage's lag before ``end``) and its
    converters, counted in the engine."""
    if not lags:
        return {}
    cond = None
    for i, lag in enumerate(lags):
        cutoff = ibis.literal(end - timedelta(seconds=round(lag * 86_400)), type="timestamp")
        term = (st.stage_idx == i) & (st.at < cutoff)
        cond = term if cond is None else cond | term
    assert cond is not None
    ripe = st.filter(cond)
    agg = ripe.group_by(["key", "stage_idx"]).aggregate(entered=ripe.count(), converted=ripe.next_ok.sum())
    return {(str(r["key"]), int(r["stage_idx"])): (int(r["entered"] or 0), int(r["converted"] or 0))
            for r in agg.to_pyarrow().to_pylist()}


def _won_money(ws: Source, start: datetime, end: datetime) -> tuple[float, int]:
    """Won money of the opportunities won (``closed_at``) in ``[start, end)``, and how many of them were left
    out for want of an exchange rate."""
    money = opportunity_money(ws, ws.config.currency)
    won = money.filter((money.status == "won") & (money.closed_at >= ibis.literal(start, type="timestamp"))
                       & (money.closed_at < ibis.literal(end, type="timestamp")))
    rec = won.aggregate(amount=won.won_amount.sum(), left_out=won.won_unconverted.ifelse(1, 0).sum())
    row = rec.to_pyarrow().to_pylist()[0]
    return float(row["amount"] or 0.0), int(row["left_out"] or 0)
