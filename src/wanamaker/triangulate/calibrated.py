"""The ``calibrated`` attribution model: experimental incrementality where a channel was tested, the attribution
structure where it was not (docs/attribution.md, "calibrated").

At milestone M, for each channel with a lift test measured at M (``experiments`` of kind ``lift`` whose
``milestone`` is M; several tests of one channel are pooled by inverse variance):

- the test's **incremental fraction** ``rho = (p_t - p_c) / p_t``: the share of the treated group's conversions that
  the channel caused (an intent-to-treat reading: the holdout is randomised, so the difference is causal), with its
  interval from the lift's interval (``lift_low / p_t``, ``lift_high / p_t``);
- combined with the base model's own fraction (its credit / the conversions the channel could reach) by precision
  (:func:`shrink`): a normal prior at the base model's fraction with a standard deviation as large as the fraction
  itself, and the test as the likelihood. A well-powered test decides; an underpowered one moves the base model
  little instead of replacing it with noise. Cut to 0..1;
- the channel's **incremental outcome** = ``rho x`` the outcome the channel could reach: the milestone's whole
  outcome in the window (conversions, or their value) less the test's held-out conversions (out of its reach; their
  value pro rata). The assumption is that the tested units convert like the window's converters, so the fraction
  carries over, and that the test ran inside the window;
- its touches keep their shares of the base model's credit (``markov_3``), multiplied so the channel's credit is its
  incremental outcome.

A channel with no test takes the marketing-mix model's share of the outcome when the channel has spend and the mix
model, fitted on weekly opportunities, is plausible (a baseline that is not negative, R² at least 0.5); otherwise
it keeps the base model's credit: an experiment says nothing about it. Whatever the tested
channels' base credit held beyond their incremental outcome goes to ``(baseline)`` (conversions that would have
happened anyway), not to the untested channels; so a ride-along channel, one shown to people about to convert
anyway, stops taking credit. If the incremental outcomes and the untested credit together exceed the touched
outcome, the untested channels are scaled down to fit, then (if still over) every channel. Touch credits plus the
``(baseline)`` row plus ``(no touch)`` add up to the outcome, as every model's do.

With ``--ci`` the tested channels carry the posterior's 90 % interval times the outcome they could reach; the
untested carry none (they have no experiment).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from wanamaker.attribution.models import Calibration

if TYPE_CHECKING:
    from wanamaker.attribution.journeys import JourneyOptions
    from wanamaker.attribution.paths import Float


def incremental_fractions(ws: Any, milestone: str) -> tuple[dict[str, tuple[float, float, float, int]], list[str]]:
    """Per tested channel at ``milestone``: ``(rho, rho_low, rho_high, held-out conversions)`` (module docstring),
    and notes."""
    from wanamaker.experiments.lift import lift_tests

    if not ws.has_table("experiments"):
        return {}, ["calibrated: no experiments table; every channel keeps its base-model credit."]
    per_channel: dict[str, list[tuple[float, float, float, str, int]]] = defaultdict(list)
    for t in lift_tests(ws, milestone=milestone):
        if not t.channel or not t.treated_rate:
            continue
        rho = t.lift / t.treated_rate
        per_channel[t.channel].append((rho, t.lift_low / t.treated_rate, t.lift_high / t.treated_rate,
                                       t.experiment_id, t.control_conversions))
    out: dict[str, tuple[float, float, float, int]] = {}
    notes: list[str] = []
    for channel, tests in sorted(per_channel.items()):
        # inverse-variance pooling, the variance read from the interval's width
        w = np.array([1.0 / max((hi - lo) ** 2, 1e-12) for _, lo, hi, _, _ in tests])
        rho = float(np.dot(w, [r for r, *_ in tests]) / w.sum())
        half = float(1.0 / np.sqrt(w.sum())) / 2.0
        out[channel] = (rho, rho - half, rho + half, sum(t[4] for t in tests))  # not cut: shrink() cuts
        ids = ", ".join(t[3] for t in tests)
        notes.append(f"calibrated: {channel} is incremental for {rho:.1%} of its conversions at {milestone} "
                     f"(lift test {ids}).")
    if not out:
        notes.append(f"calibrated: no lift test measured at {milestone}; every channel keeps its base-model credit.")
    return out, notes


Z90 = 1.6448536269514722
PRIOR_FLOOR = 0.02  # the smallest prior standard deviation of an incremental fraction


def shrink(rho: Float, lo: Float, hi: Float, implied: Float, tested: Any) -> tuple[Float, Float, Float]:
    """Each test's incremental fraction combined with the base model's (``implied``) by precision: a normal prior
    at the base model's fraction with standard deviation equal to it (attribution may be off by all of it; at least
    :data:`PRIOR_FLOOR`), and the test as a normal likelihood whose standard deviation is its 90 % interval's
    half-width / 1.645. A powerful test decides; a weak one moves the base model little. Cut to 0..1.

    >>> [round(float(x), 4) for x in shrink(np.array([0.0]), np.array([-0.01]), np.array([0.01]),
    ...                                      np.array([0.3]), np.array([True]))[0]]
    [0.0001]
    """
    se = np.where(tested, (hi - lo) / (2 * Z90), 1.0)
    se = np.where(np.isfinite(se) & (se > 0), se, 1e-9)
    prior_sd = np.maximum(implied, PRIOR_FLOOR)
    w_test, w_prior = 1.0 / se ** 2, 1.0 / prior_sd ** 2
    mean = (w_test * np.nan_to_num(rho) + w_prior * implied) / (w_test + w_prior)
    half = Z90 / np.sqrt(w_test + w_prior)
    post = np.where(tested, np.clip(mean, 0.0, 1.0), 0.0)
    post_lo = np.where(tested, np.clip(mean - half, 0.0, 1.0), np.nan)
    post_hi = np.where(tested, np.clip(mean + half, 0.0, 1.0), np.nan)
    return post, post_lo, post_hi


@dataclass(frozen=True)
class Evidence:
    """Per channel (in channel order): tested or not, the base model's implied incremental fraction, the test's
    raw fraction and its lower bound, the posterior (mean, low, high), and the outcome the channel could reach
    (conversions) and the held-out conversions."""

    tested: Float
    implied: Float
    raw: Float
    raw_lo: Float
    post: Float
    post_lo: Float
    post_hi: Float
    reach: Float
    held: Float


def evidence(ws: Any, milestone: str, channels: tuple[str, ...], base_c: Float, outcome_c: float
             ) -> tuple[Evidence, list[str]]:
    """The lift tests at ``milestone`` against the base model's credit ``base_c`` (module docstring)."""
    rhos, notes = incremental_fractions(ws, milestone)
    k = len(channels)
    tested = np.array([c in rhos for c in channels], dtype=bool)
    rho = np.array([rhos[c][0] if c in rhos else 0.0 for c in channels])
    held = np.array([float(rhos[c][3]) if c in rhos else 0.0 for c in channels])
    lo = np.array([rhos[c][1] if c in rhos else np.nan for c in channels])
    hi = np.array([rhos[c][2] if c in rhos else np.nan for c in channels])
    reach = outcome_c * np.clip(1.0 - held / outcome_c, 0.0, 1.0) if outcome_c else np.zeros(k)
    # the base model's own incremental fraction: the share of the reachable conversions it credits to the channel
    implied = np.where(reach > 0, base_c / np.where(reach > 0, reach, 1.0), 0.0)
    post, post_lo, post_hi = shrink(rho, lo, hi, implied, tested)
    return Evidence(tested, implied, rho, lo, post, post_lo, post_hi, reach, held), notes


