"""Benchmark: the funnel with breakdowns on 1M people / ~5M stage events (DuckDB).

    python benchmarks/funnel_1m.py                 # full size: 1,000,000 people
    python benchmarks/funnel_1m.py --smoke         # 2,000 people (CI)
    python benchmarks/funnel_1m.py --people 200000 --seed 7 --dir /tmp/wm-bench

A seeded generator writes people, accounts, first touches and stage events as Parquet, a child process
loads them with ``ws.load`` (the user's path), and this process then runs ``funnel`` overall and with
breakdowns, reporting wall time per run and this process's peak RSS (the analysis only: the load's
memory is the child's), and beside them one hand-written DuckDB query of the same overall numbers
(:func:`handwritten_sql`, best of three, checked equal to the funnel's overall rows): each run's
``x_handwritten_sql`` is its time over that query's (goal: within 3x). Lifecycles: entry at visitor or lead; each next stage with a fixed probability;
5 % skip one stage; 10 % of stalled MQLs are recycled and come back; half of the others are rejected.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

STAGES = ["visitor", "lead", "mql", "sal", "sql", "opportunity", "won"]
ADVANCE = [0.98, 0.95, 0.88, 0.8, 0.8, 0.5]  # P(reach stage i+1 | reached i)
SOURCES = ["paid_search", "organic_search", "email", "webinar", "event", "referral", "partner", "direct"]
SEGMENTS = ["smb", "mid", "ent"]
REGIONS = ["emea", "amer", "apac"]
START = np.datetime64("2024-01-01T00:00:00", "s")


def generate(n_people: int, seed: int, out: Path) -> dict[str, int]:
    """Write people, accounts, touchpoints and stage_events Parquet files into ``out``."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    n_acc = max(n_people // 10, 1)
    pid = np.char.add("p", np.arange(n_people).astype(str))
    acc_ids = np.char.add("a", np.arange(n_acc).astype(str))
    person_acc = acc_ids[rng.integers(0, n_acc, n_people)]
    created = START + rng.integers(0, 2 * 365 * 86400, n_people).astype("timedelta64[s]")
    pq.write_table(pa.table({
        "account_id": acc_ids,
        "segment": np.array(SEGMENTS)[rng.integers(0, 3, n_acc)],
        "region": np.array(REGIONS)[rng.integers(0, 3, n_acc)],
    }), out / "accounts.parquet")
    pq.write_table(pa.table({
        "person_id": pid,
        "account_id": person_acc,
        "created_at": created,
        "lead_source": np.array(SOURCES)[rng.integers(0, len(SOURCES), n_people)],
        "owner_id": np.char.add("rep", rng.integers(0, 50, n_people).astype(str)),
    }), out / "people.parquet")
    pq.write_table(pa.table({
        "touch_id": np.char.add("t", np.arange(n_people).astype(str)),
        "person_id": pid,
        "ts": created - rng.integers(0, 30 * 86400, n_people).astype("timedelta64[s]"),
        "channel": np.array(SOURCES)[rng.integers(0, len(SOURCES), n_people)],
        "campaign_id": np.char.add("c", rng.integers(0, 200, n_people).astype(str)),
    }), out / "touchpoints.parquet")

    subj: list[np.ndarray[Any, Any]] = []
    stage: list[np.ndarray[Any, Any]] = []
    ts: list[np.ndarray[Any, Any]] = []
    entry = np.where(rng.random(n_people) < 0.8, 0, 1)
    clock = created.copy()
    alive = np.ones(n_people, dtype=bool)
    reached = np.full(n_people, -1)
    for i, name in enumerate(STAGES):
        at_stage = alive & (entry <= i)
        if i > 0:
            moved = at_stage & (entry < i)
            go = rng.random(n_people) < ADVANCE[i - 1]
            at_stage = (at_stage & ~moved) | (moved & go)
            alive &= ~(moved & ~go)
            clock = clock + (rng.exponential(6 + 3 * i, n_people) * 86400).astype("timedelta64[s]")
        skip = (rng.random(n_people) < 0.05) & (i not in (0, len(STAGES) - 1))
        write = at_stage & ~skip
        subj.append(pid[write])
        stage.append(np.full(write.sum(), name))
        ts.append(clock[write])
        reached = np.where(at_stage, i, reached)
    mql = STAGES.index("mql")
    stalled = reached == mql
    recycle = stalled & (rng.random(n_people) < 0.4)
    back = recycle & (rng.random(n_people) < 0.5)
    reject = stalled & ~recycle & (rng.random(n_people) < 0.5)
    t_exit = clock + np.timedelta64(3 * 86400, "s")
    for mask, name, when in ((recycle, "recycled", t_exit), (reject, "rejected", t_exit),
                             (back, "mql", t_exit + np.timedelta64(40 * 86400, "s"))):
        subj.append(pid[mask])
        stage.append(np.full(mask.sum(), name))
        ts.append(when[mask])
    events = pa.table({
        "subject_type": pa.array(np.full(sum(len(s) for s in subj), "person")),
        "subject_id": np.concatenate(subj),
        "stage": np.concatenate(stage),
        "ts": np.concatenate(ts),
    })
    pq.write_table(events, out / "stage_events.parquet")
    return {"people": n_people, "accounts": n_acc, "touchpoints": n_people, "stage_events": events.num_rows}


