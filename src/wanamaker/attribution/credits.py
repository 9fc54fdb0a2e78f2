"""Touch-level credits for channel-level models, and the reconciliation checks (DESIGN
"Attribution", touch-level credits).

Every converting journey's credits sum to its outcome, always. For Markov and Shapley a journey's
outcome is split over its channels by iterative proportional fitting (IPF) on the journey x channel
incidence matrix so channel totals come as close as possible to the model's channel credit
(stopped at 1e-12 relative or 10,000 iterations), then equally over the channel's touches in the
journey. Journeys with the same channel set get the same split, so IPF runs on distinct sets.
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


@dataclass(frozen=True)
class Placement:
    touch_share: Float  # per touch: its share of its journey's outcome (sums to 1 per journey)
    gap: Float  # per channel: model credit - placed credit
    iterations: int


def ipf(rows: Int, cols: Int, row_target: Float, col_target: Float) -> tuple[Float, int]:
    """Fit positive entries on the (rows, cols) pattern to the margins; rows always exact.

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
        m = _fit_rows(m * f[cols], rows, row_target, n_rows)
        col_sum = np.bincount(cols, weights=m, minlength=n_cols)
        err = np.abs(col_sum - col_target)[col_sum > 0]
        if err.size == 0 or float(err.max()) <= IPF_TOL * scale:
            break
    return m, it


def _fit_rows(m: Float, rows: Int, row_target: Float, n_rows: int) -> Float:
    row_sum = np.bincount(rows, weights=m, minlength=n_rows)
    dead = row_sum[rows] <= 0  # every channel of the row has target 0: split equally
    if dead.any():
        m = np.where(dead, 1.0, m)
        row_sum = np.bincount(rows, weights=m, minlength=n_rows)
    return np.asarray(m * (row_target / row_sum)[rows], dtype=np.float64)


def place(
    journey: Int,
    channel: Int,
    outcome: Float,
    channel_credit: Float,
) -> Placement:
    """Split each journey's outcome over its touches to match ``channel_credit`` by channel.

    ``journey``/``channel`` are per touch (touches of converting journeys), ``outcome`` per journey.
    """
    n_ch = channel_credit.shape[0]
    pair = np.unique(journey * n_ch + channel)
    pj, pc = pair // n_ch, pair % n_ch
    # distinct channel sets as rows
    n_j = outcome.shape[0]
    sig = _set_signature(pj, pc, n_j, n_ch)
    _, first_j, set_of_journey = np.unique(sig, axis=0, return_index=True, return_inverse=True)
    set_of_journey = set_of_journey.ravel()
    n_sets = first_j.shape[0]
    rep = np.zeros(n_j, dtype=bool)
    rep[first_j] = True
    sel = rep[pj]
    srows, scols = set_of_journey[pj[sel]], pc[sel]
    set_outcome = np.bincount(set_of_journey, weights=outcome, minlength=n_sets)
    target = channel_credit.astype(np.float64)
    m, iters = ipf(srows, scols, set_outcome, target)
    share_in_set = np.divide(m, set_outcome[srows], out=np.zeros_like(m), where=set_outcome[srows] > 0)
    # dense lookup (set, channel) -> share, via sorted keys
    keys = srows * n_ch + scols
    order = np.argsort(keys)
    keys, share_in_set = keys[order], share_in_set[order]
    touch_key = set_of_journey[journey] * n_ch + channel
    share = share_in_set[np.searchsorted(keys, touch_key)]
    touches_per_pair = np.bincount(np.searchsorted(pair, journey * n_ch + channel), minlength=pair.shape[0])
    share = share / touches_per_pair[np.searchsorted(pair, journey * n_ch + channel)]
    placed = np.bincount(channel, weights=share * outcome[journey], minlength=n_ch)
    return Placement(share, target - placed, iters)


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
