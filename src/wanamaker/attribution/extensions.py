"""Models defined above attribution (DESIGN "Experiments and mix modelling": ``calibrated`` lives in
``wanamaker/triangulate/``, which imports attribution, experiments and the mix model; attribution never imports it).

A domain registers an :class:`Extension` by name with the module path of its function; attribution imports that
function only when the model runs. This module imports nothing heavy, so registering costs nothing at start-up.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Extension:
    """``name`` runs the model ``base`` and multiplies each channel's credit by the factors ``target`` returns.
    ``target`` is ``"module:function"``; the function takes ``(ws, opts, channels, base_c, base_v, outcome_c,
    outcome_v, measure_is_value)`` and returns a :class:`wanamaker.attribution.models.Calibration`."""

    name: str
    base: str
    target: str


EXTENSIONS: dict[str, Extension] = {}


def register_extension(ext: Extension) -> None:
    """Make ``ext.name`` a model of ``--model`` (and of ``--model all`` on a workspace)."""
    EXTENSIONS[ext.name] = ext


def extension_function(name: str) -> Any:
    module, _, function = EXTENSIONS[name].target.partition(":")
    return getattr(importlib.import_module(module), function)
