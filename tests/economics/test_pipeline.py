"""``wanamaker pipeline`` (wanamaker.economics.pipeline; docs/pipeline.md) on a Salesforce report export loaded
through a mapping, against an independent pandas computation from the same CSV; the opportunity-level funnel;
the empty-funnel message; the CLI."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

import wanamaker
from wanamaker.cli.pipeline import register
from wanamaker.economics.pipeline import PipelineResult, pipeline
from wanamaker.errors import DataError, UsageError
from wanamaker.funnel import funnel

FIXTURES = Path(__file__).parent / "fixtures"
EXPORT = FIXTURES / "salesforce-opportunities.csv"
FIELDS = ["created", "created_amount", "open", "won", "won_amount", "lost", "win_rate", "avg_won_amount",
          "median_cycle_days", "p90_cycle_days"]


def build_sf(folder: Path) -> wanamaker.Workspace:
    """The export loaded with its mapping into a workspace whose fiscal year starts on 1 February."""
    root = wanamaker.init(folder / "ws")
    path = root / "wanamaker.yml"
    text, n = re.subn(r"^fiscal_year_start:.*$", "fiscal_year_start: 02-01", path.read_text(), flags=re.M)
    assert n == 1
    path.write_text(text)
    ws = wanamaker.open(root)
    assert ws.load([FIXTURES / "fx_rates.csv"], table="fx_rates").tables[0].files[0].quarantined == 0
    result = ws.load([EXPORT], mapping=FIXTURES / "salesforce-opportunities.yml")
    opp = next(t for t in result.tables if t.table == "opportunities")
    # deals exported without a Created Date load too (created_at may be empty): every line is a deal
    assert opp.files[0].loaded == 210 and not opp.quarantine_reasons
    return ws


@pytest.fixture(scope="module")
def sf_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[wanamaker.Workspace]:
    ws = build_sf(tmp_path_factory.mktemp("sf"))
    yield ws
    ws.close()


# ---------------------------------------------------------------- the independent computation


def reference_deals() -> pd.DataFrame:
    """The export parsed with pandas and the documented rules applied."""
    raw = pd.read_csv(EXPORT, dtype=str, keep_default_na=False)
    fx = pd.read_csv(FIXTURES / "fx_rates.csv", dtype={"date": str})
    rate = dict(zip(fx["date"], fx["rate_to_workspace_currency"], strict=True))
    created = pd.to_datetime(raw["Created Date"].replace("", None), format="%m/%d/%Y")
    closed = pd.to_datetime(raw["Close Date"], format="%m/%d/%Y").where(raw["Closed"] == "1")
    status = np.where(raw["Won"] == "1", "won", np.where(raw["Closed"] == "1", "lost", "open"))
    amount = pd.to_numeric(raw["Amount"].str.replace(",", ""), errors="coerce")
    eur = raw["Opportunity Currency"] == "EUR"

    def convert(at: pd.Series) -> pd.Series:
        r = at.dt.strftime("%Y-%m-%d").map(rate)
        out: pd.Series = amount.where(~eur, amount * r)
        return out

    return pd.DataFrame({
        "owner": raw["Opportunity Owner"], "source": raw["Lead Source"].replace("", "(none)"),
        "created_at": created, "closed_at": closed, "status": status,
        "pipeline_amount": convert(created), "won_amount": convert(closed).where(status == "won"),
    })


def fiscal_quarter(ts: pd.Series) -> pd.Series:
    """Fiscal quarters of a year starting on 1 February, named after the calendar year the fiscal year ends in."""
    months = (ts.dt.month - 2) % 12
    year = ts.dt.year + (ts.dt.month >= 2).astype(int)
    labels: pd.Series = "FY" + year.astype("Int64").astype(str) + "-Q" + (months // 3 + 1).astype("Int64").astype(str)
    return labels


def reference(deals: pd.DataFrame, key: str | None, by_quarter: bool = False) -> dict[tuple[str, str | None], dict[str, Any]]:
    made = deals[deals.created_at.notna()].copy()
    shut = deals[deals.status.isin(["won", "lost"]) & deals.closed_at.notna()].copy()
    made["period"] = fiscal_quarter(made.created_at) if by_quarter else None
    shut["period"] = fiscal_quarter(shut.closed_at) if by_quarter else None
    out: dict[tuple[str, str | None], dict[str, Any]] = {}
    keys = [("all", None)] if key is None else [("all", None), (None, key)]
    for fixed, col in keys:
        m_groups = made.groupby([made[col] if col else pd.Series(fixed, index=made.index), made["period"].fillna("")])
        s_groups = shut.groupby([shut[col] if col else pd.Series(fixed, index=shut.index), shut["period"].fillna("")])
        names = set(m_groups.groups) | set(s_groups.groups)
        for name in names:
            m = m_groups.get_group(name) if name in m_groups.groups else made.iloc[0:0]
            s = s_groups.get_group(name) if name in s_groups.groups else shut.iloc[0:0]
            won = s[s.status == "won"]
            lost = s[s.status == "lost"]
            cycle = (won.closed_at - won.created_at).dt.total_seconds() / 86400
            n_won, n_lost = len(won), len(lost)
            parts: tuple[Any, ...] = tuple(name)  # type: ignore[arg-type]
            out[(str(parts[0]), str(parts[1]) or None)] = {
                "created": len(m), "created_amount": float(m.pipeline_amount.sum()),
                "open": int((m.status == "open").sum()), "won": n_won,
                "won_amount": float(won.won_amount.sum()), "lost": n_lost,
                "win_rate": n_won / (n_won + n_lost) if n_won + n_lost else None,
                "avg_won_amount": float(won.won_amount.mean()) if won.won_amount.notna().any() else None,
                "median_cycle_days": float(cycle.quantile(0.5)) if len(cycle) else None,
                "p90_cycle_days": float(cycle.quantile(0.9)) if len(cycle) else None,
                "small": len(m) + n_won + n_lost < 30,
            }
    return out


def assert_matches(result: PipelineResult, expected: dict[tuple[str, str | None], dict[str, Any]]) -> None:
    got = {(r["key"], r["period"]): r for r in result.as_json()}
    assert set(got) == set(expected)
    for k, want in expected.items():
        row = got[k]
        for f in FIELDS:
            assert row[f] == pytest.approx(want[f], rel=1e-9, abs=1e-9), (k, f)
        assert row.get("small", False) == want["small"], k


# ---------------------------------------------------------------- pipeline against pandas


def test_overall_equals_pandas(sf_ws: wanamaker.Workspace) -> None:
    res = pipeline(sf_ws)
    assert_matches(res, reference(reference_deals(), None))
    assert [r.key for r in res.rows] == ["all"] and res.rows[0].period is None
    # two EUR deals lack a rate at creation (2025-01-11, 2025-08-02), one won deal at its close (2025-05-02)
    assert any(n.startswith("2 opportunities in a foreign currency") and "created_amount" in n for n in res.notes)
    assert any(n.startswith("1 won opportunity in a foreign currency") for n in res.notes)


@pytest.mark.parametrize("by", ["owner", "source"])
def test_by_key_equals_pandas_sorted_by_volume(sf_ws: wanamaker.Workspace, by: str) -> None:
    res = pipeline(sf_ws, by=by)
    assert_matches(res, reference(reference_deals(), by))
    rows = res.rows
    assert rows[0].key == "all"
    volumes = [r.created + r.won + r.lost for r in rows[1:]]
    assert volumes == sorted(volumes, reverse=True) and len(rows) > 3
    assert sum(r.created for r in rows[1:]) == rows[0].created  # the keys add up to the total
    if by == "source":
        assert "(none)" in {r.key for r in rows}


def test_fiscal_quarters_equal_pandas(sf_ws: wanamaker.Workspace) -> None:
    res = pipeline(sf_ws, period="quarter")
    assert_matches(res, reference(reference_deals(), None, by_quarter=True))
    periods = [r.period for r in res.rows]
    labels = [str(p) for p in periods]
    assert labels == sorted(labels, key=lambda p: (p[2:6], p[-1])) and periods[0] == "FY2024-Q4"  # January 2024 ends FY2024
    by_owner = pipeline(sf_ws, by="owner", period="quarter")
    assert_matches(by_owner, reference(reference_deals(), "owner", by_quarter=True))
    assert all(r.small for r in by_owner.rows if r.key != "all")  # 5 owners x ~8 quarters: every cell < 30


def test_window_cuts_created_by_created_and_won_by_closed(sf_ws: wanamaker.Workspace) -> None:
    deals = reference_deals()
    lo, hi = pd.Timestamp("2024-07-01"), pd.Timestamp("2025-01-01")
    res = pipeline(sf_ws, date_from="2024-07-01", date_to="2024-12-31").rows[0]
    made = deals[(deals.created_at >= lo) & (deals.created_at < hi)]
    shut = deals[(deals.closed_at >= lo) & (deals.closed_at < hi)]
    assert res.created == len(made) and res.open == int((made.status == "open").sum())
    assert res.won == int((shut.status == "won").sum()) and res.lost == int((shut.status == "lost").sum())
    empty = pipeline(sf_ws, date_from="2030-01-01")
    assert empty.rows == () and empty.notes and empty.as_json() == []


def test_min_n_and_period_keys(sf_ws: wanamaker.Workspace) -> None:
    assert not any(r.small for r in pipeline(sf_ws, by="owner", min_n=1).rows)
    assert all(r.small for r in pipeline(sf_ws, by="owner", min_n=10_000).rows)
    by_period = pipeline(sf_ws, by="period", period="year").rows
    assert by_period[0].key == "all" and by_period[0].period is None
    assert [(r.key, r.period) for r in by_period[1:3]] == [("FY2024", "FY2024"), ("FY2025", "FY2025")]


def test_no_created_at_counts_in_won_lost_not_in_created(sf_ws: wanamaker.Workspace) -> None:
    """The export's deals without a Created Date load, count in won / lost (by closed_at) and not in created,
    and a note says how many."""
    raw = pd.read_csv(EXPORT, dtype=str, keep_default_na=False)
    blank = raw["Created Date"] == ""
    closed_blank = int((blank & (raw["Closed"] == "1")).sum())
    assert int(blank.sum()) == 11 and closed_blank > 0
    result = pipeline(sf_ws)
    total = result.rows[0]
    assert total.created == int((~blank).sum())
    assert total.won + total.lost == int((raw["Closed"] == "1").sum())
    assert any(n.startswith(f"{closed_blank} won or lost opportunit") for n in result.notes), result.notes
    by_quarter = pipeline(sf_ws, period="quarter")
    assert sum(r.won + r.lost for r in by_quarter.rows if r.key == "all") == total.won + total.lost


# ---------------------------------------------------------------- the opportunity-level funnel


def test_funnel_at_opportunity_level(sf_ws: wanamaker.Workspace) -> None:
    raw = pd.read_csv(EXPORT, dtype=str, keep_default_na=False)
    has_created = raw["Created Date"] != ""
    res = funnel(sf_ws, level="opportunity")
    assert res.params["stages"] == ["opportunity", "won"]  # the configured stages opportunity events use
    rows = {r["stage"]: r for r in res.rows()}
    assert rows["opportunity"]["entered"] == int(has_created.sum())
    assert rows["opportunity"]["converted_to_next"] == int((has_created & (raw["Won"] == "1")).sum())
    # a deal with no Created Date is first seen when won: it enters the funnel at won
    assert rows["won"]["entered"] == int((raw["Won"] == "1").sum())
    lost = {r["stage"]: r for r in res.leakage_rows()}
    assert lost  # leakage rows exist for opportunity funnels too
    by_owner = funnel(sf_ws, level="opportunity", by="owner").rows()
    top = raw[has_created]["Opportunity Owner"].value_counts()
    for owner, n in top.items():
        row = next(r for r in by_owner if r["key"] == owner and r["stage"] == "opportunity")
        assert row["entered"] == n
    with pytest.raises(UsageError, match="not a breakdown for opportunity"):
        funnel(sf_ws, level="opportunity", by="lead_source")


def test_empty_funnel_names_the_subject_types_present(sf_ws: wanamaker.Workspace) -> None:
    with pytest.raises(DataError) as err:
        funnel(sf_ws)  # person level: this workspace has opportunity events only
    n = int(pd.read_csv(EXPORT, dtype=str, keep_default_na=False).pipe(
        lambda d: (d["Created Date"] != "").sum() + (d["Closed"] == "1").sum()))
    assert str(err.value).startswith(f"There are no stage events for person subjects; stage_events holds events of: "
                                     f"opportunity ({n}).")
    assert "--level opportunity" in (err.value.fix or "")


def test_empty_workspace_keeps_the_load_message(workspace: wanamaker.Workspace) -> None:
    with pytest.raises(DataError, match="There are no stage events to build a funnel from"):
        funnel(workspace, level="opportunity")


# ---------------------------------------------------------------- the CLI


def cli() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def root() -> None:
        """A test app holding only the pipeline command."""

    return app


def test_cli_json_shape_and_min_n(tmp_path: Path) -> None:
    ws = build_sf(tmp_path)
    root = str(ws.root)
    ws.close()
    runner = CliRunner()
    out = runner.invoke(cli(), ["pipeline", "--by", "owner", "--format", "json", "-w", root])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert list(data[0]) == ["key", "period", *FIELDS]
    assert data[0]["key"] == "all" and data[0]["period"] is None
    assert all("small" not in r for r in data)  # every owner has 30 or more deals created or closed
    out = runner.invoke(cli(), ["pipeline", "--by", "owner", "--min-n", "1000", "--format", "json", "-w", root])
    rows = json.loads(out.stdout)
    assert all(r["small"] is True for r in rows) and list(rows[0]) == ["key", "period", *FIELDS, "small"]
    out = runner.invoke(cli(), ["pipeline", "--period", "quarter", "--from", "2024-02-01", "--to", "2025-01-31",
                                "--format", "csv", "-w", root])
    assert out.exit_code == 0 and out.stdout.splitlines()[0].startswith("key,period,created")
    assert "note: " in out.stderr or "note: " in out.output
    out = runner.invoke(cli(), ["pipeline", "-w", root])
    assert out.exit_code == 0 and "Maria" not in out.stdout and "all" in out.stdout


def test_cli_usage_errors_exit_2(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                 tmp_path: Path) -> None:
    from wanamaker.cli import app as cli_app

    monkeypatch.setattr(cli_app, "app", cli())
    for args, message in ((["--by", "rep"], "--by 'rep' is not one of owner"),
                          (["--period", "week"], "--period 'week' is not one of month"),
                          (["--min-n", "-1"], "--min-n -1 is below 0"),
                          (["--from", "2025-13-01"], "--from '2025-13-01' is not a date"),
                          (["--from", "2025-03-01", "--to", "2025-02-01"], "the window is empty")):
        with pytest.raises(SystemExit) as exit_:
            cli_app.main(["pipeline", *args, "-w", str(tmp_path)])
        assert exit_.value.code == 2, args
        assert message in capsys.readouterr().err, args


def test_cli_funnel_level_opportunity(tmp_path: Path) -> None:
    from wanamaker.cli.funnel import register as register_funnel

    ws = build_sf(tmp_path)
    root = str(ws.root)
    ws.close()
    app = typer.Typer()
    register_funnel(app)
    runner = CliRunner()
    out = runner.invoke(app, ["funnel", "--level", "opportunity", "--by", "owner", "--format", "json", "-w", root])
    assert out.exit_code == 0, out.output
    assert [r["stage"] for r in json.loads(out.stdout)[:2]] == ["opportunity", "won"]
    out = runner.invoke(app, ["funnel", "--level", "deal", "-w", root])
    assert isinstance(out.exception, UsageError) and "person, account, opportunity" in str(out.exception)
    out = runner.invoke(app, ["funnel", "-w", root])
    assert isinstance(out.exception, DataError) and "--level opportunity" in (out.exception.fix or "")
