"""Randomised experiments read from the ``experiments`` table: every arm against its control
(``wanamaker experiments``), pricing tests (``wanamaker pricing``) and the lift tests other modules calibrate
against (:func:`lift_tests`). Methods and references: docs/experiments.md and :mod:`wanamaker.experiments.stats`.
"""

from wanamaker.experiments.analysis import ExperimentRow, ExperimentsResult, experiments
from wanamaker.experiments.lift import LiftTest, lift_tests
from wanamaker.experiments.pricing import PriceRow, PricingResult, pricing

__all__ = ["ExperimentRow", "ExperimentsResult", "LiftTest", "PriceRow", "PricingResult", "experiments",
           "lift_tests", "pricing"]
