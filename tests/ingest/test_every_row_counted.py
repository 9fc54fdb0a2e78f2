"""Every line of every input is counted: over-long lines, invalid UTF-8, NUL and control bytes,
non-regular files — each lands in a bucket with its own reason, or the file is refused whole."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

import wanamaker
from wanamaker.errors import InputFileError


def buckets(result: wanamaker.LoadResult) -> tuple[int, int, int, int, int]:
    f = result.tables[0].files[0]
    return f.read, f.loaded, f.quarantined, f.duplicates, f.skipped


def quarantine(ws: wanamaker.Workspace) -> list[tuple[int, str]]:
    rows = ws.sql("SELECT line, reason_code FROM _quarantine ORDER BY line").to_pylist()
    return [(r["line"], r["reason_code"]) for r in rows]


@pytest.mark.parametrize("megabytes", [3, 20, 35])
@pytest.mark.parametrize("compressed", [False, True])
def test_a_long_line_is_quarantined_at_any_size(workspace: wanamaker.Workspace, tmp_path: Path, megabytes: int,
                                                 compressed: bool) -> None:
    body = ("person_id,created_at,segment\np1,2026-01-01,a\np2,2026-01-01," + "x" * (megabytes << 20)
            + "\np3,2026-01-01,c\n").encode()
    path = tmp_path / ("long.csv.gz" if compressed else "long.csv")
    path.write_bytes(gzip.compress(body, 1) if compressed else body)
    result = workspace.load([path], table="people")
    assert buckets(result) == (3, 2, 1, 0, 0)
    assert quarantine(workspace) == [(3, "line_too_long")]
    raw = workspace.sql("SELECT length(raw) AS n FROM _quarantine").to_pylist()[0]["n"]
    assert raw <= 10_000
    lines = sorted(r["_source"].rsplit(":", 1)[1] for r in workspace.sql("SELECT _source FROM people").to_pylist())
    assert lines == ["2", "4"]


def test_a_long_json_line_is_quarantined(workspace: wanamaker.Workspace, tmp_path: Path) -> None:
    path = tmp_path / "people.jsonl"
    path.write_text('{"person_id": "p1", "created_at": "2026-01-01"}\n'
                    '{"person_id": "p2", "created_at": "2026-01-01", "segment": "' + "y" * (17 << 20) + '"}\n'
                    '{"person_id": "p3", "created_at": "2026-01-01"}\n')
    result = workspace.load([path], table="people")
    assert buckets(result) == (3, 2, 1, 0, 0)
    assert quarantine(workspace) == [(2, "line_too_long")]
    assert "wanamaker-cut" not in repr(workspace.sql("SELECT * FROM people").to_pylist())


def test_invalid_utf8_quarantines_only_its_line(workspace: wanamaker.Workspace, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(b"person_id,created_at,segment\np1,2026-01-01,Jos\xc3\xa9\np2,2026-01-01,bad\xff\n"
                     b"p3,2026-01-01,\xe6\x9d\xb1\xe4\xba\xac\n")
    result = workspace.load([path], table="people")
    assert buckets(result) == (3, 2, 1, 0, 0)
    assert quarantine(workspace) == [(3, "bad_encoding")]
    segments = {r["person_id"]: r["segment"] for r in workspace.sql("SELECT person_id, segment FROM people").to_pylist()}
    assert segments == {"p1": "José", "p3": "東京"}  # never re-decoded as cp1252 (no JosÃ©)
    assert any("bad_encoding" in w for w in result.warnings)


def test_invalid_utf8_in_json_lines(workspace: wanamaker.Workspace, tmp_path: Path) -> None:
    path = tmp_path / "people.jsonl"
    path.write_bytes(b'{"person_id": "p1", "created_at": "2026-01-01", "segment": "Jos\xc3\xa9"}\n'
                     b'{"person_id": "p2", "created_at": "2026-01-01", "segment": "bad\xff"}\n')
    result = workspace.load([path], table="people")
    assert buckets(result) == (2, 1, 1, 0, 0)
    assert quarantine(workspace) == [(2, "bad_encoding")]


def test_a_single_byte_file_is_still_read_as_cp1252(workspace: wanamaker.Workspace, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes("person_id,created_at,segment\np1,2026-01-01,Café Müller\n".encode("cp1252"))
    result = workspace.load([path], table="people")
    assert buckets(result) == (1, 1, 0, 0, 0)
    assert workspace.sql("SELECT segment FROM people").to_pylist() == [{"segment": "Café Müller"}]
    assert any("Windows-1252" in w for w in result.warnings)


def test_encoding_override(workspace: wanamaker.Workspace, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes("person_id,created_at,segment\np1,2026-01-01,Ωmega\n".encode("iso8859_7"))
    workspace.load([path], table="people", encoding="iso8859_7")
    assert workspace.sql("SELECT segment FROM people").to_pylist() == [{"segment": "Ωmega"}]


def test_nul_and_control_bytes(workspace: wanamaker.Workspace, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(b"person_id,created_at,segment\np\x001,2026-01-01,a\np\x072,2026-01-01,b\n"
                     b"p3,2026-01-01,nul\x00inside\np4,2026-01-01,tab\tok\n")
    result = workspace.load([path], table="people")
    assert buckets(result) == (4, 1, 3, 0, 0)
    assert quarantine(workspace) == [(2, "control_character"), (3, "control_character"), (4, "control_character")]
    assert workspace.sql("SELECT person_id FROM people").to_pylist() == [{"person_id": "p4"}]


def test_a_fifo_is_refused_at_once(workspace: wanamaker.Workspace, tmp_path: Path) -> None:
    fifo = tmp_path / "people.csv"
    os.mkfifo(fifo)
    with pytest.raises(InputFileError) as info:
        workspace.load([fifo], table="people")
    assert info.value.code == "file_not_regular"


def test_a_device_is_refused(workspace: wanamaker.Workspace) -> None:
    with pytest.raises(InputFileError) as info:
        workspace.load([Path("/dev/zero")], table="people")
    assert info.value.code == "file_not_regular"
