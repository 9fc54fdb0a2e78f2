"""PostgreSQL: staging in an in-memory DuckDB; a load is COPY into temporary tables, then one
transaction of deletes and inserts (DESIGN "Engines"). Loads of one database run one after the other
(a session-level advisory lock held for the whole load); user queries run in a READ ONLY transaction
through a cursor."""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import duckdb
import pyarrow as pa

from wanamaker.engine.base import CommitPlan, Store, key_match, lock_timeout, select_list, tune_duckdb
from wanamaker.engine.tables import all_tables, columns_of, create_sql, key_of, quote, sql_type
from wanamaker.errors import EngineError

_CHUNK = 1 << 20
# The advisory lock every load of a database takes: a fixed 64-bit key derived from a fixed name.
LOAD_LOCK_KEY = int.from_bytes(hashlib.sha256(b"wanamaker-load").digest()[:8], "big", signed=True)
_LOCK_POLL_SECONDS = 0.2
# Roles whose members read or write files on the server, or run programs there.
SERVER_FILE_ROLES = ("pg_execute_server_program", "pg_read_server_files", "pg_write_server_files")


@dataclass(frozen=True)
class RoleRisks:
    """What the connection's role may do beyond a workspace's needs (``wanamaker check`` warns)."""

    role: str
    database: str
    schema: str
    superuser: bool
    server_file_roles: tuple[str, ...]


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

    def __init__(self, url: str, memory_limit: str | None = None) -> None:
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
        tune_duckdb(self._duck, memory_limit)
        self._ibis_backend: Any = None

    @contextmanager
    def _granted(self) -> Iterator[None]:
        """A missing grant is a clear error naming the object and the grants a workspace needs."""
        import psycopg

        try:
            yield
        except psycopg.errors.InsufficientPrivilege as exc:
            self.pg.rollback()
            primary = exc.diag.message_primary or str(exc).strip().splitlines()[0]
            role = self.pg.info.user
            raise EngineError(
                f"the PostgreSQL role {role} lacks a grant the workspace needs ({primary}).",
                fix=f"Ask the database owner for the grants in docs/security.md: GRANT CONNECT, TEMPORARY ON "
                    f"DATABASE {self.pg.info.dbname} TO {role}; GRANT USAGE, CREATE ON SCHEMA public (or the workspace's schema) TO {role}; "
                    f"and SELECT, INSERT, DELETE on tables made by another role.",
                code="permission_denied",
            ) from None

    def _safe_url(self) -> str:
        from urllib.parse import urlparse

        p = urlparse(self.url)
        return f"{p.hostname}:{p.port or 5432}/{p.path.lstrip('/')}"

    def staging(self) -> duckdb.DuckDBPyConnection:
        return self._duck

    def ensure_tables(self) -> None:
        with self._granted(), self.pg.cursor() as cur:
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
            with self._granted(), self.pg.cursor() as cur, open(path, "wb") as fh:
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

    def _copy_in(self, cur: Any, source: str, target: str, table: str, columns: str | None = None) -> None:
        """COPY ``columns`` (default: every stored column of ``table``) of the staging table ``source`` into ``target``."""
        cols = columns or select_list(table)
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
            with self._granted(), self.pg.cursor() as cur:
                for i, write in enumerate(plan.writes):
                    target = quote(write.table)
                    if write.delete_from:
                        # the rows to replace, by key alone (the staging table may hold only the key columns)
                        tmp = f"_wm_del_{i}"
                        keys = ", ".join(quote(k) for k in key_of(write.table))
                        cur.execute(f"CREATE TEMP TABLE {tmp} ON COMMIT DROP AS SELECT {keys} FROM {target} WITH NO DATA")
                        self._copy_in(cur, write.delete_from, tmp, write.table, keys)
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
            with self._granted(), self.pg.cursor() as cur:
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
        """One read-only query: a READ ONLY transaction, always rolled back, and a server-side cursor
        (DECLARE takes exactly one SELECT or VALUES, and no data-modifying WITH)."""
        try:
            with self.pg.cursor() as cur:
                cur.execute("SET TRANSACTION READ ONLY")
            with self.pg.cursor(name="wanamaker_query") as named:
                named.execute(sql)
                names = [d.name for d in named.description or []]
                rows = named.fetchall()
        finally:
            self.pg.rollback()
        cols: list[tuple[Any, ...]] = list(zip(*rows, strict=False)) if rows else [() for _ in names]
        return pa.table({n: pa.array(list(c)) for n, c in zip(names, cols, strict=False)})

    @contextmanager
    def load_lock(self) -> Iterator[None]:
        """Held for the whole load: a session-level advisory lock on this connection. It survives the
        load's commits and rollbacks, and dies with the session if the process is killed."""
        timeout = lock_timeout()
        deadline = time.monotonic() + timeout
        told = False
        while not self._advisory("pg_try_advisory_lock"):
            if time.monotonic() >= deadline:
                raise EngineError(
                    f"another load into {self._safe_url()} held the load lock for {timeout:g} s; gave up waiting.",
                    fix="Let the other load finish and run the command again, or raise WANAMAKER_LOCK_TIMEOUT "
                        "(seconds). A killed load releases the lock when its connection closes.",
                    code="load_locked",
                )
            if not told:
                print(f"waiting for another load into {self._safe_url()} to finish ...", file=sys.stderr, flush=True)
                told = True
            time.sleep(_LOCK_POLL_SECONDS)
        try:
            yield
        finally:
            self._release_load_lock()

    def _advisory(self, function: Literal["pg_try_advisory_lock", "pg_advisory_unlock"]) -> bool:
        with self.pg.cursor() as cur:
            cur.execute(f"SELECT {function}(%s)", (LOAD_LOCK_KEY,))
            row = cur.fetchone()
        self.pg.rollback()  # a session-level advisory lock is not released by a rollback
        return bool(row and row[0])

    def _release_load_lock(self) -> None:
        import psycopg
        from psycopg.pq import TransactionStatus

        try:
            if self.pg.info.transaction_status != TransactionStatus.IDLE:
                self.pg.rollback()  # every write of a load was committed or rolled back by commit()
            self._advisory("pg_advisory_unlock")
        except psycopg.Error:
            pass  # the connection is gone, and the session's lock with it

    def role_risks(self) -> RoleRisks:
        """The connection's role: superuser, and membership of the roles that reach server files."""
        with self.pg.cursor() as cur:
            cur.execute(
                "SELECT current_user, current_database(), current_schema(), r.rolsuper, "
                "ARRAY(SELECT b.rolname::text FROM pg_roles b WHERE b.rolname = ANY(%s) "
                "AND pg_has_role(current_user, b.oid, 'MEMBER') ORDER BY 1) "
                "FROM pg_roles r WHERE r.rolname = current_user",
                (list(SERVER_FILE_ROLES),),
            )
            row = cur.fetchone()
        self.pg.rollback()
        assert row is not None
        role, database, schema, superuser, members = row
        return RoleRisks(str(role), str(database), str(schema or "public"), bool(superuser), tuple(members or ()))

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
