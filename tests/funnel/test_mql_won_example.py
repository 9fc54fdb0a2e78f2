"""The worked example of docs/funnel.md, end to end: an MQL export and a won-deals export, each loaded
with its mapping file, give MQL -> won conversion by origin and median days to close.

    origin       MQLs  won  rate   days to close        median
    webinar        4    2   0.50   30, 60               45
    paid_search    5    1   0.20   20                   20
    referral       3    2   0.667  20, 40               30
    event          4    1   0.25   70                   70
    all           16    6   0.375  20,20,30,40,60,70    35
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from wanamaker.cli.app import app
from wanamaker.funnel import funnel

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "mql-won"
EXPECTED = {
    "all": (16, 6, 0.375, 35.0),
    "webinar": (4, 2, 0.5, 45.0),
    "paid_search": (5, 1, 0.2, 20.0),
    "referral": (3, 2, 2 / 3, 30.0),
    "event": (4, 1, 0.25, 70.0),
}


@pytest.fixture
def ws(workspace: Any) -> Any:
    mqls = workspace.load([EXAMPLE / "mqls.csv"], mapping=EXAMPLE / "mqls.map.yml")
    won = workspace.load([EXAMPLE / "won-deals.csv"], mapping=EXAMPLE / "won-deals.map.yml")
    assert [(r["table"], r["loaded"], r["quarantined"]) for r in mqls.rows() + won.rows()] == [
        ("people", 16, 0), ("stage_events", 16, 0), ("stage_events", 6, 0)]
    return workspace


def test_example_through_api(ws: Any) -> None:
    res = funnel(ws, stages=["mql", "won"], by="lead_source")
    got = {r["key"]: (r["entered"], r["converted_to_next"], r["rate"], r["median_days_to_next"])
           for r in res.rows() if r["stage"] == "mql"}
    assert got == {k: pytest.approx(v) for k, v in EXPECTED.items()}
    close = {v.key: v.median_days for v in res.velocity if v.from_stage == "(entry)"}
    assert close == {k: v[3] for k, v in EXPECTED.items()}


def test_example_through_cli(ws: Any) -> None:
    runner = CliRunner()
    base = ["funnel", "--stages", "mql,won", "--by", "lead_source", "--workspace", str(ws.root)]
    ws.close()  # the CLI opens the workspace itself
    out = runner.invoke(app, [*base, "--format", "json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout)
    mql = {r["key"]: (r["entered"], r["converted_to_next"], r["rate"], r["median_days_to_next"])
           for r in rows if r["stage"] == "mql"}
    assert mql == {k: pytest.approx(v) for k, v in EXPECTED.items()}
    assert rows[0] == {"key": "all", "period": None, "stage": "mql", "entered": 16, "converted_to_next": 6,
                       "rate": 0.375, "to_final_rate": 0.375, "median_days_to_next": 35.0}
    as_csv = runner.invoke(app, [*base, "--format", "csv"])
    assert as_csv.exit_code == 0, as_csv.output
    parsed = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert parsed[0]["key"] == "all" and parsed[0]["median_days_to_next"] == "35.0"
    table = runner.invoke(app, [*base, "--show", "velocity"])
    assert table.exit_code == 0 and "(entry)" in table.stdout


def test_sla_and_alignment_cli_shapes(ws: Any) -> None:
    runner = CliRunner()
    root = str(ws.root)
    ws.close()
    out = runner.invoke(app, ["sla", "--workspace", root, "--format", "json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout)
    assert rows and set(rows[0]) == {"key", "rule", "period", "events", "median_hours", "p90_hours", "breaches",
                                     "breach_rate"}
    # no sales touches were loaded: every MQL breaches mql_followup as of the end of the data
    follow = next(r for r in rows if r["rule"] == "mql_followup")
    assert (follow["events"], follow["breaches"]) == (16, 16)
    opened = json.loads(runner.invoke(app, ["sla", "--open", "--as-of", "2026-01-10", "--workspace", root,
                                            "--format", "json"]).stdout)
    # as of the end of 10 January: MQLs 001 (06/01), 002, 005, 006 (09/01, due 10/01 00:00) are overdue
    assert sorted(r["subject_id"] for r in opened if r["rule"] == "mql_followup") == [
        "MQL-001", "MQL-002", "MQL-005", "MQL-006"]
    assert set(opened[0]) == {"rule", "subject_id", "owner_id", "since", "overdue_hours"}
    al = runner.invoke(app, ["alignment", "--workspace", root, "--format", "json"])
    assert al.exit_code == 0, al.output
    payload = json.loads(al.stdout)
    assert {"sourced", "influenced", "marketing_share_of_won_revenue", "acceptance", "rejection_reasons",
            "survey"} <= set(payload)
    assert runner.invoke(app, ["alignment", "--workspace", root]).exit_code == 0
    assert runner.invoke(app, ["alignment", "--workspace", root, "--format", "csv", "--section",
                               "acceptance"]).exit_code == 0
