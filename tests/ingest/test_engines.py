"""The same ingest and query on DuckDB, PostgreSQL and Spark."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest

import wanamaker
from support.data import write_csv
from wanamaker.errors import UsageError

PEOPLE = [
    {"person_id": "p1", "account_id": "a1", "created_at": "2026-01-05 10:00", "lead_source": "paid_search"},
    {"person_id": "p2", "account_id": "a1", "created_at": "2026-01-06T08:00:00+02:00", "lead_source": "organic"},
    {"person_id": "p3", "account_id": "a2", "created_at": "31/02/2026", "lead_source": "email"},
    {"person_id": "p1", "account_id": "a1", "created_at": "2026-01-05 10:00", "lead_source": "paid_search"},
]
TOUCHES = [
    {"person_id": "p1", "ts": "2026-01-04 09:00", "channel": "paid_search", "cost": "1.5", "currency": "usd"},
    {"person_id": "p2", "ts": "2026-01-05 09:00", "channel": "email", "cost": "", "currency": ""},
    {"person_id": "p9", "ts": "2026-01-05 09:00", "channel": "email", "cost": "", "currency": ""},
    {"person_id": "p1", "ts": "2026-01-04 10:00", "channel": "display", "cost": "-3", "currency": "USD"},
]


def test_load_and_query_on_every_engine(make_workspace: Callable[[], wanamaker.Workspace], tmp_path: Path) -> None:
    ws = make_workspace()
    people = write_csv(tmp_path / "people.csv", PEOPLE)
    touches = write_csv(tmp_path / "touches.csv", TOUCHES)
    first = ws.load([people], table="people")
    f = first.tables[0].files[0]
    assert (f.read, f.loaded, f.quarantined, f.duplicates, f.skipped) == (4, 2, 1, 1, 0)
    second = ws.load([touches], table="touchpoints")
    t = second.tables[0]
    assert t.quarantine_reasons == {"negative_amount": 1, "orphan_reference": 1}
    assert t.files[0].loaded == 2
    # loading again changes nothing
    again = ws.load([people], table="people").tables[0].files[0]
    assert (again.loaded, again.quarantined, again.duplicates) == (0, 0, 4)

    rows = ws.table("people").order_by("person_id").select("person_id", "created_at").to_pyarrow().to_pylist()
    assert [r["person_id"] for r in rows] == ["p1", "p2"]
    assert str(rows[1]["created_at"]) == "2026-01-06 06:00:00"
    total = ws.table("touchpoints").cost.sum().to_pyarrow().as_py()
    assert total == 1.5
    assert ws.table("touchpoints").currency.max().to_pyarrow().as_py() == "USD"
    quarantined = ws.table("_quarantine").count().to_pyarrow().as_py()
    assert quarantined == 3
    ws.write_table("results_demo", pa.table({"k": ["a", "b"], "v": [1.0, 2.0]}), mode="replace")
    ws.write_table("results_demo", pa.table({"k": ["c"], "v": [3.0]}), mode="append")
    assert ws.table("results_demo").v.sum().to_pyarrow().as_py() == 6.0
    assert ws.sql("SELECT count(*) AS n FROM people").to_pylist() == [{"n": 2}]
    with pytest.raises(UsageError, match="refused the query"):  # a wrong name is the user's, said plainly
        ws.sql("SELECT nope FROM people")
    assert ws.sql("SELECT count(*) AS n FROM people").to_pylist() == [{"n": 2}]  # and the session goes on


def test_upsert_on_every_engine(make_workspace: Callable[[], wanamaker.Workspace], tmp_path: Path) -> None:
    """An upsert replaces the loaded row whose key comes with different content, on every engine (the delete of
    the old rows is by key alone)."""
    ws = make_workspace()
    write_csv(tmp_path / "a.csv", [{"person_id": "p1", "segment": "smb"}, {"person_id": "p2", "segment": "smb"}])
    write_csv(tmp_path / "b.csv", [{"person_id": "p1", "segment": "mid"}])
    ws.load([tmp_path / "a.csv"], table="people")
    up = ws.load([tmp_path / "b.csv"], table="people", upsert=True).tables[0]
    assert up.files[0].loaded == 1
    rows = ws.table("people").select("person_id", "segment").order_by("person_id").to_pyarrow().to_pylist()
    assert rows == [{"person_id": "p1", "segment": "mid"}, {"person_id": "p2", "segment": "smb"}]
