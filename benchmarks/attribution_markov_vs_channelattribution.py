"""Benchmark: exact Markov (wanamaker) vs ChannelAttribution 2.2.5 on identical aggregated paths.

Generates synthetic ChannelAttribution-format paths with a seed, then runs, as separate whole
processes in this one run (one after the other, so neither takes the other's cores; ``--concurrent``
starts them together), ``wanamaker attribute --paths FILE --model markov --order K``
and a script calling ``ChannelAttribution.markov_model(..., order=K, ncore=2)`` at its default
precision. Reports wall time, peak RSS, the speed ratio and ChannelAttribution's error against the
exact answer (max relative error per channel, and the total-variation distance in share points).

    python benchmarks/attribution_markov_vs_channelattribution.py --journeys 3000000 --channels 50
    python benchmarks/attribution_markov_vs_channelattribution.py --smoke

``--repeat N`` runs each pair N times (the box's timing noise shows in the spread) and reports the
median ratio and the ratio of the best times. Each run also reports the share of CPU time the
virtual machine's host stole while it ran (``/proc/stat``), which is where that noise comes from. wanamaker's modules are byte-compiled first, as a regular ``pip install`` does
(ChannelAttribution's already are); an editable install under ``PYTHONDONTWRITEBYTECODE=1`` would
otherwise compile them from source on every start.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CA_SCRIPT = r"""
import contextlib, io, json, sys
import pandas as pd
with contextlib.redirect_stdout(io.StringIO()):
    from ChannelAttribution import markov_model
df = pd.read_csv(sys.argv[1])
with contextlib.redirect_stdout(io.StringIO()):
    res = markov_model(df, "path", "total_conversions", var_null="total_null", order=int(sys.argv[2]),
                       ncore=2, verbose=0, flg_pro=False)
out = dict(zip(res["channel_name"], res["total_conversions"]))
json.dump(out, open(sys.argv[3], "w"))
"""


def generate(path: Path, journeys: int, channels: int, seed: int) -> tuple[int, int]:
    rng = np.random.default_rng(seed)
    pop = 1 / np.arange(1, channels + 1) ** 0.8
    pop /= pop.sum()
    lengths = rng.geometric(0.28, journeys).clip(1, 40)
    steps = rng.choice(channels, int(lengths.sum()), p=pop)
    pid = np.repeat(np.arange(journeys), lengths)
    lift = 0.02 * (np.arange(channels) % 5)
    p_conv = 0.03 + np.bincount(pid, weights=lift[steps], minlength=journeys).clip(0, 0.5)
    conv = rng.random(journeys) < p_conv
    names = np.array([f"ch{i:02d}" for i in range(channels)], dtype=object)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    strings = [" > ".join(names[steps[a:b]]) for a, b in zip(offsets[:-1], offsets[1:], strict=False)]
    import pandas as pd

    df = pd.DataFrame({"path": strings, "conv": conv.astype(int)})
    agg = df.groupby("path", sort=False)["conv"].agg(["sum", "count"]).reset_index()
    out = pd.DataFrame({"path": agg["path"], "total_conversions": agg["sum"],
                        "total_null": agg["count"] - agg["sum"]})
    out.to_csv(path, index=False)
    return len(out), int(conv.sum())


def cpu_ticks() -> tuple[int, int]:
    """(all, stolen) CPU ticks so far: the share a virtual machine's host took while we ran."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    return sum(fields[:8]), fields[7] if len(fields) > 7 else 0


