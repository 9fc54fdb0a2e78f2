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


@pytest.mark.smoke
def test_attribution_benchmark_smoke() -> None:
    """The comparison with ChannelAttribution runs end to end and reports both orders' ratios."""
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "attribution_markov_vs_channelattribution.py"),
                          "--smoke", "--repeat", "2"], capture_output=True, text=True, check=True, timeout=600).stdout
    assert "wanamaker runs with its" in out
    for order in (1, 3):
        assert f"order {order}: median ratio" in out and f"order {order}: wanamaker" in out
