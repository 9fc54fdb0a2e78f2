"""Benchmark of `wanamaker demo`: per-step times and peak RSS for one size.

python3 benchmarks/demo_bench.py              # the default demo (medium), end to end, DuckDB capped as the CLI does
python3 benchmarks/demo_bench.py large        # generation and load of the large world (same cap)
python3 benchmarks/demo_bench.py large 3GB    # ... with DuckDB's memory_limit set to 3GB instead
python3 benchmarks/demo_bench.py large none   # ... with DuckDB's own default (80 % of RAM)
python3 benchmarks/demo_bench.py large build  # generation and export writing only (no load)
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import tempfile
import time
from pathlib import Path

from wanamaker.cli.demo import DEMO_MEMORY_LIMIT
from wanamaker.demo.run import run_demo
from wanamaker.demo.spec import SIZES, DemoSpec


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
    root = Path(tempfile.mkdtemp(prefix=f"demo-bench-{size}-")) / "ws"
    t = time.perf_counter()
    result = run_demo(
        root, DemoSpec(size=size), on_step=lambda s: print(s, flush=True), keep_exports=False, memory_limit=memory_limit
    )  # type: ignore[arg-type]
    total = time.perf_counter() - t
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"size": size, "counts": result.built.counts,
                      "steps_s": {k: round(v, 1) for k, v in result.timings.items()},
                      "total_s": round(total, 1),
                      "load_s": {k: round(v, 1) for k, v in result.load_steps.items()}, "peak_rss_mib": round(peak_mib),
                      "quarantined": result.quarantine}, indent=1))  # fmt: skip
    shutil.rmtree(root.parent, ignore_errors=True)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog="Results: benchmarks/RESULTS-demo.md")
    ap.add_argument("size", nargs="?", default="medium", choices=sorted(SIZES), help="demo size (default: medium)")
    ap.add_argument(
        "limit",
        nargs="?",
        default=DEMO_MEMORY_LIMIT,
        help=f"DuckDB memory_limit of the workspace (default: {DEMO_MEMORY_LIMIT}, what `wanamaker demo` sets); "
        "'none' for DuckDB's default; 'build' to generate and write the exports only",
    )
    return ap.parse_args(argv)


if __name__ == "__main__":
    args = parse()
    if args.limit == "build":
        build_only(args.size)
    else:
        main(args.size, None if args.limit == "none" else args.limit)
