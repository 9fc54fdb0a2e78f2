"""Loading again changes nothing; retry resolves quarantine after a fix; upsert replaces."""

from __future__ import annotations

from pathlib import Path

import wanamaker
from support.data import write_csv

CORPUS = Path(__file__).parent / "corpus"
SAMPLES = Path(__file__).parent / "samples"


def contents(ws: wanamaker.Workspace) -> dict[str, list[str]]:
    """Every row of the tables a load writes, without the load ids that name each load."""
    out = {}
    for table in ("people", "stage_events", "touchpoints", "opportunities", "_quarantine"):
        frame = ws.table(table).to_pyarrow()
        drop = [c for c in ("_load_id", "load_id", "qid") if c in frame.column_names]
        out[table] = sorted(map(str, frame.drop_columns(drop).to_pylist()))
    return out


def test_three_loads_leave_identical_tables(engine_workspace: wanamaker.Workspace) -> None:
    workspace = engine_workspace
    files = [CORPUS / "people_base.csv", CORPUS / "bad_dates.csv", CORPUS / "duplicate_rows.csv", CORPUS / "ragged.csv"]
    snaps = []
    for _ in range(3):
        workspace.load(files, table="people")
        workspace.load([SAMPLES / "hubspot-contacts.csv"], preset="hubspot-contacts")
        workspace.load([CORPUS / "orphans.csv"], table="touchpoints")
        snaps.append(contents(workspace))
    assert snaps[0] == snaps[1] == snaps[2]
    again = workspace.load(files, table="people").tables[0]
    for f in again.files:
        assert f.loaded == 0 and f.quarantined == 0 and f.duplicates == f.read


def test_retry_after_fixing_the_config(workspace: wanamaker.Workspace, tmp_path: Path) -> None:
    ws = workspace
    write_csv(tmp_path / "p.csv", [{"person_id": "p1", "created_at": "1985-05-01"},
                                   {"person_id": "p2", "created_at": "2026-01-01"}])
    first = ws.load([tmp_path / "p.csv"], table="people").tables[0]
    assert first.quarantine_reasons == {"ancient_timestamp": 1}
    assert ws.retry().tables[0].files[0].quarantined == 1  # nothing fixed yet: still held, not twice
    assert ws.sql("SELECT count(*) AS n FROM _quarantine").to_pylist()[0]["n"] == 1
    # fix: allow older dates
    cfg = ws.root / "wanamaker.yml"
    cfg.write_text(cfg.read_text().replace("min_date: 1990-01-01", "min_date: 1980-01-01"))
    ws.close()
    ws2 = wanamaker.open(ws.root)
    result = ws2.retry()
    assert result.resolved == 1
    assert result.tables[0].files[0].loaded == 1
    assert ws2.sql("SELECT count(*) AS n FROM people").to_pylist()[0]["n"] == 2
    q = ws2.sql("SELECT resolved_by FROM _quarantine").to_pylist()
    assert q == [{"resolved_by": result.load_id}]
    ws2.close()


def test_upsert_replaces_and_first_occurrence_wins(workspace: wanamaker.Workspace, tmp_path: Path) -> None:
    ws = workspace
    write_csv(tmp_path / "a.csv", [{"person_id": "p1", "segment": "smb"}])
    write_csv(tmp_path / "b.csv", [{"person_id": "p1", "segment": "mid"}, {"person_id": "p1", "segment": "ent"}])
    ws.load([tmp_path / "a.csv"], table="people")
    plain = ws.load([tmp_path / "b.csv"], table="people", dry_run=True).tables[0]
    assert plain.quarantine_reasons == {"key_conflict": 2}
    up = ws.load([tmp_path / "b.csv"], table="people", upsert=True).tables[0]
    f = up.files[0]
    assert (f.loaded, f.quarantined, f.duplicates) == (1, 1, 0)
    assert up.quarantine_reasons == {"key_conflict": 1}  # "ent" conflicts with "mid", first in this load
    assert ws.sql("SELECT segment FROM people").to_pylist() == [{"segment": "mid"}]


def test_dry_run_writes_nothing(workspace: wanamaker.Workspace) -> None:
    result = workspace.load([CORPUS / "bad_dates.csv"], table="people", dry_run=True)
    assert result.tables[0].files[0].quarantined == 5
    assert workspace.sql("SELECT count(*) AS n FROM people").to_pylist()[0]["n"] == 0
    assert workspace.sql("SELECT count(*) AS n FROM _loads").to_pylist()[0]["n"] == 0


def test_one_mql_export_feeds_people_and_stage_events(workspace: wanamaker.Workspace, tmp_path: Path) -> None:
    mql = write_csv(tmp_path / "mql.csv", [
        {"MQL ID": "m1", "First Contact Date": "2026-01-03", "Origin": "Webinar"},
        {"MQL ID": "m2", "First Contact Date": "2026-01-04", "Origin": "Paid"},
        {"MQL ID": "m3", "First Contact Date": "", "Origin": "Internal test"},
    ])
    mapping = tmp_path / "mql.yml"
    mapping.write_text(
        "people:\n  person_id: MQL ID\n  created_at: First Contact Date\n  lead_source: Origin\n"
        "stage_events:\n  where: \"Origin <> 'Internal test'\"\n  subject_type: {const: person}\n"
        "  subject_id: MQL ID\n  stage: {const: mql}\n  ts: First Contact Date\n"
    )
    result = workspace.load([mql], mapping=mapping)
    by = {t.table: t.files[0] for t in result.tables}
    assert (by["people"].read, by["people"].loaded) == (3, 3)
    assert (by["stage_events"].read, by["stage_events"].loaded, by["stage_events"].skipped) == (3, 2, 1)


def test_channel_from_utm_rules(workspace: wanamaker.Workspace, tmp_path: Path) -> None:
    """A web export with source / medium but no channel: the workspace's utm_rules name the channel."""
    touches = write_csv(tmp_path / "web.csv", [
        {"anonymous_id": "a1", "ts": "2026-01-01 10:00", "source": "google", "medium": "CPC"},
        {"anonymous_id": "a1", "ts": "2026-01-02 10:00", "source": "newsletter", "medium": "email"},
        {"anonymous_id": "a1", "ts": "2026-01-03 10:00", "source": "(direct)", "medium": "(none)"},
        {"anonymous_id": "a1", "ts": "2026-01-04 10:00", "source": "tiktok", "medium": "video"},
    ])
    result = workspace.load([touches], table="touchpoints").tables[0]
    assert result.quarantine_reasons == {"missing_value": 1}  # no rule matches tiktok / video
    rows = workspace.sql("SELECT source, channel FROM touchpoints ORDER BY ts").to_pylist()
    assert [r["channel"] for r in rows] == ["paid_search", "email", "direct"]
