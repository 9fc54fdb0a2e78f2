"""``wanamaker experiments`` and ``wanamaker pricing`` through Typer (wanamaker.cli.experiments), the JSON rows'
fields, usage errors, an empty table, and :func:`lift_tests` with its milestone filter."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import wanamaker
from wanamaker.cli.experiments import register
from wanamaker.errors import UsageError
from wanamaker.experiments import experiments, lift_tests, pricing, stats

# lift-email (holdout 20 %): 800 exposed, 120 converted; 200 held out, 20 converted -> lift +5 points, 40 incremental
# conversions among the exposed. lift-email@opportunity: the same units, 24 and 4 converted; lift-social has no
# milestone. ab-hero: a 50/50 test whose units came 600 / 400 (a sample-ratio mismatch). px: a pricing test.
JSON_FIELDS = {"experiment_id", "kind", "channel", "variant", "units", "conversions", "rate", "lift", "lift_low",
               "lift_high", "p_value", "srm_p_value", "method"}


def _rows(experiment: str, kind: str, channel: str, milestone: str, arms: list[tuple[str, bool, float, int, int]],
          revenue: float | None = None, price: dict[str, float] | None = None) -> list[str]:
    out = []
    for variant, control, alloc, n, y in arms:
        for i in range(n):
            bought = i < y
            rev = f"{revenue:g}" if revenue is not None and bought else ""
            p = f"{price[variant]:g}" if price else ""
            out.append(f"{experiment},{variant}-{i},{kind},{channel},{milestone},{variant},{str(control).lower()},"
                       f"{alloc},{str(bought).lower()},{rev},{p}")
    return out


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("experiments_cli")
    lines = ["experiment_id,unit_id,kind,channel,milestone,variant,is_control,allocation,converted,revenue,price"]
    lines += _rows("lift-email", "lift", "email", "mql",
                   [("holdout", True, 0.2, 200, 20), ("exposed", False, 0.8, 800, 120)])
    lines += _rows("lift-email@opportunity", "lift", "email", "opportunity",
                   [("holdout", True, 0.2, 200, 4), ("exposed", False, 0.8, 800, 24)])
    lines += _rows("lift-social", "lift", "paid_social", "", [("off", True, 0.5, 300, 30), ("on", False, 0.5, 300, 45)])
    lines += _rows("ab-hero", "ab", "", "", [("a", True, 0.5, 600, 60), ("b", False, 0.5, 400, 52)], revenue=50.0)
    lines += _rows("px", "pricing", "", "won", [("p100", True, 0.5, 500, 50), ("p120", False, 0.5, 500, 45)],
                   price={"p100": 100.0, "p120": 120.0})
    path = folder / "experiments.csv"
    path.write_text("\n".join(lines) + "\n")
    root = wanamaker.init(folder / "ws")
    with wanamaker.open(root) as ws:
        assert ws.load([path], table="experiments").quarantined == 0
    return root


def cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """A group, as in `wanamaker`."""

    register(app)
    return app


def test_experiments_json_csv_and_table(world: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(cli(), ["experiments", "--format", "json", "--workspace", str(world)])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout)
    assert all(JSON_FIELDS <= set(r) for r in rows) and len(rows) == 10
    exposed = next(r for r in rows if r["experiment_id"] == "lift-email" and r["variant"] == "exposed")
    assert exposed["lift"] == pytest.approx(0.05) and exposed["rate"] == pytest.approx(0.15)
    assert (exposed["lift_low"], exposed["lift_high"]) == pytest.approx(stats.newcombe(120, 800, 20, 200, 0.9))
    assert exposed["lift_relative"] == pytest.approx(0.5) and exposed["milestone"] == "mql"
    hero = [r for r in rows if r["experiment_id"] == "ab-hero"]
    assert all(r["srm"] for r in hero)
    assert hero[0]["srm_p_value"] == pytest.approx(stats.srm_p_value([600, 400], [1, 1]))
    assert hero[1]["revenue_lift"] == pytest.approx(52 * 50 / 400 - 60 * 50 / 600)
    assert "sample-ratio mismatch in ab-hero" in out.stderr
    out = runner.invoke(cli(), ["experiments", "--format", "csv", "--experiment", "lift-email", "--level", "0.95",
                                "--workspace", str(world)])
    assert out.exit_code == 0, out.output
    table = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [r["variant"] for r in table] == ["holdout", "exposed"]
    ci = stats.newcombe(120, 800, 20, 200, 0.95)
    assert ci is not None and float(table[1]["lift_low"]) == pytest.approx(ci[0])
    assert "alpha=0.05" in table[1]["method"]
    out = runner.invoke(cli(), ["experiments", "--workspace", str(world)], env={"COLUMNS": "200"})
    assert out.exit_code == 0 and "experiments (90% intervals)" in out.stdout and "+5.00 pt" in out.stdout


def test_pricing_json_and_table(world: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(cli(), ["pricing", "--format", "json", "--workspace", str(world)])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout)
    assert [r["variant"] for r in rows] == ["p100", "p120"] and rows[1]["margin"] == pytest.approx(1 - 0.2 * 100 / 120)
    assert sum(r["prob_best"] for r in rows) == pytest.approx(1.0)
    assert "logs no revenue" in out.stderr and "p120 at 120 vs p100 at 100" in out.stderr
    out = runner.invoke(cli(), ["pricing", "--workspace", str(world)], env={"COLUMNS": "200"})
    assert out.exit_code == 0 and "gross margin 80% at the control's price" in out.stdout


def test_usage_errors(world: Path) -> None:
    with wanamaker.open(world, read_only=True) as ws:
        with pytest.raises(UsageError, match="Did you mean 'lift-email'"):
            experiments(ws, experiment="lift-emial")
        with pytest.raises(UsageError, match="--level 0.3 is not a confidence level"):
            experiments(ws, level=0.3)
        with pytest.raises(UsageError, match="is of kind lift, not pricing"):
            pricing(ws, experiment="lift-email")
    out = CliRunner().invoke(cli(), ["experiments", "--level", "1.5", "--workspace", str(world)])
    assert out.exit_code != 0 and isinstance(out.exception, UsageError)


def test_lift_tests_and_their_milestones(world: Path) -> None:
    with wanamaker.open(world, read_only=True) as ws:
        every = lift_tests(ws)
        at_opportunity = lift_tests(ws, milestone="opportunity")
    assert [t.experiment_id for t in every] == ["lift-email", "lift-email@opportunity", "lift-social"]
    email = every[0]
    assert (email.treated_units, email.control_units, email.treated_conversions, email.control_conversions) == (
        800, 200, 120, 20)
    assert email.incremental_conversions == pytest.approx(40.0)
    assert (email.incremental_low, email.incremental_high) == pytest.approx(
        tuple(800 * v for v in stats.newcombe(120, 800, 20, 200, 0.9) or ()))
    assert email.incremental_revenue is None and email.channel == "email" and email.milestone == "mql"
    assert every[2].milestone is None  # no milestone in the log: only listed when no milestone is asked for
    assert [t.experiment_id for t in at_opportunity] == ["lift-email@opportunity"]
    assert at_opportunity[0].incremental_conversions == pytest.approx(800 * (24 / 800 - 4 / 200))


def test_empty_table_is_an_empty_result_with_a_note(tmp_path: Path) -> None:
    root = wanamaker.init(tmp_path / "ws")
    out = CliRunner().invoke(cli(), ["experiments", "--format", "json", "--workspace", str(root)])
    assert out.exit_code == 0 and json.loads(out.stdout) == []
    assert "no experiment" in out.stderr
    with wanamaker.open(root, read_only=True) as ws:
        assert pricing(ws).rows_ == () and lift_tests(ws) == []
