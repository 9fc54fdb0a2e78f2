"""``wanamaker journey`` (wanamaker.work.journey, docs/journey.md): known answers on a tiny world, the unknown
funnel stage error with plan.yml's line, the CLI, and the demo's journey."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import typer
from tests.demo.helpers import DemoRun
from typer.testing import CliRunner

import wanamaker
from support.data import write_csv
from wanamaker.cli.journey import register
from wanamaker.config.issues import ConfigIssue
from wanamaker.config.models import Deliverable
from wanamaker.errors import ConfigError
from wanamaker.work.journey import ROW_FIELDS, WorkItem, flow_span, journey, status_of

FUNNEL = "funnel:\n  stages: [lead, mql, sal, won]\n  exits: [rejected, lost]\n  sourced_rule: first_touch\n"

# Seven people (UTC, all at 09:00 on the day), funnel lead -> mql -> sal -> won:
#   p1  lead 01-01  mql 01-03  sal 01-04  won 01-14
#   p2  lead 01-01  mql 01-05  sal 01-08
#   p3  lead 01-02  mql 01-06
#   p4  lead 01-02  mql 01-12
#   p5  lead 01-03
#   p6  lead 01-03
#   p7  lead 01-04  mql 01-05  sal 01-06  won 01-09
# The end of the data is 01-14 (p1's win): the default as-of day.
# attract  [lead]      lead -> mql: 5 of 7 = 0.7143; days 2, 4, 4, 10, 1 -> median 4.0
# qualify  [mql]       mql -> sal:  3 of 5 = 0.6;    days 1 (p1), 3 (p2), 1 (p7) -> median 1.0   <- the leak
# close    [sal, won]  sal -> won (won is the funnel's end): 2 of 3 = 0.6667; days 10 (p1), 3 (p7) -> median 6.5
# advocacy [won]       only the last funnel stage: no conversion
PATHS = {
    "p1": {"lead": "01-01", "mql": "01-03", "sal": "01-04", "won": "01-14"},
    "p2": {"lead": "01-01", "mql": "01-05", "sal": "01-08"},
    "p3": {"lead": "01-02", "mql": "01-06"},
    "p4": {"lead": "01-02", "mql": "01-12"},
    "p5": {"lead": "01-03"},
    "p6": {"lead": "01-03"},
    "p7": {"lead": "01-04", "mql": "01-05", "sal": "01-06", "won": "01-09"},
}
# Work items (as of 01-14):
#   w-done    delivered 01-10, due 01-12, owner m1  -> done (and gives its due date and owner)
#   w-late    not delivered, due 01-05, owner m2    -> overdue
#   w-status  no delivered_at, status delivered     -> done
#   w-future  delivered 01-20, due 01-31            -> due as of 01-14 (delivered after it)
#   w-cancel  cancelled, due 01-13                  -> overdue (the deliverable's own due), noted as cancelled
WORK: list[dict[str, Any]] = [
    {"work_id": "w-done", "title": "Webinar", "due_at": "2026-01-12T17:00:00", "delivered_at": "2026-01-10T12:00:00",
     "owner_id": "m1", "status": "done"},
    {"work_id": "w-late", "title": "Landing page", "due_at": "2026-01-05T17:00:00", "delivered_at": None,
     "owner_id": "m2", "status": "in_progress"},
    {"work_id": "w-status", "title": "Deck", "due_at": None, "delivered_at": None, "owner_id": "m3",
     "status": "Delivered"},
    {"work_id": "w-future", "title": "Pricing", "due_at": "2026-01-31T17:00:00", "delivered_at": "2026-01-20T12:00:00",
     "owner_id": "m3", "status": "delivered"},
    {"work_id": "w-cancel", "title": "Cards", "due_at": None, "delivered_at": None, "owner_id": "m3",
     "status": "cancelled"},
]
PLAN = """\
journey:
  - stage: attract
    owner_team: marketing
    funnel_stages: [lead]
    deliverables:
      - {name: Webinar, work_id: w-done}
      - {name: Landing page, work_id: w-late}
      - {name: Ebook, owner: m9, due: 2026-01-10, done: true}
  - stage: qualify
    funnel_stages: [mql]
    deliverables:
      - {name: Lead scoring, due: 2026-01-20}
      - {name: Nurture emails, due: 2026-01-14}
      - {name: SDR playbook, work_id: w-missing, due: 2026-01-01}
  - stage: close
    owner_team: sales
    funnel_stages: [won, sal]
    deliverables:
      - {name: Pricing page, work_id: w-future}
      - {name: Sales deck, work_id: w-status, owner: m4}
      - {name: Battle cards, work_id: w-cancel, due: 2026-01-13}
  - stage: advocacy
    owner_team: customer success
    funnel_stages: [won]
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = wanamaker.init(tmp_path_factory.mktemp("journey") / "ws")
    config = root / "wanamaker.yml"
    text = config.read_text()
    config.write_text(text[:text.index("funnel:")] + FUNNEL + text[text.index("sla:"):])
    events = [{"subject_type": "person", "subject_id": pid, "stage": stage, "ts": f"2026-{day}T09:00:00"}
              for pid, path in PATHS.items() for stage, day in path.items()]
    tables: list[tuple[str, list[dict[str, Any]]]] = [("stage_events", events), ("work_items", WORK)]
    with wanamaker.open(root) as ws:
        for table, rows in tables:
            result = ws.load([write_csv(root / f"{table}.csv", rows)], table=table)
            assert result.quarantined == 0, table
    return root


