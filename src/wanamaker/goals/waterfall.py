"""The reverse demand waterfall from the workspace's own history (DESIGN "Definitions we use", reverse
waterfall; "Goals and plan checks", Waterfall; docs/waterfall.md).

*won deals needed* = ``won``, or revenue x share / average won amount per won subject; each earlier stage
needs *next stage needed / conversion rate (this stage -> next)*; a stage must start by the need-by date
minus the median stage velocities from it down to won.

Data it expects: ``stage_events`` (and ``touchpoints`` for a derived ``visitor`` stage) and, for
``--revenue``, won ``opportunities``. The history is the 12 months before ``as_of``:

- **Cohort**: the subjects whose first entry into stage *s* falls in the window; **converted**: those of
  them that entered the next stage by ``as_of``. Entries follow the funnel's rules
  (:mod:`wanamaker.funnel.stages`): a subject that **skips a stage** (enters ``sql`` without ``sal``) has
  passed it -- it counts in the ``sal`` cohort, entered at its ``sql`` time, and as converted -- so the
  stage rates multiply to the true multi-stage rate. Nothing after ``as_of`` is seen.
- **Maturity** (against right-censoring): a subject that entered a stage in the last weeks before ``as_of``
  has not had time to convert, and counting it as not converted biases every rate low. So a stage's *rate*
  counts only the **mature** cohort: the subjects whose entry is at least the stage's maturity lag before
  ``as_of``. The lag is the 90th percentile of days to the next stage among the window's converters of the
  stage (overall, the same lag for every ``--by`` key), capped so the mature cohort still spans at least
  3 months of the window. If fewer than 30 mature subjects remain (and the whole cohort is larger), the rate
  falls back to the whole cohort, with a note. ``entered``/``converted`` keep the whole cohort (they split
  targets and volumes over keys); ``rate_entered``/``rate_converted`` are the counts behind the rate.
- **Rates** are Beta(1 + converted, 1 + not converted) posteriors of the rate cohort (a uniform prior):
  ``rate`` its mean, ``rate_low``/``rate_high`` its 5 % and 95 % quantiles. ``needed`` uses the means.
  ``needed_p80``/``needed_p90`` are posterior-predictive: the smallest whole number N of entries whose chance
  of giving at least the won target (rounded up to whole subjects) is 80 % / 90 %, where for each of 10,000
  posterior draws the won deals that N entries give are Binomial(N, product of the drawn rates) -- so they
  cover both the rate uncertainty and the binomial luck of a quarter (a fixed seed: deterministic output).
  Forward intervals and the plan probability draw the same beta-binomial chain.
- **Velocity**: median days (linear interpolation) from entering a stage to entering the next, among the
  window's converters whose two entries are both observed (as ``wanamaker funnel --show velocity``).
- **Average won amount** per won subject = won money (:func:`wanamaker.metrics.money.opportunity_money`: won
  opportunities by ``closed_at`` in the window, in the workspace currency) / the subjects of the level whose
  first entry into the last stage (won) falls in the window -- the subjects the waterfall counts, so an
  opportunity needs no ``person_id`` for a person-level plan.

Counting runs in the engine (Ibis, the same on DuckDB, PostgreSQL and Spark); only one aggregate row per
key and stage comes out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import ibis
import numpy as np
from scipy import stats

from wanamaker.config.options import choice_option, int_option
from wanamaker.errors import DataError, UsageError
from wanamaker.funnel._source import ALL_KEY, Source
from wanamaker.funnel.api import data_window
from wanamaker.funnel.stages import subject_stages
from wanamaker.goals.history import LEVELS, History, KeyHistory, check_by, end_of_day, level_events
from wanamaker.goals.history import history as history  # re-exported: the waterfall's own entry point
from wanamaker.metrics.periods import Period, parse_label, period_of, periods_between
from wanamaker.metrics.stages import stage_events

DRAWS = 10_000
SEED = 20_260_101
REVENUE = "revenue"


# ---------------------------------------------------------------- posterior arithmetic (numpy / scipy)


def rate_interval(entered: int, converted: int) -> tuple[float, float, float]:
    """Posterior mean, 5 % and 95 % quantiles of Beta(1 + converted, 1 + entered - converted).

    >>> [round(x, 4) for x in rate_interval(8, 2)]
    [0.3, 0.0977, 0.5496]
    """
    a, b = 1.0 + converted, 1.0 + entered - converted
    return a / (a + b), float(stats.beta.ppf(0.05, a, b)), float(stats.beta.ppf(0.95, a, b))


def _rate_draws(kh: KeyHistory, rng: np.random.Generator) -> list[np.ndarray[Any, np.dtype[np.float64]] | None]:
    """Posterior draws of each stage's rate to the next (None where the stage has no history)."""
    return [rng.beta(*s.beta(), size=DRAWS) if s.has_rate else None for s in kh.stages[:-1]]


