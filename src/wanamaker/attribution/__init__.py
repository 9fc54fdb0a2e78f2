"""Attribution: journeys, rule-based and exact data-driven models, credits, uncertainty, truth test
(DESIGN "Attribution"). The public entry is :func:`wanamaker.attribution.api.attribute`.

The API names load on first use, so reading a paths file does not import the engine layer.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# the models need numpy only; they are bound here (after their modules) so the names are functions
from wanamaker.attribution.markov import markov
from wanamaker.attribution.paths import Paths, from_sequences
from wanamaker.attribution.shapley import shapley, shapley_rate

if TYPE_CHECKING:
    from wanamaker.attribution.api import AttributionResult, AttributionRow, attribute

_LAZY = {
    "AttributionResult": "wanamaker.attribution.api",
    "AttributionRow": "wanamaker.attribution.api",
    "attribute": "wanamaker.attribution.api",
}

__all__ = ["AttributionResult", "AttributionRow", "Paths", "attribute", "from_sequences", "markov",
           "shapley", "shapley_rate"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'wanamaker.attribution' has no attribute {name!r}")
