"""The compiled kernels of the data-driven models, when they are built.

``_kernels`` is a small C extension (``setup.py`` builds it when a C compiler is present; the
install does not fail without one). Each kernel has a numpy twin giving identical results, so
the extension changes only speed. ``WANAMAKER_KERNELS=numpy`` uses the twins even when the
extension is built (tests compare the two; users can rule the extension out).
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType


def native() -> ModuleType | None:
    """The compiled kernels, or ``None`` when they are not built or ruled out."""
    if os.environ.get("WANAMAKER_KERNELS", "").strip().lower() == "numpy":
        return None
    try:
        return importlib.import_module("wanamaker.attribution._kernels")
    except ImportError:
        return None


def describe() -> str:
    """One line for notes and benchmarks: which kernels run."""
    if native() is not None:
        return "compiled kernels"
    if os.environ.get("WANAMAKER_KERNELS", "").strip().lower() == "numpy":
        return "numpy kernels (WANAMAKER_KERNELS=numpy)"
    return "numpy kernels (the compiled extension is not built)"
