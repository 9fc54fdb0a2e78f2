"""Benchmark of `wanamaker demo`: per-step times and peak RSS for one size.

python3 benchmarks/demo_bench.py medium      # the default demo, end to end
python3 benchmarks/demo_bench.py large       # generation and load of the large world
python3 benchmarks/demo_bench.py large 3GB   # ... with DuckDB's memory_limit set to 3GB
python3 benchmarks/demo_bench.py large build # generation and export writing only (no load)
"""

from __future__ import annotations

import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from wanamaker.demo.run import run_demo
from wanamaker.demo.spec import DemoSpec


def build_only(size: str) -> None:
    from wanamaker.demo.build import build

    root = Path(tempfile.mkdtemp(prefix=f"demo-build-{size}-"))
    t = time.perf_counter()
    built = build(DemoSpec(size=size), root)  # type: ignore[arg-type]
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"size": size, "counts": built.counts, "steps_s": {k: round(v, 1) for k, v in built.timings.items()},
                      "total_s": round(time.perf_counter() - t, 1), "peak_rss_mib": round(peak_mib)}, indent=1))  # fmt: skip
    shutil.rmtree(root, ignore_errors=True)


def main(size: str, memory_limit: str | None = None) -> None:
    def settings(ws: object) -> None:
        if memory_limit:
            ws.con.raw_sql(f"SET memory_limit = '{memory_limit}'")  # type: ignore[attr-defined]

    root = Path(tempfile.mkdtemp(prefix=f"demo-bench-{size}-")) / "ws"
    t = time.perf_counter()
    result = run_demo(
        root, DemoSpec(size=size), on_step=lambda s: print(s, flush=True), keep_exports=False, on_open=settings
    )  # type: ignore[arg-type]
    total = time.perf_counter() - t
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"size": size, "counts": result.built.counts,
                      "steps_s": {k: round(v, 1) for k, v in result.timings.items()},
                      "total_s": round(total, 1),
                      "load_s": {k: round(v, 1) for k, v in result.load_steps.items()}, "peak_rss_mib": round(peak_mib),
                      "quarantined": result.quarantine}, indent=1))  # fmt: skip
    shutil.rmtree(root.parent, ignore_errors=True)


if __name__ == "__main__":
    args = sys.argv[1:] + [""] * 2
    if args[1] == "build":
        build_only(args[0])
    else:
        main(args[0] or "medium", args[1] or None)