def run_all(cmds: list[list[str]], sequential: bool) -> list[tuple[float, float, bytes, float]]:
    """Run whole processes (side by side unless ``sequential``): wall s, peak RSS MiB, stdout and
    the % of CPU time the host stole while each ran."""
    out: list[tuple[float, float, bytes, float]] = [(0.0, 0.0, b"", 0.0)] * len(cmds)
    groups = [[i] for i in range(len(cmds))] if sequential else [list(range(len(cmds)))]
    for group in groups:
        ticks = cpu_ticks()
        procs = {}
        for i in group:
            fh = tempfile.TemporaryFile()
            procs[subprocess.Popen(cmds[i], stdout=fh, stderr=subprocess.PIPE).pid] = (i, time.perf_counter(), fh)
        while procs:
            pid, status, usage = os.wait4(-1, 0)
            if pid not in procs:
                continue
            i, started, fh = procs.pop(pid)
            elapsed = time.perf_counter() - started
            if os.waitstatus_to_exitcode(status) != 0:
                raise SystemExit(f"{cmds[i]} failed with status {status}")
            fh.seek(0)
            now = cpu_ticks()
            stolen = 100 * (now[1] - ticks[1]) / max(1, now[0] - ticks[0])
            out[i] = (elapsed, usage.ru_maxrss / 1024, fh.read(), stolen)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--journeys", type=int, default=3_000_000)
    ap.add_argument("--channels", type=int, default=50)
    ap.add_argument("--orders", default="1,3")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--smoke", action="store_true", help="tiny size for CI")
    ap.add_argument("--generate-only", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--repeat", type=int, default=1, help="run each pair this many times; report the median")
    ap.add_argument("--concurrent", action="store_true",
                    help="start the two processes together (default: one after the other)")
    args = ap.parse_args()
    if args.smoke:
        args.journeys, args.channels = 3000, 6
    if args.generate_only:
        print(json.dumps(generate(args.generate_only, args.journeys, args.channels, args.seed)))
        return
    tmp = Path(tempfile.mkdtemp(prefix="wm-bench-"))
    data = tmp / "paths.csv"
    t0 = time.perf_counter()
    # in a child process: a forked child's peak RSS counts the parent's pages, so the parent stays small
    made = subprocess.run([sys.executable, __file__, "--generate-only", str(data), "--journeys", str(args.journeys),
                           "--channels", str(args.channels), "--seed", str(args.seed)],
                          check=True, capture_output=True, text=True)
    n_paths, n_conv = json.loads(made.stdout)
    print(f"data: {args.journeys:,} journeys, {n_paths:,} distinct paths, {args.channels} channels, "
          f"{n_conv:,} conversions (generated in {time.perf_counter() - t0:.1f} s)")
    import compileall  # noqa: PLC0415

    import wanamaker  # noqa: PLC0415
    from wanamaker.attribution.kernels import describe  # noqa: PLC0415

    compileall.compile_dir(Path(wanamaker.__file__).parent, quiet=1)
    print(f"wanamaker runs with its {describe()}")
    (tmp / "ca.py").write_text(CA_SCRIPT)
    results = []
    for order in [int(x) for x in args.orders.split(",")]:
        ours_out, ca_out = tmp / f"ours{order}.json", tmp / f"ca{order}.json"
        ours_cmd = [sys.executable, "-m", "wanamaker.cli.app", "attribute", "--paths", str(data),
                    "--model", "markov", "--order", str(order), "--format", "json"]
        ca_cmd = [sys.executable, str(tmp / "ca.py"), str(data), str(order), str(ca_out)]
        ratios, ours_s, ca_s = [], [], []
        for _ in range(args.repeat):
            a, b = run_all([ours_cmd, ca_cmd], not args.concurrent)
            ratios.append(b[0] / a[0])
            ours_s.append(a[0])
            ca_s.append(b[0])
            ours_out.write_bytes(a[2])
            exact = {r["key"]: r["conversions"] for r in json.loads(a[2])}
            ca = json.loads(ca_out.read_text())
            tot = sum(exact.values())
            rel = {k: abs(ca.get(k, 0.0) - v) / v for k, v in exact.items() if v > 0}
            tv = 50 * sum(abs(ca.get(k, 0.0) / sum(ca.values()) - v / tot) for k, v in exact.items())
            worst = max(rel, key=lambda k: rel[k])
            results.append((order, a, b, rel, tv, worst))
            print(f"order {order}: wanamaker {a[0]:.2f} s, {a[1]:.0f} MiB, {a[3]:.0f} % stolen | ChannelAttribution "
                  f"{b[0]:.1f} s, {b[1]:.0f} MiB, {b[3]:.0f} % stolen | ratio {b[0] / a[0]:.1f}x | CA error vs exact: max {100 * rel[worst]:.1f} % "
                  f"({worst}), median {100 * float(np.median(list(rel.values()))):.1f} %, TV {tv:.2f} share points",
                  flush=True)
        if args.repeat > 1:
            print(f"order {order}: median ratio {float(np.median(ratios)):.1f}x over {args.repeat} runs "
                  f"(min {min(ratios):.1f}x, max {max(ratios):.1f}x); best times {min(ours_s):.2f} s and "
                  f"{min(ca_s):.1f} s: {min(ca_s) / min(ours_s):.1f}x", flush=True)

if __name__ == "__main__":
    main()
