"""The marketing-mix model (``wanamaker mmm``; docs/mmm.md): weekly spend per channel against a weekly outcome,
with geometric adstock, logistic or Hill saturation, trend, yearly seasonality and controls.

The fast default is penalised least squares profiled over adstock and saturation, with a moving-block bootstrap
for intervals; ``method="bayes"`` fits PyMC-Marketing's MMM instead (the ``[bayes]`` extra). Lift tests
calibrate either. Modules, bottom up: ``transforms`` (adstock, saturation), ``media`` (the parameter space),
``design`` (the baseline), ``model`` (the fit), ``bootstrap``, ``calibration``, ``data`` (checked weekly input),
``weekly`` (the workspace's weeks, in the engine), ``fast`` and ``bayes`` (the two methods), ``results``, ``api``.
"""

from __future__ import annotations

from wanamaker.mmm.api import METHODS, OUTCOMES, fit, mmm_from_frame, mmm_from_workspace
from wanamaker.mmm.calibration import LiftTest
from wanamaker.mmm.data import WeeklyData
from wanamaker.mmm.results import BASELINE, ChannelRow, CurvePoint, Diagnostics, MmmResult, WeekRow
from wanamaker.mmm.transforms import geometric_adstock, hill_saturation, logistic_saturation
from wanamaker.mmm.weekly import weekly_frame

__all__ = [
    "BASELINE",
    "METHODS",
    "OUTCOMES",
    "ChannelRow",
    "CurvePoint",
    "Diagnostics",
    "LiftTest",
    "MmmResult",
    "WeekRow",
    "WeeklyData",
    "fit",
    "geometric_adstock",
    "hill_saturation",
    "logistic_saturation",
    "mmm_from_frame",
    "mmm_from_workspace",
    "weekly_frame",
]