def _pct(values: np.ndarray[Any, Any], q: float) -> float:
    return float(np.percentile(values, q))


@dataclass(frozen=True)
class _Need:
    mean: float | None
    quantiles: dict[float, float] = field(default_factory=dict)


def predictive_volume(chain: np.ndarray[Any, Any], won: float, q: float) -> float:
    """The smallest whole number N of entries whose chance of giving at least ``won`` (rounded up) subjects
    in the last stage is ``q`` %: the chance is the mean over the posterior draws ``chain`` (the product of
    the drawn rates from the stage to the last) of P(Binomial(N, chain) >= won).

    >>> predictive_volume(np.array([0.5]), 1, 75.0)
    2.0
    """
    k = math.ceil(won - 1e-9)
    if k <= 0:
        return 0.0
    goal = q / 100.0

    def chance(n: int) -> float:
        return float(np.mean(stats.binom.sf(k - 1, n, chain)))

    lo, hi = k - 1, max(k, 1)  # chance(lo) = 0 < goal
    while chance(hi) < goal and hi < 2**60:
        lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if chance(mid) >= goal else (mid, hi)
    return float(hi)


def _needs(kh: KeyHistory, won: float, qs: tuple[float, ...]) -> list[_Need]:
    """Needed volume of each stage for ``won`` subjects in the last stage: the posterior-mean chain, and
    posterior-predictive quantiles (:func:`predictive_volume`: rate draws plus binomial noise). None from
    the first stage (going back) without history."""
    draws = _rate_draws(kh, np.random.default_rng(SEED))
    mean: float | None = won
    chain: np.ndarray[Any, Any] | None = np.ones(DRAWS)
    out = [_Need(won, {q: won for q in qs})]
    for i in reversed(range(len(kh.stages) - 1)):
        s, d = kh.stages[i], draws[i]
        if mean is None or chain is None or d is None:
            mean, chain = None, None
            out.append(_Need(None))
            continue
        a, b = s.beta()
        mean = mean / (a / (a + b))
        chain = chain * d
        out.append(_Need(mean, {q: predictive_volume(chain, won, q) for q in qs}))
    return out[::-1]


def _push(kh: KeyHistory, first: int, volume: float, rng: np.random.Generator
          ) -> list[tuple[float, np.ndarray[Any, Any]] | None]:
    """``volume`` subjects in stage ``first`` pushed forward: per later stage, (expected, draws of the
    volume), None from the first stage without history. Draws are a beta-binomial chain (the starting
    volume rounded to a whole number)."""
    draws = _rate_draws(kh, rng)
    expected: float | None = volume
    vol: np.ndarray[Any, Any] | None = np.full(DRAWS, round(volume), dtype=np.int64)
    out: list[tuple[float, np.ndarray[Any, Any]] | None] = []
    for j in range(first, len(kh.stages) - 1):
        d = draws[j]
        if expected is None or vol is None or d is None:
            expected, vol = None, None
            out.append(None)
            continue
        a, b = kh.stages[j].beta()
        expected *= a / (a + b)
        vol = rng.binomial(vol, d)
        out.append((expected, vol))
    return out


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class BackwardRow:
    """How many subjects must enter ``stage``, its rate to the next stage and when it must start."""

    key: str | None
    stage: str
    needed: float | None
    needed_p80: float | None
    needed_p90: float | None
    rate: float | None
    rate_low: float | None
    rate_high: float | None
    start_by: date | None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {} if self.key is None else {"key": self.key}
        out.update(stage=self.stage, needed=self.needed, needed_p80=self.needed_p80, needed_p90=self.needed_p90,
                   rate=self.rate, rate_low=self.rate_low, rate_high=self.rate_high,
                   start_by=None if self.start_by is None else self.start_by.isoformat())
        return out


