"""Running a test on both attribution kernels: the compiled extension, then its numpy twin."""

from __future__ import annotations

import pytest

from support.servers import missing
from wanamaker.attribution import kernels

KERNELS = ["compiled", "numpy"]


def use_kernel(name: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Select kernel ``name`` for the test (the compiled one skips with a reason when it is not built)."""
    if name == "numpy":
        monkeypatch.setenv("WANAMAKER_KERNELS", "numpy")
    elif kernels.native() is None:
        missing("the compiled kernels are not built (pip install -e . builds them when a C compiler is present)")
    return name
