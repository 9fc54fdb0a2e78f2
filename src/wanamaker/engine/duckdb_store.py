"""DuckDB: the embedded default. Staging and target share one connection; a load is one transaction."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import duckdb
import pyarrow as pa

from wanamaker.engine.base import CommitPlan, Store, key_match, select_list, tune_duckdb
from wanamaker.engine.tables import all_tables, create_sql, quote
from wanamaker.errors import EngineError


class DuckDBStore(Store):
    engine: Literal["duckdb"] = "duckdb"

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        import ibis

        self.path = path
        try:
            self._ibis = ibis.duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            raise EngineError(
                f"cannot open {path}: {str(exc).splitlines()[0]}",
                fix="Close the other wanamaker or DuckDB process using this workspace, then retry.",
            ) from exc
        self.con: duckdb.DuckDBPyConnection = self._ibis.con
        tune_duckdb(self.con)

    def staging(self) -> duckdb.DuckDBPyConnection:
        return self.con

    def ensure_tables(self) -> None:
        for table in all_tables():
            self.con.execute(create_sql(table, "duckdb"))

    def expose(self, table: str, as_name: str, columns: list[str] | None = None) -> None:
        cols = ", ".join(quote(c) for c in columns) if columns else "*"
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {quote(as_name)} AS SELECT {cols} FROM main.{quote(table)}")

    def commit(self, plan: CommitPlan) -> None:
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            for write in plan.writes:
                target = f"main.{quote(write.table)}"
                if write.delete_from:
                    con.execute(
                        f"DELETE FROM {target} AS t USING {quote(write.delete_from)} AS d "
                        f"WHERE {key_match(write.table, 't', 'd')}"
                    )
                if write.insert_from:
                    cols = select_list(write.table)
                    con.execute(f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {quote(write.insert_from)}")
            con.execute("COMMIT")
        except BaseException as exc:
            _rollback(con)
            if isinstance(exc, duckdb.OutOfMemoryException):
                raise EngineError(
                    f"DuckDB ran out of memory while writing the load: {str(exc).splitlines()[0]}",
                    fix="Raise the cap, e.g. WANAMAKER_DUCKDB_MEMORY=8GB, or load the files in smaller batches.",
                ) from exc
            raise

    def ibis(self) -> Any:
        return self._ibis

    def list_tables(self) -> list[str]:
        rows = self.con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "AND table_catalog = current_database() ORDER BY table_name"
        ).fetchall()
        return [r[0] for r in rows]

    def write_result(self, name: str, data: pa.Table, mode: Literal["append", "replace"]) -> None:
        con = self.con
        con.register("_wm_result", data)
        con.execute("BEGIN TRANSACTION")
        try:
            exists = name in self.list_tables()
            if mode == "replace" or not exists:
                con.execute(f"CREATE OR REPLACE TABLE main.{quote(name)} AS SELECT * FROM _wm_result")
            else:
                con.execute(f"INSERT INTO main.{quote(name)} BY NAME SELECT * FROM _wm_result")
            con.execute("COMMIT")
        except BaseException:
            _rollback(con)
            raise
        finally:
            con.unregister("_wm_result")

    def query_arrow(self, sql: str) -> pa.Table:
        return self.con.execute(sql).fetch_arrow_table()

    def close(self) -> None:
        self._ibis.disconnect()


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back if a transaction is still open (DuckDB ends it by itself after some errors)."""
    try:
        con.execute("ROLLBACK")
    except duckdb.TransactionException:
        pass
