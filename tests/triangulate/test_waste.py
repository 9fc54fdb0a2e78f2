"""``wanamaker waste`` (wanamaker.triangulate.waste): verdict rules, the test size, and on the demo the zero-effect
display channel is never called working while no channel with a large true effect is called wasted."""

from __future__ import annotations

import json

import pytest
from tests.demo.helpers import DemoRun
from typer.testing import CliRunner

import wanamaker
from wanamaker.cli.app import app
from wanamaker.errors import UsageError
from wanamaker.triangulate.waste import units_per_arm, verdict


def test_verdicts_against_break_even() -> None:
    assert verdict(0.2, 1.2, 1.25) == "wasted"  # the upper bound is below break-even
    assert verdict(1.3, 9.0, 1.25) == "working"  # the lower bound is above it
    assert verdict(0.0, 9.0, 1.25) == "unproven"
    assert verdict(None, None, 1.25) == "unproven"  # no causal interval: never judged


def test_units_per_arm_by_hand() -> None:
    # (1.6449 + 0.8416)^2 x 2 x 0.1 x 0.9 / 0.02^2 = 6.1826 x 0.18 / 0.0004 = 2782.2 -> 2783
    assert units_per_arm(0.1, 0.02) == 2783
    assert units_per_arm(0.1, 0.0) is None and units_per_arm(0.0, 0.01) is None


def test_demo_waste(small_demo: DemoRun) -> None:
    assert small_demo.exit_code == 0, small_demo.output
    with wanamaker.open(small_demo.root, read_only=True) as ws:
        res = ws.waste(replicates=30)
        truth = {r["channel"]: r["incremental_conversions"] for r in
                 ws.sql("SELECT channel, incremental_conversions FROM ground_truth WHERE milestone = 'opportunity'")
                 .to_pylist()}
        with pytest.raises(UsageError):
            ws.waste(by="segment")
        by_campaign = ws.waste(by="campaign", replicates=30)
    rows = {r.key: r for r in res.rows}
    assert rows["display"].verdict in ("wasted", "unproven")  # zero true effect: never working
    assert rows["display"].source == "lift test"
    large = {c for c, v in truth.items() if v >= 0.5 * max(truth.values())}
    assert large and not any(rows[c].verdict == "wasted" for c in large if c in rows)
    total = rows["all"].spend
    assert sum(res.totals.values()) == pytest.approx(total)
    assert total == pytest.approx(sum(r.spend for r in res.rows if r.key != "all"))
    for r in res.rows[1:]:
        assert r.roi is not None and r.spend > 0
        if r.roi_low is not None and r.roi_high is not None:
            assert r.roi_low <= r.roi_high
        assert (r.recommendation is not None) == (r.verdict == "unproven")
    assert sum(r.spend for r in by_campaign.rows[1:]) == pytest.approx(total)


def test_cli_json(small_demo: DemoRun) -> None:
    res = CliRunner().invoke(app, ["waste", "--replicates", "20", "--format", "json", "--workspace",
                                   str(small_demo.root)])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert {"key", "spend", "incremental_value", "roi", "roi_low", "roi_high", "verdict"} <= set(rows[0])


def test_demo_zero_effect_channel_is_the_planted_one(small_demo: DemoRun) -> None:
    """``wanamaker check`` finds the planted ride-along (demo_planted) and no other zero-effect channel."""
    from wanamaker.triangulate.findings import zero_effect_findings

    with wanamaker.open(small_demo.root, read_only=True) as ws:
        planted = {r["subject"] for r in ws.sql("SELECT subject FROM demo_planted WHERE code = 'zero_effect_channel'")
                   .to_pylist()}
        found = {f.subject for f in zero_effect_findings(ws)}
    assert found == planted == {"display"}
