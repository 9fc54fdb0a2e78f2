"""``wanamaker economics`` (docs/economics.md): the hand-made world on DuckDB (proration, zero denominators,
segments), the demo checked against a hand computation from its tables for one channel, and the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import typer
from tests.demo.helpers import DemoRun
from tests.economics.test_economics_engines import MARGIN, build, check_known_answers
from typer.testing import CliRunner

import wanamaker
from wanamaker.cli.economics import register
from wanamaker.economics.unit_economics import economics
from wanamaker.errors import UsageError

FIELDS = ["key", "spend", "new_customers", "cac", "ltv", "ltv_cac", "payback_months", "romi", "romi_low", "romi_high"]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[wanamaker.Workspace]:
    opened: list[wanamaker.Workspace] = []
    root: list[Path] = []

    def make() -> wanamaker.Workspace:
        if not root:
            root.append(wanamaker.init(tmp_path / "ws"))
        opened.append(wanamaker.open(root[0]))
        return opened[-1]

    ws = build(make, tmp_path / "in")
    yield ws
    for w in opened:
        try:
            w.close()
        except Exception:
            pass


def test_known_answers_on_duckdb(world: wanamaker.Workspace) -> None:
    check_known_answers(world)


def test_default_window_costs_prorated_and_zero_denominators(world: wanamaker.Workspace) -> None:
    # won deals and spend run from 2024-04-01 to 2025-08-01: no fiscal year lies wholly inside, so all of it
    assert economics(world, replicates=10).params["window"] == "2024-04-01..2025-08-01"
    jan = economics(world, in_label="2025-01", replicates=10).as_json()[0]
    assert jan["spend"] == pytest.approx(3500 + 9000 * 31 / 90)  # 31 of FY2025-Q1's 90 days
    assert jan["new_customers"] == 0 and jan["cac"] is None and jan["payback_months"] is None
    assert jan["ltv_cac"] is None
    april = economics(world, in_label="2025-04", replicates=10).as_json()[0]
    assert april["spend"] == 0 and april["romi"] is None and april["cac"] is None
    seg = {r["key"]: r for r in economics(world, by="segment", in_label="FY2025", replicates=10).as_json()}
    assert (seg["ent"]["new_customers"], seg["smb"]["new_customers"]) == (2, 1)
    # this world's spend targets no segment (no campaigns): it all lands on (none), with the team costs
    assert seg["ent"]["spend"] == 0 and seg["ent"]["cac"] == 0 and seg["ent"]["ltv"] is not None
    assert seg["(none)"]["spend"] == pytest.approx(seg["all"]["spend"]) and seg["(none)"]["cac"] is None
    assert all(r["romi"] is None for k, r in seg.items() if k != "all")
    with pytest.raises(UsageError, match="--by 'owner' is not one of"):
        economics(world, by="owner")
    with pytest.raises(UsageError, match="--in"):
        economics(world, in_label="2025-Q1")
    with pytest.raises(UsageError, match="needs one"):
        economics(world, model="all")


def test_demo_one_channel_by_hand(small_demo: DemoRun) -> None:
    """paid_search on the demo: spend, CAC, payback, LTV:CAC and ROMI with intervals from the tables and the
    attribution rows (markov_3, account level, milestone won, FY2025)."""
    with wanamaker.open(small_demo.root, read_only=True) as ws:
        res = economics(ws, by="channel", replicates=50)
        assert res.params["window"] == "FY2025"
        row = next(r for r in res.as_json() if r["key"] == "paid_search")
        spend = ws.sql("SELECT sum(amount) AS s FROM spend WHERE channel = 'paid_search' AND date >= DATE '2025-01-01'"
                       " AND date < DATE '2026-01-01' AND (currency IS NULL OR currency = 'USD')").column("s")[0].as_py()
        new = ws.sql("SELECT count(*) AS n FROM (SELECT account_id, min(closed_at) AS f FROM opportunities WHERE "
                     "status = 'won' GROUP BY 1) WHERE f >= TIMESTAMP '2025-01-01' AND f < TIMESTAMP '2026-01-01'"
                     ).column("n")[0].as_py()
        first_year = ws.sql(
            "WITH c AS (SELECT account_id, min(closed_at) AS f FROM opportunities WHERE status = 'won' GROUP BY 1 "
            "HAVING min(closed_at) >= TIMESTAMP '2025-01-01' AND min(closed_at) < TIMESTAMP '2026-01-01') "
            "SELECT sum(r.amount) AS s FROM c JOIN revenue r ON r.account_id = c.account_id "
            "AND CAST(r.ts AS DATE) >= CAST(c.f AS DATE) AND CAST(r.ts AS DATE) < CAST(c.f AS DATE) + 365"
        ).column("s")[0].as_py()
        attr = ws.attribution(model="markov_3", milestone="won", level="account", value="revenue", by="channel",
                              date_from=datetime(2025, 1, 1),
                              date_to=datetime(2026, 1, 1) - timedelta(microseconds=1), ci=True, replicates=50, persist=False)
    assert ws.config.economics.costs == []
    credit = next(r for r in attr.rows if r.key == "paid_search")
    all_row = res.as_json()[0]
    assert all_row["new_customers"] == new
    assert row["spend"] == pytest.approx(spend)
    assert row["new_customers"] == pytest.approx(credit.conversions)
    cac = spend / credit.conversions
    assert row["cac"] == pytest.approx(cac)
    monthly = first_year / new / 12
    assert row["payback_months"] == pytest.approx(cac / (monthly * MARGIN))
    assert row["ltv_cac"] == pytest.approx(all_row["ltv"] / cac)
    assert row["romi"] == pytest.approx((credit.value * MARGIN - spend) / spend)
    assert credit.ci_low is not None and credit.ci_high is not None
    assert row["romi_low"] == pytest.approx((credit.ci_low * MARGIN - spend) / spend)
    assert row["romi_high"] == pytest.approx((credit.ci_high * MARGIN - spend) / spend)
    assert row["romi_low"] <= row["romi"] <= row["romi_high"]


# ---------------------------------------------------------------- the CLI


def cli() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def root() -> None:
        """A test app holding only the economics command."""

    return app


def test_cli_json_shape(world: wanamaker.Workspace) -> None:
    root = str(world.root)
    world.close()
    runner = CliRunner()
    out = runner.invoke(cli(), ["economics", "--by", "channel", "--in", "FY2025", "--replicates", "10",
                                "--format", "json", "-w", root])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout)
    assert rows[0]["key"] == "all" and rows[0].get("below_target") is True  # LTV:CAC under 3
    assert all(list(r)[: len(FIELDS)] == FIELDS for r in rows)
    out = runner.invoke(cli(), ["economics", "--retention", "--by", "segment", "--format", "json", "-w", root])
    assert out.exit_code == 0, out.output
    ret = json.loads(out.stdout)
    assert list(ret[0]) == ["key", "cohort", "new", "renewal", "expansion", "contraction", "churn", "nrr"]
    assert ret[0]["key"] == "all"
    out = runner.invoke(cli(), ["economics", "--in", "FY2025", "--replicates", "10", "-w", root])
    assert out.exit_code == 0 and "all" in out.stdout


def test_cli_usage_errors_exit_2(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                 tmp_path: Path) -> None:
    from wanamaker.cli import app as cli_app

    monkeypatch.setattr(cli_app, "app", cli())
    cases: list[tuple[list[str], str]] = [
        (["--by", "owner"], "--by 'owner' is not one of channel"),
        (["--in", "2025-Q1"], "is not a period label"),
        (["--retention", "--in", "FY2025"], "do not apply to --retention"),
        (["--replicates", "0"], "--replicates 0 is below 1"),
        (["--model", "nope"], "nope"),
    ]
    for args, message in cases:
        with pytest.raises(SystemExit) as exit_:
            cli_app.main(["economics", *args, "-w", str(tmp_path)])
        assert exit_.value.code == 2, args
        assert message in capsys.readouterr().err, args



def test_segment_spend_splits_each_campaign_over_its_segments(workspace: wanamaker.Workspace, tmp_path: Path) -> None:
    from support.data import write_csv
    from wanamaker.economics.unit_economics import spend_by_segment
    from wanamaker.metrics.periods import parse_label

    ws = workspace
    ws.load([write_csv(tmp_path / "c.csv", [
        {"campaign_id": "c1", "segments": "smb,ent"}, {"campaign_id": "c2", "segments": "ent"},
        {"campaign_id": "c3", "segments": ""},
    ])], table="campaigns")
    ws.load([write_csv(tmp_path / "s.csv", [
        {"date": "2025-02-01", "channel": "paid_search", "campaign_id": "c1", "amount": "100", "currency": "USD"},
        {"date": "2025-02-02", "channel": "paid_search", "campaign_id": "c2", "amount": "40", "currency": "USD"},
        {"date": "2025-02-03", "channel": "display", "campaign_id": "c3", "amount": "7", "currency": "USD"},
        {"date": "2025-02-04", "channel": "display", "campaign_id": "c9", "amount": "3", "currency": "USD"},
        {"date": "2026-02-04", "channel": "display", "campaign_id": "c2", "amount": "1000", "currency": "USD"},
    ])], table="spend")
    got = spend_by_segment(ws, parse_label("FY2025"))
    assert got == pytest.approx({"smb": 50.0, "ent": 90.0, "(none)": 10.0})  # c3 names no segment, c9 is unknown
