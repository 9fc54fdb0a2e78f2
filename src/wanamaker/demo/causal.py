"""The demo's causal model: what really makes a person convert (docs/demo.md, "The causal model").

Each funnel step s of a person i happens when a uniform number U_is (drawn once, on its own stream)
is below

    p_is = 1 - exp(-H_is),
    H_is = baseline_s * intent_i**a_s  +  sum_c beta_sc * sat_c(n_ic)  +  synergy_s,
    sat_c(n) = 1 - exp(-n / k_c)                                   (saturating dose response)
    synergy_lead = gamma * sat(paid_search) * sat(paid_social)     (the pair reinforces each other)

where n_ic is the number of touches of channel c that i received in the step's window before the
step. The baseline term makes conversions happen without any touch. ``intent_i`` (lognormal) raises
both the step hazards and the exposure to the "intent" channels (paid search, organic search,
direct): people who are in market search more and buy more, so naive attribution over-credits
those channels (confounding). Display retargeting has beta = 0: its touches are placed after the
outcome is known, just before people who are about to convert do so (the ride-along channel).

Switching a channel off sets its n_ic to zero and re-evaluates the hazards with the same U_is, so
conversions can only be lost, never gained: the difference is the channel's incremental effect.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

CHANNELS: tuple[str, ...] = (
    "paid_search",
    "paid_social",
    "display",
    "organic_search",
    "email",
    "webinar",
    "event",
    "content",
    "referral",
    "partner",
    "direct",
    "outbound_sdr",
)

PAID: frozenset[str] = frozenset({"paid_search", "paid_social", "display"})
RIDE_ALONG = "display"  # zero true effect, shown to people already about to convert
SYNERGY_PAIR = ("paid_search", "paid_social")


@dataclass(frozen=True)
class Dose:
    """One channel's part in one step: exposure rate, intent elasticity, effect and saturation."""

    rate: float  # mean touches in the step window for an average person
    intent_elasticity: float  # exposure multiplier intent**elasticity (confounding when > 0)
    beta: float  # maximum hazard added by the channel (saturation ceiling)
    k: float  # touches at which 63 % of the ceiling is reached


# The lead step: anonymous web exposure before a person becomes a lead.
LEAD_DOSES: dict[str, Dose] = {
    "paid_search": Dose(0.45, 1.0, 0.24, 1.2),
    "paid_social": Dose(0.55, 0.0, 0.10, 1.5),
    "organic_search": Dose(0.5, 1.0, 0.16, 1.2),
    "content": Dose(0.3, 0.3, 0.12, 1.5),
    "referral": Dose(0.07, 0.0, 0.45, 1.0),
    "partner": Dose(0.05, 0.0, 0.40, 1.0),
    "direct": Dose(0.35, 1.2, 0.02, 1.5),
}
LEAD_SYNERGY = 0.22  # gamma of paid_search x paid_social
LEAD_BASELINE = 0.16

# The MQL step: nurture of known leads.
MQL_DOSES: dict[str, Dose] = {
    "email": Dose(0.9, 0.2, 0.1, 1.2),
    "webinar": Dose(0.3, 0.3, 0.12, 1.0),
    "event": Dose(0.1, 0.3, 0.16, 1.0),
    "content": Dose(0.3, 0.3, 0.05, 1.5),
}
MQL_BASELINE = 0.135

# The SQL step (after a rep accepted the lead): sales follow-up.
SQL_DOSES: dict[str, Dose] = {"outbound_sdr": Dose(0.7, 0.0, 0.6, 0.8)}
SQL_BASELINE = 0.68

# The won step: events during an open opportunity.
WON_DOSES: dict[str, Dose] = {"event": Dose(0.35, 0.0, 0.20, 1.0), "webinar": Dose(0.3, 0.0, 0.06, 1.0)}
WON_BASELINE = {"smb": 0.27, "mid_market": 0.23, "enterprise": 0.21}

INTENT_SIGMA = 0.8  # intent ~ lognormal(-sigma^2/2, sigma): mean 1
INTENT_POWER = {"lead": 1.0, "mql": 0.8, "sql": 0.3, "won": 0.3}


def sat(n: np.ndarray, k: float) -> np.ndarray:
    """Saturating dose response 1 - exp(-n/k): the first touches matter most."""
    return -np.expm1(-n / k)


def hazard(
    step: str,
    intent: np.ndarray,
    baseline: np.ndarray | float,
    doses: dict[str, Dose],
    counts: dict[str, np.ndarray],
    off: Collection[str] = (),
) -> np.ndarray:
    """H of ``step`` for every person; channels in ``off`` contribute nothing (their n is 0)."""
    h = np.asarray(baseline, dtype=np.float64) * intent ** INTENT_POWER[step]
    h = np.broadcast_to(h, intent.shape).copy()
    sats: dict[str, np.ndarray] = {}
    for ch, dose in doses.items():
        if ch in off:
            continue
        sats[ch] = sat(counts[ch].astype(np.float64), dose.k)
        h += dose.beta * sats[ch]
    if step == "lead" and all(c in sats for c in SYNERGY_PAIR):
        h += LEAD_SYNERGY * sats[SYNERGY_PAIR[0]] * sats[SYNERGY_PAIR[1]]
    return h


def converts(u: np.ndarray, h: np.ndarray) -> np.ndarray:
    """U < 1 - exp(-H): monotone in H, so switching a channel off can only remove conversions."""
    out: np.ndarray = u < -np.expm1(-h)
    return out
