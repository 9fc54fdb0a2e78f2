"""Which half, measured on the demo: ``wanamaker demo`` at a size and seed, then ``attribute --evaluate`` (every
model, ``calibrated`` and ``lift_tests_alone`` against the ground truth at ``opportunity``), ``wanamaker waste`` and
the ``zero_effect_channel`` findings. Prints one block; ``--record`` appends it to benchmarks/RESULTS-triangulate.md
with the command that produced it.

    python benchmarks/triangulate_demo.py --size medium --seed 42 --record
    python benchmarks/triangulate_demo.py --size small --seed 42
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import wanamaker
from wanamaker.demo.run import run_demo
from wanamaker.demo.spec import DemoSpec
from wanamaker.triangulate.evaluate import evaluate
from wanamaker.triangulate.findings import zero_effect_findings

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="medium", choices=("small", "medium", "large"))
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--record", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        root = Path(tmp) / "demo"
        run_demo(root, DemoSpec(size=args.size, seed=args.seed))
        built = time.perf_counter() - t0
        with wanamaker.open(root, read_only=True) as ws:
            t1 = time.perf_counter()
            ev = evaluate(ws)
            t_eval = time.perf_counter() - t1
            waste = ws.waste()
            zero = [f.subject for f in zero_effect_findings(ws)]
            truth = {r["channel"]: r["incremental_conversions"] for r in ws.sql(
                "SELECT channel, incremental_conversions FROM ground_truth WHERE milestone = 'opportunity'").to_pylist()}
    errors = {m.model: m.error_points for m in ev.models}
    others = {m: e for m, e in errors.items() if m not in ("calibrated", "lift_tests_alone")}
    best = min(others, key=others.__getitem__)
    verdicts = ", ".join(f"{r.key} {r.verdict} ({r.source})" for r in waste.rows[1:])
    large = [c for c, v in truth.items() if v >= 0.5 * max(truth.values())]
    lines = [
        f"demo {args.size} seed {args.seed} (built in {built:.0f} s; evaluate {t_eval:.1f} s):",
        f"- share points off the truth: calibrated {errors.get('calibrated', float('nan')):.1f}, best other model "
        f"{best} {others[best]:.1f}, lift_tests_alone {errors.get('lift_tests_alone', float('nan')):.1f}",
        f"- waste verdicts: {verdicts}",
        f"- channels with a large true effect (>= half the largest): {', '.join(large)}",
        f"- zero_effect_channel: {', '.join(zero) or 'none'}",
    ]
    print("\n".join(lines))
    if args.record:
        cmd = "python " + " ".join(shlex.quote(a) for a in [f"benchmarks/{Path(__file__).name}", *sys.argv[1:]])
        with open(ROOT / "benchmarks" / "RESULTS-triangulate.md", "a", encoding="utf-8") as fh:
            fh.write(f"\n### {datetime.now(UTC):%Y-%m-%d}\n\nCommand: `{cmd}`\n\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
