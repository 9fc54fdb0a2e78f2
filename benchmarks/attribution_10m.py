"""Benchmark: touchpoints on DuckDB to the persisted credits of every rule-based model, Markov
orders 1 and 3 and shapley, in one run (``attribute(ws, model="all")``, which also runs
shapley_rate when there are at most 20 channels).

Synthetic data are inserted straight into the contract tables with DuckDB SQL (loading 10M rows of
CSV is the ingest benchmark's job). Reports wall time of the attribution and peak RSS.

    python benchmarks/attribution_10m.py --touches 10000000
    python benchmarks/attribution_10m.py --smoke
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import wanamaker
from wanamaker.attribution.api import attribute

CHANNELS = ["paid_search", "organic_search", "email", "direct", "paid_social", "display", "webinar",
            "events", "outbound_sdr", "referral", "partner", "content_syndication"]


def populate(ws: object, touches: int, seed: int) -> None:
    people = max(touches // 30, 10)
    con = ws.con  # type: ignore[attr-defined]
    chans = "[" + ",".join(f"'{c}'" for c in CHANNELS) + "]"
    con.raw_sql(f"SELECT setseed({seed / 1000})")
    con.raw_sql(f"""
        INSERT INTO people (person_id, account_id, segment, _load_id, _source, _row_hash)
        SELECT 'p' || i, 'a' || (i // 3), CASE WHEN i % 4 = 0 THEN 'ent' ELSE 'smb' END, 'bench', 'bench', md5(i::VARCHAR)
        FROM range({people}) t(i)""")
    con.raw_sql(f"""
        INSERT INTO touchpoints (touch_id, person_id, ts, channel, campaign_id, touch_type, _load_id, _source, _row_hash)
        SELECT 't' || i, 'p' || (hash(i * 7 + {seed}) % {people}),
               TIMESTAMP '2025-01-01' + to_seconds((hash(i * 13 + {seed}) % (540 * 86400))::BIGINT),
               {chans}[1 + (hash(i * 17 + {seed}) % {len(CHANNELS)})::INT],
               'c' || (hash(i * 19) % 200), 'ad', 'bench', 'bench', md5(i::VARCHAR)
        FROM range({touches}) t(i)""")
    for stage, frac, offset in (("lead", 60, 0), ("opportunity", 25, 20)):
        con.raw_sql(f"""
            INSERT INTO stage_events (subject_type, subject_id, stage, ts, _load_id, _source, _row_hash)
            SELECT 'person', 'p' || i, '{stage}',
                   TIMESTAMP '2025-03-01' + to_seconds(((hash(i * 23) % (400 * 86400)) + {offset} * 86400)::BIGINT),
                   'bench', 'bench', md5(i::VARCHAR || '{stage}')
            FROM range({people}) t(i) WHERE hash(i * 29) % 100 < {frac}""")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--touches", type=int, default=10_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--smoke", action="store_true")
    args = ap.parse_args()
    if args.smoke:
        args.touches = 20_000
    root = wanamaker.init(Path(tempfile.mkdtemp(prefix="wm-attr10m-")) / "ws")
    ws = wanamaker.open(root)
    t0 = time.perf_counter()
    populate(ws, args.touches, args.seed)
    print(f"data: {args.touches:,} touches inserted in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    res = attribute(ws, model="all", milestone="opportunity")
    elapsed = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    n_credits = ws.sql("select count(*) as n from attribution_credits").to_pylist()[0]["n"]
    models = sorted({r.model for r in res.rows})
    print(f"attribution: {len(models)} models ({', '.join(models)}), {res.counts['touches']:,.0f} journey touches, "
          f"{res.counts['converting_journeys']:,.0f} converting journeys, {n_credits:,} credit rows persisted "
          f"in {elapsed:.1f} s; peak RSS {rss:,.0f} MiB")
    ws.close()


if __name__ == "__main__":
    main()
