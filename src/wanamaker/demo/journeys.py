"""Touches: the exposure doses the causal model reads (drawn before any outcome is known), and the
touchpoint rows of the realised world (doses, ride-along retargeting, nurture, sales follow-up,
customer email), each with its time, channel, touch type and campaign."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wanamaker.demo import causal
from wanamaker.demo.funnel import Stages
from wanamaker.demo.money import Opps
from wanamaker.demo.spec import DemoSpec, rng
from wanamaker.demo.world import People

CH = {c: i for i, c in enumerate(causal.CHANNELS)}
TOUCH_TYPES: tuple[str, ...] = (
    "session", "email_open", "email_click", "webinar_attended", "event_attended", "call", "sales_email",
)  # fmt: skip
TT = {t: i for i, t in enumerate(TOUCH_TYPES)}
STEP_DOSES = {
    "lead": causal.LEAD_DOSES,
    "mql": causal.MQL_DOSES,
    "sql": causal.SQL_DOSES,
    "won": causal.WON_DOSES,
}


def draw_doses(spec: DemoSpec, people: People, chunk: int) -> dict[str, dict[str, np.ndarray]]:
    """Touch counts per step window and channel, one stream per (step, channel)."""
    activity = rng(spec, "activity", chunk).lognormal(-0.125, 0.5, people.n)
    out: dict[str, dict[str, np.ndarray]] = {}
    for step, doses in STEP_DOSES.items():
        out[step] = {}
        for ch, d in doses.items():
            lam = d.rate * activity * people.intent**d.intent_elasticity
            out[step][ch] = rng(spec, f"dose_{step}_{ch}", chunk).poisson(lam).astype(np.int32)
    return out


@dataclass(frozen=True)
class Touches:
    person: np.ndarray  # local person index
    ts: np.ndarray  # world days
    channel: np.ndarray  # int8 into causal.CHANNELS
    ttype: np.ndarray  # int8 into TOUCH_TYPES
    identified: np.ndarray  # web touch carrying the person's user_id (after they became a lead)

    @property
    def n(self) -> int:
        return int(self.ts.size)


class _Builder:
    def __init__(self, g: np.random.Generator) -> None:
        self.g = g
        self.parts: list[tuple[np.ndarray, ...]] = []

    def spread(
        self, who: np.ndarray, counts: np.ndarray, lo: np.ndarray, hi: np.ndarray, ch: str, tt: str, ident: bool
    ) -> None:
        """``counts[i]`` touches of ``who[i]`` uniformly in [lo[i], hi[i])."""
        counts = counts.astype(np.int64)
        keep = counts > 0
        who, counts, lo, hi = who[keep], counts[keep], lo[keep], hi[keep]
        rep = np.repeat(np.arange(who.size), counts)
        ts = lo[rep] + self.g.random(rep.size) * (hi[rep] - lo[rep])
        n = rep.size
        ttype = np.full(n, TT[tt], dtype=np.int8)
        if tt == "email_open":
            ttype[self.g.random(n) < 0.3] = TT["email_click"]
        if tt == "call":
            ttype[self.g.random(n) < 0.45] = TT["sales_email"]
        self.parts.append((who[rep], ts, np.full(n, CH[ch], dtype=np.int8), ttype, np.full(n, ident)))

    def build(self, end: float) -> Touches:
        cols = [np.concatenate([p[i] for p in self.parts]) for i in range(5)]
        keep = (cols[1] >= 0) & (cols[1] <= end)
        order = np.lexsort((cols[1][keep], cols[0][keep]))
        return Touches(*(c[keep][order] for c in cols))


def _idx(mask: np.ndarray) -> np.ndarray:
    return np.flatnonzero(mask)


def make_touches(
    spec: DemoSpec,
    people: People,
    st: Stages,
    opps: Opps,
    doses: dict[str, dict[str, np.ndarray]],
    display_holdout: np.ndarray,
    chunk: int,
) -> Touches:
    """Every touch of the realised world of one chunk."""
    g = rng(spec, "touch_times", chunk)
    b = _Builder(g)
    end = spec.days
    everyone = np.arange(people.n)
    t0, t_lead_pot = people.t0, people.t0 + people.w_lead
    for ch in causal.LEAD_DOSES:  # anonymous research before the lead
        b.spread(everyone, doses["lead"][ch], t0, t_lead_pot, ch, "session", False)

    quiet = _idx(np.isnan(st.lead))  # visitors who never became leads come back now and then
    back = g.poisson(0.5, quiet.size)
    lo = t_lead_pot[quiet]
    for ch, share in (("organic_search", 0.45), ("direct", 0.35), ("paid_search", 0.2)):
        b.spread(quiet, g.binomial(back, share), lo, lo + 180.0, ch, "session", False)

    # display retargeting rides along: shown to people about to convert (no causal effect)
    gd = rng(spec, "ride_along", chunk)
    lead = ~np.isnan(st.lead)
    n_disp = np.where(lead, gd.poisson(1.0, people.n) * (gd.random(people.n) < 0.6), gd.poisson(0.1, people.n))
    n_disp = np.where(display_holdout, 0, n_disp)
    lo = np.where(lead, st.lead - 6.0, t0)
    hi = np.where(lead, st.lead, t_lead_pot)
    b.spread(everyone, n_disp, lo, hi, "display", "session", False)
    in_opp = _idx(~np.isnan(opps.person_opp_at))
    n_opp_disp = gd.poisson(0.8, in_opp.size) * ~display_holdout[in_opp]
    at = opps.person_opp_at[in_opp]
    b.spread(in_opp, n_opp_disp, at - 10.0, at, "display", "session", True)

    leads = _idx(lead)
    lo, hi = st.lead[leads], st.lead[leads] + people.w_mql[leads]
    for ch in causal.MQL_DOSES:  # nurture
        tt = {"email": "email_open", "webinar": "webinar_attended", "event": "event_attended"}.get(ch, "session")
        b.spread(leads, doses["mql"][ch][leads], lo, hi, ch, tt, True)
    span = np.minimum(end, hi + 365.0) - hi
    b.spread(leads, g.poisson(np.clip(span, 0, None) / 30.0 * 0.7), hi, hi + span, "email", "email_open", True)

    mqls = _idx(~np.isnan(st.first_sales_touch))
    t = st.first_sales_touch[mqls]
    b.spread(mqls, np.ones(mqls.size), t, t, "outbound_sdr", "call", True)
    sals = _idx(~np.isnan(st.sal))
    lo = st.sal[sals]
    b.spread(sals, doses["sql"]["outbound_sdr"][sals], lo, lo + people.w_sql[sals], "outbound_sdr", "call", True)

    c = opps.creator
    close_at = np.where(np.isnan(opps.closed), end, opps.closed)
    for ch in causal.WON_DOSES:
        tt = "event_attended" if ch == "event" else "webinar_attended"
        b.spread(c, doses["won"][ch][c], opps.created, close_at, ch, tt, True)
    won = opps.status == 1
    cw, since = c[won], opps.closed[won]
    b.spread(cw, g.poisson((end - since) / 30.0 * 0.8), since, np.full(cw.size, end), "email", "email_open", True)
    return _identify(b.build(end), people, st, g)


WEB_CODES = np.asarray([CH[c] for c in ("paid_search", "paid_social", "display", "organic_search", "content",
                                        "referral", "partner", "direct")])  # fmt: skip


def _identify(t: Touches, people: People, st: Stages, g: np.random.Generator) -> Touches:
    """The lead fills a form in their last web session before the lead: that session carries their
    user_id (85 % of leads; the others cleared cookies), which links the earlier anonymous sessions."""
    lead_at = st.lead[t.person]
    pre = (t.ts <= lead_at) & np.isin(t.channel, WEB_CODES)
    nxt_pre = np.r_[pre[1:] & (t.person[1:] == t.person[:-1]), False]
    last = np.flatnonzero(pre & ~nxt_pre & (people.u["identify"][t.person] < 0.85))
    ts, ident = t.ts.copy(), t.identified.copy()
    ts[last] = np.maximum(ts[last], lead_at[last] - g.uniform(0.0, 0.02, last.size))
    ident[last] = True
    return Touches(t.person, ts, t.channel, t.ttype, ident)
