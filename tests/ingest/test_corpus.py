"""The malformed-input corpus: every row of every file lands in the bucket written here.

Each case: (files, table, expected (read, loaded, quarantined, duplicates, skipped), reasons) or,
for files that cannot be read whole, the error code; then the tables must be unchanged.
People p1 and p2 are loaded first (people_base.csv) so that orphan checks have a parent table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import wanamaker
from wanamaker.errors import InputFileError

CORPUS = Path(__file__).parent / "corpus"

# name: (file, table, (read, loaded, quarantined, duplicates, skipped), {reason: count})
LANDS: dict[str, tuple[str, str, tuple[int, int, int, int, int], dict[str, int]]] = {
    "cp1252 encoding": ("cp1252.csv", "people", (1, 1, 0, 0, 0), {}),
    "bytes cp1252 leaves undefined (Latin-1)": ("latin1_undefined.csv", "people", (1, 1, 0, 0, 0), {}),
    "UTF-8 byte-order mark": ("bom.csv", "people", (1, 1, 0, 0, 0), {}),
    "semicolon delimiter": ("semicolon.csv", "people", (2, 2, 0, 0, 0), {}),
    "tab delimiter": ("tab.tsv", "people", (1, 1, 0, 0, 0), {}),
    # the open quote swallows the rest of the file: one record, kept whole in quarantine
    "unbalanced quotes": ("unbalanced_quote.csv", "people", (1, 0, 1, 0, 0), {"malformed_row": 1}),
    "embedded newlines": ("embedded_newline.csv", "people", (2, 2, 0, 0, 0), {}),
    "ragged rows (short and long)": ("ragged.csv", "people", (4, 2, 2, 0, 0), {"malformed_row": 2}),
    "header only": ("header_only.csv", "people", (0, 0, 0, 0, 0), {}),
    "misspelt optional header": ("misspelt_optional.csv", "people", (1, 1, 0, 0, 0), {}),
    # 31/02/2026, 2026-13-01, yesterday, 2026-02-30, 20260228 are not dates; 2026-02-28T23:59:59 is
    "bad dates in several formats": ("bad_dates.csv", "people", (6, 1, 5, 0, 0), {"bad_timestamp": 5}),
    "mixed time zones": ("mixed_timezones.csv", "people", (4, 4, 0, 0, 0), {}),
    "negative amount": ("negative_amounts.csv", "touchpoints", (2, 1, 1, 0, 0), {"negative_amount": 1}),
    # $1,000 / abc / NaN are not numbers; 1e3 is
    "non-numeric amounts": ("non_numeric_amounts.csv", "touchpoints", (4, 1, 3, 0, 0), {"bad_number": 3}),
    # XYZ is no currency; eur is EUR
    "unknown currency": ("unknown_currency.csv", "touchpoints", (2, 1, 1, 0, 0), {"unknown_currency": 1}),
    "duplicate rows": ("duplicate_rows.csv", "people", (3, 1, 0, 2, 0), {}),
    "conflicting duplicates within a file": ("conflict_within.csv", "people", (2, 1, 1, 0, 0), {"key_conflict": 1}),
    "orphan reference": ("orphans.csv", "touchpoints", (2, 1, 1, 0, 0), {"orphan_reference": 1}),
    "future and ancient timestamps": ("future_ancient.csv", "people", (3, 1, 2, 0, 0),
                                      {"future_timestamp": 1, "ancient_timestamp": 1}),
    "missing required values and subject": ("missing_values.csv", "touchpoints", (3, 0, 3, 0, 0),
                                            {"missing_value": 2, "missing_subject": 1}),
    "gzip": ("good.csv.gz", "people", (1, 1, 0, 0, 0), {}),
    "value outside the allowed set": ("bad_status.csv", "opportunities", (2, 1, 1, 0, 0), {"bad_value": 1}),
    # JSON lines: a JSON number 20260105 is no timestamp
    "JSON lines": ("people.jsonl", "people", (2, 1, 1, 0, 0), {"bad_timestamp": 1}),
    "header case and whitespace": ("whitespace_and_case.csv", "people", (1, 1, 0, 0, 0), {}),
}

FAILS: dict[str, tuple[str, str, str]] = {
    "empty file": ("empty.csv", "people", "file_empty"),
    "missing required column": ("missing_required.csv", "people", "missing_required_column"),
    "misspelt required header": ("misspelt_required.csv", "people", "missing_required_column"),
    "truncated gzip": ("truncated.csv.gz", "people", "file_truncated"),
    "broken JSON line": ("broken.jsonl", "people", "file_unreadable"),
}


def snapshot(ws: wanamaker.Workspace) -> dict[str, Any]:
    out = {}
    for name in ("people", "touchpoints", "opportunities", "_quarantine", "_duplicates", "_skipped", "_loads"):
        out[name] = sorted(map(str, ws.sql(f"SELECT * EXCLUDE (_load_id) FROM {name}" if not name.startswith("_")
                                           else f"SELECT * FROM {name}").to_pylist()))
    return out


@pytest.fixture
def base(workspace: wanamaker.Workspace) -> wanamaker.Workspace:
    workspace.load([CORPUS / "people_base.csv"], table="people")
    return workspace


def test_corpus_has_at_least_25_cases() -> None:
    assert len(LANDS) + len(FAILS) + 1 >= 25  # +1: conflicts across files, below


@pytest.mark.parametrize("case", sorted(LANDS))
def test_rows_land_in_their_buckets(base: wanamaker.Workspace, case: str) -> None:
    name, table, buckets, reasons = LANDS[case]
    result = base.load([CORPUS / name], table=table)
    report = result.tables[0]
    f = report.files[0]
    assert (f.read, f.loaded, f.quarantined, f.duplicates, f.skipped) == buckets
    assert report.quarantine_reasons == reasons
    # counted from its own table
    n_q = base.sql(f"SELECT count(*) AS n FROM _quarantine WHERE load_id = '{result.load_id}'").to_pylist()[0]["n"]
    assert n_q == f.quarantined


@pytest.mark.parametrize("case", sorted(FAILS))
def test_unreadable_files_fail_whole_and_change_nothing(base: wanamaker.Workspace, case: str) -> None:
    name, table, code = FAILS[case]
    before = snapshot(base)
    with pytest.raises(InputFileError) as info:
        # a good file first: the command is atomic, so it is not loaded either
        base.load([CORPUS / "good.csv.gz", CORPUS / name], table=table)
    assert info.value.code == code
    assert name in str(info.value)
    assert info.value.fix
    assert snapshot(base) == before


def test_conflicting_duplicates_across_files(base: wanamaker.Workspace) -> None:
    result = base.load([CORPUS / "conflict_across_a.csv", CORPUS / "conflict_across_b.csv"], table="people")
    a, b = result.tables[0].files
    assert (a.read, a.loaded, a.quarantined) == (1, 1, 0)
    assert (b.read, b.loaded, b.quarantined) == (2, 1, 1)  # p42 first seen in file a wins
    assert result.tables[0].quarantine_reasons == {"key_conflict": 1}


def test_values_are_read_correctly(base: wanamaker.Workspace) -> None:
    base.load([CORPUS / "cp1252.csv", CORPUS / "embedded_newline.csv", CORPUS / "mixed_timezones.csv"],
              table="people")
    rows = {r["person_id"]: r for r in base.sql("SELECT person_id, lead_source, CAST(created_at AS VARCHAR) AS ts "
                                                 "FROM people").to_pylist()}
    assert rows["p10"]["lead_source"] == "Café Müller — événement"
    assert rows["p18"]["lead_source"] == "line one\nline two"
    assert rows["p32"]["ts"] == "2026-03-01 10:00:00"  # +02:00
    assert rows["p33"]["ts"] == "2026-03-01 12:00:00"  # Z
    assert rows["p34"]["ts"] == "2026-03-01 17:00:00"  # -0500
    assert rows["p35"]["ts"] == "2026-03-01 12:00:00"  # naive, workspace time zone UTC


def test_misspelt_header_warns_with_the_nearest_name(base: wanamaker.Workspace) -> None:
    result = base.load([CORPUS / "misspelt_optional.csv"], table="people")
    assert any("lead_sorce" in w and "lead_source" in w for w in result.warnings)


def test_malformed_rows_keep_their_raw_text_and_line(base: wanamaker.Workspace) -> None:
    base.load([CORPUS / "ragged.csv"], table="people")
    rows = base.sql("SELECT line, raw, reason_code FROM _quarantine ORDER BY line").to_pylist()
    assert [(r["line"], r["raw"], r["reason_code"]) for r in rows] == [
        (3, "p21,a1,2026-01-05", "malformed_row"),
        (4, "p22,a1,2026-01-05,smb,US,web,r1,extra,more", "malformed_row"),
    ]
    lines = base.sql("SELECT _source FROM people WHERE person_id IN ('p20', 'p23') ORDER BY 1").to_pylist()
    assert [r["_source"].rsplit(":", 1)[1] for r in lines] == ["2", "5"]
