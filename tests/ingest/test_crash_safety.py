"""SIGKILL during a load of 1M rows leaves the database exactly as before or exactly as after.

Tested from outside, as DESIGN asks: the load runs in a subprocess (the real CLI) and is killed at
several moments, including while it commits; no test-only code path exists in the product.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

import wanamaker

ROWS = 1_000_000
pytestmark = pytest.mark.slow


def make_big_csv(path: Path) -> Path:
    con = duckdb.connect()
    con.execute(f"""
        COPY (SELECT 't' || i AS touch_id, 'p' || (i % 50000) AS person_id,
                     CAST(TIMESTAMP '2025-01-01' + to_seconds(i * 17) AS VARCHAR) AS ts,
                     ['paid_search', 'email', 'display', 'organic_search', 'webinar'][1 + (i % 5)] AS channel,
                     'c' || (i % 300) AS campaign_id,
                     CASE WHEN i % 1000 = 0 THEN -1 ELSE (i % 7) / 3 END AS cost, 'USD' AS currency
              FROM range({ROWS}) t(i)) TO '{path}' (HEADER)""")
    con.close()
    return path


def state(root: Path) -> tuple[int, ...]:
    with wanamaker.open(root) as ws:
        row = ws.sql(
            "SELECT (SELECT count(*) FROM touchpoints) AS t, (SELECT count(DISTINCT _load_id) FROM touchpoints) AS l, "
            "(SELECT count(*) FROM _loads) AS loads, (SELECT count(*) FROM _quarantine) AS q, "
            "(SELECT count(*) FROM _duplicates) AS d, (SELECT count(*) FROM people) AS p"
        ).to_pylist()[0]
    return tuple(int(v) for v in row.values())


def start_load(root: Path, csv_path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ}
    env.pop("WANAMAKER_WORKSPACE", None)
    return subprocess.Popen(
        [sys.executable, "-m", "wanamaker.cli.app", "load", str(csv_path), "--table", "touchpoints",
         "--workspace", str(root), "--format", "json"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )


def test_sigkill_leaves_before_or_after(make_workspace: Callable[[], wanamaker.Workspace], engine: str,
                                        tmp_path: Path) -> None:
    big = make_big_csv(tmp_path / "touch.csv")
    ws = make_workspace()
    (tmp_path / "people.csv").write_text("person_id,segment\n" + "".join(f"p{i},smb\n" for i in range(50000)))
    ws.load([tmp_path / "people.csv"], table="people")
    root = ws.root
    ws.close()
    before = state(root)

    # one uninterrupted load in a copy of the workspace tells how long a load takes here
    started = time.monotonic()
    proc = start_load(root, big)
    proc.wait(timeout=600)
    duration = time.monotonic() - started
    assert proc.returncode == 0
    after = state(root)
    assert after[0] == ROWS - ROWS // 1000 and after[2] == before[2] + 1

    # now kill loads of a second file of the same size at several moments
    big2 = tmp_path / "touch2.csv"
    big2.write_bytes(big.read_bytes().replace(b"\nt", b"\nu"))
    seen = {"before": 0, "after": 0}
    for fraction in (0.15, 0.45, 0.75, 0.9, 0.97):
        base = state(root)
        proc = start_load(root, big2)
        time.sleep(duration * fraction)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        now = state(root)
        done = (base[0] + ROWS - ROWS // 1000, base[1] + 1, base[2] + 1)
        if now == base:
            seen["before"] += 1
        else:
            assert now[:3] == done, f"partial state after SIGKILL at {fraction:.0%}: {now} (before {base})"
            seen["after"] += 1
            break
        if engine == "spark":  # the old Parquet folders survive and the manifest names them
            with wanamaker.open(root) as ws:
                store: Any = ws.store
                folders = store.manifest()["tables"].values()
                assert all(any((store.warehouse / f).glob("*.parquet")) for f in folders)
    print("kills:", seen)
    assert seen["before"] >= 1
    # a rerun completes
    proc = start_load(root, big2)
    proc.wait(timeout=600)
    assert proc.returncode == 0
    final = state(root)
    assert final[0] == 2 * (ROWS - ROWS // 1000)
