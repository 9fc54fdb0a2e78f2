"""Benchmark: the marketing-mix model's fast fit on PyMC-Marketing's example data, beside PyMC-Marketing's own
default fit when it is installed (the ``[bayes]`` extra; it need not be: then it says "not installed").

Reports the fast fit's wall time (best and median of ``--repeat`` runs, 200 bootstrap replicates), each channel's
total contribution against the truth the data were simulated with (274,848 for x1 and 65,906 for x2, recomputed
in tests/mmm/test_example.py) and whether the 90 % ROI interval covers it. ``--coverage K`` adds the recovery study
on K simulated worlds of tests/mmm/world.py (seeds 100 .. 100+K-1): ROI error and interval coverage per channel.
``--record`` appends a line to benchmarks/RESULTS-mmm.md with the command that produced it.

    python benchmarks/mmm_fit.py --repeat 5 --coverage 40 --record
    python benchmarks/mmm_fit.py --smoke
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "tests" / "mmm" / "data" / "mmm_example.csv"
RESULTS = ROOT / "benchmarks" / "RESULTS-mmm.md"
TRUTH = {"x1": 274_848.3, "x2": 65_906.0}
CONTROLS = ["event_1", "event_2", "t"]


def fast_fit(df: pd.DataFrame, replicates: int, repeat: int) -> dict[str, Any]:
    from wanamaker.mmm import mmm_from_frame

    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = mmm_from_frame(df, "date_week", "y", ["x1", "x2"], CONTROLS, replicates=replicates, seed=0)
        times.append(time.perf_counter() - started)
    assert result is not None
    channels = {}
    for ch, truth in TRUTH.items():
        row = result.row(ch)
        assert row.roi_low is not None and row.roi_high is not None
        channels[ch] = {"contribution": round(row.contribution), "truth": truth,
                        "error": round(row.contribution / truth - 1, 4),
                        "roi_interval": [round(row.roi_low, 1), round(row.roi_high, 1)],
                        "covers": bool(row.roi_low <= truth / row.spend <= row.roi_high)}
    return {"seconds_best": round(min(times), 3), "seconds_median": round(float(np.median(times)), 3),
            "replicates": replicates, "r2": round(result.diagnostics.r2, 4), "channels": channels}


def pymc_marketing_fit(df: pd.DataFrame, seed: int) -> dict[str, Any]:
    """PyMC-Marketing's MMM as in its example notebook, fitted with its defaults."""
    try:
        import pymc_marketing
        from pymc_marketing.mmm import GeometricAdstock, LogisticSaturation
        from pymc_marketing.mmm.multidimensional import MMM
    except ImportError:
        return {"status": "not installed (pip install 'wanamaker[bayes]')"}
    x = df.drop(columns=["y"]).assign(date_week=pd.to_datetime(df["date_week"]))
    mmm = MMM(date_column="date_week", channel_columns=["x1", "x2"], target_column="y",
              adstock=GeometricAdstock(l_max=8), saturation=LogisticSaturation(), control_columns=CONTROLS,
              yearly_seasonality=2)
    started = time.perf_counter()
    idata = mmm.fit(x, df["y"], progressbar=False, random_seed=seed)
    seconds = time.perf_counter() - started
    scale = float(np.asarray(idata.constant_data["target_scale"].values).ravel()[0])
    draws = idata.posterior["channel_contribution"].sum("date") * scale
    out: dict[str, Any] = {"status": "ok", "version": pymc_marketing.__version__, "seconds": round(seconds, 1)}
    for ch, truth in TRUTH.items():
        values = np.asarray(draws.sel(channel=ch).values).ravel()
        lo, hi = np.percentile(values, [5, 95])
        out[ch] = {"contribution": round(float(values.mean())), "error": round(float(values.mean()) / truth - 1, 4),
                   "covers": bool(lo <= truth <= hi)}
    return out


def coverage(worlds: int) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "tests"))
    from mmm.world import CHANNELS, make_world  # type: ignore[import-not-found]
    from wanamaker.mmm import mmm_from_frame

    errors: dict[str, list[float]] = {c: [] for c in CHANNELS}
    covered = dict.fromkeys(CHANNELS, 0)
    seconds = []
    for seed in range(100, 100 + worlds):
        w = make_world(seed)
        started = time.perf_counter()
        r = mmm_from_frame(w.frame, "week", "revenue", list(CHANNELS), ["promo"], replicates=200, seed=0)
        seconds.append(time.perf_counter() - started)
        for c in CHANNELS:
            row = r.row(c)
            assert row.roi_low is not None and row.roi_high is not None
            errors[c].append(row.roi / w.roi[c] - 1)
            covered[c] += row.roi_low <= w.roi[c] <= row.roi_high
    return {"worlds": worlds, "weeks": 156, "seconds_median": round(float(np.median(seconds)), 2),
            "channels": {c: {"coverage": round(covered[c] / worlds, 3),
                             "median_abs_error": round(float(np.median(np.abs(errors[c]))), 3),
                             "mean_error": round(float(np.mean(errors[c])), 3)} for c in CHANNELS}}


def load_average() -> float | None:
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def record(result: dict[str, Any], argv: list[str]) -> None:
    fast, bayes = result["fast"], result["pymc_marketing"]
    err = ", ".join(f"{c} {v['error']:+.1%} (interval covers: {'yes' if v['covers'] else 'no'})"
                    for c, v in fast["channels"].items())
    pm = (f"PyMC-Marketing {bayes['version']} default fit {bayes['seconds']} s" if bayes["status"] == "ok"
          else f"PyMC-Marketing {bayes['status']}")
    load = result["load_average"]
    line = (f"- {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load {'?' if load is None else f'{load:.1f}'}: fast fit "
            f"{fast['seconds_best']} s best / {fast['seconds_median']} s median ({fast['replicates']} replicates); "
            f"contribution error {err}; {pm}.")
    if "coverage" in result:
        cov = result["coverage"]
        line += (f" Simulated worlds ({cov['worlds']} x {cov['weeks']} weeks): " + ", ".join(
            f"{c} coverage {v['coverage']:.0%} median |error| {v['median_abs_error']:.1%}"
            for c, v in cov["channels"].items()) + ".")
    command = "python " + " ".join(shlex.quote(a) for a in ["benchmarks/mmm_fit.py", *argv])
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(f"{line}\n  `{command}`\n")


def main(argv: list[str] | None = None) -> None:
    args_list = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--replicates", type=int, default=200)
    parser.add_argument("--coverage", type=int, default=0, metavar="K")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--smoke", action="store_true", help="20 replicates, one run, no coverage study")
    parser.add_argument("--record", action="store_true", help="append the result to benchmarks/RESULTS-mmm.md")
    args = parser.parse_args(args_list)
    if args.smoke:
        args.repeat, args.replicates, args.coverage = 1, 20, 0
    df = pd.read_csv(EXAMPLE)
    result: dict[str, Any] = {"load_average": load_average(), "fast": fast_fit(df, args.replicates, args.repeat),
                              "pymc_marketing": pymc_marketing_fit(df, args.seed)}
    if args.coverage:
        result["coverage"] = coverage(args.coverage)
    print(json.dumps(result, indent=2))
    if args.record:
        record(result, args_list)


if __name__ == "__main__":
    main()