MIX_OUTCOME = {"opportunity": "opportunities"}  # the milestones whose count the mix model can model
MIN_R2 = 0.5


def mix_shares(ws: Any, milestone: str, channels: tuple[str, ...], notes: list[str]) -> Float | None:
    """Per channel, the mix model's share of the outcome (its contribution / the outcome over its weeks), for the
    channels with spend; NaN for the others. None when the mix model does not apply (no spend, a milestone it
    cannot model) or its fit is implausible (a negative baseline, or R² below :data:`MIN_R2`), with a note."""
    outcome = MIX_OUTCOME.get(milestone)
    if outcome is None or not ws.has_table("spend"):
        return None
    from wanamaker.errors import WanamakerError
    from wanamaker.mmm.api import mmm_from_workspace

    try:
        result = mmm_from_workspace(ws, outcome, replicates=0)
    except WanamakerError as exc:
        notes.append(f"calibrated: the mix model does not apply ({exc.message}); untested channels keep the base "
                     "model's credit.")
        return None
    rows = {r["channel"]: r for r in result.as_json()}
    total = sum(float(r["contribution"]) for r in rows.values())
    baseline = float(rows.get("(baseline)", {}).get("contribution") or 0.0)
    r2 = result.diagnostics.r2
    if not rows or total <= 0:
        return None
    if baseline < 0 or r2 is None or r2 < MIN_R2:
        notes.append(f"calibrated: the mix model's fit is implausible (baseline {baseline:,.0f}, R² {r2:.2f}): "
                     "untested channels keep the base model's credit.")
        return None
    notes.append("calibrated: untested channels with spend take the mix model's share of the outcome.")
    return np.array([float(rows[c]["contribution"]) / total if c in rows else np.nan for c in channels])


