"""``wanamaker mmm`` on a file (no workspace needed) and on a workspace, through a Typer app built here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import wanamaker
from mmm import tiny
from mmm.world import CHANNELS, make_world, workspace_tables
from wanamaker.cli.mmm import register
from wanamaker.errors import DataError, InputFileError, UsageError

EXAMPLE = Path(__file__).parent / "data" / "mmm_example.csv"
KEYS = {"channel", "spend", "contribution", "roi", "roi_low", "roi_high", "params"}


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.command()
    def other() -> None:  # a second command keeps `mmm` a subcommand, as in the real app
        """Nothing."""

    return app


def run(app: typer.Typer, *args: str) -> object:
    return CliRunner().invoke(app, ["mmm", *args])


def test_file_without_a_workspace(app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no wanamaker.yml here or above
    monkeypatch.delenv("WANAMAKER_WORKSPACE", raising=False)
    result = run(app, "--data", str(EXAMPLE), "--date", "date_week", "--outcome", "y", "--channels", "x1,x2",
                 "--controls", "event_1,event_2,t", "--replicates", "30", "--format", "json")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    rows = json.loads(result.stdout)  # type: ignore[attr-defined]
    assert [r["channel"] for r in rows] == ["x1", "x2", "(baseline)"]
    assert all(set(r) == KEYS for r in rows)
    assert rows[0]["roi_low"] <= rows[0]["roi"] <= rows[0]["roi_high"]
    assert {"alpha", "lam", "beta"} <= set(rows[0]["params"])
    assert "mmm (fast, logistic saturation): 179 weeks 2018-04-02 to 2021-08-30" in result.stderr  # type: ignore[attr-defined]


def test_curves_as_csv_and_the_table(app: typer.Typer) -> None:
    base = ["--data", str(EXAMPLE), "--date", "date_week", "--outcome", "y", "--channels", "x1,x2", "--replicates", "0"]
    result = run(app, *base, "--curves", "-f", "csv")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    lines = result.stdout.splitlines()  # type: ignore[attr-defined]
    assert lines[0] == "channel,multiplier,spend,contribution,contribution_low,contribution_high,outcome"
    assert len(lines) == 1 + 2 * 21 and lines[1].startswith("x1,0.0,0.0,0.0,,,")
    table = run(app, *base)
    assert table.exit_code == 0 and "(baseline)" in table.stdout and "alpha" in table.stdout  # type: ignore[attr-defined]


def test_calibration_file(app: typer.Typer, tmp_path: Path) -> None:
    lifts = tmp_path / "lifts.csv"
    lifts.write_text("channel,start,end,lift,low,high\nx2,2019-01-07,2019-03-31,9000,8000,10000\n")
    result = run(app, "--data", str(EXAMPLE), "--date", "date_week", "--outcome", "y", "--channels", "x1,x2",
                 "--replicates", "0", "--calibration", str(lifts), "-f", "json")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    bad = tmp_path / "bad.csv"
    bad.write_text("channel,start,lift\nx2,2019-01-07,9000\n")
    failed = run(app, "--data", str(EXAMPLE), "--date", "date_week", "--outcome", "y", "--channels", "x1,x2",
                 "--calibration", str(bad))
    assert isinstance(failed.exception, InputFileError)  # type: ignore[attr-defined]
    assert "has no column end, low, high" in str(failed.exception)  # type: ignore[attr-defined]


def test_usage_errors(app: typer.Typer, tmp_path: Path) -> None:
    def error(*args: str) -> BaseException:
        result = run(app, *args)
        assert result.exit_code != 0  # type: ignore[attr-defined]
        return result.exception  # type: ignore[attr-defined,no-any-return]

    exc = error("--data", str(EXAMPLE), "--date", "date_week", "--outcome", "y")
    assert isinstance(exc, UsageError) and "--data needs --channels" in str(exc)
    exc = error("--data", str(EXAMPLE), "--date", "date_week", "--outcome", "y", "--channels", "x1", "--in", "FY2020")
    assert isinstance(exc, UsageError) and "--in applies to the workspace, not to --data" in str(exc)
    exc = error("--date", "week", "--workspace", str(tmp_path))
    assert isinstance(exc, UsageError) and "--date goes with --data FILE" in str(exc)
    exc = error("--data", str(EXAMPLE), "--date", "date_week", "--outcome", "y", "--channels", "x1,x9")
    assert isinstance(exc, UsageError) and "'x9' is not in the data" in str(exc)
    exc = error("--data", str(tmp_path), "--date", "d", "--outcome", "y", "--channels", "x1")
    assert isinstance(exc, InputFileError) and "is not a regular file" in str(exc)
    exc = error("--outcome-metric", "bookings")
    assert isinstance(exc, UsageError) and "--outcome-metric 'bookings' is not one of" in str(exc)


@pytest.mark.skipif(bool(__import__("importlib.util").util.find_spec("pymc_marketing")),
                    reason="PyMC-Marketing is installed: the missing-extra message cannot be shown")
def test_bayes_without_the_extra_says_how_to_install_it(app: typer.Typer) -> None:
    result = run(app, "--data", str(EXAMPLE), "--date", "date_week", "--outcome", "y", "--channels", "x1,x2",
                 "--method", "bayes")
    assert isinstance(result.exception, UsageError)  # type: ignore[attr-defined]
    assert "pip install 'wanamaker[bayes]'" in str(result.exception)  # type: ignore[attr-defined]


def test_workspace(app: typer.Typer, tmp_path: Path) -> None:
    root = wanamaker.init(tmp_path / "ws")
    with wanamaker.open(root) as ws:
        tiny.load_tables(ws, tmp_path / "in", workspace_tables(make_world(7, weeks=80)))
    result = run(app, "--workspace", str(root), "--outcome-metric", "pipeline", "--replicates", "10", "-f", "json")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    rows = json.loads(result.stdout)  # type: ignore[attr-defined]
    assert [r["channel"] for r in rows] == [*sorted(CHANNELS), "(baseline)"]
    assert "80 weeks 2022-01-03 to 2023-07-10" in result.stderr  # type: ignore[attr-defined]
    short = run(app, "--workspace", str(root), "--in", "2022-03")
    assert isinstance(short.exception, DataError) and "too few" in str(short.exception)  # type: ignore[attr-defined]


def test_no_spend_is_an_empty_list_and_a_note(app: typer.Typer, tmp_path: Path) -> None:
    root = wanamaker.init(tmp_path / "empty")
    result = run(app, "--workspace", str(root), "-f", "json")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert json.loads(result.stdout) == []  # type: ignore[attr-defined]
    assert "note: The workspace has no spend" in result.stderr  # type: ignore[attr-defined]


def test_progress_appears_only_after_a_second(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from rich.console import Console

    import wanamaker.cli.mmm as cli_mmm

    out = io.StringIO()
    monkeypatch.setattr(cli_mmm, "err_console", Console(file=out, force_terminal=True, width=80))
    quick = cli_mmm.LateProgress("bootstrap")
    quick(1, 200)
    assert quick.bar is None  # under a second: nothing
    monkeypatch.setattr(cli_mmm, "PROGRESS_AFTER_SECONDS", 0.0)
    slow = cli_mmm.LateProgress("bootstrap")
    slow(5, 200)
    slow(200, 200)
    slow.close()
    assert slow.bar is not None and "bootstrap" in out.getvalue()
