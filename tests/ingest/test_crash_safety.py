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


def test_sigkill_inside_duckdb_commit_leaves_before_or_after(tmp_path: Path) -> None:
    """Kills aimed at DuckDB's commit itself: from the moment its write-ahead log appears.

    DuckDB can replay part of a transaction cut off there (the big optimistically written insert
    without the rest); the next open must settle it to exactly before (or after) the load.
    """
    import shutil

    big = make_big_csv(tmp_path / "touch.csv")
    big2 = tmp_path / "touch2.csv"
    big2.write_bytes(big.read_bytes().replace(b"\nt", b"\nu"))
    root = wanamaker.init(tmp_path / "base")
    with wanamaker.open(root) as ws:
        ws.load([big], table="touchpoints")
    base = state(root)
    done = (base[0] + ROWS - ROWS // 1000, base[1] + 1, base[2] + 1, base[3] + ROWS // 1000)
    outcomes = []
    for i, delay in enumerate((0.0, 0.05, 0.1, 0.2)):
        copy = tmp_path / f"kill{i}"
        shutil.copytree(root, copy)
        wal = copy / "wanamaker.duckdb.wal"
        proc = start_load(copy, big2)
        while not wal.exists() and proc.poll() is None:
            time.sleep(0.0005)
        time.sleep(delay)
        in_commit = proc.poll() is None and wal.exists()
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        now = state(copy)
        assert not (copy / "wanamaker.duckdb.pending-load").exists()
        if now == base:
            outcomes.append("before")
        else:
            assert now[:4] == done, f"partial state after SIGKILL {delay} s into the commit: {now} (before {base})"
            outcomes.append("after")
        assert in_commit or outcomes[-1] == "after"
        if i == 0:  # the load runs again to completion after a settled kill
            proc = start_load(copy, big2)
            assert proc.wait(timeout=600) == 0
            assert state(copy)[:4] == done
    print("kills inside the commit:", outcomes)


def test_pending_load_marker_settles_on_open(workspace: wanamaker.Workspace, tmp_path: Path) -> None:
    """The marker a killed commit leaves: a whole load stays, a partial one goes, a garbled one is named."""
    import json

    from wanamaker.errors import EngineError

    csv = tmp_path / "t.csv"
    csv.write_text("touch_id,person_id,ts,channel\nt1,p1,2025-01-01,email\nt2,p1,2025-01-02,webinar\n")
    loaded = workspace.load([csv], table="touchpoints")
    root = workspace.root
    workspace.close()
    marker = root / "wanamaker.duckdb.pending-load"

    marker.write_text(json.dumps({"load_id": loaded.load_id, "rows": {"touchpoints": 2, "_loads": 1}}))
    with wanamaker.open(root) as ws:
        assert ws.sql("SELECT count(*) AS n FROM touchpoints").to_pylist() == [{"n": 2}]
    assert not marker.exists()

    marker.write_text(json.dumps({"load_id": loaded.load_id, "rows": {"touchpoints": 3, "_loads": 1}}))
    with wanamaker.open(root, read_only=True) as ws:
        assert ws.sql("SELECT count(*) AS n FROM touchpoints").to_pylist() == [{"n": 0}]
        assert ws.sql("SELECT count(*) AS n FROM _loads").to_pylist() == [{"n": 0}]
    assert not marker.exists()

    marker.write_text("{not json")
    with pytest.raises(EngineError) as err:
        wanamaker.open(root)
    assert "pending-load" in str(err.value) and "FROM _loads" in (err.value.fix or "")


def test_marker_left_after_a_committed_retry_keeps_it(workspace: wanamaker.Workspace, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A process killed after COMMIT but before it removed the marker: the load is whole, so the
    next open keeps it, even a retry, whose quarantine rows keep the ids of the loads that wrote them."""
    from wanamaker.engine import duckdb_store

    csv = tmp_path / "p.csv"
    csv.write_text("person_id,created_at\np1,1985-05-01\np2,2026-01-01\n")
    workspace.load([csv], table="people")
    cfg = workspace.root / "wanamaker.yml"
    cfg.write_text(cfg.read_text().replace("min_date: 1990-01-01", "min_date: 1980-01-01"))
    root = workspace.root
    workspace.close()
    with wanamaker.open(root) as ws:
        monkeypatch.setattr(duckdb_store.DuckDBStore, "_drop_marker", lambda self, plan: None)
        retry = ws.retry()
        monkeypatch.undo()
        before = {t: ws.sql(f"SELECT * FROM {t} ORDER BY 1").to_pylist() for t in ("people", "_quarantine", "_loads")}
    assert retry.resolved == 1 and (root / "wanamaker.duckdb.pending-load").exists()
    duckdb_store._COMMITTING.discard(retry.load_id)  # as in a new process
    with wanamaker.open(root) as ws:
        after = {t: ws.sql(f"SELECT * FROM {t} ORDER BY 1").to_pylist() for t in ("people", "_quarantine", "_loads")}
    assert not (root / "wanamaker.duckdb.pending-load").exists()
    assert after == before and after["_quarantine"][0]["resolved_by"] == retry.load_id
