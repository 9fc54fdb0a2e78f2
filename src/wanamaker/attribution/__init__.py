"""Attribution: journeys, rule-based and exact data-driven models, credits, uncertainty, truth test
(DESIGN "Attribution"). The public entry is :func:`wanamaker.attribution.api.attribute`."""

from __future__ import annotations

from wanamaker.attribution.api import AttributionResult, AttributionRow, attribute
from wanamaker.attribution.markov import markov
from wanamaker.attribution.paths import Paths, from_sequences
from wanamaker.attribution.shapley import shapley, shapley_rate

__all__ = ["AttributionResult", "AttributionRow", "Paths", "attribute", "from_sequences", "markov",
           "shapley", "shapley_rate"]
