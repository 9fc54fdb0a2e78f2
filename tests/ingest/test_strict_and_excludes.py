"""Two options that used to pass silently: ``Workspace.load(strict=True)`` with quarantined rows, and
``--exclude-channel`` naming no channel."""

from __future__ import annotations

from pathlib import Path

import pytest

import wanamaker
from support.data import write_csv


def test_strict_load_raises_after_loading_what_passed(workspace: wanamaker.Workspace, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", [{"person_id": "p1", "created_at": "2026-01-01"},
                                          {"person_id": "p2", "created_at": "not a date"}])
    with pytest.raises(wanamaker.DataError, match="1 row\\(s\\) were quarantined") as raised:
        workspace.load([path], table="people", strict=True)
    assert "wanamaker quarantine" in (raised.value.fix or "")
    assert workspace.sql("SELECT count(*) AS n FROM people").to_pylist() == [{"n": 1}]
    clean = write_csv(tmp_path / "q.csv", [{"person_id": "p3", "created_at": "2026-01-02"}])
    assert workspace.load([clean], table="people", strict=True).quarantined == 0


def test_exclude_channel_must_name_a_channel(workspace: wanamaker.Workspace, tmp_path: Path) -> None:
    workspace.load([write_csv(tmp_path / "p.csv", [{"person_id": "p1"}])], table="people")
    workspace.load([write_csv(tmp_path / "t.csv", [
        {"touch_id": "t1", "person_id": "p1", "ts": "2026-01-01", "channel": "tiktok"},
        {"touch_id": "t2", "person_id": "p1", "ts": "2026-01-01T12:00:00", "channel": "email"},
    ])], table="touchpoints")
    workspace.load([write_csv(tmp_path / "s.csv", [
        {"subject_type": "person", "subject_id": "p1", "stage": "opportunity", "ts": "2026-01-02"},
    ])], table="stage_events")
    with pytest.raises(wanamaker.UsageError, match="--exclude-channel emial") as raised:
        workspace.attribution(model="first_touch", exclude_channels=["emial"], persist=False)
    assert "email" in (raised.value.fix or "")
    # a channel only the data knows (not in wanamaker.yml) is a channel too
    rows = workspace.attribution(model="first_touch", exclude_channels=["tiktok"], persist=False)
    assert {r.key for r in rows.rows} == {"email"}
