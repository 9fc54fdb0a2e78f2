"""The work-management presets (Jira, Asana and Workfront CSV exports) fill ``work_items`` and ``approvals``.

Each sample export is loaded into a fresh workspace: every row is accounted for, and a few rows are checked
column by column against the contract (hours from Jira's seconds, statuses, UTC times, booleans).
"""

from __future__ import annotations

import csv
import re
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

import wanamaker
from wanamaker.errors import InputFileError
from wanamaker.schema.contracts import TABLES

SAMPLES = Path(__file__).parent / "samples"
WORK_PRESETS = ["jira-issues", "asana-tasks", "workfront-tasks", "workfront-approvals"]


def load(ws: wanamaker.Workspace, preset: str) -> wanamaker.LoadResult:
    return ws.load([SAMPLES / f"{preset}.csv"], preset=preset)


def buckets(result: wanamaker.LoadResult, table: str) -> tuple[int, int, int, int, int]:
    """(read, loaded, quarantined, duplicates, skipped) of the one file loaded into ``table``."""
    assert [t.table for t in result.tables] == [table]
    (f,) = result.tables[0].files
    return f.read, f.loaded, f.quarantined, f.duplicates, f.skipped


def work_items(ws: wanamaker.Workspace) -> dict[str, dict[str, Any]]:
    """Every loaded work item by work_id, with its contract columns only."""
    names = TABLES["work_items"].column_names
    rows = ws.sql("SELECT * FROM work_items").to_pylist()
    return {r["work_id"]: {n: r[n] for n in names} for r in rows}


def statuses(items: dict[str, dict[str, Any]]) -> dict[str, str]:
    return {k: v["status"] for k, v in items.items()}


def with_timezone(tmp_path: Path, tz: str) -> wanamaker.Workspace:
    root = wanamaker.init(tmp_path / "ws")
    config = root / "wanamaker.yml"
    text, n = re.subn(r"^timezone: .*$", f"timezone: {tz}", config.read_text(), flags=re.M)
    assert n == 1
    config.write_text(text)
    return wanamaker.open(root)


@pytest.mark.parametrize("preset", WORK_PRESETS)
def test_each_preset_says_what_export_it_expects(preset: str) -> None:
    text = resources.files("wanamaker.ingest.presets").joinpath(f"{preset}.yml").read_text(encoding="utf-8")
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert text.startswith("# ") and "Required:" in "\n".join(header) and "optional" in "\n".join(header)


def test_jira_issues(workspace: wanamaker.Workspace) -> None:
    result = load(workspace, "jira-issues")
    assert buckets(result, "work_items") == (11, 11, 0, 0, 0)
    assert result.warnings == []
    items = work_items(workspace)
    assert items["MKT-101"] == {
        "work_id": "MKT-101", "title": "Q4 webinar landing page", "kind": "Task",
        "requested_at": datetime(2026, 9, 2, 9, 15), "requested_by": "Dana Whitfield",
        "started_at": datetime(2026, 9, 7), "due_at": datetime(2026, 9, 20, 23, 59, 59),  # due by the end of 20/Sep
        "delivered_at": datetime(2026, 9, 18, 16, 51), "owner_id": "Priya Natarajan",
        "hours": 7.5, "estimated_hours": 8.0,  # Time Spent 27000 s, Original Estimate 28800 s
        "repeatable": False, "campaign_id": "CMP-Q4-WEBINAR", "goal_id": "G-FY26-PIPELINE",
        "expected_value": 12000.0, "status": "delivered",
    }
    # status Done but resolved as Won't Do: cancelled, and closed is not delivered
    assert (items["MKT-103"]["status"], items["MKT-103"]["delivered_at"], items["MKT-103"]["hours"]) == (
        "cancelled", None, 1.0)
    # in progress and past its due date; repeatable; a campaign but no goal
    mkt102 = items["MKT-102"]
    assert (mkt102["status"], mkt102["delivered_at"], mkt102["due_at"], mkt102["hours"], mkt102["estimated_hours"],
            mkt102["repeatable"], mkt102["campaign_id"], mkt102["goal_id"], mkt102["expected_value"]) == (
        "in_progress", None, datetime(2026, 10, 30, 23, 59, 59), 1.5, 4.0, True, "CMP-NURTURE", None, 3500.5)
    # 12:05 AM is five past midnight; 900 s is a quarter of an hour; neither campaign nor goal
    mkt104 = items["MKT-104"]
    assert (mkt104["requested_at"], mkt104["hours"], mkt104["campaign_id"], mkt104["goal_id"]) == (
        datetime(2026, 10, 1, 0, 5), 0.25, None, None)
    assert items["MKT-105"]["delivered_at"] > items["MKT-105"]["due_at"]  # late
    # resolved at 5:15 PM on its due day ("25/Sep/26 12:00 AM"): on time
    assert items["MKT-111"]["due_at"] == datetime(2026, 9, 25, 23, 59, 59) >= items["MKT-111"]["delivered_at"]
    assert items["MKT-109"]["title"] == 'Write alt text, "hero" images' and items["MKT-109"]["hours"] == 0.0
    assert items["MKT-105"]["owner_id"] == "José Álvarez"
    assert statuses(items) == {
        "MKT-101": "delivered", "MKT-102": "in_progress", "MKT-103": "cancelled", "MKT-104": "delivered",
        "MKT-105": "delivered", "MKT-106": "in_review", "MKT-107": "requested", "MKT-108": "cancelled",
        "MKT-109": "delivered", "MKT-110": "requested",
        "MKT-111": "delivered",  # a workflow status of its own ("Published") with a Resolution
    }
    # the same export again: every row is a duplicate of a loaded one
    assert buckets(load(workspace, "jira-issues"), "work_items") == (11, 0, 0, 11, 0)


