"""The MMM benchmark (benchmarks/mmm_fit.py) runs end to end at smoke size, with or without PyMC-Marketing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


@pytest.mark.smoke
def test_mmm_benchmark_smoke() -> None:
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "mmm_fit.py"), "--smoke"], capture_output=True,
                         text=True, check=True, timeout=600).stdout
    result = json.loads(out)
    assert result["fast"]["replicates"] == 20
    assert all(abs(c["error"]) < 0.15 for c in result["fast"]["channels"].values())
    assert result["pymc_marketing"]["status"] in ("ok", "not installed (pip install 'wanamaker[bayes]')")
