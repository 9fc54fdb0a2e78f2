"""Faults of the machine get their own message and fix, never "unexpected", and leave the workspace as it was:
disk full (a file-size limit, RLIMIT_FSIZE, in a subprocess), a read-only folder, a corrupt database file, a
database locked by another process (a load running while `wanamaker sql` asks)."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

import wanamaker


def run(args: list[str], cwd: Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wanamaker.cli.app", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, **kwargs)  # type: ignore[call-overload]


def count(root: Path, table: str) -> int:
    with wanamaker.open(root, read_only=True) as ws:
        return int(ws.sql(f"SELECT count(*) AS n FROM {table}").to_pylist()[0]["n"])


def people_csv(path: Path, rows: int) -> Path:
    with open(path, "w") as fh:
        fh.write("person_id,created_at,segment\n")
        for i in range(rows):
            fh.write(f"p{i},2026-01-01,segment-{i % 7}-{'x' * 40}\n")
    return path


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return wanamaker.init(tmp_path / "ws")


def test_disk_full_is_named_and_rolls_back(root: Path, tmp_path: Path) -> None:
    data = people_csv(tmp_path / "people.csv", 200_000)
    limit = os.path.getsize(root / "wanamaker.duckdb") + 200_000

    def small_disk() -> None:  # every file the process writes may grow to `limit` bytes only
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = run(["load", str(data), "--table", "people"], root, preexec_fn=small_disk)
    assert result.returncode == 1, result.stderr
    assert "disk is full" in result.stderr and "fix:" in result.stderr
    assert "unexpected" not in result.stderr
    assert count(root, "people") == 0 and count(root, "_loads") == 0
    again = run(["load", str(data), "--table", "people"], root)  # with room, the same load succeeds
    assert again.returncode == 0, again.stderr
    assert count(root, "people") == 200_000


def _without_root_powers() -> list[str]:
    """A prefix that runs a command without the power to ignore file modes (root has it)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv (util-linux): file modes cannot be tested")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner"]


def test_read_only_folder(root: Path, tmp_path: Path) -> None:
    data = people_csv(tmp_path / "people.csv", 10)
    prefix = _without_root_powers()
    root.chmod(0o555)
    try:
        result = subprocess.run([*prefix, sys.executable, "-m", "wanamaker.cli.app", "load", str(data), "--table",
                                 "people"], cwd=root, capture_output=True, text=True, timeout=120)
        assert result.returncode == 1, result.stderr
        assert "permission denied" in result.stderr and "fix:" in result.stderr
        assert "unexpected" not in result.stderr
        reading = subprocess.run([*prefix, sys.executable, "-m", "wanamaker.cli.app", "tables", "--format", "json"],
                                 cwd=root, capture_output=True, text=True, timeout=120)
        assert reading.returncode == 0, reading.stderr  # reading still works
    finally:
        root.chmod(0o755)
    assert count(root, "people") == 0


def test_read_only_database_file(root: Path, tmp_path: Path) -> None:
    data = people_csv(tmp_path / "people.csv", 10)
    prefix = _without_root_powers()
    db = root / "wanamaker.duckdb"
    db.chmod(0o444)
    try:
        result = subprocess.run([*prefix, sys.executable, "-m", "wanamaker.cli.app", "load", str(data), "--table",
                                 "people"], cwd=root, capture_output=True, text=True, timeout=120)
    finally:
        db.chmod(0o644)
    assert result.returncode == 1
    assert "permission denied" in result.stderr and "wanamaker.duckdb" in result.stderr
    assert "unexpected" not in result.stderr


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_corrupt_database_file(root: Path, damage: str) -> None:
    db = root / "wanamaker.duckdb"
    if damage == "garbage":
        db.write_bytes(b"this is not a database\n" * 1000)
    else:
        with open(db, "r+b") as fh:
            fh.truncate(5000)
    result = run(["tables"], root)
    assert result.returncode == 1
    assert "cannot be read as a DuckDB database" in result.stderr
    assert "Close the other" not in result.stderr  # the lock's fix is wrong here
    assert "unexpected" not in result.stderr


def test_sql_during_a_load_says_the_database_is_busy(root: Path, tmp_path: Path) -> None:
    data = people_csv(tmp_path / "people.csv", 1_500_000)
    load = subprocess.Popen([sys.executable, "-m", "wanamaker.cli.app", "load", str(data), "--table", "people"],
                            cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # query only once the load holds the database file (else the query may win the lock, and the load waits)
        db = str((root / "wanamaker.duckdb").resolve())
        holder = psutil.Process(load.pid)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and load.poll() is None:
            try:
                if any(f.path == db for f in holder.open_files()):
                    break
            except psutil.Error:
                pass
            time.sleep(0.01)
        busy = None
        while time.monotonic() < deadline and load.poll() is None:
            attempt = run(["sql", "SELECT count(*) FROM people"], root)
            if attempt.returncode != 0:
                busy = attempt
                break
            time.sleep(0.05)
        assert busy is not None, "the load finished before a query met it; make the file larger"
        assert busy.returncode == 1
        assert "in use by another process" in busy.stderr and "fix:" in busy.stderr
        assert "unexpected" not in busy.stderr
    finally:
        out, err = load.communicate(timeout=300)
    assert load.returncode == 0, err
    assert count(root, "people") == 1_500_000


def test_out_of_memory_is_named(root: Path, tmp_path: Path) -> None:
    """A memory cap too small for the load, with nowhere to spill: DuckDB's out-of-memory is named with its fix."""
    data = people_csv(tmp_path / "people.csv", 300_000)
    env = {**os.environ, "WANAMAKER_DUCKDB_MEMORY": "20MB", "TMPDIR": str(tmp_path / "no-such-folder")}
    result = run(["load", str(data), "--table", "people"], root, env=env)
    assert result.returncode == 1, result.stderr
    assert "ran out of memory" in result.stderr and "WANAMAKER_DUCKDB_MEMORY" in result.stderr
    assert "unexpected" not in result.stderr and "cannot be read as CSV" not in result.stderr
    assert count(root, "people") == 0
