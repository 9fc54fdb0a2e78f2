"""What `wanamaker tables` and `wanamaker quarantine` show."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from wanamaker.engine.tables import quote
from wanamaker.schema.contracts import TABLES

if TYPE_CHECKING:
    from wanamaker.workspace import Workspace


def table_overview(ws: Workspace) -> list[dict[str, Any]]:
    """Every table with its row count and its last load (contract tables first)."""
    names = ws.tables()
    ordered = [t for t in TABLES if t in names] + [t for t in names if t not in TABLES]
    loads = ws.store.query_arrow(
        "SELECT load_id, finished_at, counts FROM _loads WHERE status = 'completed' ORDER BY finished_at"
    ).to_pylist() if "_loads" in names else []
    last: dict[str, tuple[str, Any]] = {}
    for load in loads:
        counts = json.loads(load["counts"] or "[]")
        for rep in counts if isinstance(counts, list) else [counts]:
            last[rep["table"]] = (load["load_id"], load["finished_at"])
    rows = []
    for name in ordered:
        n = ws.store.query_arrow(f"SELECT count(*) AS n FROM {quote(name)}").column(0)[0].as_py()
        kind = "contract" if name in TABLES else ("ingest" if name.startswith("_") else "result")
        load_id, at = last.get(name, (None, None))
        rows.append({"table": name, "kind": kind, "rows": int(n), "last_load": load_id, "loaded_at": at})
    return rows


def quarantine_rows(ws: Workspace, table: str | None, *, include_resolved: bool = False, limit: int = 200
                    ) -> list[dict[str, Any]]:
    if table is not None:
        from wanamaker.schema.contracts import contract

        contract(table)
    where = ["1 = 1"]
    if table:
        where.append(f"table_name = '{table}'")
    if not include_resolved:
        where.append("resolved_by IS NULL")
    cap = f" LIMIT {int(limit)}" if limit else ""
    sql = (
        "SELECT table_name AS \"table\", file, line, reason_code, reason, raw, load_id, resolved_by FROM _quarantine "
        f"WHERE {' AND '.join(where)} ORDER BY load_id, file, line{cap}"
    )
    return list(ws.store.query_arrow(sql).to_pylist())