@pytest.fixture
def plan(world: Path) -> Iterator[Callable[[str], wanamaker.Workspace]]:
    """Write plan.yml and open the workspace on it: ``plan(text) -> Workspace``."""
    opened: list[wanamaker.Workspace] = []

    def write(text: str) -> wanamaker.Workspace:
        (world / "plan.yml").write_text(text)
        ws = wanamaker.open(world, read_only=True)
        opened.append(ws)
        return ws

    yield write
    for ws in opened:
        ws.close()
    (world / "plan.yml").write_text(PLAN)


def test_known_answers(plan: Callable[[str], wanamaker.Workspace]) -> None:
    result = journey(plan(PLAN))
    assert result.as_of == date(2026, 1, 14)  # the last stage event (p1's win)
    rows = result.as_json()
    assert all(list(r) == list(ROW_FIELDS) for r in rows)
    got = [(r["stage"], r["deliverable"], r["owner"], r["due"], r["status"]) for r in rows]
    assert got == [
        ("attract", "Webinar", "m1", "2026-01-12", "done"),  # w-done delivered 01-10; due and owner from the item
        ("attract", "Landing page", "m2", "2026-01-05", "overdue"),  # w-late not delivered, due 01-05 < 01-14
        ("attract", "Ebook", "m9", "2026-01-10", "done"),  # done: true, whatever the date
        ("qualify", "Lead scoring", None, "2026-01-20", "due"),
        ("qualify", "Nurture emails", None, "2026-01-14", "due"),  # due on the as-of day: not overdue yet
        ("qualify", "SDR playbook", None, "2026-01-01", "missing_work_item"),  # not overdue: the link is broken
        ("close", "Pricing page", "m3", "2026-01-31", "due"),  # w-future is delivered 01-20, after the as-of day
        ("close", "Sales deck", "m4", None, "done"),  # w-status: no delivered_at, status Delivered
        ("close", "Battle cards", "m3", "2026-01-13", "overdue"),  # w-cancel is cancelled, due 01-13
        ("advocacy", None, None, None, None),  # a stage without deliverables: one row
    ]
    by_stage = {r["stage"]: r for r in rows}
    assert by_stage["attract"]["conversion"] == pytest.approx(5 / 7)
    assert by_stage["attract"]["median_days"] == pytest.approx(4.0)
    assert by_stage["qualify"]["conversion"] == pytest.approx(0.6)
    assert by_stage["qualify"]["median_days"] == pytest.approx(1.0)
    assert by_stage["close"]["conversion"] == pytest.approx(2 / 3)  # sal -> won (won ends the funnel)
    assert by_stage["close"]["median_days"] == pytest.approx(6.5)
    assert by_stage["close"]["funnel_stages"] == ["won", "sal"]  # as written in plan.yml
    assert by_stage["advocacy"]["conversion"] is None and by_stage["advocacy"]["median_days"] is None
    assert {r["stage"] for r in rows if r["leak"]} == {"qualify"}  # 0.6: the lowest
    assert result.unowned == ["qualify"] and by_stage["qualify"]["owner_team"] is None
    assert [s.flow.from_stage + ">" + s.flow.to_stage for s in result.stages if s.flow] == [
        "lead>mql", "mql>sal", "sal>won"]
    assert [r.deliverable for r in result.overdue] == ["Landing page", "Battle cards"]
    notes = " ".join(result.notes)
    assert "w-missing, which is not in work_items" in notes and "w-cancel, which is cancelled" in notes
    assert "advocacy: it covers only the funnel's last stage (won)" in notes


