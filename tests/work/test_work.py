"""``wanamaker work``, ``--approvals``, ``--audit`` and ``wanamaker queue`` on DuckDB: the known answers of
work_world.py, the CLI, usage errors, and hours against an independent SQL sum on the demo."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from tests.demo.helpers import DemoRun
from tests.work import work_world
from typer.testing import CliRunner

import wanamaker
from support.data import write_csv
from wanamaker.cli.app import app, main
from wanamaker.work.measures import wip
from wanamaker.work.priorities import delays, spearman


@pytest.fixture
def world(tmp_path: Path) -> wanamaker.Workspace:
    root = wanamaker.init(tmp_path / "ws")
    return work_world.build(lambda: wanamaker.open(root), tmp_path / "in")


def test_work_known_answers(world: wanamaker.Workspace) -> None:
    work_world.check_work(world)


def test_approvals_known_answers(world: wanamaker.Workspace) -> None:
    work_world.check_approvals(world)


def test_queue_ranks_by_return_per_hour_and_breaks_ties_by_due_date(world: wanamaker.Workspace) -> None:
    work_world.check_queue(world)


def test_audit_tells_a_deadline_quarter_from_a_return_quarter(world: wanamaker.Workspace) -> None:
    work_world.check_audit(world)


def test_wip_counts_overlapping_days() -> None:
    # Ann: one item Jan 1-3, another Jan 2 only -> busy days 1, 2, 3 with 1, 2, 1 items: avg 4/3, peak 2.
    # Bob: Jan 10 only -> 1 more busy day with 1 item. Together 5 item-days over 4 busy days.
    spans = [("ann", date(2026, 1, 1), date(2026, 1, 3)), ("ann", date(2026, 1, 2), date(2026, 1, 2)),
             ("bob", date(2026, 1, 10), date(2026, 1, 10))]
    assert wip(spans) == (pytest.approx(5 / 4), 2)
    assert wip([]) == (None, None)
    # A gap between two items is not a busy day: Jan 1 and Jan 5 -> 2 busy days, 1 item each.
    assert wip([("c", date(2026, 1, 1), date(2026, 1, 1)), ("c", date(2026, 1, 5), date(2026, 1, 5))]) == (1.0, 1)


def test_spearman_and_delays_by_hand() -> None:
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1)
    assert spearman([1, 2], [1, 2]) is None  # fewer than 3 pairs
    assert spearman([1, 2, 3], [5, 5, 5]) is None  # constant
    # Delivered on days 1, 2, 3 with returns 1, 2, 3 an hour: in return order the third would come on day 1: 2 days late.
    assert delays([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [0.0, 0.0, 0.0]) == [0.0, 0.0, 2.0]


def _cli(ws: wanamaker.Workspace, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``wanamaker ARGS --workspace WS`` in this process: (exit code, stdout, stderr words)."""
    root = str(ws.root)
    ws.close()
    capsys.readouterr()
    try:
        main([*args, "--workspace", root])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, " ".join(err.split())


def test_cli_work_json_rows(world: wanamaker.Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(world, capsys, "work", "--by", "team", "--in", "2026-01", "--as-of", "2026-01-12", "--format", "json")
    assert code == 0, out
    rows = json.loads(out)
    assert set(work_world_keys()) <= set(rows[0])
    assert [(r["key"], r["items"], r["hours"]) for r in rows] == [("all", 5, 40), ("marketing", 5, 40)]


def work_world_keys() -> tuple[str, ...]:
    return ("key", "items", "hours", "median_cycle_days", "p90_cycle_days", "on_time_rate", "repeatable_share",
            "avg_wip", "peak_wip", "unlinked_hours")


@pytest.mark.parametrize(("args", "message"), [
    (("work", "--by", "reviewer"), "--by 'reviewer' is not one of"),
    (("work", "--approvals", "--by", "person"), "--by 'person' is not one of reviewer, kind"),
    (("work", "--approvals", "--audit"), "two different reports"),
    (("work", "--audit", "--by", "kind"), "--audit is per fiscal quarter"),
    (("work", "--period", "week"), "--period 'week' is not one of"),
    (("work", "--in", "FY26"), "--in"),
    (("work", "--as-of", "2026-13-01"), "is not a date"),
    (("work", "--min-n", "0"), "--min-n"),
])
def test_cli_usage_errors(world: wanamaker.Workspace, capsys: pytest.CaptureFixture[str], args: tuple[str, ...],
                          message: str) -> None:
    code, _, err = _cli(world, capsys, *args)
    assert code == 2 and message in err and "fix:" in err, err


def test_cli_other_reports(world: wanamaker.Workspace) -> None:
    root = str(world.root)
    world.close()
    runner = CliRunner()
    for args in (["work", "--approvals", "--by", "kind"], ["work", "--audit"], ["queue"],
                 ["work", "--period", "quarter", "--by", "kind"]):
        res = runner.invoke(app, [*args, "--format", "json", "--workspace", root])
        assert res.exit_code == 0, res.output
        assert isinstance(json.loads(res.stdout), list)
    res = runner.invoke(app, ["queue", "--workspace", root])
    assert res.exit_code == 0 and "Q3" in res.output


def test_empty_workspace_says_so(workspace: wanamaker.Workspace) -> None:
    assert workspace.work().rows_ == () and "No work items" in workspace.work().notes[0]
    assert workspace.approvals().rows_ == ()
    assert workspace.queue().rows_ == () and workspace.work_audit().rows_ == ()


def test_demo_hours_equal_an_independent_sql_sum(small_demo: DemoRun) -> None:
    """Work hours by person and team equal a SUM written by hand over work_items and team_members."""
    assert small_demo.exit_code == 0, small_demo.output
    with wanamaker.open(small_demo.root, read_only=True) as ws:
        by_person = {r.key: r.hours for r in ws.work(by="person").rows_}
        by_team = {r.key: r.hours for r in ws.work(by="team").rows_}
        sql_person = ws.sql("SELECT COALESCE(owner_id, '(none)') AS k, SUM(COALESCE(hours, 0)) AS h "
                            "FROM work_items GROUP BY 1").to_pylist()
        sql_team = ws.sql("SELECT COALESCE(m.team, '(none)') AS k, SUM(COALESCE(w.hours, 0)) AS h FROM work_items w "
                          "LEFT JOIN team_members m ON m.member_id = w.owner_id GROUP BY 1").to_pylist()
        total = ws.sql("SELECT SUM(hours) AS h, COUNT(*) AS n FROM work_items").to_pylist()[0]
    assert by_person.pop("all") == pytest.approx(total["h"]) == by_team.pop("all")
    assert by_person == {r["k"]: pytest.approx(r["h"]) for r in sql_person}
    assert by_team == {r["k"]: pytest.approx(r["h"]) for r in sql_team}
    assert len(by_person) > 3


def test_a_due_date_in_the_future_loads(workspace: wanamaker.Workspace, tmp_path: Path) -> None:
    """due_at is a planned date: open work due next year is not a future_timestamp (requested_at still is)."""
    rows = [{"work_id": "F1", "requested_at": "2026-01-01 00:00:00", "due_at": "2099-01-01 00:00:00"},
            {"work_id": "F2", "requested_at": "2099-01-01 00:00:00", "due_at": "2099-01-02 00:00:00"}]
    files = workspace.load([write_csv(tmp_path / "w.csv", rows)], table="work_items").tables[0].files[0]
    assert (files.loaded, files.quarantined) == (1, 1)
    reasons = workspace.sql("SELECT reason_code FROM _quarantine").to_pylist()
    assert reasons == [{"reason_code": "future_timestamp"}]
