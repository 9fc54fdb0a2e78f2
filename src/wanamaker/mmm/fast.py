"""The fast default fit, end to end: scale, fit, decompose, bootstrap, curves (docs/mmm.md).

Steps (each in its own module): scale the outcome and each channel by its largest absolute week (as
PyMC-Marketing does); build the baseline (:mod:`~wanamaker.mmm.design`); a first fit estimates the residual
variance, which sets the ridge (``HalfNormal(2)`` prior on each scaled coefficient) and the weight of lift tests
(:mod:`~wanamaker.mmm.calibration`); the final fit (:mod:`~wanamaker.mmm.model`); the weekly decomposition; the
moving-block bootstrap (:mod:`~wanamaker.mmm.bootstrap`); ROI intervals and response curves from the replicates.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from wanamaker.mmm.bootstrap import OnReplicate, Replicates, bootstrap, interval
from wanamaker.mmm.calibration import LiftTest, calibration_rows
from wanamaker.mmm.data import WeeklyData, check_size, notes_for
from wanamaker.mmm.design import base_design
from wanamaker.mmm.media import BOUNDS, MediaSpec, SaturationName, features
from wanamaker.mmm.model import PointFit, Problem, residual_variance, ridge_from_variance
from wanamaker.mmm.results import BASELINE, ChannelRow, CurvePoint, Diagnostics, MmmResult, WeekRow
from wanamaker.mmm.transforms import L_MAX, Array

#: the ridge of the first fit, before the residual variance is known (scaled units; barely binding)
FIRST_RHO = 1e-6
#: spend multipliers of the response curves: 0 (channel off) to 2 (doubled), in steps of 0.1
MULTIPLIERS: tuple[float, ...] = tuple(float(v) for v in np.round(np.linspace(0.0, 2.0, 21), 2))


@dataclass(frozen=True)
class Settings:
    """The model's settings (the defaults are the documented ones)."""

    saturation: SaturationName = "logistic"
    l_max: int = L_MAX
    normalize: bool = True
    fourier_order: int = 2
    trend: bool = True
    replicates: int = 200
    seed: int = 0
    multipliers: tuple[float, ...] = MULTIPLIERS

    @property
    def media(self) -> MediaSpec:
        return MediaSpec(self.saturation, self.l_max, self.normalize)


def channel_params(spec: MediaSpec, natural: Array, beta: float, y_scale: float, x_scale: float) -> dict[str, float]:
    """A channel's parameters for the output: adstock and saturation (on spend scaled to a largest week of 1),
    ``beta`` (the most one week can add, outcome units), ``spend_scale`` (the largest week's spend) and
    ``half_saturation`` (the weekly adstocked spend at which the channel gives half of ``beta``)."""
    out = {name: float(v) for name, v in zip(spec.names, natural, strict=True)}
    half = np.log(3.0) / natural[1] if spec.saturation == "logistic" else natural[1]
    out.update(beta=float(beta * y_scale), spend_scale=float(x_scale), half_saturation=float(half * x_scale))
    return out


def _edge_notes(spec: MediaSpec, natural: Array, channels: Sequence[str], beta: Array) -> list[str]:
    notes = []
    for i, ch in enumerate(channels):
        if beta[i] <= 0:
            notes.append(f"{ch}: no detectable effect (its coefficient is 0), so its adstock and saturation "
                         "parameters mean nothing.")
            continue
        edges = [name for j, name in enumerate(spec.names)
                 if name != "alpha" and np.isclose(natural[i, j], BOUNDS[name], rtol=1e-3).any()]
        if edges:
            notes.append(f"{ch}: {', '.join(edges)} at the edge of its range: the data do not pin the shape of the "
                         "response down; its contribution is still estimated, its curve beyond today's spend is not.")
    return notes


def _contributions(x: Array, spec: MediaSpec, natural: Array, beta: Array) -> Array:
    """Scaled weekly contributions (channels x weeks)."""
    out: Array = beta[:, None] * features(x, natural, spec)
    return out


def response_curves(data: WeeklyData, settings: Settings, x: Array, point: PointFit, reps: Replicates,
                    y_scale: float, fitted_total: float, contribution: Array) -> list[CurvePoint]:
    """Each channel's contribution over the data with its spend times each multiplier (every week alike), with
    the 90 % interval over the replicates; ``outcome`` = the fitted total with that channel's contribution
    swapped for the curve's."""
    spec = settings.media
    k = np.asarray(settings.multipliers, dtype=np.float64)
    out = []
    for j, ch in enumerate(data.channels):
        xs = k[:, None] * x[j][None, :]
        point_curve = point.beta[j] * features(xs, np.repeat(point.natural[j][None], k.size, 0), spec).sum(1)
        lo = hi = None
        if reps.size:
            rep_curves = np.array([reps.beta[b, j] * features(xs, np.repeat(reps.natural[b, j][None], k.size, 0),
                                                                spec).sum(1) for b in range(reps.size)])
            lo, hi = interval(rep_curves * y_scale)
        total_spend = float(data.spend[j].sum())
        for i, mult in enumerate(k):
            value = float(point_curve[i] * y_scale)
            out.append(CurvePoint(ch, float(mult), float(mult * total_spend), value,
                                  None if lo is None else float(lo[i]), None if hi is None else float(hi[i]),
                                  float(fitted_total - contribution[j] + value)))
    return out


