"""Two `wanamaker load` processes of one 300k-row file into one PostgreSQL workspace leave the table as one load
does: the second waits for the first (a session-level advisory lock held for the whole load), then finds every
row a duplicate. Before the lock, both validated against the empty table and 600,000 rows held 300,000 keys."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import wanamaker
from support.servers import PostgresServer
from wanamaker.errors import EngineError

ROWS = 300_000
PEOPLE = 1_000


def _write_inputs(folder: Path) -> tuple[Path, Path]:
    people = folder / "people.csv"
    people.write_text("person_id\n" + "".join(f"p{i}\n" for i in range(PEOPLE)), encoding="utf-8")
    touches = folder / "touches.csv"
    with open(touches, "w", encoding="utf-8") as fh:
        fh.write("touch_id,person_id,ts,channel\n")
        for i in range(ROWS):
            fh.write(f"t{i},p{i % PEOPLE},2026-01-{1 + i % 28:02d} {i % 24:02d}:00:00,email\n")
    return people, touches


def _cli(*args: str, cwd: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("WANAMAKER_WORKSPACE", None)
    return subprocess.Popen([sys.executable, "-m", "wanamaker.cli.app", *args], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_two_concurrent_loads_leave_one_copy(postgres_server: PostgresServer, tmp_path: Path) -> None:
    url = postgres_server.create_database(f"concurrent_{os.getpid()}")
    root = wanamaker.init(tmp_path / "ws", connection=url)
    people, touches = _write_inputs(tmp_path)
    with wanamaker.open(root) as ws:
        ws.load([people], table="people")

    procs = [_cli("load", str(touches), "--table", "touchpoints", "--format", "json", cwd=root) for _ in range(2)]
    outcomes = [p.communicate(timeout=600) for p in procs]
    for proc, (_, err) in zip(procs, outcomes, strict=True):
        assert proc.returncode == 0, err
    reports = [json.loads(out) for out, _ in outcomes]
    counts = sorted((r["files"][0]["loaded"], r["files"][0]["duplicates"]) for r in reports)
    assert counts == [(0, ROWS), (ROWS, 0)]
    assert sum("waiting for another load" in err for _, err in outcomes) == 1  # they did overlap

    with wanamaker.open(root) as ws:
        assert ws.sql("SELECT count(*) AS n, count(DISTINCT touch_id) AS k FROM touchpoints").to_pylist() == [
            {"n": ROWS, "k": ROWS}]
        assert ws.sql("SELECT count(*) AS n FROM _loads").to_pylist() == [{"n": 3}]


def test_a_load_gives_up_after_the_lock_timeout(postgres_server: PostgresServer, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
                                                ) -> None:
    url = postgres_server.create_database(f"lock_timeout_{os.getpid()}")
    root = wanamaker.init(tmp_path / "ws", connection=url)
    monkeypatch.setenv("WANAMAKER_LOCK_TIMEOUT", "1")
    people = tmp_path / "p.csv"
    people.write_text("person_id\np1\n", encoding="utf-8")
    with wanamaker.open(root) as holder, wanamaker.open(root) as waiter:
        with holder.store.load_lock():
            with pytest.raises(EngineError) as gave_up:
                waiter.load([people], table="people")
            assert gave_up.value.code == "load_locked"
            assert "WANAMAKER_LOCK_TIMEOUT" in gave_up.value.fix
        assert capfd.readouterr().err.count("waiting for another load") == 1
        assert waiter.load([people], table="people").tables[0].total("loaded") == 1  # released on exit
        assert holder.sql("SELECT count(*) AS n FROM people").to_pylist() == [{"n": 1}]