def prepare(n_people: int, seed: int, folder: Path) -> dict[str, Any]:
    """Generate and load into a fresh DuckDB workspace in ``folder`` (run in a child process)."""
    import wanamaker

    if folder.exists():
        shutil.rmtree(folder)
    t0 = time.perf_counter()
    counts = generate(n_people, seed, folder / "data")
    t1 = time.perf_counter()
    root = wanamaker.init(folder / "ws")
    with wanamaker.open(root) as ws:
        ws.config.funnel  # noqa: B018 - the default stages match STAGES
        for table in ("accounts", "people", "touchpoints", "stage_events"):
            ws.load([folder / "data" / f"{table}.parquet"], table=table)
    t2 = time.perf_counter()
    return {"counts": counts, "generate_s": round(t1 - t0, 2), "load_s": round(t2 - t1, 2)}


RUNS: list[tuple[str, dict[str, Any]]] = [
    ("overall", {}),
    ("by lead_source", {"by": "lead_source"}),
    ("by channel (first touch)", {"by": "channel"}),
    ("by segment (account join)", {"by": "segment"}),
    ("by cohort_month, --period quarter --cohort --within 90d",
     {"by": "cohort_month", "period": "quarter", "cohort": True, "within": "90d"}),
    ("by owner, --period month (entries)", {"by": "owner", "period": "month"}),
]


