"""``wanamaker waste``: which half of the spend is wasted (DESIGN "Experiments and mix modelling"; docs/waste.md).

For the window (``--in LABEL``; default the last complete fiscal year, as ``wanamaker economics``), per channel or
campaign:

- **spend**: the ``spend`` table dated in the window (workspace currency);
- **incremental_value**: expected won revenue caused by the key = its incremental pipeline at the ``opportunity``
  milestone x the window's value win rate (won amount / closed amount of the deals closed in it). The incremental
  pipeline comes, in this order of evidence, from
  1. a lift test at the milestone (``source: lift test``): the ``calibrated`` credit with the test's interval;
  2. the marketing-mix model (``source: mix model``) for a channel with spend and no test, when it fits
     plausibly (a baseline, the outcome with no spend, that is not negative): its contribution and ROI interval, on
     weekly pipeline;
  3. otherwise the ``calibrated`` credit, which for an untested channel is attribution's (``source: attribution``):
     not causal, so it carries no interval and is never called working or wasted;
- **roi** = incremental_value / spend, with ``roi_low`` / ``roi_high`` from the interval;
- **verdict** against break-even ``1 / economics.gross_margin`` (revenue must pay for the spend out of its margin):
  ``wasted`` when ``roi_high`` is below it, ``working`` when ``roi_low`` is above it, ``unproven`` otherwise, with
  a recommendation: the holdout test, at the milestone, that would decide (units per arm for a one-sided 5 %
  test with 80 % power to tell the estimated incremental rate from the break-even one).

Campaign rows take their channel's evidence: a campaign's interval is its channel's, relative to the estimate.
Rows with no spend are left out (nothing to waste); the ``all`` row sums each verdict's spend.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import ibis

from wanamaker.config.options import choice_option
from wanamaker.funnel._source import ALL_KEY

if TYPE_CHECKING:
    from wanamaker.metrics.periods import Period
    from wanamaker.workspace import Workspace

MILESTONE = "opportunity"
Z_ALPHA, Z_POWER = 1.6448536269514722, 0.8416212335729143  # one-sided 5 %, 80 % power
BY = ("channel", "campaign")


@dataclass(frozen=True)
class WasteRow:
    key: str
    spend: float
    incremental_value: float | None
    roi: float | None
    roi_low: float | None
    roi_high: float | None
    verdict: str
    source: str | None = None
    channel: str | None = None
    recommendation: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class WasteResult:
    rows: tuple[WasteRow, ...]
    totals: dict[str, float]
    window: str | None
    breakeven: float
    notes: tuple[str, ...] = ()

    def as_json(self) -> list[dict[str, Any]]:
        return [r.as_dict() for r in self.rows]

    def get(self, key: str) -> WasteRow:
        return next(r for r in self.rows if r.key == key)


def verdict(low: float | None, high: float | None, breakeven: float) -> str:
    """``wasted`` / ``working`` / ``unproven`` (module docstring).

    >>> verdict(0.1, 0.9, 1.25), verdict(1.5, 3.0, 1.25), verdict(0.5, 2.0, 1.25), verdict(None, None, 1.25)
    ('wasted', 'working', 'unproven', 'unproven')
    """
    if low is None or high is None:
        return "unproven"
    if high < breakeven:
        return "wasted"
    if low > breakeven:
        return "working"
    return "unproven"


def win_rate(ws: Workspace, period: Period) -> float | None:
    """Won amount / closed (won + lost) amount of the deals closed in ``period``."""
    from wanamaker.metrics.money import opportunity_money

    o = opportunity_money(ws, ws.config.currency)
    o = o.filter((o.closed_at >= ibis.literal(period.start, type="timestamp"))
                 & (o.closed_at < ibis.literal(period.end, type="timestamp")) & o.status.isin(["won", "lost"]))
    r = o.aggregate(won=ibis.ifelse(o.status == "won", o.pipeline_amount, 0.0).sum(),
                    closed=o.pipeline_amount.sum()).to_pyarrow().to_pylist()[0]
    return float(r["won"]) / float(r["closed"]) if r["closed"] else None


def units_per_arm(p: float, delta: float) -> int | None:
    """Units per arm of a holdout test telling two rates ``delta`` apart around ``p`` (one-sided 5 %, 80 % power).

    >>> units_per_arm(0.05, 0.01)
    5874
    """
    if delta <= 0 or not 0 < p < 1:
        return None
    return math.ceil((Z_ALPHA + Z_POWER) ** 2 * 2 * p * (1 - p) / delta ** 2)


def waste(ws: Workspace, *, by: str = "channel", in_label: str | None = None, replicates: int = 200,
          seed: int = 0) -> WasteResult:
    """Spend, incremental value, ROI with interval and a verdict per channel or campaign (module docstring)."""
    from wanamaker.attribution.api import attribute
    from wanamaker.economics.unit_economics import spend_by, window
    from wanamaker.triangulate.calibrated import incremental_fractions

    choice_option("--by", by, BY)
    breakeven = 1.0 / ws.config.economics.gross_margin
    period = window(ws, in_label)
    if period is None:
        return WasteResult((), {}, None, breakeven, ("No won deals and no spend: nothing to judge.",))
    notes: list[str] = []
    spend = {k: v for k, v in spend_by(ws, period, by).items() if v > 0}
    wr = win_rate(ws, period)
    if wr is None:
        notes.append(f"No deals closed in {period.label}: the win rate is unknown, so is the value.")
        wr = 0.0
    opts: dict[str, Any] = dict(milestone=MILESTONE, value="pipeline", date_from=period.start, date_to=period.end, persist=False)
    by_channel = attribute(ws, model="calibrated", by="channel", ci=True, replicates=replicates, seed=seed, **opts)
    notes += [n for n in by_channel.notes if n.startswith("calibrated")]
    rhos, _ = incremental_fractions(ws, MILESTONE)
    ch_rows = {r.key: r for r in by_channel.rows}
    rel: dict[str, tuple[float, float] | None] = {}
    for name, r in ch_rows.items():
        if name in rhos and r.value > 0 and r.ci_low is not None and r.ci_high is not None:
            rel[name] = (r.ci_low / r.value, r.ci_high / r.value)
        elif name in rhos and r.ci_low is not None and r.ci_high is not None:
            rel[name] = None
    if by == "channel":
        values = {k: r.value for k, r in ch_rows.items()}
        channel_of = {k: k for k in values}
    else:
        by_campaign = attribute(ws, model="calibrated", by="campaign", **opts)
        values = {r.key: r.value for r in by_campaign.rows}
        channel_of = _campaign_channels(ws)
    mmm = _mix_model(ws, period, set(ch_rows) - set(rhos), notes)
    p_unit = _unit_rate(ws, period)
    rows: list[WasteRow] = []
    for key, cost in sorted(spend.items(), key=lambda kv: -kv[1]):
        ch: str | None = channel_of.get(key)
        value = values.get(key, 0.0) * wr
        low: float | None = None
        high: float | None = None
        source = "attribution"
        if ch is not None and ch in rhos:
            source = "lift test"
            bounds = rel.get(ch)
            if bounds is not None:
                low, high = value * bounds[0], value * bounds[1]
            elif ch in ch_rows and ch_rows[ch].ci_high is not None:  # a tested channel credited nothing
                share = cost / max(sum(v for k, v in spend.items() if channel_of.get(k) == ch), 1e-12)
                low, high = 0.0, float(ch_rows[ch].ci_high or 0.0) * wr * share
        elif ch is not None and ch in mmm and by == "channel":
            source = "mix model"
            contribution, c_low, c_high = mmm[ch]
            value, low, high = contribution * wr, c_low * wr, c_high * wr
        roi = value / cost
        roi_low, roi_high = (low / cost, high / cost) if low is not None and high is not None else (None, None)
        v = verdict(roi_low, roi_high, breakeven) if source != "attribution" else "unproven"
        rho = rhos[ch][0] if ch is not None and ch in rhos else None
        rec = _recommendation(rho, roi, breakeven, p_unit) if v == "unproven" else None
        rows.append(WasteRow(key, cost, value, roi, roi_low, roi_high, v, source, ch, rec))
    totals = {name: sum(r.spend for r in rows if r.verdict == name) for name in ("wasted", "unproven", "working")}
    total_spend = sum(r.spend for r in rows)
    total_value = sum(r.incremental_value or 0.0 for r in rows)
    all_row = WasteRow(ALL_KEY, total_spend, total_value, total_value / total_spend if total_spend else None, None,
                       None, ", ".join(f"{k} {v:,.0f}" for k, v in totals.items()))
    return WasteResult((all_row, *rows), totals, period.label, breakeven, tuple(notes))


def _campaign_channels(ws: Workspace) -> dict[str, str]:
    c = ws.table("campaigns").select("campaign_id", "channel").to_pyarrow().to_pylist()
    s = ws.table("spend").select("campaign_id", "channel").distinct().to_pyarrow().to_pylist()
    out = {str(r["campaign_id"]): str(r["channel"]) for r in s if r["campaign_id"] and r["channel"]}
    out.update({str(r["campaign_id"]): str(r["channel"]) for r in c if r["campaign_id"] and r["channel"]})
    return out


def _unit_rate(ws: Workspace, period: Period) -> float | None:
    """Opportunities per person created in the window: the rate a holdout test at the milestone would measure."""
    people = ws.table("people")
    n = people.filter((people.created_at >= ibis.literal(period.start, type="timestamp"))
                      & (people.created_at < ibis.literal(period.end, type="timestamp"))).count().to_pyarrow().as_py()
    o = ws.table("opportunities")
    k = o.filter((o.created_at >= ibis.literal(period.start, type="timestamp"))
                 & (o.created_at < ibis.literal(period.end, type="timestamp"))).count().to_pyarrow().as_py()
    return min(k / n, 0.99) if n else None


def _recommendation(rho: float | None, roi: float, breakeven: float, p: float | None) -> str:
    """The holdout test that would decide. Incremental value is proportional to the incremental fraction rho, so
    break-even is at ``rho x breakeven / roi``; a test at the milestone measures rho x p (p: the units' rate), so it
    must tell ``rho x p`` from ``rho_be x p``. With no test yet (attribution only), rho is unknown: the test must
    tell the break-even rate from none (rho_be = breakeven / roi, the ROI if every credited conversion were
    incremental)."""
    what = "a holdout (lift) test at the opportunity milestone"
    if p is None or roi <= 0:
        return f"Run {what} to measure it."
    delta = (rho * abs(1 - breakeven / roi) if rho is not None else min(1.0, breakeven / roi)) * p
    n = units_per_arm(p, delta)
    return f"Run {what} with at least {n:,} units in each arm to decide." if n else f"Run {what} to measure it."


def _mix_model(ws: Workspace, period: Period, channels: set[str], notes: list[str]
               ) -> dict[str, tuple[float, float, float]]:
    """Per untested channel with spend: the mix model's contribution to weekly pipeline (estimate, low, high) over
    the window, or nothing when the model cannot be fitted."""
    from wanamaker.errors import WanamakerError
    from wanamaker.mmm.api import mmm_from_workspace

    try:
        result = mmm_from_workspace(ws, outcome="pipeline", in_label=period.label)
    except WanamakerError as exc:  # too few weeks, no spend ...: one source of evidence less, and why
        notes.append(f"The mix model could not be fitted ({exc.message}); untested channels have no causal "
                     "interval.")
        return {}
    rows = result.as_json()
    baseline = next((r["contribution"] for r in rows if r["channel"] == "(baseline)"), 0.0)
    if baseline is not None and baseline < 0:
        notes.append("The mix model's fit is implausible (its baseline, the outcome with no spend, is negative: spend "
                     "series that move together): it is not used; untested channels have no causal interval.")
        return {}
    out = {}
    for r in rows:
        ch = r["channel"]
        if ch in channels and r.get("roi") is not None and r.get("roi_low") is not None and r["spend"]:
            out[ch] = (float(r["contribution"]), float(r["roi_low"]) * r["spend"], float(r["roi_high"]) * r["spend"])
    return out
