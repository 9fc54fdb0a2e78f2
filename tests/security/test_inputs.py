"""Issue 11, findings 7 and 8 (options, config values, --paths files): nonsense is refused with an exact
error that names the file, line and column or the option, and never reaches a result or "unexpected".

- ``--paths`` cells must be finite, non-negative and below 1e15, on the compiled and the numpy kernels;
  an empty, header-only or header-less (one 200 MB line) file and a long quoted line have their own message;
- options are usage errors (exit 2) naming the option; config values are config errors (exit 1) naming
  wanamaker.yml and the line;
- Markov chains too big for their state codes fail at once, saying what is too big and what to do.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pytest

import wanamaker
from support.kernels import KERNELS, use_kernel
from wanamaker.attribution import paths_file
from wanamaker.attribution.api import attribute
from wanamaker.attribution.markov_size import MAX_REMOVAL_WORK, check_work, max_channels
from wanamaker.cli.app import main
from wanamaker.errors import ConfigError, DataError, InputFileError, UsageError

HEADER = "path,total_conversions,total_conversion_value,total_null\n"


def cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run ``wanamaker ARGS`` in this process: (exit code, stdout, stderr)."""
    capsys.readouterr()
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, " ".join(err.split())  # rich wraps long lines: compare the words


@pytest.fixture(params=KERNELS)
def kernel(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a --paths test with the compiled kernels, then with their numpy twins."""
    return use_kernel(str(request.param), monkeypatch)


def paths(tmp_path: Path, body: str | bytes, name: str = "p.csv") -> Path:
    f = tmp_path / name
    f.write_bytes(body if isinstance(body, bytes) else body.encode())
    return f


# --- finding 7: --paths counts ----------------------------------------------------------------


@pytest.mark.parametrize(("line", "column", "shown"), [
    ("a > b,-5,1,1", "total_conversions", "-5 is negative"),
    ("a > b,1,-0.5,1", "total_conversion_value", "-0.5 is negative"),
    ("a > b,1,1,-3", "total_null", "-3 is negative"),
    ("a > b,nan,1,1", "total_conversions", "nan is not a number"),
    ("a > b,NaN,1,1", "total_conversions", "nan is not a number"),
    ("a > b,1,inf,1", "total_conversion_value", "inf is infinite"),
    ("a > b,1,1,-inf", "total_null", "-inf is negative"),
    ("a > b,1e308,1,1", "total_conversions", "1e+308 is too large (the limit is below 1e+15)"),
    ("a > b,1,1000000000000000,1", "total_conversion_value", "1e+15 is too large (the limit is below 1e+15)"),
])
def test_bad_count_names_file_line_and_column(tmp_path: Path, kernel: str, line: str, column: str, shown: str) -> None:
    f = paths(tmp_path, HEADER + "b,2,2,3\n" + line + "\nc,1,1,1\n")
    with pytest.raises(InputFileError) as err:
        paths_file.read_paths(f)
    assert err.value.message == f"paths file {f}, line 3, column {column}: {shown}"
    assert "from 0 to below 1e+15" in err.value.fix


def test_negative_conversions_exit_1_without_a_table(tmp_path: Path, kernel: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """The finding: ``a > b,-5,1`` gave first_touch a = -5 with every share 0.0, exit 0."""
    f = paths(tmp_path, "path,total_conversions,total_null\na > b,-5,1\n")
    code, out, err = cli(["attribute", "--paths", str(f), "--model", "first_touch", "-f", "json"], capsys)
    assert (code, out) == (1, "")
    assert f"error: paths file {f}, line 2, column total_conversions: -5 is negative" in err
    assert "unexpected" not in err


def test_bad_cells_are_counted_and_the_first_is_named(tmp_path: Path, kernel: str) -> None:
    f = paths(tmp_path, HEADER + "a,1,1,1\n\nb,-1,1,1\nc,1,1e400,1\n")  # a blank line: lines still count
    with pytest.raises(InputFileError, match=re.escape(f"paths file {f}, line 4, column total_conversions: -1 is "
                                                       "negative (2 such cells in all)")):
        paths_file.read_paths(f)


def test_largest_allowed_counts_are_read_exactly(tmp_path: Path, kernel: str) -> None:
    """Fifteen nines (the fast readers' widest number) is below the limit; sums stay exact and finite."""
    f = paths(tmp_path, HEADER + "a > b,999999999999999,999999999999999,0\nb,0,0,999999999999999\n")
    p = paths_file.read_paths(f)
    assert p.conversions.tolist() == [999999999999999.0, 0.0]
    result = attribute(paths=f, model="first_touch")
    assert all(np.isfinite([r.conversions, r.value, r.share]).all() for r in result.rows)
    assert sum(r.share for r in result.rows) == pytest.approx(1.0)


def test_gzip_paths_are_checked_too(tmp_path: Path, kernel: str) -> None:
    import gzip

    f = paths(tmp_path, gzip.compress((HEADER + "a,1,1,1\nb,1,-2,1\n").encode()), "p.csv.gz")
    with pytest.raises(InputFileError, match=re.escape(f"paths file {f}, line 3, column total_conversion_value: "
                                                       "-2 is negative")):
        paths_file.read_paths(f)


@pytest.mark.parametrize(("body", "message"), [
    (HEADER, "has a header row and no paths"),
    (HEADER.rstrip("\n"), "has a header row and no paths"),
    (HEADER + "\n\n", "has a header row and no paths"),
    ("", "is empty"),
    (HEADER + ",1,1,1\n >  ,2,2,2\n", "has no path with a channel in column path"),
])
def test_no_paths_has_its_own_message(tmp_path: Path, kernel: str, body: str, message: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    f = paths(tmp_path, body)
    with pytest.raises(InputFileError) as err:
        paths_file.read_paths(f)
    assert err.value.message == f"paths file {f} {message}"
    code, out, text = cli(["attribute", "--paths", str(f)], capsys)  # every model, not only the first
    assert (code, out) == (1, "")
    assert f"error: paths file {f} {message}" in text and "unexpected" not in text


def test_a_200_mb_single_line_file_is_not_a_header(tmp_path: Path, kernel: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "one-line.csv"
    with f.open("wb") as fh:  # 200 MB without a line end (sparse: no disk used); only 64 KB are read
        fh.truncate(200 << 20)
    code, out, err = cli(["attribute", "--paths", str(f)], capsys)
    assert (code, out) == (1, "")
    assert f"error: paths file {f} has no header row: its first line is longer than 64 KB" in err
    assert "unexpected" not in err


def test_a_long_quoted_line_has_its_own_message(tmp_path: Path, kernel: str) -> None:
    f = paths(tmp_path, "path,total_conversions\n\"" + "a > " * (600 << 10) + "b\",1\n")
    with pytest.raises(InputFileError, match="a line is longer than 1 MB") as err:
        paths_file.read_paths(f)
    assert "no quotes" in err.value.fix


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_only_regular_paths_files_are_read(tmp_path: Path, kind: str) -> None:
    import os

    f = tmp_path / "x"
    if kind == "folder":
        f.mkdir()
    else:
        os.mkfifo(f)  # opening it would block for ever
    with pytest.raises(InputFileError, match=re.escape(f"paths file {f} is")):
        paths_file.read_paths(f)


# --- finding 8: options are usage errors naming the option ------------------------------------


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small DuckDB workspace: four people, five touches, their stages."""
    base = tmp_path_factory.mktemp("inputs")
    root = wanamaker.init(base / "ws")
    rows = {
        "people": [["person_id", "created_at"], *[[f"p{i}", f"2026-01-0{i + 1}"] for i in range(4)]],
        "touchpoints": [["touch_id", "person_id", "ts", "channel"], ["t1", "p0", "2026-01-02", "email"],
                        ["t2", "p0", "2026-01-03", "paid_search"], ["t3", "p1", "2026-01-03", "email"],
                        ["t4", "p3", "2026-01-05", "paid_search"]],
        "stage_events": [["subject_type", "subject_id", "stage", "ts"], ["person", "p0", "lead", "2026-01-03"],
                         ["person", "p0", "opportunity", "2026-01-10"], ["person", "p1", "lead", "2026-01-04"],
                         ["person", "p3", "opportunity", "2026-01-20"]],
    }
    with wanamaker.open(root) as ws:
        for table, data in rows.items():
            f = base / f"{table}.csv"
            with f.open("w", newline="") as fh:
                csv.writer(fh).writerows(data)
            assert ws.load([f], table=table).quarantined == 0
    return root


@pytest.mark.parametrize(("args", "message"), [
    (["attribute", "--order", "0", "--model", "markov"], "--order 0 is out of range: Markov orders run from 1 to 4"),
    (["attribute", "--order", "5", "--model", "markov"], "--order 5 is out of range: Markov orders run from 1 to 4"),
    (["attribute", "--order", "2"], "--order 2 applies to --model markov only"),
    (["attribute", "--from", "2026-13-45"], "--from '2026-13-45' is not a date (month must be in 1..12)."),
    (["attribute", "--to", "2026-02-30"], "--to '2026-02-30' is not a date (day is out of range for month)."),
    (["attribute", "--from", "2026-02-01", "--to", "2026-01-01"],
     "--from 2026-02-01 does not come before --to 2026-01-01: the window is empty."),
    (["attribute", "--lookback", "-3d"], "--lookback '-3d' is not a positive duration"),
    (["attribute", "--lookback", "0d"], "--lookback '0d' is not a positive duration"),
    (["attribute", "--lookback", "1000000000d"], "--lookback '1000000000d' is longer than the longest allowed, 36500d"),
    (["attribute", "--lookback", "3 days"], "--lookback '3 days' is not a duration"),
    (["attribute", "--ci", "--replicates", "0"], "--replicates 0 is below 1."),
    (["attribute", "--ci", "--replicates", "10001"], "--replicates 10001 is above 10000."),
    (["attribute", "--seed", "-1"], "--seed -1 is below 0."),
    (["attribute", "--milestone", "bogus"], "--milestone 'bogus' is not a funnel stage"),
    (["attribute", "--level", "bogus"], "--level 'bogus' is not one of person, account."),
    (["attribute", "--value", "bogus"], "--value 'bogus' is not one of count, pipeline, revenue."),
    (["attribute", "--evaluate", "--ci"], "--ci cannot be used with --evaluate"),
    (["funnel", "--within", "0d", "--cohort"], "--within '0d' is not a positive duration"),
    (["funnel", "--stall", "-1d"], "--stall '-1d' is not a positive duration"),
    (["funnel", "--period", "weekly"], "--period 'weekly' is not one of month, quarter, year."),
    (["funnel", "--as-of", "2026-99-99"], "--as-of '2026-99-99' is not a date"),
    (["funnel", "--as-of", "9999-12-31"], "--as-of '9999-12-31' is outside the calendar wanamaker can use."),
    (["funnel", "--stages", "mql,mql"], "--stages names fewer than two stages"),
    (["funnel", "--stages", "mql,bogus"], "--stages bogus: not among the funnel stages"),
    (["funnel", "--level", "bogus"], "--level 'bogus' is not one of person, account, opportunity."),
    (["funnel", "--by", "bogus"], "--by 'bogus' is not a breakdown for person funnels."),
    (["sla", "--by", "bogus"], "--by 'bogus' is not one of rep, team."),
    (["sla", "--open", "--period", "month"], "--by and --period cannot be used with --open"),
    (["alignment", "--period", "weekly"], "--period 'weekly' is not one of month, quarter, year."),
])
def test_bad_option_is_a_usage_error_naming_it(workspace: Path, capsys: pytest.CaptureFixture[str],
                                               args: list[str], message: str) -> None:
    code, out, err = cli([*args, "-w", str(workspace)], capsys)
    assert (code, out) == (2, "")
    assert f"error: {message}" in err
    assert "fix:" in err and "unexpected" not in err


@pytest.mark.parametrize(("args", "message"), [
    (["--sep", ""], "--sep is empty: channels in a path need a separator"),
    (["--path-col", ""], "--path-col is empty."),
    (["--conv-col", "path"], "--path-col and --conv-col name the same column"),
    (["--lookback", "3d"], "--lookback cannot be used with --paths"),
    (["--from", "2026-01-01"], "--from cannot be used with --paths"),
    (["--evaluate"], "--paths cannot be used with --evaluate"),
    (["--model", "time_decay"], "time_decay needs touch times and stages"),
    (["--model", "markov", "--order", "0"], "--order 0 is out of range"),
])
def test_paths_options_are_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                                        message: str) -> None:
    f = paths(tmp_path, HEADER + "a > b,1,1,1\n")
    code, out, err = cli(["attribute", "--paths", str(f), *args], capsys)
    assert (code, out, err.startswith(f"error: {message}")) == (2, "", True), err


def test_order_0_no_longer_runs_order_1() -> None:
    with pytest.raises(UsageError, match="--order 0 is out of range"):
        attribute(paths="unused.csv", model="markov", order=0)


@pytest.mark.parametrize(("args", "message"), [
    (["--seed", "-1"], "--seed -1 is below 0."),
    (["--end", "1900-01-01"], "--end 1900-01-01 is outside 1992-01-01 to 2099-12-31"),
    (["--end", "2026-13-01"], "--end 2026-13-01 is not a date."),
    (["--size", "huge"], "--size 'huge' is not one of small, medium, large."),
])
def test_demo_options_are_checked_before_anything_is_made(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          args: list[str], message: str) -> None:
    code, _, err = cli(["demo", str(tmp_path / "demo"), *args], capsys)
    assert (code, err.startswith(f"error: {message}")) == (2, True), err
    assert not (tmp_path / "demo").exists()


# --- config values: a config error naming wanamaker.yml and the line ----------------------------


@pytest.mark.parametrize(("old", "new", "where", "message"), [
    ("half_life: 7d", "half_life: 0d", "attribution.half_life", "'0d' is not a positive duration"),
    ("lookback: 90d", "lookback: 0d", "attribution.lookback", "'0d' is not a positive duration"),
    ("lookback: 90d", "lookback: -3", "attribution.lookback", "'-3' is not a positive duration"),
    ("within: 24h}", "within: 0h}", "sla.0.within", "'0h' is not a positive duration"),
    ("future_tolerance: 1d", "future_tolerance: 1000000000d", "ingest.future_tolerance",
     "'1000000000d' is longer than the longest allowed, 3650d"),
    ("future_tolerance: 1d", "future_tolerance: -1d", "ingest.future_tolerance",
     "'-1d' is not a duration of zero or more"),
    ("min_date: 1990-01-01", "min_date: 0001-01-01", "ingest.min_date", "0001-01-01 is not between 1900-01-01"),
    ("first: 0.4, middle", "first: .nan, middle", "attribution.custom_weights.first", "Input should be a finite number"),
    ("to: first_sales_touch", "to: []", "sla.0.to", "Value should have at least 1 item"),
])
def test_bad_config_value_names_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str,
                                              new: str, where: str, message: str) -> None:
    root = wanamaker.init(tmp_path / "ws")
    cfg = root / "wanamaker.yml"
    text = cfg.read_text()
    assert old in text
    cfg.write_text(text.replace(old, new, 1))
    line = next(i for i, t in enumerate(cfg.read_text().splitlines(), 1) if new in t)
    with pytest.raises(ConfigError) as err:
        wanamaker.open(root)
    (issue,) = err.value.issues
    assert (issue.file, issue.line, issue.where) == (cfg, line, where)  # type: ignore[attr-defined]
    assert message in issue.message  # type: ignore[attr-defined]
    code, _, text = cli(["tables", "-w", str(root)], capsys)
    assert code == 1 and f"{cfg}:{line}:" in text and "unexpected" not in text


def test_zero_future_tolerance_is_allowed(tmp_path: Path) -> None:
    root = wanamaker.init(tmp_path / "ws")
    cfg = root / "wanamaker.yml"
    cfg.write_text(cfg.read_text().replace("future_tolerance: 1d", "future_tolerance: 0d"))
    with wanamaker.open(root) as ws:
        assert ws.config.ingest.future_tolerance.total_seconds() == 0


# --- Markov size: fail fast with what is too big and what to do ---------------------------------


def wide_paths(tmp_path: Path, n_channels: int) -> Path:
    lines = [f"c{i} > c{(i * 7 + 1) % n_channels},{i % 2},{i % 3}" for i in range(n_channels)]
    return paths(tmp_path, "path,total_conversions,total_null\n" + "\n".join(lines) + "\n")


def test_markov_order_4_over_20000_channels_fails_at_once(tmp_path: Path, kernel: str,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    f = wide_paths(tmp_path, 20_000)
    code, out, err = cli(["attribute", "--paths", str(f), "--model", "markov", "--order", "4"], capsys)
    assert (code, out) == (1, "")
    assert ("error: Markov order 4 over 20,000 channels is too big: its states are numbered in 64 bits, which hold "
            "at most 5,403 channels at order 4 (--order 3 takes 20,000 channels)") in err
    assert "fix: lower the order (--order), group channels into fewer" in err and "unexpected" not in err
    with pytest.raises(DataError) as exc:
        attribute(paths=f, model="markov", order=4)
    assert exc.value.code == "markov_too_large"


def test_markov_order_3_over_50000_channels_fails_at_once(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="Markov order 3 over 50,000 channels is too big: .* at most 46,339 channels "
                                        r"at order 3 \(--order 2 takes 50,000 channels\)"):
        attribute(paths=wide_paths(tmp_path, 50_000), model="markov", order=3)


def test_markov_removal_work_has_a_limit() -> None:
    assert max_channels(4) == 5_403 and max_channels(3) == 46_339
    check_work(20_000, 3, 20_000, 194_465, 99_786)  # 5.9e9: runs (1.5 minutes here)
    with pytest.raises(DataError, match=r"Markov order 2 over 20,000 channels is too big to solve: 20,000 removal "
                                        r"solves over 400,000 states and 300,000 transitions \(1.4e\+10 steps"):
        check_work(20_000, 2, 20_000, 400_000, 300_000)
    assert 20_000 * 700_000 > MAX_REMOVAL_WORK


def test_bootstrap_weights_are_drawn_in_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """--ci draws replicates x journeys Poisson weights: in blocks (bounded memory), the same numbers."""
    from wanamaker.attribution import bootstrap

    rng = np.random.default_rng(3)
    journey, key = rng.integers(0, 500, 2000), rng.integers(0, 7, 2000)
    credit = rng.random(2000)
    whole = bootstrap.journey_sum(journey, key, credit, 500, 7, 50, seed=11)
    monkeypatch.setattr(bootstrap, "WEIGHTS_PER_BLOCK", 1500)  # three replicates a block
    np.testing.assert_array_equal(bootstrap.journey_sum(journey, key, credit, 500, 7, 50, seed=11), whole)
