"""The marketing calendar: campaigns per quarter and channel (segments, offer, horizon, budget,
owner, goal), the campaign each touch belongs to, per-touch cost and daily spend.

Planted: two overlapping campaigns send a discount and a premium offer to mid-market in the same
weeks, and enterprise gets no promotion at all in one quarter (``GAP_SEGMENT`` in ``gap_quarter``). Nothing
else: a generated campaign whose offer would clash (``CONFLICTING``) with a campaign already on the calendar
for a segment they share, at the same time, sends a free trial instead; every other segment and quarter has
campaigns from its first days (starts are drawn within the quarter's first 10 days) to its end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from wanamaker.demo.causal import CHANNELS
from wanamaker.demo.journeys import Touches
from wanamaker.demo.spec import DemoSpec, rng
from wanamaker.demo.world import SEGMENTS

CAMPAIGN_CHANNELS: tuple[str, ...] = (
    "paid_search", "paid_social", "display", "email", "webinar", "event", "content", "partner",
)  # fmt: skip
OFFERS: tuple[str, ...] = ("free_trial", "discount", "premium", "demo", "content_offer", "none")
LONG_TERM = frozenset({"content", "partner", "event"})
CPC = {"paid_search": 6.5, "paid_social": 9.0, "display": 1.8}  # median cost per paid touch (USD)
CURRENCY = "USD"
# the tool each channel's costs come from (ad platforms bill per click; the others are budgets)
PLATFORM = {"paid_search": "Google Ads", "paid_social": "LinkedIn Ads", "display": "Google Display & Video",
            "webinar": "Zoom Webinars", "event": "Events budget", "content": "Content agency", "partner": "Partner MDF"}  # fmt: skip
# the click id each ad platform appends to the landing page (auto-tagging), and its id prefix
CLICK_ID = {"paid_search": ("gclid", "Cj0KCQ"), "paid_social": ("li_fat_id", "lfat"), "display": ("dclid", "CKnR")}
FIXED_QUARTERLY = {"webinar": 6_000.0, "event": 45_000.0, "content": 9_000.0, "partner": 12_000.0}
GAP_SEGMENT = "enterprise"
CONFLICT_IDS = ("cmp-conflict-discount", "cmp-conflict-premium")
CONFLICTING = frozenset({"discount", "premium"})  # the default calendar.conflicting_offers pair


@dataclass(frozen=True)
class Campaign:
    campaign_id: str
    name: str
    channel: str
    starts: date
    ends: date
    segments: tuple[str, ...]
    offer: str
    horizon: str
    owner: int  # index of the marketer
    goal_id: str | None


def quarter_of(d: date) -> tuple[int, int]:
    return d.year, (d.month - 1) // 3 + 1


def quarter_bounds(year: int, q: int) -> tuple[date, date]:
    first = date(year, 3 * q - 2, 1)
    nxt = date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1)
    return first, nxt - timedelta(days=1)


def gap_quarter(spec: DemoSpec) -> tuple[int, int]:
    """The quarter with no promotion for ``GAP_SEGMENT``: the one holding end - 150 days."""
    return quarter_of(spec.end - timedelta(days=150))


def calendar(spec: DemoSpec, goal_for: dict[str, str]) -> list[Campaign]:
    g = rng(spec, "campaigns")
    marketers = spec.sizes.marketers
    planted = _planted_conflict(spec)
    out: list[Campaign] = []
    y, q = quarter_of(spec.start)
    gap = gap_quarter(spec)
    while quarter_bounds(y, q)[0] <= spec.end:
        qs, qe = quarter_bounds(y, q)
        qs, qe = max(qs, spec.start), min(qe, spec.end)
        for ch in CAMPAIGN_CHANNELS:
            for k, segs in enumerate((("smb",), ("mid_market", "enterprise"))):
                if (y, q) == gap:
                    segs = tuple(s for s in segs if s != GAP_SEGMENT) or ("mid_market",)
                offer = OFFERS[int(g.integers(0, 5))] if ch not in LONG_TERM else "content_offer"
                start = qs + timedelta(days=int(g.integers(0, 10)))
                if _clashes(offer, segs, start, qe, [*planted, *out]):
                    offer = "free_trial"  # the only discount/premium clash is the planted one
                goal = goal_for.get(ch) if g.random() < 0.8 else None
                out.append(
                    Campaign(
                        f"cmp-{y}q{q}-{ch.replace('_', '')}-{k + 1}",
                        f"FY{y}-Q{q} {ch.replace('_', ' ').title()} - {' & '.join(segs)} {offer.replace('_', ' ')}",
                        ch, start, qe, segs, offer, "long" if ch in LONG_TERM else "short",
                        int(g.integers(0, marketers)), goal,
                    )
                )  # fmt: skip
        y, q = (y + 1, 1) if q == 4 else (y, q + 1)
    return out + planted


def _planted_conflict(spec: DemoSpec) -> list[Campaign]:
    """The two planted campaigns: a discount and a premium offer to mid-market in the same 46 days."""
    cs = spec.end - timedelta(days=75)
    out: list[Campaign] = []
    for cid, offer, ch in ((CONFLICT_IDS[0], "discount", "paid_social"), (CONFLICT_IDS[1], "premium", "email")):
        name = f"Mid-market {offer} push ({ch.replace('_', ' ')})"
        out.append(Campaign(cid, name, ch, cs, cs + timedelta(days=45), ("mid_market",), offer, "short", 1, None))
    return out


def _clashes(offer: str, segs: tuple[str, ...], start: date, end: date, placed: list[Campaign]) -> bool:
    """Whether ``offer`` and another offer of ``CONFLICTING`` would reach a shared segment on the same day."""
    return offer in CONFLICTING and any(
        c.offer in CONFLICTING and c.offer != offer and c.starts <= end and start <= c.ends
        and set(c.segments) & set(segs) for c in placed)


def assign(spec: DemoSpec, camps: list[Campaign], touches: Touches, segment: np.ndarray, chunk: int) -> np.ndarray:
    """Campaign index of each touch (-1 = none): one of the campaigns of its channel running that
    day for the person's segment, chosen at random."""
    g = rng(spec, "campaign_assign", chunk)
    day = np.floor(touches.ts).astype(np.int64)
    out = np.full(touches.n, -1, dtype=np.int32)
    by_channel: dict[str, list[int]] = {}
    for i, c in enumerate(camps):
        by_channel.setdefault(c.channel, []).append(i)
    for ch, idxs in by_channel.items():
        sel = np.flatnonzero(touches.channel == CHANNELS.index(ch))
        d, seg = day[sel], segment[sel]
        best = np.full(sel.size, -1.0)
        for i in idxs:
            c = camps[i]
            segs = np.asarray([SEGMENTS.index(s) for s in c.segments])
            lo, hi = (c.starts - spec.start).days, (c.ends - spec.start).days
            hit = np.flatnonzero((d >= lo) & (d <= hi) & np.isin(seg, segs))
            r = g.random(hit.size)
            better = r > best[hit]
            out[sel[hit[better]]], best[hit[better]] = i, r[better]
    return out


