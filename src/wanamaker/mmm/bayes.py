"""The optional Bayesian fit (``method="bayes"``): PyMC-Marketing's multidimensional ``MMM`` with the same media
transforms, sampled with NUTS at PyMC-Marketing's defaults; installed with ``pip install 'wanamaker[bayes]'``.

The model matches the fast fit's: geometric adstock (``l_max``, normalised), logistic or Hill saturation,
channels and outcome max-abs scaled, yearly Fourier modes, the controls, and the linear trend as one more
control (PyMC-Marketing's ``MMM`` has no trend of its own; its example passes ``t`` as a control) unless the
controls already hold it (a time index such as the example's ``t``): two copies of one column leave the posterior a
long ridge that NUTS crawls along (on the example, 570 s at the maximum tree depth instead of 35 s). Priors are
PyMC-Marketing's defaults. A lift test enters through ``add_lift_test_measurements`` as the step from no spend to
the window's mean weekly spend giving the window's lift per week (a steady-state reading of the test).

Output: contributions from the posterior of ``channel_contribution`` (times ``target_scale``), ROI intervals from
its 5th and 95th percentiles, parameters at their posterior means, and response curves from up to 200 posterior
draws through :mod:`wanamaker.mmm.transforms` (the same functions, so the curves of both methods compare).
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from wanamaker.errors import UsageError
from wanamaker.mmm.bootstrap import Replicates, interval
from wanamaker.mmm.calibration import LiftTest, window_weights
from wanamaker.mmm.data import WeeklyData, check_size, notes_for
from wanamaker.mmm.design import base_design
from wanamaker.mmm.fast import Settings, channel_params, response_curves
from wanamaker.mmm.model import PointFit
from wanamaker.mmm.results import BASELINE, ChannelRow, Diagnostics, MmmResult, WeekRow
from wanamaker.mmm.transforms import Array

INSTALL_FIX = "Install the extra: pip install 'wanamaker[bayes]' (PyMC-Marketing, ~760 MB), or use --method fast."
CURVE_DRAWS = 200
BASE_PARTS = ("intercept_contribution", "control_contribution", "yearly_seasonality_contribution")


def import_pymc_marketing() -> Any:
    """The ``pymc_marketing`` package, or a usage error with the install command."""
    try:
        import pymc_marketing
        import pymc_marketing.mmm.multidimensional  # noqa: F401
    except ImportError as exc:
        raise UsageError(f"--method bayes needs PyMC-Marketing, which is not installed ({exc.name or exc}).",
                         fix=INSTALL_FIX) from None
    return pymc_marketing


def _trend(data: WeeklyData) -> Array:
    """The linear trend: 0 at the first week, 1 at the last."""
    days = data.days.astype(np.float64)
    out: Array = (days - days[0]) / max(days[-1] - days[0], 1.0)
    return out


def controls_hold_trend(data: WeeklyData, tolerance: float = 1e-6) -> bool:
    """Whether the controls (with an intercept) already make up the linear trend, e.g. a time index ``t``.

    >>> from datetime import date, timedelta
    >>> weeks = tuple(date(2024, 1, 1) + timedelta(weeks=i) for i in range(5))
    >>> def data(controls: list[list[float]]) -> WeeklyData:
    ...     return WeeklyData(weeks, np.ones(5), "y", ("tv",), np.ones((1, 5)), np.array(controls).reshape(-1, 5),
    ...                       tuple(f"z{i}" for i in range(len(controls))))
    >>> controls_hold_trend(data([[10.0, 11.0, 12.0, 13.0, 14.0]])), controls_hold_trend(data([[0, 1, 0, 0, 1.0]]))
    (True, False)
    >>> controls_hold_trend(data([]))
    False
    """
    if not data.control_names:
        return False
    trend = _trend(data)
    basis = np.column_stack([np.ones_like(trend), *data.controls])
    coef, *_ = np.linalg.lstsq(basis, trend, rcond=None)
    return bool(np.abs(basis @ coef - trend).max() < tolerance)


def _inputs(data: WeeklyData, settings: Settings) -> tuple[Any, Any, list[str], list[str]]:
    """``X`` and ``y`` with safe column names (``c0..`` channels, ``z0..`` controls, ``trend`` unless the controls
    hold it already)."""
    import pandas as pd

    channels = [f"c{i}" for i in range(len(data.channels))]
    controls = [f"z{i}" for i in range(len(data.control_names))]
    frame: dict[str, Any] = {"week": pd.to_datetime(list(data.weeks))}
    frame.update({c: data.spend[i] for i, c in enumerate(channels)})
    frame.update({c: data.controls[i] for i, c in enumerate(controls)})
    if settings.trend and not controls_hold_trend(data):
        frame["trend"] = _trend(data)
        controls.append("trend")
    return pd.DataFrame(frame), pd.Series(data.outcome, name="outcome"), channels, controls


def _lift_frame(data: WeeklyData, tests: Sequence[LiftTest]) -> Any:
    import pandas as pd

    rows = []
    for t in tests:
        if t.lift <= 0:
            raise UsageError(f"--method bayes: the {t.channel} lift test's lift {t.lift} is not positive "
                             "(PyMC-Marketing's lift likelihood is a Gamma).", fix="Use --method fast for it.")
        w = window_weights(t, data.days)
        j = data.channels.index(t.channel)
        weeks = float(w.sum())
        rows.append({"channel": f"c{j}", "x": 0.0, "delta_x": float((w * data.spend[j]).sum() / weeks),
                     "delta_y": t.lift / weeks, "sigma": t.se / weeks})
    return pd.DataFrame(rows)


def fit_bayes(data: WeeklyData, settings: Settings, tests: Sequence[LiftTest] = (), *,
              sampler: Mapping[str, Any] | None = None) -> MmmResult:
    """Sample PyMC-Marketing's MMM on ``data`` (see the module doc). ``sampler``: keyword arguments for
    ``pm.sample`` (``draws``, ``tune``, ``chains``, ...) over PyMC's defaults (1,000 draws after 1,000 tuning steps,
    two or more chains)."""
    import_pymc_marketing()
    from pymc_marketing.mmm import GeometricAdstock, HillSaturation, LogisticSaturation
    from pymc_marketing.mmm.multidimensional import MMM

    design = base_design(data.days, data.controls, data.control_names, fourier_order=settings.fourier_order,
                         trend=settings.trend)
    check_size(data, design.matrix.shape[1], 1 + len(settings.media.names))
    started = time.perf_counter()
    x, y, channels, controls = _inputs(data, settings)
    saturation = LogisticSaturation() if settings.saturation == "logistic" else HillSaturation()
    mmm = MMM(date_column="week", channel_columns=channels, target_column="outcome",
              adstock=GeometricAdstock(l_max=settings.l_max, normalize=settings.normalize), saturation=saturation,
              control_columns=controls or None, yearly_seasonality=settings.fourier_order or None)
    mmm.build_model(x, y)
    if tests:
        mmm.add_lift_test_measurements(_lift_frame(data, tests))
    with contextlib.redirect_stdout(sys.stderr):  # PyMC's "Computing ..." bar would land in --format json's stdout
        idata = mmm.fit(x, y, progressbar=False, random_seed=settings.seed, **dict(sampler or {}))
    posterior, constant = idata.posterior, idata.constant_data
    draws = {name: np.asarray(posterior[name].stack(sample=("chain", "draw")).transpose("sample", ...).values)
             for name in posterior.data_vars if name.startswith(("adstock_", "saturation_")) or
             name in ("channel_contribution", *BASE_PARTS)}
    result = result_from_draws(data, settings, draws, float(np.asarray(constant["target_scale"].values).ravel()[0]),
                               np.asarray(constant["channel_scale"].values, dtype=np.float64).ravel(),
                               time.perf_counter() - started, len(tests))
    if settings.trend and "trend" not in controls:
        note = ("The controls already hold the linear trend (a time index), so the Bayesian model takes it from them "
                "and adds no trend of its own.")
        result = replace(result, notes=(*result.notes, note))
    return result


def result_from_draws(data: WeeklyData, settings: Settings, draws: Mapping[str, Array], target_scale: float,
                      channel_scale: Array, seconds: float, lift_tests: int = 0) -> MmmResult:
    """The result from posterior draws (each array: draws first; ``channel_contribution`` draws x weeks x
    channels, scaled; ``adstock_alpha`` and ``saturation_*`` draws x channels). Kept apart from the sampling so it
    can be checked without PyMC."""
    spec = settings.media
    contrib_draws = np.asarray(draws["channel_contribution"]).sum(axis=1) * target_scale  # draws x channels
    spend = data.spend.sum(axis=1)
    contribution = contrib_draws.mean(axis=0)
    roi_lo, roi_hi = interval(contrib_draws / spend)
    names = spec.names
    natural_draws = np.stack([np.asarray(draws["adstock_alpha" if n == "alpha" else f"saturation_{n}"])
                              for n in names], axis=-1)  # draws x channels x names
    beta_draws = np.asarray(draws["saturation_beta"])
    natural, beta = natural_draws.mean(axis=0), beta_draws.mean(axis=0)
    weekly_media = np.asarray(draws["channel_contribution"]).mean(axis=0).T * target_scale  # channels x weeks
    base_weekly = np.zeros(len(data.weeks))
    for part in BASE_PARTS:
        if part in draws:
            arr = np.asarray(draws[part]).mean(axis=0)
            base_weekly += (arr.reshape(arr.shape[0], -1).sum(axis=1) if arr.ndim > 1 else arr) * target_scale
    fitted = base_weekly + weekly_media.sum(axis=0)
    rows = [ChannelRow(ch, float(spend[j]), float(contribution[j]), float(contribution[j] / spend[j]),
                       float(roi_lo[j]), float(roi_hi[j]),
                       channel_params(spec, natural[j], float(beta[j]), target_scale, float(channel_scale[j])))
            for j, ch in enumerate(data.channels)]
    rows.append(ChannelRow(BASELINE, None, float(base_weekly.sum()), None, None, None, {}))
    y = data.outcome
    nonzero = y != 0
    diagnostics = Diagnostics(len(data.weeks), float(1.0 - ((y - fitted) ** 2).sum() / ((y - y.mean()) ** 2).sum()),
                              float(np.mean(np.abs(y - fitted)[nonzero] / np.abs(y[nonzero]))) if nonzero.any()
                              else None, float(np.std(y - fitted, ddof=1)), seconds)
    weekly = tuple(WeekRow(data.weeks[t], float(y[t]), float(fitted[t]), float(base_weekly[t]),
                           {ch: float(weekly_media[j, t]) for j, ch in enumerate(data.channels)})
                   for t in range(len(data.weeks)))
    take = np.linspace(0, len(beta_draws) - 1, min(CURVE_DRAWS, len(beta_draws))).astype(int)
    x = data.spend / channel_scale[:, None]
    reps = Replicates(natural_draws[take], beta_draws[take])
    curves = response_curves(data, settings, x, PointFit(natural, beta, float("nan")), reps, target_scale,
                     float(fitted.sum()), np.array([r.contribution for r in rows[:-1]]))
    params = {"method": "bayes", "outcome": data.outcome_name, "weeks_from": data.weeks[0], "weeks_to": data.weeks[-1],
              "saturation": spec.saturation, "adstock": "geometric", "l_max": spec.l_max,
              "normalize": spec.normalize, "fourier_order": settings.fourier_order, "trend": settings.trend,
              "controls": list(data.control_names), "draws": int(len(beta_draws)), "seed": settings.seed,
              "interval": 0.9, "lift_tests": lift_tests, "selection": "posterior (PyMC-Marketing, NUTS)"}
    notes = [*data.notes, *notes_for(data), "Curves use the posterior mean parameters; contributions the posterior "
             "mean of channel_contribution."]
    return MmmResult(tuple(rows), tuple(curves), weekly, diagnostics, tuple(notes), params)


__all__ = ["INSTALL_FIX", "controls_hold_trend", "fit_bayes", "import_pymc_marketing", "result_from_draws"]
