"""Fixtures for the funnel tests: per-person timelines written as CSV files and loaded through ws.load,
the way users load their exports."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import wanamaker
from support.data import write_csv

HEADERS = {
    "people": ["person_id", "account_id", "created_at", "segment", "country", "lead_source", "owner_id"],
    "accounts": ["account_id", "name", "segment", "region"],
    "stage_events": ["subject_type", "subject_id", "stage", "ts", "owner_id", "reason"],
    "touchpoints": ["touch_id", "person_id", "ts", "channel", "campaign_id", "owner_id"],
    "opportunities": ["opportunity_id", "account_id", "person_id", "created_at", "closed_at", "status", "amount"],
    "team_members": ["member_id", "name", "team", "active_from", "active_to"],
    "survey_responses": ["response_id", "respondent_id", "team", "submitted_at", "period", "question", "score",
                         "comment"],
}

Loader = Callable[..., None]


def events(*rows: tuple[str, str, str] | tuple[str, str, str, str] | tuple[str, str, str, str, str]
           ) -> list[dict[str, Any]]:
    """``(subject_id, stage, ts[, owner_id[, reason]])`` -> person stage_events rows."""
    out = []
    for row in rows:
        subject, stage, ts, *rest = row
        out.append({"subject_type": "person", "subject_id": subject, "stage": stage, "ts": ts,
                    "owner_id": rest[0] if rest else "", "reason": rest[1] if len(rest) > 1 else ""})
    return out


def load_tables(ws: wanamaker.Workspace, folder: Path, tables: dict[str, list[dict[str, Any]]]) -> None:
    """Write each table as a CSV and load it with ``ws.load([...], table=...)``; every row must load."""
    folder.mkdir(parents=True, exist_ok=True)
    order = ["accounts", "people", "team_members", "stage_events", "touchpoints", "opportunities",
             "survey_responses"]
    for name in sorted(tables, key=order.index):
        rows = tables[name]
        path = write_csv(folder / f"{name}.csv", rows, HEADERS[name])
        result = ws.load([path], table=name)
        counts = result.tables[0].files[0]
        assert counts.loaded == len(rows), (name, counts, result.tables[0].quarantine_reasons)


def set_config(ws: wanamaker.Workspace, **changes: str) -> wanamaker.Workspace:
    """Rewrite top-level lines of wanamaker.yml (``timezone="Europe/Berlin"``) and reopen the workspace."""
    path = ws.root / "wanamaker.yml"
    text = path.read_text(encoding="utf-8")
    for key, value in changes.items():
        text, n = re.subn(rf"^{key}:.*$", f"{key}: {value}", text, flags=re.M)
        assert n == 1, key
    path.write_text(text, encoding="utf-8")
    root = ws.root
    ws.close()
    return wanamaker.open(root)


@pytest.fixture
def load(tmp_path: Path) -> Callable[[wanamaker.Workspace, dict[str, list[dict[str, Any]]]], None]:
    counter = iter(range(1000))

    def _load(ws: wanamaker.Workspace, tables: dict[str, list[dict[str, Any]]]) -> None:
        load_tables(ws, tmp_path / f"in{next(counter)}", tables)

    return _load


@pytest.fixture
def ev() -> Callable[..., list[dict[str, Any]]]:
    """The :func:`events` helper."""
    return events


@pytest.fixture
def reconfigure() -> Callable[..., wanamaker.Workspace]:
    """The :func:`set_config` helper."""
    return set_config
