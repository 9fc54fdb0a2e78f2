"""Tables people can read (issue 16): breakdowns by volume with small groups flagged, interval columns only when
asked, whole numbers and file names on an 80-column terminal, and a demo summary that names what it counts."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.demo.helpers import DemoRun

CORPUS = Path(__file__).parents[1] / "ingest" / "corpus"


def run(*args: str, cwd: Path, columns: int = 200) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": str(columns)}
    env.pop("WANAMAKER_WORKSPACE", None)
    env.pop("WANAMAKER_FORMAT", None)
    return subprocess.run([sys.executable, "-m", "wanamaker.cli.app", *args], cwd=cwd, capture_output=True,
                          text=True, env=env)


def table_rows(stdout: str) -> list[list[str]]:
    """The body rows of a rich table as lists of stripped cells (one line per row: the tests use a wide terminal)."""
    return [[c.strip() for c in line.strip("│").split("│")] for line in stdout.splitlines() if line.startswith("│")]


def order_of(keys: list[str]) -> list[str]:
    return list(dict.fromkeys(keys))


def test_funnel_breakdown_by_volume_with_small_groups_flagged(small_demo: DemoRun) -> None:
    assert small_demo.exit_code == 0, small_demo.output
    out = run("funnel", "--by", "lead_source", "--format", "json", cwd=small_demo.root)
    assert out.returncode == 0, out.stderr
    rows: list[dict[str, Any]] = json.loads(out.stdout)
    keys = order_of([r["key"] for r in rows])
    assert keys[0] == "all"
    top = {k: max(r["entered"] for r in rows if r["key"] == k) for k in keys}
    assert [top[k] for k in keys[1:]] == sorted((top[k] for k in keys[1:]), reverse=True)  # largest first
    assert all("small" not in r for r in rows if r["key"] == "all")  # the overall rows are not a group
    groups = [r for r in rows if r["key"] != "all"]
    assert all(r["small"] is (r["entered"] < 30) for r in groups)
    assert any(r["small"] for r in groups) and not all(r["small"] for r in groups)
    # JSON stays as it was apart from the added key
    assert set(rows[0]) == {"key", "period", "stage", "entered", "converted_to_next", "rate", "to_final_rate",
                            "median_days_to_next"}

    table = run("funnel", "--by", "lead_source", cwd=small_demo.root)
    assert table.returncode == 0, table.stderr
    body = table_rows(table.stdout)
    header = next(line for line in table.stdout.splitlines() if line.startswith("┃"))
    assert header.split("┃")[-2].strip() == "small"
    assert order_of([b[0] for b in body]) == keys  # the table lists the groups in the same order
    for b, r in zip(body, rows, strict=True):
        assert (b[0], b[1]) == (r["key"], r["stage"])
        assert b[-1] == ("yes" if r.get("small") else "")
    # a rate over a handful of people carries the flag in the table (the "2 leads, 100 %" of the issue)
    tiny = next(r for r in groups if 0 < r["entered"] < 30 and r["rate"] is not None)
    row = next(b for b in body if (b[0], b[1]) == (tiny["key"], tiny["stage"]))
    assert row[-1] == "yes" and row[4].endswith("%")

    none = json.loads(run("funnel", "--by", "lead_source", "--min-n", "0", "--format", "json",
                          cwd=small_demo.root).stdout)
    assert not any(r.get("small") for r in none)
    assert "small" not in run("funnel", "--by", "lead_source", "--min-n", "0", cwd=small_demo.root).stdout


def test_sla_and_alignment_breakdowns_by_volume(small_demo: DemoRun) -> None:
    rows = json.loads(run("sla", "--by", "rep", "--format", "json", cwd=small_demo.root).stdout)
    keys = order_of([r["key"] for r in rows])
    assert keys[0] == "all"
    volume = {k: max(r["events"] for r in rows if r["key"] == k) for k in keys[1:]}
    assert list(volume.values()) == sorted(volume.values(), reverse=True)
    assert all(isinstance(r["small"], bool) for r in rows if r["key"] != "all")

    payload = json.loads(run("alignment", "--format", "json", cwd=small_demo.root).stdout)
    acceptance = [r for r in payload["acceptance"] if r["by"] == "channel" and r["period"] is None]
    handed = [r["handed_off"] for r in acceptance]
    assert handed == sorted(handed, reverse=True)
    assert all(r["small"] is (r["handed_off"] < 30) for r in acceptance)
    assert all("small" not in r for r in payload["acceptance"] if r["by"] == "all")


def test_economics_intervals_only_when_asked(small_demo: DemoRun) -> None:
    args = ("economics", "--by", "channel", "--replicates", "20")
    plain = run(*args, cwd=small_demo.root)
    assert plain.returncode == 0, plain.stderr
    assert "romi_low" not in plain.stdout and "romi_high" not in plain.stdout
    assert "--intervals" in plain.stdout  # the title says how to see them
    asked = run(*args, "--intervals", cwd=small_demo.root)
    assert "romi_low" in asked.stdout and "romi_high" in asked.stdout
    rows = json.loads(run(*args, "--format", "json", cwd=small_demo.root).stdout)
    assert {"romi_low", "romi_high", "small"} <= set(rows[-1])  # JSON keeps the intervals
    keys = [r["key"] for r in rows]
    assert keys[0] == "all"
    groups = [r for r in rows if r["key"] not in ("all", "(paid)")]
    assert [r["new_customers"] for r in groups] == sorted((r["new_customers"] for r in groups), reverse=True)


def test_numbers_and_headers_whole_at_80_columns(small_demo: DemoRun) -> None:
    rows = json.loads(run("pipeline", "--by", "source", "--format", "json", cwd=small_demo.root).stdout)
    out = run("pipeline", "--by", "source", cwd=small_demo.root, columns=80)
    assert out.returncode == 0, out.stderr
    assert max(len(line) for line in out.stdout.splitlines()) <= 80
    assert "…" not in out.stdout
    cells = {c.strip() for line in out.stdout.splitlines() for c in line.split("│")}
    for r in rows:  # every amount whole on one line, never folded
        assert f"{round(r['created_amount']):,}" in cells, r
    words = " ".join(c.strip() for line in out.stdout.splitlines() for c in line.split("┃"))
    for name in ("created_amount", "won_amount", "win_rate", "median_cycle_days"):  # wrapped after underscores
        assert all(part in words for part in re.findall(r"[^_]+_?", name)), name


def test_load_table_shows_whole_file_names(tmp_path: Path) -> None:
    assert run("init", "ws", cwd=tmp_path).returncode == 0
    deep = tmp_path / "exports" / "a-rather-long-folder-name-from-the-crm" / "nightly-2026-03-01"
    deep.mkdir(parents=True)
    name = "salesforce_people_export_full.csv"
    shutil.copy(CORPUS / "people_base.csv", deep / name)
    other = tmp_path / "b" / name  # the same name in another folder: the folder tells the rows apart
    other.parent.mkdir()
    shutil.copy(CORPUS / "people_base.csv", other)
    out = run("load", str(deep / name), str(other), "--table", "people", "--dry-run", cwd=tmp_path / "ws",
              columns=80)
    assert out.returncode == 0, out.stderr
    body = table_rows(out.stdout)  # on 80 columns: in parts, each repeating the table and file name
    assert {b[1] for b in body if b[1]} == {name} and len([b for b in body if b[1]]) % 2 == 0
    assert max(len(line) for line in out.stdout.splitlines()) <= 80
    folders = "".join(b[-1] for b in body)
    assert "a-rather-long-folder-name-from-the-crm/nightly-2026-03-01" in folders and folders.endswith("b")
    one = run("load", str(deep / name), "--table", "people", "--dry-run", cwd=tmp_path / "ws", columns=80)
    assert name in [b[1] for b in table_rows(one.stdout)]
    assert "nightly-2026-03-01" in one.stdout.replace("\n", "")  # the folder is in the title


def test_demo_summary_names_what_it_counts(small_demo: DemoRun) -> None:
    text = " ".join(small_demo.output.split())  # the summary wraps at the terminal width
    funnel = re.search(r"funnel: people: lead ([\d,]+) \(([\d,]+) with a tracked touch\).* won ([\d,]+) "
                       r"\(on ([\d,]+) won deals\)", text)
    assert funnel, text
    pipeline = re.search(r"pipeline: deals: ([\d,]+) created, ([\d,]+) won", text)
    loaded = re.search(r"loaded: [\d,]+ accounts, ([\d,]+) people, [\d,]+ touchpoints, ([\d,]+) deals "
                       r"\(opportunities\), ([\d,]+) of them won", text)
    assert pipeline and loaded, text

    def n(s: str) -> int:
        return int(s.replace(",", ""))

    assert n(funnel.group(4)) == n(pipeline.group(2)) == n(loaded.group(3))  # won deals, the same everywhere
    assert n(pipeline.group(1)) == n(loaded.group(2))
    assert n(funnel.group(1)) == n(loaded.group(1))  # leads are the people loaded
    rows = json.loads(run("funnel", "--format", "json", cwd=small_demo.root).stdout)
    entered = {r["stage"]: r["entered"] for r in rows}
    assert (n(funnel.group(2)), n(funnel.group(3))) == (entered["visitor"], entered["won"])
