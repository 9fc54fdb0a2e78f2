"""``wanamaker load --retry``: quarantined rows read again from their stored raw values, and marked resolved.

Two steps of the load pipeline (:mod:`wanamaker.ingest.pipeline`) that only a retry takes: rebuilding a
raw table from the rows' stored JSON, and settling the quarantine entries the retry resolved.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb

from wanamaker.engine.base import TableWrite
from wanamaker.engine.tables import columns_of, quote
from wanamaker.ingest import sqlgen
from wanamaker.ingest.readers import RawRead, staging_names


def raw_from_retry(con: duckdb.DuckDBPyConnection, retry_rows: list[tuple[int, str, str]], raw_name: str,
                   index: int) -> RawRead:
    """The quarantined source rows (line, part, raw JSON) of one file, back in a raw table of staging columns
    ``c1``..``cN``, keyed by the file's own column names."""
    records: list[tuple[int, dict[str, Any]]] = []
    seen: set[int] = set()
    for line, _part, raw in retry_rows:
        if line in seen:
            continue
        seen.add(line)
        records.append((line, json.loads(raw)))
    headers: list[str] = []
    for _, data in records:
        for key in data:
            if key not in headers:
                headers.append(key)
    columns = staging_names(headers)
    cols = "".join(f"{quote(c)} VARCHAR, " for c in columns.values())
    con.execute(f"CREATE OR REPLACE TEMP TABLE {raw_name} ({cols}_file INTEGER, _line BIGINT)")
    con.executemany(
        f"INSERT INTO {raw_name} VALUES ({'?, ' * len(headers)}?, ?)",
        [[None if data.get(h) is None else str(data.get(h)) for h in headers] + [index, line]
         for line, data in records],
    )
    return RawRead(headers=headers, rows=len(records), columns=columns)


def resolve(con: duckdb.DuckDBPyConnection, load_id: str, t: str, typed: str, writes: list[TableWrite]) -> int:
    """Quarantined rows now loaded or duplicate are marked resolved by this load; rows still failing keep
    their quarantine entry (with the new reason) instead of a new one. Returns how many were resolved."""
    lid = sqlgen.lit(load_id)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE wm_qold_{t} AS SELECT q.qid, x._bucket, x._code, x._reason FROM wm_q_all q "
        f"JOIN wm_files f ON q.file_sha = f.sha AND q.file = f.display JOIN {typed} x ON x._file = f._file "
        f"AND x._line = q.line AND x._part = q.part WHERE q.resolved_by IS NULL AND q.table_name = {sqlgen.lit(t)}"
    )
    cols = ", ".join(
        f"o.{quote(c)}" if c not in ("resolved_by", "reason_code", "reason") else
        {"resolved_by": f"CASE WHEN n._bucket = 'quarantined' THEN NULL ELSE {lid} END AS resolved_by",
         "reason_code": "COALESCE(n._code, o.reason_code) AS reason_code",
         "reason": "COALESCE(n._reason, o.reason) AS reason"}[c]
        for c, _ in columns_of("_quarantine")
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE wm_qnew_{t} AS SELECT {cols} FROM wm_q_all o JOIN wm_qold_{t} n USING (qid)")
    # a row still failing is not quarantined twice
    con.execute(f"DELETE FROM wm_quar_{t} WHERE EXISTS (SELECT 1 FROM wm_qnew_{t} n WHERE n.file_sha = wm_quar_{t}.file_sha "
                f"AND n.line = wm_quar_{t}.line AND n.part = wm_quar_{t}.part)")
    con.execute(f"CREATE OR REPLACE TEMP TABLE wm_qdel_{t} AS SELECT qid FROM wm_qnew_{t}")
    writes.append(TableWrite("_quarantine", insert_from=f"wm_qnew_{t}", delete_from=f"wm_qdel_{t}"))
    return int(con.execute(f"SELECT count(*) FROM wm_qnew_{t} WHERE resolved_by IS NOT NULL").fetchone()[0])  # type: ignore[index]