def test_asana_tasks(workspace: wanamaker.Workspace) -> None:
    result = load(workspace, "asana-tasks")
    assert buckets(result, "work_items") == (10, 10, 0, 0, 0)
    assert result.warnings == []
    items = work_items(workspace)
    assert items["1208412345678001"] == {
        "work_id": "1208412345678001", "title": "Q4 webinar: promo emails (3)", "kind": "Email",
        "requested_at": datetime(2026, 9, 1), "requested_by": "Dana Whitfield",
        "started_at": datetime(2026, 9, 3), "due_at": datetime(2026, 9, 18, 23, 59, 59),
        "delivered_at": datetime(2026, 9, 17),
        "owner_id": "priya@acme-marketing.test",  # the Assignee Email, not the name
        "hours": 9.5, "estimated_hours": 8.0, "repeatable": False, "campaign_id": "CMP-Q4-WEBINAR",
        "goal_id": "G-FY26-PIPELINE", "expected_value": 9000.0, "status": "delivered",
    }
    # ticked complete in the Cancelled section: cancelled, not delivered
    assert (items["1208412345678003"]["status"], items["1208412345678003"]["delivered_at"]) == ("cancelled", None)
    # no Assignee Email: the name; neither campaign nor goal; delivered after its due date
    t4 = items["1208412345678004"]
    assert (t4["owner_id"], t4["campaign_id"], t4["goal_id"], t4["expected_value"]) == ("Lee Chen", None, None, None)
    assert t4["delivered_at"] > t4["due_at"]
    # still in the In Review column but completed: delivered
    assert items["1208412345678005"]["status"] == "delivered"
    assert (items["1208412345678002"]["delivered_at"], items["1208412345678002"]["repeatable"]) == (None, True)
    assert items["1208412345678006"]["owner_id"] is None  # unassigned
    assert statuses(items) == {
        "1208412345678001": "delivered", "1208412345678002": "in_progress", "1208412345678003": "cancelled",
        "1208412345678004": "delivered", "1208412345678005": "delivered", "1208412345678006": "requested",
        "1208412345678007": "delivered",  # a completed subtask, in no section
        "1208412345678008": "requested", "1208412345678009": "in_review", "1208412345678010": "in_progress",
    }


def wf(n: int) -> str:
    """The Workfront ID of sample task ``n``."""
    return f"6523f1a0000c4e2b9d1c5f6a7b8c9d{n:02d}"


def test_workfront_tasks(workspace: wanamaker.Workspace) -> None:
    # saved from Excel: a byte-order mark and CRLF line ends
    assert (SAMPLES / "workfront-tasks.csv").read_bytes().startswith(b"\xef\xbb\xbfID,")
    result = load(workspace, "workfront-tasks")
    assert buckets(result, "work_items") == (10, 10, 0, 0, 0)
    assert result.warnings == []
    items = work_items(workspace)
    assert items[wf(1)] == {
        "work_id": wf(1), "title": "Q4 webinar – registration page", "kind": "Landing Page",
        "requested_at": datetime(2026, 9, 1, 9, 12), "requested_by": "Dana Whitfield",
        "started_at": datetime(2026, 9, 4, 10, 30), "due_at": datetime(2026, 9, 18, 17, 0),
        "delivered_at": datetime(2026, 9, 17, 15, 45), "owner_id": "Priya Natarajan", "hours": 7.5,
        "estimated_hours": 8.0, "repeatable": False, "campaign_id": "CMP-Q4-WEBINAR", "goal_id": "G-FY26-PIPELINE",
        "expected_value": 12000.0,  # $12,000.00
        "status": "delivered",
    }
    assert (items[wf(3)]["status"], items[wf(3)]["delivered_at"]) == ("cancelled", None)  # Dead
    t4 = items[wf(4)]
    assert (t4["requested_by"], t4["campaign_id"], t4["goal_id"], t4["repeatable"]) == (None, None, None, None)
    assert items[wf(5)]["delivered_at"] > items[wf(5)]["due_at"]  # late
    assert items[wf(9)]["due_at"] == datetime(2026, 12, 1, 23, 59, 59)  # "12/01/2026": by the end of the day
    t10 = items[wf(10)]
    assert (t10["hours"], t10["expected_value"], t10["repeatable"]) == (1.5, 0.0, True)  # "1.5 Hours", "$0.00"
    assert statuses(items) == {
        wf(1): "delivered", wf(2): "in_progress", wf(3): "cancelled", wf(4): "delivered", wf(5): "delivered",
        wf(6): "in_review",  # Complete - Pending Approval
        wf(7): "requested", wf(8): "cancelled", wf(9): "in_progress", wf(10): "delivered",
    }