@dataclass(frozen=True)
class ForwardRow:
    """What a volume in an earlier stage is expected to give in ``stage`` (or ``revenue``), with a 90 %
    interval."""

    key: str | None
    stage: str
    expected: float | None
    low: float | None
    high: float | None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {} if self.key is None else {"key": self.key}
        out.update(stage=self.stage, expected=self.expected, low=self.low, high=self.high)
        return out


@dataclass(frozen=True)
class WaterfallResult:
    """``rows`` (backward or forward), the plan's ``probability`` (or None), ``notes`` and the parameters."""

    rows: tuple[BackwardRow, ...] | tuple[ForwardRow, ...]
    probability: float | None
    notes: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """What ``--format json`` prints: ``{"rows": [...], "probability": P or null}``."""
        return {"rows": [r.as_dict() for r in self.rows], "probability": self.probability}

    def table_rows(self) -> list[dict[str, Any]]:
        """Rows for people: rates as percentages, volumes rounded up to whole subjects."""
        out = []
        for row in self.rows:
            d = row.as_dict()
            for name in ("rate", "rate_low", "rate_high"):
                if name in d and d[name] is not None:
                    d[name] = f"{d[name]:.1%}"
            for name in ("needed", "needed_p80", "needed_p90", "expected", "low", "high"):
                if d.get(name) is not None and d.get("stage") != REVENUE:
                    d[name] = math.ceil(d[name] - 1e-9) if name.startswith("needed") else round(d[name], 1)
            out.append(d)
        return out


# ---------------------------------------------------------------- backward, forward, probability


def _no_history_note(kh: KeyHistory, stage: str, hist: History) -> str:
    where = "" if hist.by is None else f" ({hist.by} {kh.key})"
    return (f"{stage}{where}: no subject entered it in the history window {hist.start:%Y-%m-%d}..{hist.end:%Y-%m-%d}, "
            "so its rate is unknown; needed is null for it and the stages before it.")


def _key_targets(hist: History, won: float | None, revenue: float | None, share: float) -> list[tuple[KeyHistory, float]]:
    """The won subjects each key must bring: the overall target split over keys by their share of the
    history's won subjects (for ``revenue`` this equals splitting the money by each key's share of won money
    and dividing by the key's own average won amount)."""
    overall = hist.overall
    if revenue is not None:
        avg = hist.average_won_amount
        if avg is None:
            raise DataError(
                f"No won money or no won {hist.level} in {hist.start:%Y-%m-%d}..{hist.end:%Y-%m-%d}, so the "
                "average won amount --revenue divides by is unknown.",
                fix="Load won opportunities (and won stage events), or plan with --won N.")
        total = revenue * share / avg
    else:
        assert won is not None
        total = won
    out = [(overall, total)]
    for kh in hist.keys[1:]:
        part = kh.won_subjects / overall.won_subjects if overall.won_subjects else 0.0
        out.append((kh, total * part))
    return out


