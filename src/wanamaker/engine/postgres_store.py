"""PostgreSQL: staging in an in-memory DuckDB; a load is COPY into temporary tables, then one
transaction of deletes and inserts (DESIGN "Engines")."""

from __future__ import annotations

import os
import tempfile
from typing import Any, Literal

import duckdb
import pyarrow as pa

from wanamaker.engine.base import CommitPlan, Store, key_match, select_list, tune_duckdb
from wanamaker.engine.tables import all_tables, columns_of, create_sql, quote, sql_type
from wanamaker.errors import EngineError

_CHUNK = 1 << 20


def _pg_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_boolean(arrow_type):
        return "BOOLEAN"
    if pa.types.is_integer(arrow_type):
        return "BIGINT"
    if pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return "DOUBLE PRECISION"
    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMP"
    if pa.types.is_date(arrow_type):
        return "DATE"
    return "TEXT"


class PostgresStore(Store):
    engine: Literal["postgres"] = "postgres"

    def __init__(self, url: str) -> None:
        import psycopg

        self.url = url.replace("postgres://", "postgresql://", 1)
        try:
            self.pg = psycopg.connect(self.url, autocommit=False)
        except psycopg.OperationalError as exc:
            raise EngineError(
                f"cannot connect to PostgreSQL at {self._safe_url()}: {str(exc).strip().splitlines()[0]}",
                fix="Check that the server runs and that the URL, user and ${PGPASSWORD} are right.",
            ) from exc
        with self.pg.cursor() as cur:
            cur.execute("SET TIME ZONE 'UTC'")
        self.pg.commit()
        self._duck = duckdb.connect()
        tune_duckdb(self._duck)
        self._ibis_backend: Any = None

    def _safe_url(self) -> str:
        from urllib.parse import urlparse

        p = urlparse(self.url)
        return f"{p.hostname}:{p.port or 5432}/{p.path.lstrip('/')}"

    def staging(self) -> duckdb.DuckDBPyConnection:
        return self._duck

    def ensure_tables(self) -> None:
        with self.pg.cursor() as cur:
            for table in all_tables():
                cur.execute(create_sql(table, "postgres"))
        self.pg.commit()

    def expose(self, table: str, as_name: str, columns: list[str] | None = None) -> None:
        """COPY the target's rows out as CSV and read them into a staging TEMP table."""
        types = dict(columns_of(table))
        wanted = columns or [c for c, _ in columns_of(table)]
        select = ", ".join(quote(c) for c in wanted)
        fd, path = tempfile.mkstemp(suffix=".csv", prefix="wanamaker-")
        os.close(fd)
        try:
            with self.pg.cursor() as cur, open(path, "wb") as fh:
                with cur.copy(f"COPY (SELECT {select} FROM {quote(table)}) TO STDOUT (FORMAT csv)") as copy:
                    for chunk in copy:
                        fh.write(chunk)
            self.pg.rollback()
            spec = ", ".join(f"'{c}': '{sql_type(types.get(c, 'string'), 'duckdb')}'" for c in wanted)
            self._duck.execute(
                f"CREATE OR REPLACE TEMP TABLE {quote(as_name)} AS SELECT * FROM read_csv('{path}', "
                f"header=false, columns={{{spec}}}, quote='\"', escape='\"', auto_detect=false, "
                f"allow_quoted_nulls=false)"
            )
        finally:
            os.unlink(path)

    def _copy_in(self, cur: Any, source: str, target: str, table: str) -> None:
        cols = select_list(table)
        fd, path = tempfile.mkstemp(suffix=".csv", prefix="wanamaker-")
        os.close(fd)
        try:
            self._duck.execute(
                f"COPY (SELECT {cols} FROM {quote(source)}) TO '{path}' (FORMAT csv, HEADER false)"
            )
            with cur.copy(f"COPY {quote(target)} ({cols}) FROM STDIN (FORMAT csv)") as copy, open(path, "rb") as fh:
                while chunk := fh.read(_CHUNK):
                    copy.write(chunk)
        finally:
            os.unlink(path)

    def commit(self, plan: CommitPlan) -> None:
        try:
            with self.pg.cursor() as cur:
                for i, write in enumerate(plan.writes):
                    target = quote(write.table)
                    if write.delete_from:
                        tmp = f"_wm_del_{i}"
                        cur.execute(f"CREATE TEMP TABLE {tmp} (LIKE {target}) ON COMMIT DROP")
                        self._copy_in(cur, write.delete_from, tmp, write.table)
                        cur.execute(
                            f"DELETE FROM {target} AS t USING {tmp} AS d WHERE {key_match(write.table, 't', 'd')}"
                        )
                    if write.insert_from:
                        tmp = f"_wm_ins_{i}"
                        cur.execute(f"CREATE TEMP TABLE {tmp} (LIKE {target}) ON COMMIT DROP")
                        self._copy_in(cur, write.insert_from, tmp, write.table)
                        cols = select_list(write.table)
                        cur.execute(f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {tmp}")
            self.pg.commit()
        except BaseException:
            self.pg.rollback()
            raise

    def ibis(self) -> Any:
        if self._ibis_backend is None:
            import ibis

            self._ibis_backend = ibis.connect(self.url)
            self._ibis_backend.raw_sql("SET TIME ZONE 'UTC'")
        return self._ibis_backend

    def list_tables(self) -> list[str]:
        with self.pg.cursor() as cur:
            cur.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
                "ORDER BY table_name"
            )
            names = [r[0] for r in cur.fetchall()]
        self.pg.rollback()
        return names

    def write_result(self, name: str, data: pa.Table, mode: Literal["append", "replace"]) -> None:
        cols = ", ".join(f"{quote(f.name)} {_pg_type(f.type)}" for f in data.schema)
        names = ", ".join(quote(f.name) for f in data.schema)
        self._duck.register("_wm_result", data)
        fd, path = tempfile.mkstemp(suffix=".csv", prefix="wanamaker-")
        os.close(fd)
        try:
            self._duck.execute(f"COPY (SELECT * FROM _wm_result) TO '{path}' (FORMAT csv, HEADER false)")
            with self.pg.cursor() as cur:
                if mode == "replace":
                    cur.execute(f"DROP TABLE IF EXISTS {quote(name)}")
                cur.execute(f"CREATE TABLE IF NOT EXISTS {quote(name)} ({cols})")
                with cur.copy(f"COPY {quote(name)} ({names}) FROM STDIN (FORMAT csv)") as copy, open(path, "rb") as fh:
                    while chunk := fh.read(_CHUNK):
                        copy.write(chunk)
            self.pg.commit()
        except BaseException:
            self.pg.rollback()
            raise
        finally:
            os.unlink(path)
            self._duck.unregister("_wm_result")

    def query_arrow(self, sql: str) -> pa.Table:
        with self.pg.cursor() as cur:
            try:
                cur.execute("SET TRANSACTION READ ONLY")
                cur.execute(sql)
                names = [d.name for d in cur.description or []]
                rows = cur.fetchall()
            finally:
                self.pg.rollback()
        cols: list[tuple[Any, ...]] = list(zip(*rows, strict=False)) if rows else [() for _ in names]
        return pa.table({n: pa.array(list(c)) for n, c in zip(names, cols, strict=False)})

    def close(self) -> None:
        self.pg.close()
        self._duck.close()
        if self._ibis_backend is not None:
            self._ibis_backend.disconnect()


def _arrow(neutral: str) -> pa.DataType:
    return {
        "string": pa.string(),
        "timestamp": pa.timestamp("us"),
        "date": pa.date32(),
        "float64": pa.float64(),
        "int64": pa.int64(),
        "boolean": pa.bool_(),
    }[neutral]


__all__ = ["PostgresStore", "sql_type"]
