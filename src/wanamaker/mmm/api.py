"""The marketing-mix model's two entry points: a weekly frame (a file) and a workspace (docs/mmm.md).

>>> import numpy as np, pandas as pd
>>> weeks = pd.date_range("2023-01-02", periods=104, freq="W-MON")
>>> tv = np.where(np.arange(104) % 4 == 0, 100.0, 20.0)
>>> sales = 1000 + 400 * np.tanh(tv / 100)
>>> r = mmm_from_frame(pd.DataFrame({"week": weeks, "sales": sales, "tv": tv}), "week", "sales", ["tv"],
...                    replicates=0)
>>> [row["channel"] for row in r.as_json()]
['tv', '(baseline)']
>>> round(float(sum(row["contribution"] for row in r.as_json()) / sales.sum()), 6)
1.0
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from wanamaker.config.options import choice_option, int_option
from wanamaker.metrics.catalogue import Source
from wanamaker.mmm.bootstrap import OnReplicate
from wanamaker.mmm.calibration import LiftInput, lift_tests
from wanamaker.mmm.data import WeeklyData, frame_data
from wanamaker.mmm.fast import Settings, fit_fast
from wanamaker.mmm.media import SATURATIONS
from wanamaker.mmm.results import MmmResult
from wanamaker.mmm.weekly import OUTCOMES, weekly_frame

METHODS: tuple[str, ...] = ("fast", "bayes")
MAX_REPLICATES = 10_000


def _settings(saturation: str, l_max: int, normalize: bool, fourier_order: int, trend: bool, replicates: int,
              seed: int) -> Settings:
    choice_option("--saturation", saturation, SATURATIONS)
    int_option("--l-max", l_max, minimum=1, maximum=52)
    int_option("--fourier-order", fourier_order, minimum=0, maximum=10)
    int_option("--replicates", replicates, minimum=0, maximum=MAX_REPLICATES)
    int_option("--seed", seed, minimum=0)
    return Settings(saturation=saturation, l_max=l_max, normalize=normalize,  # type: ignore[arg-type]
                    fourier_order=fourier_order, trend=trend, replicates=replicates, seed=seed)


def _run(data: WeeklyData, method: str, settings: Settings, calibration: Sequence[LiftInput] | None,
         on_replicate: OnReplicate | None) -> MmmResult:
    if not data.weeks:
        return MmmResult.empty(data.notes, {"method": method, "outcome": data.outcome_name})
    tests = lift_tests(calibration or (), data.channels)
    if method == "bayes":
        from wanamaker.mmm.bayes import fit_bayes

        return fit_bayes(data, settings, tests)
    return fit_fast(data, settings, tests, on_replicate)


def check_method(method: str) -> str:
    """``fast`` or ``bayes``; for ``bayes``, PyMC-Marketing must import (else a usage error with the install fix)."""
    choice_option("--method", method, METHODS)
    if method == "bayes":
        from wanamaker.mmm.bayes import import_pymc_marketing

        import_pymc_marketing()  # the install fix before any work
    return method


def fit(data: WeeklyData, *, method: str = "fast", saturation: str = "logistic", l_max: int = 8,
        normalize: bool = True, fourier_order: int = 2, trend: bool = True, replicates: int = 200, seed: int = 0,
        calibration: Sequence[LiftInput] | None = None, on_replicate: OnReplicate | None = None) -> MmmResult:
    """Fit checked weekly data with either method (the keywords are those of :func:`mmm_from_frame`)."""
    settings = _settings(saturation, l_max, normalize, fourier_order, trend, replicates, seed)
    return _run(data, check_method(method), settings, calibration, on_replicate)


def mmm_from_frame(df: pd.DataFrame, date: str, outcome: str, channels: Sequence[str],
                   controls: Sequence[str] = (), *, method: str = "fast", saturation: str = "logistic",
                   l_max: int = 8, normalize: bool = True, fourier_order: int = 2, trend: bool = True,
                   replicates: int = 200, seed: int = 0, calibration: Sequence[LiftInput] | None = None,
                   on_replicate: OnReplicate | None = None) -> MmmResult:
    """Fit the marketing-mix model to a weekly frame: ``date`` (one row per week, consecutive weeks), a numeric
    ``outcome``, spend (or impressions) ``channels`` and numeric ``controls``.

    ``method`` ``fast`` (default: penalised least squares with a block bootstrap of ``replicates`` refits, seeded
    by ``seed``) or ``bayes`` (PyMC-Marketing, the ``[bayes]`` extra). ``saturation`` ``logistic`` or ``hill``;
    ``l_max`` weeks of adstock, ``normalize`` its weights; ``fourier_order`` yearly modes; ``trend`` a linear
    trend. ``calibration``: lift tests, each a :class:`~wanamaker.mmm.calibration.LiftTest` or a tuple
    ``(channel, start, end, lift, low, high)`` (dates inclusive; lift in outcome units; low/high its 90 %
    interval). ``on_replicate(done, total)`` is called after each bootstrap refit.
    """
    settings = _settings(saturation, l_max, normalize, fourier_order, trend, replicates, seed)
    method = check_method(method)
    data = frame_data(df, date, outcome, list(channels), list(controls))
    return _run(data, method, settings, calibration, on_replicate)


def mmm_from_workspace(ws: Source, outcome: str = "opportunities", *, in_label: str | None = None,
                       channels: Sequence[str] | None = None, method: str = "fast", saturation: str = "logistic",
                       l_max: int = 8, normalize: bool = True, fourier_order: int = 2, trend: bool = True,
                       replicates: int = 200, seed: int = 0, calibration: Sequence[LiftInput] | None = None,
                       on_replicate: OnReplicate | None = None) -> MmmResult:
    """Fit the marketing-mix model to a workspace: weekly spend per channel from ``spend`` and the weekly
    ``outcome`` -- ``opportunities`` (created), ``pipeline`` (amount created) or ``revenue`` (won, by close) --
    aggregated in the engine (:mod:`wanamaker.mmm.weekly`), over the whole weeks of the spend data or of the
    period ``in_label``; ``channels`` limits the channels. The other keywords are those of
    :func:`mmm_from_frame`."""
    choice_option("--outcome-metric", outcome, OUTCOMES)
    settings = _settings(saturation, l_max, normalize, fourier_order, trend, replicates, seed)
    method = check_method(method)
    data = weekly_frame(ws, outcome, in_label=in_label, channels=channels)
    return _run(data, method, settings, calibration, on_replicate)


__all__ = ["MAX_REPLICATES", "METHODS", "OUTCOMES", "check_method", "fit", "mmm_from_frame", "mmm_from_workspace"]