def test_as_of_cuts_the_funnel_and_judges_deliverables_on_that_day(plan: Callable[[str], wanamaker.Workspace]) -> None:
    # As of the end of 01-07: p1 sal 01-04, p7 sal 01-06, no win yet; p2's sal (01-08) and p4's mql (01-12) later.
    # attract: 4 of 7 leads reached mql (p1, p2, p3, p7); qualify: 2 of 4 (p1, p7); close: 0 of 2 -> the leak.
    result = journey(plan(PLAN), as_of="2026-01-07")
    assert result.as_of == date(2026, 1, 7)
    conv = {s.stage: s.conversion for s in result.stages}
    assert conv == {"attract": pytest.approx(4 / 7), "qualify": pytest.approx(0.5), "close": 0.0, "advocacy": None}
    assert [s.stage for s in result.leaks] == ["close"]
    status = {r.deliverable: r.status for r in result.entries}
    assert status["Webinar"] == "due"  # w-done is delivered 01-10, after 01-07; due 01-12
    assert status["Landing page"] == "overdue"  # due 01-05
    assert status["Battle cards"] == "due"  # due 01-13


def test_status_rules() -> None:
    day = date(2026, 3, 1)
    item = WorkItem("w1", "m1", date(2026, 2, 1), None, "in_review")
    # the deliverable's due wins over the work item's; done: true wins over an open work item
    assert status_of(Deliverable(name="x", work_id="w1", due=date(2026, 4, 1)), item, day) == ("due", date(2026, 4, 1),
                                                                                              "m1")
    assert status_of(Deliverable(name="x", work_id="w1"), item, day) == ("overdue", date(2026, 2, 1), "m1")
    assert status_of(Deliverable(name="x", work_id="w1", done=True), item, day)[0] == "done"
    assert status_of(Deliverable(name="x", work_id="w1", done=True), None, day)[0] == "missing_work_item"
    assert status_of(Deliverable(name="x"), None, day) == ("due", None, None)  # no due date: due
    delivered = WorkItem("w1", None, None, day, None)
    assert status_of(Deliverable(name="x", work_id="w1"), delivered, day)[0] == "done"  # delivered on the day
    assert flow_span([], ["lead", "won"]) is None and flow_span(["lead"], ["lead", "won"]) == ("lead", "won")