def targets(base: Float, tested: Any, post: Float, reachable: Float, mix: Float | None, outcome: float) -> Float:
    """Each channel's calibrated credit: a tested channel its posterior fraction of the outcome it could reach, an
    untested channel with a mix-model share that share of the outcome, any other its base credit; tested channels
    with no touches get nothing (nothing carries it); then the untested are scaled down to fit the touched outcome
    (``base.sum()``), and if still over, everything.

    >>> [round(float(x), 2) for x in targets(np.array([50.0, 30.0, 20.0]), np.array([True, False, False]),
    ...                                      np.array([0.1, 0, 0]), np.array([100.0, 100, 100]), None, 100.0)]
    [10.0, 30.0, 20.0]
    >>> [round(float(x), 2) for x in targets(np.array([50.0, 30.0, 20.0]), np.array([True, False, False]),
    ...                                      np.array([0.1, 0, 0]), np.array([100.0, 100, 100]),
    ...                                      np.array([np.nan, 0.5, np.nan]), 100.0)]
    [10.0, 50.0, 20.0]
    """
    touched = float(base.sum())
    untested_value = base if mix is None else np.where(np.isnan(mix), base, mix * outcome)
    target = np.where(tested, post * reachable, untested_value)
    target = np.where(tested & (base <= 0), 0.0, target)  # a tested channel with no touches: nothing carries it
    untested = float(target[~tested].sum())
    room = touched - float(target[tested].sum())
    if untested > room:  # shrink the untested to fit, then everything
        target = np.where(tested, target, target * max(room, 0.0) / untested if untested else 0.0)
    total = float(target.sum())
    if total > touched and total > 0:
        target = target * touched / total
    return np.asarray(target, dtype=np.float64)


def factors(ws: Any, opts: JourneyOptions, channels: tuple[str, ...], base_c: Float, base_v: Float,
            outcome_c: float, outcome_v: float, measure_is_value: bool) -> Calibration:
    """The multipliers of the base model's channel credit (module docstring)."""
    ev, notes = evidence(ws, opts.milestone, channels, base_c, outcome_c)
    k = len(channels)
    tested, held, post, post_lo, post_hi = ev.tested, ev.held, ev.post, ev.post_lo, ev.post_hi
    mix = mix_shares(ws, opts.milestone, channels, notes) if tested.any() else None

    def one(base: Float, outcome: float) -> tuple[Float, Float, Float]:
        # the held-out units' conversions were out of the channel's reach (their value pro rata)
        reachable = outcome * np.clip(1.0 - held / outcome_c, 0.0, 1.0) if outcome_c else np.zeros(k)
        target = targets(base, tested, post, reachable, mix, outcome)
        scale = target / np.where(base > 0, base, 1.0)
        return np.where(base > 0, scale, 0.0), post_lo * reachable, post_hi * reachable

    f_c, lo_c, hi_c = one(base_c, outcome_c)
    f_v, lo_v, hi_v = one(base_v, outcome_v)
    missing = [c for c, b, t in zip(channels, base_c, tested, strict=True) if t and b <= 0]
    if missing:
        notes.append(f"calibrated: {', '.join(missing)} tested but with no converting touches in the window: no "
                     "credit to carry.")
    low, high = (lo_v, hi_v) if measure_is_value else (lo_c, hi_c)
    return Calibration(f_c, f_v, low, high, tuple(notes)) if k else Calibration(f_c, f_v, None, None, tuple(notes))