def backward(hist: History, *, need_by: date, won: float | None = None, revenue: float | None = None,
             share: float = 1.0, stage_targets: dict[str, float] | None = None,
             revenue_target: float | None = None) -> WaterfallResult:
    """Walk back from ``won`` won subjects (or ``revenue`` x ``share`` / average won amount) to every stage."""
    if (won is None) == (revenue is None):
        raise UsageError("Give exactly one of --won and --revenue.", fix="Add --won N or --revenue AMOUNT.")
    notes: list[str] = list(hist.notes)
    rows: list[BackwardRow] = []
    for kh, target in _key_targets(hist, won, revenue, share):
        needs = _needs(kh, target, (80.0, 90.0))
        cum: float | None = 0.0
        starts: list[date | None] = []
        for i in reversed(range(len(kh.stages))):
            if i < len(kh.stages) - 1:
                days = kh.stages[i].median_days
                cum = None if cum is None or days is None else cum + days
            starts.append(None if cum is None else need_by - timedelta(days=math.ceil(cum - 1e-9)))
        starts.reverse()
        slow = [s.stage for s in kh.stages if s.has_rate and s.median_days is None]
        if slow:  # the one nearest won: start_by is unknown from it back
            where = "" if hist.by is None else f" ({hist.by} {kh.key})"
            notes.append(f"{slow[-1]}{where}: no converter with both stage entries observed, so its velocity and "
                         "the start_by of it and the stages before it are unknown.")
        for i, s in enumerate(kh.stages):
            rate: tuple[float | None, ...] = (None, None, None)
            if s.has_rate:
                rate = rate_interval(*s.rate_counts)
            if s.converted is not None and not s.has_rate:
                notes.append(_no_history_note(kh, s.stage, hist))
            n = needs[i]
            rows.append(BackwardRow(
                None if hist.by is None else kh.key, s.stage, n.mean, n.quantiles.get(80.0), n.quantiles.get(90.0),
                rate[0], rate[1], rate[2], starts[i] if n.mean is not None else None))
    as_of_day = hist.end.replace(tzinfo=UTC).astimezone(ZoneInfo(hist.timezone)).date() - timedelta(days=1)
    late = [r.stage for r in rows if r.key in (None, ALL_KEY) and r.start_by is not None and r.start_by < as_of_day]
    if late:
        notes.append(f"{', '.join(late)} should have started before the as-of date {as_of_day}: the target "
                     "needs their volume sooner than the usual stage velocities allow.")
    if hist.won_left_out:
        notes.append(f"{hist.won_left_out} won opportunities in the window have no exchange rate for their day "
                     "and are left out of the average won amount (see wanamaker check).")
    probability = plan_probability(hist, stage_targets or {}, revenue_target, share)
    return WaterfallResult(tuple(rows), probability, tuple(notes), _params(hist, need_by=need_by.isoformat()))


def forward(hist: History, *, stage: str, volume: float) -> WaterfallResult:
    """Push ``volume`` subjects entering ``stage`` forward: each later stage's expected volume and 90 %
    interval, and a ``revenue`` row (the last stage x the average won amount). With ``by``, the volume is
    split over keys by their share of the history's entries into ``stage`` (each key's revenue row uses the
    overall average won amount)."""
    if stage not in hist.stages[:-1]:
        raise UsageError(f"Forward mode starts from a stage before {hist.stages[-1]}, not '{stage}'.",
                         fix=f"Use one of: {', '.join('--' + s for s in hist.stages[:-1])}.")
    first = hist.stages.index(stage)
    overall_in = hist.overall.stages[first].entered
    notes: list[str] = list(hist.notes)
    rows: list[ForwardRow] = []
    for kh in hist.keys:
        part = 1.0 if kh.key == ALL_KEY else (kh.stages[first].entered / overall_in if overall_in else 0.0)
        key = None if hist.by is None else kh.key
        pushed = _push(kh, first, volume * part, np.random.default_rng(SEED))
        for j, got in enumerate(pushed, start=first + 1):
            if got is None and (j == first + 1 or pushed[j - first - 2] is not None):  # the first unknown rate
                notes.append(_no_history_note(kh, kh.stages[j - 1].stage, hist))
            rows.append(ForwardRow(key, kh.stages[j].stage, *(
                (got[0], _pct(got[1], 5), _pct(got[1], 95)) if got else (None, None, None))))
        avg, last = hist.average_won_amount, pushed[-1]
        if avg is None or last is None:
            if avg is None:
                notes.append("No won money in the history window: the revenue row is null.")
            rows.append(ForwardRow(key, REVENUE, None, None, None))
        else:
            rows.append(ForwardRow(key, REVENUE, last[0] * avg, _pct(last[1], 5) * avg, _pct(last[1], 95) * avg))
    return WaterfallResult(tuple(rows), None, tuple(dict.fromkeys(notes)), _params(hist, start_stage=stage))