def handwritten_sql(stages: list[str]) -> str:
    """One DuckDB query for the overall funnel, written by hand from the rules of docs/funnel.md: per stage, the
    people who reached it (first entry; a skipped stage at the next seen stage's time), how many reached the
    next one, and the median days between the two when neither was skipped. Visitors: the earlier of a visitor
    event and the person's first touch (the benchmark's touches all carry a person_id)."""
    n = len(stages)
    far = "TIMESTAMP '2999-01-01'"
    obs = ",\n    ".join(f"min(ts) FILTER (WHERE stage = '{s}') AS o{i}" for i, s in enumerate(stages))
    ats, skips = [], []
    for i in range(n):
        suffix = ", ".join(f"coalesce(o{j}, {far})" for j in range(i, n))
        seen = " OR ".join(f"o{j} IS NOT NULL" for j in range(i + 1))
        reached = f"({seen}) AND least({suffix}) < {far}"
        ats.append(f"CASE WHEN {reached} THEN least({suffix}) END AS a{i}")
        skips.append(f"(({reached}) AND o{i} IS NULL) AS k{i}")
    parts = []
    for i, s in enumerate(stages):
        nxt = f"a{i + 1}" if i + 1 < n else "NULL::TIMESTAMP"
        ok = f"a{i} IS NOT NULL AND {nxt} IS NOT NULL"
        both = f"{ok} AND NOT k{i} AND NOT k{i + 1}" if i + 1 < n else "FALSE"
        days = f"(epoch({nxt}) - epoch(a{i})) / 86400.0"
        parts.append(f"SELECT '{s}' AS stage, {i} AS i, count(a{i}) AS entered, count(*) FILTER (WHERE {ok}) AS converted, "
                     f"quantile_cont({days}, 0.5) FILTER (WHERE {both}) AS median_days FROM paths")
    return f"""WITH ev AS (
  SELECT subject_id, stage, ts FROM stage_events WHERE subject_type = 'person'
  UNION ALL
  SELECT person_id, 'visitor', min(ts) FROM touchpoints WHERE person_id IS NOT NULL GROUP BY person_id
), obs AS (
  SELECT subject_id,
    {obs}
  FROM ev GROUP BY subject_id
), paths AS (
  SELECT {", ".join(ats)}, {", ".join(skips)} FROM obs
)
{" UNION ALL ".join(parts)} ORDER BY i"""


def run(folder: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Each funnel run, and the hand-written SQL of the overall numbers (timed, and checked equal)."""
    import duckdb

    import wanamaker
    from wanamaker.funnel import funnel

    out = []
    overall: list[Any] = []
    with wanamaker.open(folder / "ws") as ws:
        stages = list(ws.config.funnel.stages)
        for label, kwargs in RUNS:
            t0 = time.perf_counter()
            res = funnel(ws, **kwargs)
            out.append({"run": label, "seconds": round(time.perf_counter() - t0, 2), "rows": len(res.conversion)})
            if label == "overall":
                overall = [r for r in res.conversion if r.key == "all"]
    con = duckdb.connect(str(folder / "ws" / "wanamaker.duckdb"), read_only=True)
    try:
        query = handwritten_sql(stages)
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            got = con.sql(query).fetchall()
            times.append(time.perf_counter() - t0)
    finally:
        con.close()
    mine = {r.stage: (r.entered, r.converted_to_next, r.median_days_to_next) for r in overall}
    same = len(got) == len(stages) and all(
        mine[stage][0] == entered
        and (i == len(stages) - 1 or mine[stage][1] == converted)
        and (median is None and mine[stage][2] is None or abs((mine[stage][2] or 0) - (median or 0)) < 1e-6)
        for stage, i, entered, converted, median in got
    )
    sql_s = min(times)
    for r in out:
        r["x_handwritten_sql"] = round(r["seconds"] / sql_s, 2) if sql_s > 0 else None
    return out, {"seconds_best_of_3": round(sql_s, 3), "same_overall_numbers": same, "rows": got}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--people", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--smoke", action="store_true", help="2,000 people")
    ap.add_argument("--dir", type=Path, default=Path("/tmp/wanamaker-funnel-bench"))
    ap.add_argument("--prepare-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    people = 2_000 if args.smoke else args.people
    if args.prepare_only:
        print(json.dumps(prepare(people, args.seed, args.dir)))
        return {}
    child = subprocess.run(
        [sys.executable, __file__, "--prepare-only", "--people", str(people), "--seed", str(args.seed),
         "--dir", str(args.dir)],
        check=True, capture_output=True, text=True,
    )
    prep = json.loads(child.stdout.strip().splitlines()[-1])
    runs, sql = run(args.dir)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report = {**prep, "runs": runs, "funnel_total_s": round(sum(r["seconds"] for r in runs), 2),
              "handwritten_sql": {k: v for k, v in sql.items() if k != "rows"},
              "max_x_handwritten_sql": max((r["x_handwritten_sql"] or 0) for r in runs),
              "peak_rss_mb": round(peak_mb, 1), "engine": "duckdb"}
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