def touch_cost(spec: DemoSpec, touches: Touches, chunk: int) -> np.ndarray:
    """Per-touch cost of paid channels, what the ad platform bills for the click (at least one
    cent; NaN for unpaid channels). An observation, not a cause: the funnel never reads it."""
    g = rng(spec, "touch_cost", chunk)
    cost = np.full(touches.n, np.nan)
    for ch, cpc in CPC.items():
        m = touches.channel == CHANNELS.index(ch)
        cost[m] = np.maximum(np.round(cpc * g.lognormal(0.0, 0.45, int(m.sum())), 2), 0.01)
    return cost


def fixed_spend(spec: DemoSpec, camps: list[Campaign]) -> dict[tuple[int, str, str], float]:
    """Daily spend of unpaid-per-touch channels (webinars, events, content, partners): budget spread over days."""
    out: dict[tuple[int, str, str], float] = {}
    for c in camps:
        if c.channel not in FIXED_QUARTERLY:
            continue
        days = max((c.ends - c.starts).days + 1, 1)
        per_day = round(FIXED_QUARTERLY[c.channel] * spec.sizes.accounts / 7_600 / 2 / days, 2)
        for d in range((c.starts - spec.start).days, (c.ends - spec.start).days + 1):
            out[(d, c.channel, c.campaign_id)] = per_day
    return out