def _diagnostics(y_obs: Array, y_fit: Array, residuals: Array, parameters: int, y_scale: float,
                 seconds: float) -> Diagnostics:
    nonzero = y_obs != 0
    n = y_obs.size
    return Diagnostics(
        weeks=n,
        r2=float(1.0 - ((y_obs - y_fit) ** 2).sum() / ((y_obs - y_obs.mean()) ** 2).sum()),
        mape=float(np.mean(np.abs(y_obs - y_fit)[nonzero] / np.abs(y_obs[nonzero]))) if nonzero.any() else None,
        sigma=float(np.sqrt(residual_variance(float(residuals @ residuals), n, parameters)) * y_scale),
        seconds=seconds,
    )


def _settings_params(data: WeeklyData, settings: Settings, replicates: int, tests: int) -> dict[str, object]:
    spec = settings.media
    return {"method": "fast", "outcome": data.outcome_name, "weeks_from": data.weeks[0], "weeks_to": data.weeks[-1],
            "saturation": spec.saturation, "adstock": "geometric", "l_max": spec.l_max, "normalize": spec.normalize,
            "fourier_order": settings.fourier_order, "trend": settings.trend, "controls": list(data.control_names),
            "replicates": replicates, "seed": settings.seed, "interval": 0.9, "lift_tests": tests,
            "selection": "penalised least squares (ridge = HalfNormal(2) prior on scaled coefficients)"}


def fit_fast(data: WeeklyData, settings: Settings, tests: Sequence[LiftTest] = (),
             on_replicate: OnReplicate | None = None) -> MmmResult:
    """Fit the model to ``data`` with ``settings`` (calibrated by ``tests``); see the module doc."""
    started = time.perf_counter()
    spec = settings.media
    n, days = len(data.weeks), data.days
    design = base_design(days, data.controls, data.control_names, fourier_order=settings.fourier_order,
                         trend=settings.trend)
    check_size(data, design.matrix.shape[1], 1 + len(spec.names))
    y_scale = float(np.abs(data.outcome).max())
    x_scale = data.spend.max(axis=1)
    x, y = data.spend / x_scale[:, None], data.outcome / y_scale
    yp = design.project_out(y)
    parameters = design.basis.shape[1] + (1 + len(spec.names)) * len(data.channels)

    # a first fit gives the residual variance, which sets the ridge and the weight of the lift tests
    first = Problem(x, design, spec, FIRST_RHO).fit(yp)
    sigma2 = residual_variance(first.criterion, n, parameters)
    cal, cal_sd = calibration_rows(tests, data.channels, days, y_scale, float(np.sqrt(sigma2)))
    problem = Problem(x, design, spec, ridge_from_variance(sigma2), cal)
    calibrated = problem.calibration
    point = problem.fit(yp, calibrated, start=None if calibrated is not None else first.natural)

    media = _contributions(x, spec, point.natural, point.beta)
    gamma = design.coefficients(y - media.sum(axis=0))
    baseline = design.matrix @ gamma
    fitted = baseline + media.sum(axis=0)
    residuals = y - fitted
    reps = bootstrap(problem, point, fitted, residuals, replicates=settings.replicates, seed=settings.seed,
                     parameters=parameters, cal=calibrated, cal_sd=cal_sd if calibrated is not None else None,
                     on_replicate=on_replicate)

    spend = data.spend.sum(axis=1)
    contribution = media.sum(axis=1) * y_scale
    roi_lo = roi_hi = None
    if reps.size:
        rep_contrib = np.array([_contributions(x, spec, reps.natural[b], reps.beta[b]).sum(axis=1)
                                for b in range(reps.size)]) * y_scale
        roi_lo, roi_hi = interval(rep_contrib / spend)
    rows = [ChannelRow(ch, float(spend[j]), float(contribution[j]), float(contribution[j] / spend[j]),
                       None if roi_lo is None else float(roi_lo[j]), None if roi_hi is None else float(roi_hi[j]),
                       channel_params(spec, point.natural[j], float(point.beta[j]), y_scale, float(x_scale[j])))
            for j, ch in enumerate(data.channels)]
    rows.append(ChannelRow(BASELINE, None, float(baseline.sum() * y_scale), None, None, None,
                           {name: float(g * y_scale) for name, g in zip(design.names, gamma, strict=True)}))
    y_fit = fitted * y_scale
    weekly = tuple(
        WeekRow(data.weeks[t], float(data.outcome[t]), float(y_fit[t]), float(baseline[t] * y_scale),
                {ch: float(media[j, t] * y_scale) for j, ch in enumerate(data.channels)})
        for t in range(n)
    )
    curves = response_curves(data, settings, x, point, reps, y_scale, float(y_fit.sum()), contribution)
    notes = [*data.notes, *notes_for(data), *_edge_notes(spec, point.natural, data.channels, point.beta)]
    if design.basis.shape[1] < design.matrix.shape[1]:
        notes.append(f"The baseline columns ({', '.join(design.names)}) are collinear (a control that is a time "
                     "index repeats the trend, a constant control the intercept): the (baseline) row's total is "
                     "right, their separate coefficients are not identified.")
    diagnostics = _diagnostics(data.outcome, y_fit, residuals, parameters, y_scale, time.perf_counter() - started)
    return MmmResult(tuple(rows), tuple(curves), weekly, diagnostics, tuple(notes),
                     _settings_params(data, settings, reps.size, len(tests)))


__all__ = ["MULTIPLIERS", "Settings", "channel_params", "fit_fast", "response_curves"]
