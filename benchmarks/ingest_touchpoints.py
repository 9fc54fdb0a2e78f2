"""Benchmark: `wanamaker load` of a touchpoints CSV on DuckDB beside a bare DuckDB `read_csv` of the
same file into a table, each in its own process, in one run. Reports rows/s, peak RSS and the ratio.

    python benchmarks/ingest_touchpoints.py --rows 10000000      # the recorded figure
    python benchmarks/ingest_touchpoints.py --smoke              # 20k rows, what CI runs
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import psutil

BARE = """
import duckdb, sys
con = duckdb.connect(sys.argv[1])
con.execute("CREATE TABLE touchpoints AS SELECT * FROM read_csv(?)", [sys.argv[2]])
con.close()
"""


def make_csv(path: Path, rows: int) -> None:
    con = duckdb.connect()
    con.execute(f"""
        COPY (SELECT 't' || i AS touch_id, 'p' || (i % 500000) AS person_id,
                     CAST(TIMESTAMP '2024-07-01' + to_seconds(i * 6) AS VARCHAR) AS ts,
                     ['paid_search', 'paid_social', 'display', 'organic_search', 'email', 'webinar', 'event',
                      'content', 'referral', 'partner', 'direct', 'outbound_sdr'][1 + (i % 12)] AS channel,
                     'c' || (i % 400) AS campaign_id, 'google' AS source, 'cpc' AS medium,
                     'page-' || (i % 1000) AS content, 'click' AS touch_type,
                     round((i % 97) / 10.0, 2) AS cost, 'USD' AS currency
              FROM range({rows}) t(i)) TO '{path}' (HEADER)""")
    con.close()


def measure(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of a whole process tree."""
    start = time.perf_counter()
    proc = psutil.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while proc.poll() is None:
        try:
            rss = proc.memory_info().rss + sum(c.memory_info().rss for c in proc.children(recursive=True))
            peak = max(peak, rss)
        except psutil.Error:
            pass
        time.sleep(0.05)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[:3]} failed: {proc.stderr.read().decode() if proc.stderr else ''}")
    return elapsed, peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--data", type=Path, default=Path(__file__).parent / "data")
    args = parser.parse_args()
    rows = 20_000 if args.smoke else args.rows
    args.data.mkdir(parents=True, exist_ok=True)  # benchmarks/data/ is not in git: a fresh clone has none
    work = Path(tempfile.mkdtemp(prefix="wanamaker-ingest-bench-", dir=args.data))
    try:
        csv_path = args.data / f"touchpoints_{rows}.csv"
        if not csv_path.exists():
            make_csv(csv_path, rows)
        bare_t, bare_mem = measure([sys.executable, "-c", BARE, str(work / "bare.duckdb"), str(csv_path)])
        subprocess.run([sys.executable, "-m", "wanamaker.cli.app", "init", str(work / "ws")], check=True,
                       capture_output=True)
        cfg = work / "ws" / "wanamaker.yml"
        cfg.write_text(cfg.read_text().replace("orphans: quarantine", "orphans: warn"))
        wm_t, wm_mem = measure([sys.executable, "-m", "wanamaker.cli.app", "load", str(csv_path), "--table",
                                "touchpoints", "--workspace", str(work / "ws"), "--format", "json"])
        result = {
            "rows": rows,
            "bare_duckdb_s": round(bare_t, 2), "bare_rows_per_s": round(rows / bare_t),
            "bare_peak_mib": round(bare_mem),
            "wanamaker_s": round(wm_t, 2), "wanamaker_rows_per_s": round(rows / wm_t),
            "wanamaker_peak_mib": round(wm_mem),
            "ratio": round(wm_t / bare_t, 2),
        }
        print(json.dumps(result, indent=1))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