def test_unknown_funnel_stage_names_plan_yml_and_the_line(plan: Callable[[str], wanamaker.Workspace]) -> None:
    text = PLAN.replace("funnel_stages: [mql]", "funnel_stages:\n      - mql\n      - mqll")
    line = text.splitlines().index("      - mqll") + 1
    ws = plan(text)
    with pytest.raises(ConfigError) as info:
        journey(ws)
    issue = info.value.issues[0]
    assert isinstance(issue, ConfigIssue)
    assert (issue.code, issue.file.name, issue.line, issue.where) == (
        "unknown_funnel_stage", "plan.yml", line, "journey.1.funnel_stages.1")
    assert f"plan.yml:{line}: [unknown_funnel_stage]" in str(info.value)
    assert "'mqll' is not a funnel stage. Did you mean 'mql'?" in str(info.value)
    assert "funnel.stages in wanamaker.yml: lead, mql, sal, won" in str(info.value)


def test_schema_is_strict(world: Path) -> None:
    (world / "plan.yml").write_text("journey:\n  - stage: a\n    deliverables:\n      - {name: x, workid: w1}\n"
                                    "  - {stage: b, funnel_stages: [lead, lead]}\n")
    try:
        with pytest.raises(ConfigError) as info:
            wanamaker.open(world, read_only=True)
    finally:
        (world / "plan.yml").write_text(PLAN)
    text = str(info.value)
    assert "plan.yml:4: [unknown_key]" in text and "Did you mean 'work_id'?" in text
    assert "plan.yml:5: [bad_value]" in text and "listed twice" in text


def test_no_journey_is_an_empty_result(plan: Callable[[str], wanamaker.Workspace]) -> None:
    result = journey(plan("goals: []\n"))
    assert result.as_json() == [] and "plan.yml has no journey" in result.notes[0]


def cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """A group, as in `wanamaker`: the command is named on the command line."""

    register(app)
    return app


def test_cli(world: Path) -> None:
    (world / "plan.yml").write_text(PLAN)
    runner = CliRunner()
    out = runner.invoke(cli(), ["journey", "--format", "json", "--workspace", str(world)])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout)
    assert len(rows) == 10 and rows[0]["stage"] == "attract" and rows[0]["status"] == "done"
    assert "no owner: journey stage qualify" in out.stderr
    assert "overdue: 'Landing page' (attract, owner m2) was due 2026-01-05" in out.stderr
    assert "leak: qualify" in out.stderr
    out = runner.invoke(cli(), ["journey", "--format", "csv", "--as-of", "2026-01-07", "--workspace", str(world)])
    assert out.exit_code == 0, out.output
    lines = out.stdout.splitlines()
    assert lines[0] == ",".join(ROW_FIELDS) and lines[-1].startswith("advocacy,customer success,won,,,")
    out = runner.invoke(cli(), ["journey", "--workspace", str(world)])
    assert out.exit_code == 0 and "60.0%" in out.stdout  # qualify's conversion in the table
    out = runner.invoke(cli(), ["journey", "--as-of", "2026-13-01", "--workspace", str(world)])
    assert out.exit_code != 0 and "is not a date" in str(out.exception)


def test_demo_journey(small_demo: DemoRun) -> None:
    """The demo's journey: three owned stages over the whole funnel, one deliverable of each status but
    missing_work_item, the webinar deliverable done through a real work item."""
    assert small_demo.exit_code == 0, small_demo.output
    with wanamaker.open(small_demo.root, read_only=True) as ws:
        result = journey(ws)
        linked = [d.work_id for js in ws.plan.journey for d in js.deliverables if d.work_id]
        items = ws.table("work_items")
        found = items.filter(items.work_id.isin(linked)).count().to_pyarrow().as_py()
    assert len(linked) == 1 and found == 1
    assert result.unowned == [] and len(result.leaks) == 1
    status = {r.deliverable: r.status for r in result.entries}
    assert status == {"Quarterly webinar series": "done", "Enterprise case studies": "done", "Sales deck": "overdue",
                      "Competitive battle cards": "due"}
    assert all(s.conversion is not None and 0 < s.conversion < 1 and s.median_days is not None
               for s in result.stages)
