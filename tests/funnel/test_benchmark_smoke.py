"""The funnel benchmark runs at smoke size (benchmarks/funnel_1m.py --smoke)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "funnel_1m.py"


@pytest.mark.smoke
def test_funnel_benchmark_smoke(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("funnel_1m", BENCH)
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    report = bench.main(["--smoke", "--dir", str(tmp_path / "bench")])
    assert report["counts"]["people"] == 2_000
    assert report["counts"]["stage_events"] > 8_000
    assert [r["run"] for r in report["runs"]] == [label for label, _ in bench.RUNS]
    assert all(r["rows"] > 0 for r in report["runs"]) and report["peak_rss_mb"] > 0
    assert report["handwritten_sql"]["same_overall_numbers"]  # the hand-written query computes the same numbers
