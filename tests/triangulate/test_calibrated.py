"""The ``calibrated`` attribution model (wanamaker.triangulate.calibrated) on a simulated world with known truth
(tests/triangulate/world.py): with a lift test on every channel it lands within 5 share-points of the truth while
every other model is far off; with only some channels tested it still beats them; its rows add up to the outcome
and its touch credits to its channel credit."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.triangulate import world as sim

import wanamaker
from wanamaker.attribution.evaluate import evaluate, tv_points

N = 100_000


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> wanamaker.Workspace:
    root = wanamaker.init(tmp_path_factory.mktemp("cal") / "ws")
    return sim.build(root, sim.simulate(N, seed=1))


def _credit(ws: wanamaker.Workspace, model: str) -> dict[str, float]:
    res = ws.attribution(model=model, milestone="lead", persist=False)
    return {r.key: r.conversions for r in res.rows}


def test_every_channel_tested_lands_within_5_points(full: wanamaker.Workspace) -> None:
    truth = sim.shares(_truth(full))
    credit = _credit(full, "calibrated")
    err = tv_points(sim.shares(credit), truth)
    assert err < 5, (credit, truth)
    # the ride-along display loses almost all its credit to (baseline)
    assert credit["display"] < 0.1 * credit["search"]
    assert credit["(baseline)"] > 0
    # every model that sees only journeys is far off: display rides along on converting journeys
    ev = evaluate(full, milestone="lead")
    errors = {m.model: m.error_points for m in ev.models}
    assert errors["calibrated"] == min(errors.values())
    assert min(e for m, e in errors.items() if m != "calibrated") > 10  # last touch 14, markov_3 41, linear 42


def _truth(ws: wanamaker.Workspace) -> dict[str, float]:
    rows = ws.table("ground_truth").to_pyarrow().to_pylist()
    return {r["channel"]: r["incremental_conversions"] for r in rows}


def test_rows_add_up_and_touches_match_channels(full: wanamaker.Workspace) -> None:
    res = full.attribution(model="calibrated", milestone="lead", persist=True)
    total = sum(r.conversions for r in res.rows)
    assert total == pytest.approx(res.counts["converting_journeys"] + _touchless(res))
    assert sum(r.share for r in res.rows) == pytest.approx(1.0)
    run = res.runs[0].run_id
    credits = full.sql(f"SELECT channel, SUM(conversions) AS c FROM attribution_credits WHERE run_id = '{run}' "
                       "AND subject_id <> '(baseline)' GROUP BY channel").to_pylist()
    by_channel = {r.key: r.conversions for r in res.rows}
    assert {r["channel"]: pytest.approx(r["c"]) for r in credits} == {
        k: v for k, v in by_channel.items() if not k.startswith("(") and v}
    everything = full.sql(f"SELECT SUM(conversions) AS c FROM attribution_credits WHERE run_id = '{run}'").to_pylist()
    assert everything[0]["c"] == pytest.approx(res.counts["converting_journeys"])


def _touchless(res: object) -> float:
    return sum(r.conversions for r in res.rows if r.key == "(no touch)")  # type: ignore[attr-defined]


def test_intervals_cover_the_tested_channels(full: wanamaker.Workspace) -> None:
    res = full.attribution(model="calibrated", milestone="lead", ci=True, replicates=20, persist=False)
    rows = {r.key: r for r in res.rows}
    truth = _truth(full)
    for ch in ("search", "social"):
        r = rows[ch]
        assert r.ci_low is not None and r.ci_high is not None
        assert r.ci_low <= r.conversions <= r.ci_high
        assert r.ci_low <= truth[ch] * 1.15 and r.ci_high >= truth[ch] * 0.85, (ch, r, truth[ch])


def test_some_channels_tested(tmp_path: Path) -> None:
    """Only display is tested: it is still stripped of its credit, and search and social keep the base split."""
    ws = sim.build(wanamaker.init(tmp_path / "ws"), sim.simulate(N, seed=2, tested=("display",)))
    truth = sim.shares(_truth(ws))
    cal = tv_points(sim.shares(_credit(ws, "calibrated")), truth)
    base = tv_points(sim.shares(_credit(ws, "markov_3")), truth)
    assert cal < base
    print(f"only display tested: calibrated {cal:.1f} points off, markov_3 {base:.1f}")


def test_no_experiments_keeps_the_base_model(tmp_path: Path) -> None:
    world = sim.simulate(2_000, seed=3, tested=())
    ws = sim.build(wanamaker.init(tmp_path / "ws"), world)
    cal, base = _credit(ws, "calibrated"), _credit(ws, "markov_3")
    assert {k: pytest.approx(v) for k, v in cal.items() if k != "(baseline)"} == base
    assert cal["(baseline)"] == pytest.approx(0.0, abs=1e-9)


def test_zero_effect_channel_is_the_ride_along(tmp_path: Path) -> None:
    """``wanamaker check`` warns about display (credited heavily, its test caps it near 0) and nothing else."""
    from wanamaker.triangulate.findings import zero_effect_findings

    root = wanamaker.init(tmp_path / "ws")
    config = root / "wanamaker.yml"
    config.write_text(config.read_text().replace("milestone: opportunity", "milestone: lead", 1))
    ws = sim.build(root, sim.simulate(N, seed=4))
    found = zero_effect_findings(ws)
    assert [(f.code, f.severity, f.subject) for f in found] == [("zero_effect_channel", "warning", "display")]
    assert "rides along" in found[0].message and found[0].fix
    assert "zero_effect_channel" in {f.code for f in ws.check()}
