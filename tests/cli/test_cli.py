"""The CLI as a user runs it: exit codes, one-line errors with a fix, formats."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

CORPUS = Path(__file__).parents[1] / "ingest" / "corpus"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("WANAMAKER_WORKSPACE", None)
    return subprocess.run([sys.executable, "-m", "wanamaker.cli.app", *args], cwd=cwd, capture_output=True,
                          text=True, env=env)


def test_init_load_inspect(tmp_path: Path) -> None:
    assert run("init", "ws", cwd=tmp_path).returncode == 0
    ws = tmp_path / "ws"
    res = run("load", str(CORPUS / "people_base.csv"), str(CORPUS / "bad_dates.csv"), "--table", "people",
              "--format", "json", cwd=ws)
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["table"] == "people"
    assert [f["read"] for f in report["files"]] == [2, 6]
    for f in report["files"]:
        assert f["read"] == f["loaded"] + f["quarantined"] + f["duplicates"] + f["skipped"]
    assert report["quarantine_reasons"] == {"bad_timestamp": 5}
    assert "5 row(s) quarantined" in res.stderr
    strict = run("load", str(CORPUS / "future_ancient.csv"), "-t", "people", "--strict", cwd=ws)
    assert strict.returncode == 1
    tables = json.loads(run("tables", "--format", "json", cwd=ws).stdout)
    people = next(t for t in tables if t["table"] == "people")
    assert people["rows"] == 4 and people["last_load"]
    q = list(csv.DictReader(io.StringIO(run("quarantine", "--table", "people", "--format", "csv", cwd=ws).stdout)))
    assert len(q) == 7 and {r["reason_code"] for r in q} == {"bad_timestamp", "future_timestamp", "ancient_timestamp"}
    out = json.loads(run("sql", "SELECT count(*) AS n FROM people", "--format", "json", cwd=ws).stdout)
    assert out == [{"n": 4}]


def test_errors_are_one_line_with_a_fix(tmp_path: Path) -> None:
    run("init", "ws", cwd=tmp_path)
    ws = tmp_path / "ws"
    res = run("load", str(CORPUS / "truncated.csv.gz"), "--table", "people", cwd=ws)
    assert res.returncode == 1
    assert "truncated" in res.stderr and "fix:" in res.stderr and "Traceback" not in res.stderr
    res = run("load", str(CORPUS / "good.csv.gz"), cwd=ws)  # no --table / --map / --preset
    assert res.returncode == 2 and "fix:" in res.stderr
    res = run("load", str(CORPUS / "good.csv.gz"), "--table", "peple", cwd=ws)
    assert res.returncode == 2 and "Did you mean 'people'?" in res.stderr
    res = run("sql", "DELETE FROM people", cwd=ws)
    assert res.returncode == 2 and "only reads" in res.stderr
    for query in ("SELECT nope FROM people", "SELECT count(*) cost FROM people"):  # COST is a keyword
        res = run("sql", query, cwd=ws)
        assert res.returncode == 2 and "refused the query" in res.stderr and "fix:" in res.stderr, res.stderr
        assert "unexpected" not in res.stderr
    res = run("load", "--bogus", cwd=ws)
    assert res.returncode == 2
    res = run("tables", cwd=tmp_path)  # not a workspace
    assert res.returncode == 1 and "wanamaker init" in res.stderr
