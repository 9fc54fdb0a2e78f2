"""A mapping's `sql:` and `where:` are expressions, never SQL text: every attack is refused with the
mapping's file:line, before any file is read, and the workspace stays exactly as it was.

Also: the staging columns cannot collide with input columns, whatever the export calls them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import wanamaker
from wanamaker.errors import ConfigError, InputFileError

PEOPLE = "person_id,created_at,lead_source\np1,2026-01-01,web\np2,2026-01-02,event\n"


def snapshot(ws: wanamaker.Workspace) -> dict[str, Any]:
    return {t: sorted(map(str, ws.sql(f"SELECT * FROM {t}").to_pylist()))
            for t in ("people", "_loads", "_quarantine", "_duplicates", "_skipped")}


@pytest.fixture
def loaded(workspace: wanamaker.Workspace, tmp_path: Path) -> wanamaker.Workspace:
    src = tmp_path / "base.csv"
    src.write_text(PEOPLE)
    workspace.load([src], table="people")
    return workspace


def _mapping(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "attack.yml"
    path.write_text("people:\n  person_id: person_id\n  created_at: created_at\n" + body)
    return path


# each: the mapping line that carries the attack, and words the refusal must contain
ATTACKS: dict[str, tuple[str, str]] = {
    "statement injection (the reported DELETE)": (
        '  segment: {sql: "1) AS VARCHAR)) ... ; DELETE FROM main.people; --"}\n', "does not parse"),
    "second statement": ('  segment: {sql: "lead_source; DELETE FROM people"}\n', "one expression"),
    "subquery reading a host file": (
        "  segment: {sql: \"(SELECT content FROM read_text('/etc/shadow'))\"}\n", "subquery"),
    "file function": ("  segment: {sql: \"read_text('/etc/passwd')\"}\n", "read_text"),
    "glob": ("  segment: {sql: \"glob('/root/.*')\"}\n", "glob"),
    "csv reader": ("  segment: {sql: \"read_csv('/etc/passwd')\"}\n", "read_csv"),
    "parquet reader": ("  segment: {sql: \"read_parquet('/tmp/x.parquet')\"}\n", "read_parquet"),
    "environment": ("  segment: {sql: \"getenv('HOME')\"}\n", "getenv"),
    "settings": ("  segment: {sql: \"current_setting('temp_directory')\"}\n", "current_setting"),
    "query table function": ("  segment: {sql: \"query('SELECT 1')\"}\n", "query"),
    "variables": ("  segment: {sql: \"getvariable('x')\"}\n", "getvariable"),
    "memory bomb": ("  segment: {sql: \"repeat('x', 1000000000)\"}\n", "repeat"),
    "another table's column": ('  segment: {sql: "main.people.person_id"}\n', "names a table"),
    "parameter": ('  segment: {sql: "?"}\n', "parameter"),
    "where with a COPY": ("  where: \"true; COPY people TO '/tmp/wm-pwned.csv'\"\n", "one expression"),
    "where with a subquery": ('  where: "person_id IN (SELECT person_id FROM people)"\n', "subquery"),
    "where with EXISTS": ('  where: "EXISTS (SELECT 1 FROM _loads)"\n', "subquery"),
    "pragma": ('  segment: {sql: "pragma_version()"}\n', "pragma_version"),
}


@pytest.mark.parametrize("case", sorted(ATTACKS))
@pytest.mark.parametrize("dry_run", [False, True])
def test_attacks_are_refused_with_file_and_line(loaded: wanamaker.Workspace, tmp_path: Path, case: str,
                                                dry_run: bool) -> None:
    line, words = ATTACKS[case]
    mapping = _mapping(tmp_path, line)
    data = tmp_path / "people.csv"
    data.write_text("person_id,created_at,lead_source\np9,2026-02-01,web\n")
    before = snapshot(loaded)
    with pytest.raises(ConfigError) as info:
        loaded.load([data], mapping=mapping, dry_run=dry_run)
    text = str(info.value) + " ".join(str(i) for i in info.value.issues)
    assert f"{mapping}:4" in text, text  # the attack sits on line 4 of the mapping
    assert "bad_expression" in text
    assert words in text, text
    assert snapshot(loaded) == before
    assert not Path("/tmp/wm-pwned.csv").exists()


def test_allowed_expressions_still_work(loaded: wanamaker.Workspace, tmp_path: Path) -> None:
    mapping = _mapping(tmp_path, (
        "  segment: {sql: \"CASE WHEN lower(\\\"Lead Source\\\") LIKE 'w%' THEN upper(split_part(\\\"Lead Source\\\", "
        "'-', 1)) ELSE coalesce(nullif(trim(\\\"Lead Source\\\"), ''), 'none') END\"}\n"
        "  country: {sql: \"regexp_extract(\\\"Lead Source\\\", '-(..)$', 1)\"}\n"
        "  where: \"TRY_CAST(created_at AS DATE) >= DATE '2026-01-01'\"\n"))
    data = tmp_path / "people.csv"
    data.write_text("person_id,created_at,Lead Source\np9,2026-02-01,web-us\np10,2026-02-02,Event\n"
                    "p11,2025-12-01,web-de\n")
    result = loaded.load([data], mapping=mapping)
    f = result.tables[0].files[0]
    assert (f.read, f.loaded, f.skipped) == (3, 2, 1)
    rows = {r["person_id"]: (r["segment"], r["country"])
            for r in loaded.sql("SELECT person_id, segment, country FROM people").to_pylist()}
    assert rows["p9"] == ("WEB", "us")
    assert rows["p10"] == ("Event", None)


def test_an_expression_that_fails_on_the_data_is_a_clear_error(loaded: wanamaker.Workspace, tmp_path: Path) -> None:
    mapping = _mapping(tmp_path, '  segment: {sql: "CAST(lead_source AS INTEGER)"}\n')
    data = tmp_path / "people.csv"
    data.write_text("person_id,created_at,lead_source\np9,2026-02-01,web\n")
    before = snapshot(loaded)
    with pytest.raises(InputFileError) as info:
        loaded.load([data], mapping=mapping)
    assert info.value.code == "bad_expression"
    assert "segment: line 4" in str(info.value)
    assert "TRY_CAST" in info.value.fix
    assert snapshot(loaded) == before


def test_a_where_over_a_column_the_file_lacks_is_an_error(loaded: wanamaker.Workspace, tmp_path: Path) -> None:
    mapping = _mapping(tmp_path, "  where: \"stage = 'x'\"\n")
    data = tmp_path / "people.csv"
    data.write_text("person_id,created_at\np9,2026-02-01\n")
    with pytest.raises(InputFileError) as info:
        loaded.load([data], mapping=mapping)
    assert "'stage'" in str(info.value) and f"{mapping}:4" in str(info.value)


# input columns named like staging's own columns, and names that only differ in case
RESERVED = ["_file", "_line", "_keep", "_part", "_label", "_value", "_bucket", "_code", "_reason", "_row_hash",
            "_pre", "_wm_file", "__t_person_id", "c1", "c2", "_load_id", "_source", "rowid"]


@pytest.mark.parametrize("name", RESERVED)
def test_reserved_looking_columns_lose_no_row(workspace: wanamaker.Workspace, tmp_path: Path, name: str) -> None:
    data = tmp_path / "people.csv"
    data.write_text(f"person_id,created_at,{name}\np1,2026-01-01,x\np2,2026-01-02,\np3,not a date,7\n")
    result = workspace.load([data], table="people")
    f = result.tables[0].files[0]
    assert (f.read, f.loaded, f.quarantined, f.duplicates, f.skipped) == (3, 2, 1, 0, 0)
    assert workspace.sql("SELECT count(*) AS n FROM people").to_pylist()[0]["n"] == 2
    raw = workspace.sql("SELECT raw FROM _quarantine").to_pylist()[0]["raw"]
    assert f'"{name}":"7"' in raw.replace(" ", "")  # the raw row keeps the file's own column name


def test_a_keep_column_does_not_override_the_mappings_filter(workspace: wanamaker.Workspace, tmp_path: Path) -> None:
    mapping = tmp_path / "m.yml"
    mapping.write_text("people:\n  person_id: person_id\n  created_at: created_at\n  where: \"kind = 'lead'\"\n")
    data = tmp_path / "people.csv"
    data.write_text("person_id,created_at,kind,_keep\np1,2026-01-01,lead,false\np2,2026-01-02,other,true\n")
    result = workspace.load([data], mapping=mapping)
    f = result.tables[0].files[0]
    assert (f.read, f.loaded, f.skipped) == (2, 1, 1)
    assert workspace.sql("SELECT person_id FROM people").to_pylist() == [{"person_id": "p1"}]


def test_json_keys_named_like_staging_columns(workspace: wanamaker.Workspace, tmp_path: Path) -> None:
    data = tmp_path / "people.jsonl"
    data.write_text('{"person_id": "p1", "created_at": "2026-01-01", "_line": 99, "_file": "x"}\n'
                    '{"person_id": "p2", "created_at": "2026-01-02", "_line": 5, "_file": "y"}\n')
    result = workspace.load([data], table="people")
    f = result.tables[0].files[0]
    assert (f.read, f.loaded) == (2, 2)
    sources = sorted(r["_source"].rsplit(":", 1)[1] for r in workspace.sql("SELECT _source FROM people").to_pylist())
    assert sources == ["1", "2"]  # the file's lines, not its "_line" values


def test_headers_that_differ_only_in_case_are_both_kept(workspace: wanamaker.Workspace, tmp_path: Path) -> None:
    mapping = tmp_path / "m.yml"
    mapping.write_text("people:\n  person_id: ID\n  created_at: created\n  segment: id\n")
    data = tmp_path / "people.csv"
    data.write_text("ID,id,created\np1,smb,2026-01-01\n")
    workspace.load([data], mapping=mapping)
    assert workspace.sql("SELECT person_id, segment FROM people").to_pylist() == [{"person_id": "p1", "segment": "smb"}]


@pytest.mark.engines
def test_refused_and_collision_free_on_every_engine(engine_workspace: wanamaker.Workspace, tmp_path: Path) -> None:
    """The same refusal and the same buckets on DuckDB, PostgreSQL and Spark (validation is DuckDB staging on all)."""
    ws = engine_workspace
    data = tmp_path / "people.csv"
    data.write_text("person_id,created_at,_file,_keep\np1,2026-01-01,x,false\np2,bad,y,true\n")
    attack = _mapping(tmp_path, "  segment: {sql: \"(SELECT content FROM read_text('/etc/shadow'))\"}\n")
    with pytest.raises(ConfigError):
        ws.load([data], mapping=attack)
    result = ws.load([data], table="people")
    f = result.tables[0].files[0]
    assert (f.read, f.loaded, f.quarantined, f.duplicates, f.skipped) == (2, 1, 1, 0, 0)
    assert ws.sql("SELECT person_id FROM people").to_pylist() == [{"person_id": "p1"}]
