"""Every shipped preset loads its small sample export; the buckets are written here."""

from __future__ import annotations

from pathlib import Path

import pytest

import wanamaker
from wanamaker.ingest.mapping import preset_names

SAMPLES = Path(__file__).parent / "samples"

# preset: {table: (read, loaded, quarantined, duplicates, skipped, reasons)}
EXPECTED: dict[str, dict[str, tuple[int, int, int, int, int, dict[str, int]]]] = {
    "salesforce-leads": {"people": (3, 3, 0, 0, 0, {}), "stage_events": (4, 4, 0, 0, 0, {})},
    # contact 104's "Became a Lead Date" is "not a date"; 101 has five stage dates, 102 two, 103 one
    "hubspot-contacts": {"people": (4, 4, 0, 0, 0, {}), "stage_events": (9, 8, 1, 0, 0, {"bad_timestamp": 1})},
    "hubspot-deals": {"opportunities": (4, 3, 1, 0, 0, {"negative_amount": 1})},
    # the open opportunity's expected CloseDate is skipped by the where filter; XYZ is no currency
    "salesforce-opportunities": {"opportunities": (3, 2, 1, 0, 0, {"unknown_currency": 1}),
                                 "stage_events": (6, 5, 0, 0, 1, {})},
    "salesforce-campaigns": {"campaigns": (3, 2, 1, 0, 0, {"bad_date": 1})},
    # lead 00Q...9 was never loaded
    "salesforce-campaign-members": {"touchpoints": (3, 2, 1, 0, 0, {"orphan_reference": 1})},
    # one touch per session_start; page_view skipped; one identified session
    "ga4-events": {"touchpoints": (5, 4, 0, 0, 1, {}), "identities": (5, 1, 0, 0, 4, {})},
    # work management (values checked in test_work_presets.py)
    "jira-issues": {"work_items": (11, 11, 0, 0, 0, {})},
    "asana-tasks": {"work_items": (10, 10, 0, 0, 0, {})},
    "workfront-tasks": {"work_items": (10, 10, 0, 0, 0, {})},
    # a second approver of one round; an approval of a task that is not loaded
    "workfront-approvals": {"approvals": (9, 7, 2, 0, 0, {"key_conflict": 1, "orphan_reference": 1})},
}
ORDER = ["salesforce-leads", "hubspot-contacts", "hubspot-deals", "salesforce-opportunities",
         "salesforce-campaigns", "salesforce-campaign-members", "ga4-events",
         "jira-issues", "asana-tasks", "workfront-tasks", "workfront-approvals"]


def test_every_preset_has_a_sample_and_an_expectation() -> None:
    assert sorted(EXPECTED) == preset_names()
    for name in preset_names():
        assert (SAMPLES / f"{name}.csv").exists()


@pytest.fixture
def loaded(engine_workspace: wanamaker.Workspace) -> dict[str, wanamaker.LoadResult]:
    return {name: engine_workspace.load([SAMPLES / f"{name}.csv"], preset=name) for name in ORDER}


def test_presets_load_their_samples(loaded: dict[str, wanamaker.LoadResult]) -> None:
    for name, tables in EXPECTED.items():
        got = {t.table: t for t in loaded[name].tables}
        assert sorted(got) == sorted(tables), name
        for table, (read, ld, q, d, s, reasons) in tables.items():
            f = got[table].files[0]
            assert (f.read, f.loaded, f.quarantined, f.duplicates, f.skipped) == (read, ld, q, d, s), (name, table)
            assert got[table].quarantine_reasons == reasons, (name, table)


def test_preset_values(engine_workspace: wanamaker.Workspace, loaded: dict[str, wanamaker.LoadResult]) -> None:
    ws = engine_workspace
    # a converted Salesforce lead is the contact it became
    people = {r["person_id"]: r for r in ws.sql("SELECT * FROM people").to_pylist()}
    assert "003000000000001AAA" in people and "00Q000000000001AAA" not in people
    assert people["101"]["lead_source"] == "paid_search"
    stages = ws.sql("SELECT stage, CAST(ts AS VARCHAR) AS ts FROM stage_events WHERE subject_id = '101' "
                    "ORDER BY ts").to_pylist()
    assert [s["stage"] for s in stages] == ["lead", "mql", "sql", "opportunity", "won"]
    opps = {r["opportunity_id"]: r for r in ws.sql("SELECT * FROM opportunities").to_pylist()}
    assert opps["5001"]["status"] == "won" and opps["5002"]["status"] == "open" and opps["5003"]["status"] == "lost"
    assert opps["5002"]["account_id"] == "9002" and opps["5002"]["closed_at"] is None
    acct = ws.sql("SELECT stage FROM stage_events WHERE subject_id = '001000000000001AAA' ORDER BY ts").to_pylist()
    assert [a["stage"] for a in acct] == ["opportunity", "won"]
    touches = {r["touch_id"]: r for r in ws.sql("SELECT * FROM touchpoints").to_pylist()}
    ga = touches["ga4-111.222-1767225600000000"]
    assert (ga["channel"], ga["source"], ga["medium"], ga["campaign_id"]) == ("paid_search", "google", "cpc", "brand-q1")
    assert str(ga["ts"]) == "2026-01-01 00:00:00"
    # the UTM campaign of the landing page is URL-decoded; the last click fills in when nothing else does
    assert touches["ga4-111.222-1767312000000000"]["campaign_id"] == "jan news"
    assert touches["ga4-333.444-1767398400000000"]["medium"] == "email"
    assert touches["ga4-555.666-1767398401000000"]["channel"] == "direct"
    ident = ws.sql("SELECT anonymous_id, person_id FROM identities").to_pylist()
    assert ident == [{"anonymous_id": "111.222", "person_id": "003000000000001AAA"}]
    campaigns = {r["campaign_id"]: r for r in ws.sql("SELECT * FROM campaigns").to_pylist()}
    assert campaigns["701000000000002AAA"]["channel"] == "event"
    assert campaigns["701000000000002AAA"]["budget"] == 55000.0
