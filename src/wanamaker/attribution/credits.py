"""Touch-level credits for channel-level models, and the reconciliation checks (DESIGN
"Attribution", touch-level credits).

Every converting journey's credits sum to its outcome, always. For Markov and Shapley a journey's
outcome is split over its channels by iterative proportional fitting (IPF) on the journey x channel
incidence matrix so channel totals come as close as possible to the model's channel credit
(stopped when the channel totals meet the model's to 1e-12 relative; or when an iteration no
longer moves any entry by 1e-15 of the largest, so IPF has reached its limit and the margins
cannot be met; or at 10,000 iterations), then equally over the channel's touches in the journey. Journeys with the same channel set get the same split, so IPF runs on distinct sets.
What a channel's credit could not be placed on is returned as a gap (model - placed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wanamaker.attribution.paths import Float, Int
from wanamaker.errors import IntegrityError

TOLERANCE = 1e-9
IPF_TOL = 1e-12
IPF_MAX_ITER = 10_000
IPF_STILL = 1e-15  # an iteration moving no entry by more than this (relative) is a fixed point


@dataclass(frozen=True)
class Placement:
    touch_share: Float  # per touch: its share of its journey's outcome (sums to 1 per journey)
    gap: Float  # per channel: model credit - placed credit
    iterations: int


def ipf(rows: Int, cols: Int, row_target: Float, col_target: Float) -> tuple[Float, int]:
    """Fit positive entries on the (rows, cols) pattern to the margins; rows always exact.

    Infeasible column margins (a channel credited less than the journeys holding only it) stop at
    IPF's fixed point rather than at the iteration cap.

    >>> import numpy as np
    >>> m, _ = ipf(np.array([0, 0, 1]), np.array([0, 1, 1]), np.array([1.0, 1.0]), np.array([0.5, 1.5]))
    >>> m.round(9).tolist()
    [0.5, 0.5, 1.0]
    """
    n_rows, n_cols = row_target.shape[0], col_target.shape[0]
    m = np.ones(rows.shape[0])
    col_sum = np.bincount(cols, weights=m, minlength=n_cols)
    scale = max(float(np.abs(col_target).max(initial=0.0)), 1e-300)
    it = 0
    while it < IPF_MAX_ITER:
        it += 1
        f = np.divide(col_target, col_sum, out=np.zeros(n_cols), where=col_sum > 0)
        before = m
        m = _fit_rows(m * f[cols], rows, row_target, n_rows)
        col_sum = np.bincount(cols, weights=m, minlength=n_cols)
        err = np.abs(col_sum - col_target)[col_sum > 0]
        if err.size == 0 or float(err.max()) <= IPF_TOL * scale:
            break
        moved = float(np.abs(m - before).max(initial=0.0))
        if moved <= IPF_STILL * float(np.abs(m).max(initial=0.0)):
            break  # a fixed point short of the margins: what is left over is a gap
    return m, it


def _fit_rows(m: Float, rows: Int, row_target: Float, n_rows: int) -> Float:
    row_sum = np.bincount(rows, weights=m, minlength=n_rows)
    dead = row_sum[rows] <= 0  # every channel of the row has target 0: split equally
    if dead.any():
        m = np.where(dead, 1.0, m)
        row_sum = np.bincount(rows, weights=m, minlength=n_rows)
    return np.asarray(m * (row_target / row_sum)[rows], dtype=np.float64)


@dataclass(frozen=True)
class Layout:
    """Where converting journeys' outcomes can go: their distinct channel sets, the (set, channel)
    entries IPF fits, and each touch's entry. It depends only on which channels each journey holds,
    so one layout serves the point estimate and every bootstrap replicate."""

    n_channels: int
    set_of_journey: Int  # per journey: its channel set
    rows: Int  # per entry: its set
    cols: Int  # per entry: its channel
    touch_entry: Int  # per touch: the entry of its (set, channel)
    touch_split: Float  # per touch: 1 / touches of its channel in its journey
    touch_channel: Int
    touch_journey: Int

    @property
    def n_sets(self) -> int:
        return int(self.set_of_journey.max()) + 1 if self.set_of_journey.size else 0


def layout(journey: Int, channel: Int, n_journeys: int, n_channels: int) -> Layout:
    """The :class:`Layout` of touches given as (journey, channel), journeys numbered 0..n-1."""
    pair = np.unique(journey * n_channels + channel)
    pj, pc = pair // n_channels, pair % n_channels
    sig = _set_signature(pj, pc, n_journeys, n_channels)
    _, first_j, set_of_journey = np.unique(sig, axis=0, return_index=True, return_inverse=True)
    set_of_journey = set_of_journey.ravel().astype(np.int64)
    rep = np.zeros(n_journeys, dtype=bool)
    rep[first_j] = True
    sel = rep[pj]
    rows, cols = set_of_journey[pj[sel]], pc[sel]
    keys = rows * n_channels + cols  # sorted: pairs are sorted by journey, sets numbered by signature
    order = np.argsort(keys, kind="stable")
    rows, cols, keys = rows[order], cols[order], keys[order]
    touch_entry = np.searchsorted(keys, set_of_journey[journey] * n_channels + channel)
    pair_of_touch = np.searchsorted(pair, journey * n_channels + channel)
    per_pair = np.bincount(pair_of_touch, minlength=pair.shape[0]).astype(np.float64)
    return Layout(n_channels, set_of_journey, rows, cols, touch_entry.astype(np.int64),
                  1.0 / per_pair[pair_of_touch], channel, journey)


def place_on(lay: Layout, outcome: Float, channel_credit: Float) -> Placement:
    """Split each journey's ``outcome`` over its touches so channel totals come as close as IPF
    gets to ``channel_credit``; every journey's touch credits sum to its outcome."""
    set_outcome = np.bincount(lay.set_of_journey, weights=outcome, minlength=lay.n_sets)
    target = channel_credit.astype(np.float64)
    m, iters = ipf(lay.rows, lay.cols, set_outcome, target)
    share_in_set = np.divide(m, set_outcome[lay.rows], out=np.zeros_like(m), where=set_outcome[lay.rows] > 0)
    share = share_in_set[lay.touch_entry] * lay.touch_split
    placed = np.bincount(lay.touch_channel, weights=share * outcome[lay.touch_journey], minlength=lay.n_channels)
    return Placement(share, target - placed, iters)


def place(
    journey: Int,
    channel: Int,
    outcome: Float,
    channel_credit: Float,
) -> Placement:
    """Split each journey's outcome over its touches to match ``channel_credit`` by channel.

    ``journey``/``channel`` are per touch (touches of converting journeys), ``outcome`` per journey.
    """
    return place_on(layout(journey, channel, outcome.shape[0], channel_credit.shape[0]), outcome, channel_credit)


def _set_signature(pj: Int, pc: Int, n_j: int, n_ch: int) -> Int:
    """Each journey's channel set as bit words (exact; one int64 word per 62 channels)."""
    words = max(1, -(-n_ch // 62))
    sig = np.zeros((n_j, words), dtype=np.int64)
    np.add.at(sig, (pj, pc // 62), np.left_shift(np.int64(1), (pc % 62).astype(np.int64)))
    return sig


def check_sum(label: str, got: float, expected: float) -> None:
    """Raise unless ``got`` equals ``expected`` to 1e-9 relative (checked in code, every run)."""
    scale = max(abs(expected), 1.0)
    if abs(got - expected) > TOLERANCE * scale:
        raise IntegrityError(
            f"attribution credits for {label} sum to {got!r}, not {expected!r}",
            fix="report this as a bug with the command that produced it",
        )