def plan_probability(history: History, stage_targets: dict[str, float], revenue_target: float | None,
                     share: float) -> float | None:
    """The probability, over posterior draws (with binomial noise), that the plan's earliest stage target,
    pushed forward through the rates and times the average won amount, reaches ``revenue_target`` x
    ``share``. None without a revenue target, stage targets, won money or history for a stage on the way."""
    if revenue_target is None or not stage_targets:
        return None
    unknown = sorted(set(stage_targets) - set(history.stages))
    if unknown:
        raise UsageError(f"Plan targets name stages that are not funnel stages: {', '.join(unknown)}.",
                         fix=f"Use stages from funnel.stages: {', '.join(history.stages)}.")
    kh = history.overall
    avg = history.average_won_amount
    first = min(history.stages.index(s) for s in stage_targets)
    if avg is None:
        return None
    goal = revenue_target * share
    volume = stage_targets[history.stages[first]]
    if first == len(history.stages) - 1:
        return float(volume * avg >= goal)
    last = _push(kh, first, volume, np.random.default_rng(SEED))[-1]
    return None if last is None else float(np.mean(last[1] * avg >= goal))


def _params(hist: History, **extra: Any) -> dict[str, Any]:
    return {"level": hist.level, "by": hist.by, "history_from": hist.start.isoformat(),
            "history_to": hist.end.isoformat(), "average_won_amount": hist.average_won_amount, **extra}


# ---------------------------------------------------------------- the entry point


def check_request(*, revenue: float | None = None, won: float | None = None, start: tuple[str, float] | None = None,
                  share: float = 1.0, in_label: str | None = None, level: str = "person", by: str | None = None) -> None:
    """Every check that needs no workspace (the CLI runs it before opening one)."""
    modes = [name for name, v in (("--revenue", revenue), ("--won", won), ("a forward stage", start)) if v is not None]
    if len(modes) != 1:
        raise UsageError(
            "Give exactly one of --revenue, --won or a forward stage volume (--lead N, --mql N ...)"
            + (f"; got {' and '.join(modes)}." if modes else "."),
            fix="Plan backward with --won N or --revenue AMOUNT, or forward with one stage option such as --lead 1000.")
    for name, value in (("--revenue", revenue), ("--won", won), (f"--{start[0]}" if start else "", start and start[1])):
        if value is not None and not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
            raise UsageError(f"{name} {value} is not a non-negative number.", fix=f"Give {name} a number of 0 or more.")
    if not (math.isfinite(share) and 0.0 <= share <= 1.0):
        raise UsageError(f"--share {share} is outside 0..1.", fix="Give marketing's share as a fraction, e.g. --share 0.6.")
    if start is not None and in_label is not None:
        raise UsageError("Forward mode takes no --in: it says what a volume gives, not when.",
                         fix="Drop --in, or plan backward with --won / --revenue.")
    if revenue is None and share != 1.0:
        raise UsageError("--share applies to --revenue (won deals = revenue x share / average won amount).",
                         fix="Drop --share, or plan with --revenue AMOUNT --share S.")
    choice_option("--level", level, LEVELS)
    check_by(by)


def target_period(ws: Source, in_label: str | None, data_end: datetime) -> Period:
    """The period ``--in`` names, or the fiscal quarter after the one holding ``data_end``."""
    cfg = ws.config
    if in_label is not None:
        return parse_in(ws, in_label)
    return period_of("quarter", period_of("quarter", data_end, cfg.timezone, cfg.fiscal_year_start).end,
                     cfg.timezone, cfg.fiscal_year_start)


def parse_in(ws: Source, in_label: str) -> Period:
    """``--in LABEL`` in the workspace's time zone and fiscal year; a bad label is a usage error."""
    try:
        return parse_label(in_label, ws.config.timezone, ws.config.fiscal_year_start)
    except ValueError as exc:
        raise UsageError(f"--in {exc}.", fix="Name the target period, e.g. --in FY2026-Q3 or --in 2026-09.") from None


def need_by_date(period: Period, tz: str) -> date:
    """The last local day of ``period``."""
    return period.end.replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).date() - timedelta(days=1)


