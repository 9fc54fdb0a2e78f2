"""Rule-based attribution models as per-touch weights (DESIGN "Attribution", model names).

Input is a :class:`TouchArrays`: the touches of converting journeys sorted by journey and position,
as built in the engine by :mod:`wanamaker.attribution.journeys`. Each model returns one weight per
touch; the weights of every journey sum to 1, so credits = weight x the journey's outcome.

Role touches (``u_shaped``, ``w_shaped``, ``full_path``, ``custom``): a touch holding two roles
receives both weights; a missing role's weight, and the spread when no other touch is left, go to
the role touches present in proportion to their weights; a journey of one touch gives it 100 %.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from wanamaker.attribution.paths import Float, Int

Bool = NDArray[np.bool_]

RULE_MODELS = (
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "time_decay",
    "u_shaped",
    "w_shaped",
    "full_path",
    "custom",
)
PATH_RULE_MODELS = ("first_touch", "last_touch", "linear")  # need nothing but the path


@dataclass(frozen=True)
class TouchArrays:
    """Touches of converting journeys, sorted by (journey, position)."""

    journey: Int  # journey number 0..J-1 of each touch
    pos: Int  # 0-based position in the journey
    length: Int  # touches in the journey
    age_seconds: Float  # milestone time - touch time
    is_direct: Bool  # channel group is 'direct'
    is_lead: Bool  # the lead-creation touch
    is_opp: Bool  # the opportunity-creation touch
    is_won: Bool  # the closed-won touch

    @property
    def n_journeys(self) -> int:
        return int(self.journey.max()) + 1 if self.journey.size else 0


@dataclass(frozen=True)
class RuleParams:
    half_life_seconds: float = 7 * 86400.0
    first: float = 0.4
    middle: float = 0.2
    last: float = 0.4


def rule_weights(model: str, t: TouchArrays, params: RuleParams = RuleParams()) -> Float:
    """Per-touch weights of a rule model; each journey's weights sum to 1.

    >>> import numpy as np
    >>> z = np.zeros(3, dtype=bool)
    >>> t = TouchArrays(np.array([0, 0, 0]), np.array([0, 1, 2]), np.array([3, 3, 3]),
    ...                 np.array([20.0, 10.0, 0.0]), z, np.array([False, True, False]), z, z)
    >>> rule_weights("u_shaped", t).tolist()  # first 40 %, lead touch 40 %, the other 20 %
    [0.4, 0.4, 0.2]
    """
    fn = _MODELS.get(model)
    if fn is None:
        raise ValueError(f"unknown rule model '{model}'; choose one of {', '.join(RULE_MODELS)}")
    return fn(t, params)


def _first(t: TouchArrays, _: RuleParams) -> Float:
    return np.asarray(t.pos == 0, dtype=np.float64)


def _last(t: TouchArrays, _: RuleParams) -> Float:
    return np.asarray(t.pos == t.length - 1, dtype=np.float64)


def _linear(t: TouchArrays, _: RuleParams) -> Float:
    return 1.0 / t.length.astype(np.float64)


def _last_non_direct(t: TouchArrays, _: RuleParams) -> Float:
    pos_nd = np.where(~t.is_direct, t.pos, -1)
    best = np.full(t.n_journeys, -1, dtype=np.int64)
    np.maximum.at(best, t.journey, pos_nd)
    target = np.where(best[t.journey] >= 0, best[t.journey], t.length - 1)
    return np.asarray(t.pos == target, dtype=np.float64)


def _time_decay(t: TouchArrays, p: RuleParams) -> Float:
    # measured from the journey's most recent touch so old journeys do not underflow
    youngest = _min_by(t.age_seconds, t.journey, t.n_journeys)
    w = np.exp2(-(t.age_seconds - youngest[t.journey]) / p.half_life_seconds)
    total = np.bincount(t.journey, weights=w, minlength=t.n_journeys)
    return np.asarray(w / total[t.journey], dtype=np.float64)


def _min_by(x: Float, group: Int, n: int) -> Float:
    out = np.full(n, np.inf)
    np.minimum.at(out, group, x)
    return out


def role_weights(t: TouchArrays, roles: list[tuple[Bool, float]], spread: float) -> Float:
    """Role weights with the missing-role and no-other-touch rules of DESIGN."""
    n = t.n_journeys
    any_role = np.zeros(t.journey.shape[0], dtype=bool)
    present_w = np.zeros(n)
    for flag, w in roles:
        any_role |= flag
        present_w += w * (np.bincount(t.journey, weights=flag.astype(np.float64), minlength=n) > 0)
    others = np.bincount(t.journey, weights=(~any_role).astype(np.float64), minlength=n)
    role_budget = 1.0 - np.where(others > 0, spread, 0.0)
    scale = np.divide(role_budget, present_w, out=np.zeros(n), where=present_w > 0)
    weight = np.zeros(t.journey.shape[0])
    for flag, w in roles:
        weight += flag * w * scale[t.journey]
    spread_each = np.divide(spread, others, out=np.zeros(n), where=others > 0)
    weight += (~any_role) * spread_each[t.journey]
    return weight


def _u(t: TouchArrays, _: RuleParams) -> Float:
    return role_weights(t, [(t.pos == 0, 0.4), (t.is_lead, 0.4)], 0.2)


def _w(t: TouchArrays, _: RuleParams) -> Float:
    return role_weights(t, [(t.pos == 0, 0.3), (t.is_lead, 0.3), (t.is_opp, 0.3)], 0.1)


def _full(t: TouchArrays, _: RuleParams) -> Float:
    roles = [(t.pos == 0, 0.225), (t.is_lead, 0.225), (t.is_opp, 0.225), (t.is_won, 0.225)]
    return role_weights(t, roles, 0.1)


def _custom(t: TouchArrays, p: RuleParams) -> Float:
    return role_weights(t, [(t.pos == 0, p.first), (t.pos == t.length - 1, p.last)], p.middle)


_MODELS: dict[str, Callable[[TouchArrays, RuleParams], Float]] = {
    "first_touch": _first,
    "last_touch": _last,
    "last_non_direct": _last_non_direct,
    "linear": _linear,
    "time_decay": _time_decay,
    "u_shaped": _u,
    "w_shaped": _w,
    "full_path": _full,
    "custom": _custom,
}
