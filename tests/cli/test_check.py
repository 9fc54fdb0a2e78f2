"""`wanamaker check` finds what disagrees with the config, on every engine."""

from __future__ import annotations

from pathlib import Path

import wanamaker
from support.data import write_csv
from wanamaker.check import check


def test_check_finds_unknown_channels_stages_currencies_and_won(engine_workspace: wanamaker.Workspace,
                                                                tmp_path: Path) -> None:
    ws = engine_workspace
    ws.load([write_csv(tmp_path / "p.csv", [{"person_id": "p1"}])], table="people")
    ws.load([write_csv(tmp_path / "t.csv", [
        {"touch_id": "t1", "person_id": "p1", "ts": "2026-01-01", "channel": "tiktok", "cost": "1", "currency": "EUR"},
        {"touch_id": "t2", "person_id": "p1", "ts": "2026-01-02", "channel": "tiktok", "cost": "", "currency": ""},
        {"touch_id": "t3", "person_id": "p1", "ts": "2026-01-03", "channel": "email", "cost": "", "currency": ""},
    ])], table="touchpoints")
    ws.load([write_csv(tmp_path / "s.csv", [
        {"subject_type": "account", "subject_id": "a1", "stage": "won", "ts": "2026-02-01"},
        {"subject_type": "person", "subject_id": "p1", "stage": "nurture", "ts": "2026-01-05"},
    ])], table="stage_events")
    ws.load([write_csv(tmp_path / "o.csv", [
        {"opportunity_id": "o1", "account_id": "a2", "created_at": "2026-01-10", "status": "won", "amount": "5"},
    ])], table="opportunities")
    found = {(f.code, f.subject): f.count for f in check(ws)}
    assert found[("unknown_channel", "tiktok")] == 2
    assert found[("unknown_stage", "nurture")] == 1
    assert found[("no_fx_rate", "touchpoints.EUR")] == 1
    assert found[("won_disagreement", "opportunities")] == 1
    assert found[("won_disagreement", "stage_events")] == 1
