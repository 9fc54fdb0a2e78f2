"""The CLI (JSON shapes), the truth test and the benchmarks at smoke size."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from tests.attribution.test_rules_journeys import load_fixture
from typer.testing import CliRunner

from wanamaker.attribution.evaluate import evaluate
from wanamaker.cli.app import app

ROOT = Path(__file__).parents[2]
FIELDS = {"model", "key", "conversions", "value", "share", "ci_low", "ci_high"}


def test_cli_paths_json(tmp_path: Path) -> None:
    f = tmp_path / "p.csv"
    f.write_text("journey|conv|nul\na - b|10|5\nb|3|20\na - c - b|2|2\n")
    res = CliRunner().invoke(app, ["attribute", "--paths", str(f), "--path-col", "journey", "--conv-col", "conv",
                                   "--null-col", "nul", "--sep", "-", "--model", "markov", "--order", "2",
                                   "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert {r["model"] for r in rows} == {"markov_2"} and set(rows[0]) == FIELDS
    assert sum(r["conversions"] for r in rows) == pytest.approx(15.0, rel=1e-12)
    assert rows[0]["ci_low"] is None


def test_cli_workspace_json_and_errors(workspace: Any, tmp_path: Path) -> None:
    load_fixture(workspace, tmp_path)
    runner = CliRunner()
    res = runner.invoke(app, ["attribute", "-w", str(workspace.root), "--model", "linear", "--by", "campaign",
                              "--ci", "--replicates", "30", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert all(set(r) == FIELDS for r in rows)
    assert all(r["ci_low"] is not None for r in rows if r["key"] != "(no touch)")
    bad = runner.invoke(app, ["attribute", "-w", str(workspace.root), "--model", "nope"])
    assert bad.exit_code != 0


def test_evaluate_ranks_models_and_shows_lift_tests(workspace: Any, tmp_path: Path) -> None:
    load_fixture(workspace, tmp_path)
    # the truth: paid_search and organic_search did it all (1 : 1); email and direct rode along
    workspace.write_table("ground_truth", pa.table({
        "channel": ["paid_search", "organic_search", "email", "direct"],
        "milestone": ["opportunity"] * 4,
        "incremental_conversions": [1.0, 1.0, 0.0, -0.2],
        "incremental_revenue": [0.0, 0.0, 0.0, 0.0]}), mode="replace")
    exp = tmp_path / "exp.csv"
    rows = ["experiment_id,unit_id,kind,channel,is_control,converted"]
    rows += [f"lift-email,u{i},lift,email,{str(i < 20).lower()},{str(i % 4 == 0).lower()}" for i in range(100)]
    exp.write_text("\n".join(rows) + "\n")
    workspace.load([exp], table="experiments")
    ev = evaluate(workspace)
    errors = {m.model: m.error_points for m in ev.models}
    assert errors["first_touch"] == pytest.approx(0.0, abs=1e-9)  # first touch is exactly the truth here
    assert errors["last_touch"] == pytest.approx(100.0)  # all credit on the ride-alongs
    assert [m.rank for m in ev.models] == list(range(1, len(ev.models) + 1))
    lift = ev.experiments[0]
    # treated 80 units: 20 converted (25 %); control 20 units: 5 (25 %) -> no lift
    assert lift.channel == "email" and lift.incremental_conversions == pytest.approx(0.0)
    assert lift.ci_low < 0 < lift.ci_high
    res = CliRunner().invoke(app, ["attribute", "-w", str(workspace.root), "--evaluate", "--format", "json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    assert set(payload) == {"models", "experiments"}
    assert set(payload["models"][0]) == {"model", "error_points", "rank"}
    assert set(payload["experiments"][0]) == {"experiment_id", "channel", "incremental_conversions", "ci_low", "ci_high"}


@pytest.mark.smoke
def test_markov_benchmark_smoke() -> None:
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "attribution_markov_vs_channelattribution.py"),
                          "--smoke", "--orders", "1"], capture_output=True, text=True, check=True, timeout=600)
    assert "order 1: wanamaker" in out.stdout


@pytest.mark.smoke
def test_10m_benchmark_smoke() -> None:
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "attribution_10m.py"), "--smoke"],
                         capture_output=True, text=True, check=True, timeout=600)
    assert "14 models" in out.stdout  # calibrated among them (it reuses markov_3: no extra solve)
