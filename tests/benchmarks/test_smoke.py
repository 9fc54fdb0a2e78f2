"""Benchmarks run in CI only at smoke size: they must keep working, not be fast."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


@pytest.mark.smoke
def test_ingest_benchmark_smoke(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "ingest_touchpoints.py"), "--smoke",
                          "--data", str(tmp_path)], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    assert result["rows"] == 20_000 and result["ratio"] > 0