def test_workfront_approvals(workspace: wanamaker.Workspace) -> None:
    load(workspace, "workfront-tasks")
    result = load(workspace, "workfront-approvals")
    assert buckets(result, "approvals") == (9, 7, 2, 0, 0)
    # a second approver in round 1 of task 06; an approval of a task the export does not hold
    assert result.tables[0].quarantine_reasons == {"key_conflict": 1, "orphan_reference": 1}
    rejected = workspace.sql("SELECT line, reason_code FROM _quarantine ORDER BY line").to_pylist()
    assert rejected == [{"line": 9, "reason_code": "key_conflict"}, {"line": 10, "reason_code": "orphan_reference"}]
    rows = {(r["work_id"], r["round"]): r for r in workspace.sql(
        "SELECT work_id, round, submitted_at, decided_at, reviewer_id, decision FROM approvals").to_pylist()}
    assert sorted(rows) == [(wf(1), 1), (wf(1), 2), (wf(3), 1), (wf(4), 1), (wf(5), 1), (wf(5), 2), (wf(6), 1)]
    assert rows[(wf(1), 1)] == {"work_id": wf(1), "round": 1, "submitted_at": datetime(2026, 9, 16, 10, 0),
                                "decided_at": datetime(2026, 9, 16, 16, 30), "reviewer_id": "Dana Whitfield",
                                "decision": "changes_requested"}
    # "Stage 2: Legal" is round 2; Approved with Changes is approved
    assert (rows[(wf(5), 2)]["reviewer_id"], rows[(wf(5), 2)]["decision"]) == ("Lee Chen", "approved")
    assert (rows[(wf(3), 1)]["decision"]) == "rejected"
    # still pending: no decision yet (the first of the round's two approvers is the one kept)
    assert (rows[(wf(6), 1)]["decided_at"], rows[(wf(6), 1)]["decision"]) == (None, None)


def test_naive_times_are_read_in_the_workspace_timezone(tmp_path: Path) -> None:
    ws = with_timezone(tmp_path, "America/New_York")
    try:
        for preset in ("jira-issues", "asana-tasks", "workfront-tasks"):
            assert load(ws, preset).quarantined == 0
        items = work_items(ws)
    finally:
        ws.close()
    assert items["MKT-101"]["delivered_at"] == datetime(2026, 9, 18, 20, 51)  # 4:51 PM EDT
    assert items["MKT-106"]["requested_at"] == datetime(2026, 11, 16, 14, 0)  # 9:00 AM EST
    assert items["1208412345678001"]["requested_at"] == datetime(2026, 9, 1, 4, 0)  # a date: local midnight
    assert items[wf(1)]["delivered_at"] == datetime(2026, 9, 17, 19, 45)  # 3:45 PM EDT


def test_an_absent_optional_column_warns_and_an_absent_key_fails(workspace: wanamaker.Workspace,
                                                                 tmp_path: Path) -> None:
    with (SAMPLES / "jira-issues.csv").open(encoding="utf-8", newline="") as fh:
        header, *rows = list(csv.reader(fh))
    goal = header.index("Custom field (Goal)")

    def write(name: str, columns: list[str], keep: list[int]) -> Path:
        path = tmp_path / name
        with path.open("w", encoding="utf-8", newline="") as fh:
            out = csv.writer(fh)
            out.writerow([columns[i] for i in keep])
            out.writerows([row[i] for i in keep] for row in rows[:3])
        return path

    # Jira Cloud's newer export: "Due date" and "Original estimate"; and a site without the Goal field
    renamed = {"Due Date": "Due date", "Original Estimate": "Original estimate"}
    cloud = [renamed.get(c, c) for c in header]
    result = workspace.load([write("cloud.csv", cloud, [i for i in range(len(header)) if i != goal])],
                            preset="jira-issues")
    assert buckets(result, "work_items") == (3, 3, 0, 0, 0)
    assert len(result.warnings) == 3
    assert "no column 'Due Date' for work_items.due_at" in result.warnings[0] and "'Due date'" in result.warnings[0]
    assert "no column 'Original Estimate' for work_items.estimated_hours" in result.warnings[1]
    assert "no column 'Custom field (Goal)' for work_items.goal_id" in result.warnings[2]
    items = work_items(workspace)
    mkt101 = items["MKT-101"]
    assert (mkt101["due_at"], mkt101["estimated_hours"], mkt101["goal_id"]) == (None, None, None)
    assert items["MKT-101"]["hours"] == 7.5

    key = header.index("Issue key")
    with pytest.raises(InputFileError) as err:
        workspace.load([write("nokey.csv", header, [i for i in range(len(header)) if i != key])],
                       preset="jira-issues")
    assert err.value.code == "missing_required_column" and "'Issue key'" in err.value.message