def waterfall(ws: Source, *, revenue: float | None = None, won: float | None = None,
              start: tuple[str, float] | None = None, in_label: str | None = None, share: float = 1.0,
              by: str | None = None, level: str = "person", as_of: datetime | None = None,
              stage_targets: dict[str, float] | None = None, revenue_target: float | None = None) -> WaterfallResult:
    """The reverse waterfall of ``ws``: backward from ``won`` or ``revenue`` (x ``share``) to be reached in
    the period ``in_label``, or forward from ``start`` = (stage, volume). ``stage_targets`` and
    ``revenue_target`` (from the plan) give the plan's probability of success.

    Rates come from the 12 months before ``as_of`` (naive UTC; default: the end of the data).
    """
    check_request(revenue=revenue, won=won, start=start, share=share, in_label=in_label, level=level, by=by)
    cfg = ws.config
    chosen = None if in_label is None else parse_in(ws, in_label)  # a bad label fails before any query
    hist = history(ws, level=level, as_of=as_of, by=by)
    if start is not None:
        return forward(hist, stage=start[0], volume=float(start[1]))
    period = chosen or target_period(ws, None, hist.data_end)
    result = backward(hist, need_by=need_by_date(period, cfg.timezone), won=won, revenue=revenue, share=share,
                      stage_targets=stage_targets, revenue_target=revenue_target)
    return WaterfallResult(result.rows, result.probability, result.notes, {**result.params, "in": period.label})


# ---------------------------------------------------------------- calibration backtest


@dataclass(frozen=True)
class BacktestRow:
    """How often the 80 % central predictive interval (the volumes with a 10 % and a 90 % chance of giving
    the won target, :func:`predictive_volume`) of a stage's needed volume held the volume that actually entered the stage in the quarter; ``actual_over_needed``
    is the median ratio of the actual volume to ``needed``."""

    stage: str
    quarters: int
    covered: int
    coverage: float | None
    actual_over_needed: float | None


def _actual_entries(ws: Source, level: str, stages: list[str], q: Period) -> list[int]:
    """Subjects entering each stage in ``q`` (first entries; a skipped stage at the next stage's time)."""
    wide = subject_stages(level_events(ws, level, stages, q.end), stages, level)
    lo = ibis.literal(q.start, type="timestamp")
    agg = wide.aggregate(**{f"n{i}": wide[f"at_{i}"].count(where=wide[f"at_{i}"] >= lo) for i in range(len(stages))})
    rec = agg.to_pyarrow().to_pylist()[0]
    return [int(rec[f"n{i}"] or 0) for i in range(len(stages))]


def backtest(ws: Source, *, level: str = "person", quarters: int = 4) -> list[BacktestRow]:
    """Plan each of the last ``quarters`` complete fiscal quarters from the 12 months before it, with the
    quarter's actual won subjects as the target, and score each stage's 80 % interval against the volume
    that actually entered it in the quarter."""
    choice_option("--level", level, LEVELS)
    int_option("--quarters", quarters, maximum=40)
    cfg = ws.config
    stages = list(cfg.funnel.stages)
    lo, hi = data_window(stage_events(ws, level))
    data_end = end_of_day(hi, cfg.timezone)
    qs = [q for q in periods_between("quarter", lo, hi, cfg.timezone, cfg.fiscal_year_start) if q.end <= data_end]
    tally: dict[str, list[tuple[bool, float | None]]] = {s: [] for s in stages[:-1]}
    for q in qs[-quarters:]:
        actual = _actual_entries(ws, level, stages, q)
        needs = _needs(history(ws, level=level, as_of=q.start).overall, float(actual[-1]), (10.0, 90.0))
        for i, stage in enumerate(stages[:-1]):
            n = needs[i]
            if n.mean is None:
                continue
            inside = n.quantiles[10.0] - 1e-9 <= actual[i] <= n.quantiles[90.0] + 1e-9
            tally[stage].append((inside, actual[i] / n.mean if n.mean > 0 else None))
    out = []
    for stage, marks in tally.items():
        ratios = [r for _, r in marks if r is not None]
        covered = sum(1 for ok, _ in marks if ok)
        out.append(BacktestRow(stage, len(marks), covered, covered / len(marks) if marks else None,
                               float(np.median(ratios)) if ratios else None))
    return out
