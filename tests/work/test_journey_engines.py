"""``wanamaker journey`` gives test_journey.py's known answers on DuckDB, PostgreSQL and Spark (the conversions and
median days come from each engine's funnel queries; deliverable status from its work_items)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.work.test_journey import FUNNEL, PATHS, PLAN, WORK

import wanamaker
from support.data import write_csv
from wanamaker.work.journey import journey

pytestmark = pytest.mark.engines


def test_journey_on_every_engine(make_workspace: Callable[[], wanamaker.Workspace], tmp_path: Path) -> None:
    ws = make_workspace()
    config = ws.root / "wanamaker.yml"
    text = config.read_text()
    config.write_text(text[:text.index("funnel:")] + FUNNEL + text[text.index("sla:"):])
    (ws.root / "plan.yml").write_text(PLAN)
    ws.close()
    ws = make_workspace()
    events = [{"subject_type": "person", "subject_id": pid, "stage": stage, "ts": f"2026-{day}T09:00:00"}
              for pid, path in PATHS.items() for stage, day in path.items()]
    tables: list[tuple[str, list[dict[str, Any]]]] = [("stage_events", events), ("work_items", WORK)]
    for table, rows in tables:
        assert ws.load([write_csv(tmp_path / f"{table}.csv", rows)], table=table).quarantined == 0
    rows = {r["stage"]: r for r in journey(ws).as_json()}
    assert (rows["attract"]["conversion"], rows["attract"]["median_days"]) == pytest.approx((5 / 7, 4.0))
    assert (rows["qualify"]["conversion"], rows["qualify"]["median_days"]) == pytest.approx((0.6, 1.0))
    assert (rows["close"]["conversion"], rows["close"]["median_days"]) == pytest.approx((2 / 3, 6.5))
    assert {r["stage"] for r in journey(ws).as_json() if r["leak"]} == {"qualify"}
    statuses = [(r["deliverable"], r["status"]) for r in journey(ws).as_json() if r["deliverable"]]
    assert statuses == [("Webinar", "done"), ("Landing page", "overdue"), ("Ebook", "done"), ("Lead scoring", "due"),
                        ("Nurture emails", "due"), ("SDR playbook", "missing_work_item"), ("Pricing page", "due"),
                        ("Sales deck", "done"), ("Battle cards", "overdue")]
