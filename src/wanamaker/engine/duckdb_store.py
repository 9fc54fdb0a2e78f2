"""DuckDB: the embedded default. Two connections: the workspace and a staging database; a load is one
transaction on the workspace.

The **workspace connection** (the database file) is tuned at open and then locked down: external
access off (no file, network or extension access from SQL) and the configuration locked, so nothing
run on it later (an analysis, ``wanamaker sql``, ``Workspace.sql``) can read a host file or turn that
back on. Input files are read and validated in a separate **in-memory staging** database, the only
connection that touches the file system; the target's rows reach staging, and clean rows reach the
workspace, through Arrow.

A load's transaction is guarded by a *pending-load marker*, a small file beside the database
(``wanamaker.duckdb.pending-load``) that names the load and how many rows it inserts into each
table. It is written before the load's first write and removed once ``COMMIT`` has returned.
DuckDB can replay part of a transaction that a SIGKILL cut off inside its commit (the large,
optimistically written inserts come back without the rest), so the next open of a database with
a marker left behind counts the load's rows: all there with its ``_loads`` row means the load
committed; anything else means every row carrying the load's id is removed, which restores the
state before the load. Every row a load writes carries its id (``_load_id``, or ``load_id`` in the
bookkeeping tables), so nothing else is touched.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import duckdb
import pyarrow as pa

from wanamaker.engine.base import CommitPlan, Store, is_locked, key_match, lock_down, select_list, tune_duckdb
from wanamaker.engine.faults import duckdb_open_error, raise_fault
from wanamaker.engine.tables import SYSTEM_TABLES, all_tables, create_sql, key_of, quote
from wanamaker.errors import EngineError

PENDING_SUFFIX = ".pending-load"
# loads this process is committing right now: another store on the same file must not undo them
_COMMITTING: set[str] = set()


class DuckDBStore(Store):
    engine: Literal["duckdb"] = "duckdb"

    def __init__(self, path: Path, *, read_only: bool = False, memory_limit: str | None = None) -> None:
        self.path = path
        # settle a load cut off inside its commit before anyone reads (see the module docstring)
        if pending_marker(path).exists():
            settle_pending_load(path)
        try:
            self.con: duckdb.DuckDBPyConnection = duckdb.connect(str(path.absolute()), read_only=read_only)
        except duckdb.Error as exc:
            raise duckdb_open_error(path, exc) from exc
        self.memory_limit = memory_limit
        # another store of this process may have the same database open: DuckDB shares one instance
        # per file, which that store has tuned and locked already
        if not is_locked(self.con):
            tune_duckdb(self.con, memory_limit)
            lock_down(self.con)
        self._ibis = _ibis_backend(self.con)
        self._staging: duckdb.DuckDBPyConnection | None = None

    def staging(self) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB for reading and validating files, separate from the workspace."""
        if self._staging is None:
            self._staging = duckdb.connect()
            tune_duckdb(self._staging, self.memory_limit)
        return self._staging

    def ensure_tables(self) -> None:
        try:
            for table in all_tables():
                self.con.execute(create_sql(table, "duckdb"))
        except duckdb.Error as exc:
            raise_fault(exc, self.path)
            raise

    def expose(self, table: str, as_name: str, columns: list[str] | None = None) -> None:
        """Copy the target's rows of ``table`` (only ``columns``) into a staging TEMP table, through Arrow."""
        cols = ", ".join(quote(c) for c in columns) if columns else "*"
        reader = self.con.execute(f"SELECT {cols} FROM main.{quote(table)}").fetch_record_batch()
        staging = self.staging()
        staging.register("_wm_exposed", reader)
        try:
            staging.execute(f"CREATE OR REPLACE TEMP TABLE {quote(as_name)} AS SELECT * FROM _wm_exposed")
        finally:
            staging.unregister("_wm_exposed")

    def commit(self, plan: CommitPlan) -> None:
        con, staging = self.con, self.staging()
        if plan.load_id:
            rows: dict[str, int] = {}  # per table, the rows it gets that carry this load's id
            for write in plan.writes:
                if write.insert_from:
                    n = staging.execute(f"SELECT count(*) FROM {quote(write.insert_from)} "
                                        f"WHERE {quote(_id_column(write.table))} = ?", [plan.load_id]).fetchone()
                    rows[write.table] = rows.get(write.table, 0) + (int(n[0]) if n else 0)
            try:
                _write_marker(pending_marker(self.path), {"load_id": plan.load_id, "rows": rows})
            except OSError as exc:
                raise_fault(exc, pending_marker(self.path))
                raise
            _COMMITTING.add(plan.load_id)
        try:
            with _transaction(con):
                for write in plan.writes:
                    target = f"main.{quote(write.table)}"
                    if write.delete_from:
                        keys = ", ".join(quote(k) for k in key_of(write.table))
                        with _from_staging(staging, con, f"SELECT DISTINCT {keys} FROM {quote(write.delete_from)}",
                                           "_wm_delete") as name:
                            con.execute(f"DELETE FROM {target} AS t USING {name} AS d "
                                        f"WHERE {key_match(write.table, 't', 'd')}")
                    if write.insert_from:
                        cols = select_list(write.table)
                        with _from_staging(staging, con, f"SELECT {cols} FROM {quote(write.insert_from)}",
                                           "_wm_insert") as name:
                            con.execute(f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {name}")
        except (duckdb.Error, OSError, MemoryError) as exc:
            raise_fault(exc, self.path)
            raise
        finally:  # committed or rolled back: the marker has done its work
            self._drop_marker(plan)

    def _drop_marker(self, plan: CommitPlan) -> None:
        if plan.load_id:
            pending_marker(self.path).unlink(missing_ok=True)
            _COMMITTING.discard(plan.load_id)

    def ibis(self) -> Any:
        return self._ibis

    def list_tables(self) -> list[str]:
        return _tables(self.con)

    def write_result(self, name: str, data: pa.Table, mode: Literal["append", "replace"]) -> None:
        con = self.con
        con.register("_wm_result", data)
        try:
            with _transaction(con):
                exists = name in self.list_tables()
                if mode == "replace" or not exists:
                    con.execute(f"CREATE OR REPLACE TABLE main.{quote(name)} AS SELECT * FROM _wm_result")
                else:
                    con.execute(f"INSERT INTO main.{quote(name)} BY NAME SELECT * FROM _wm_result")
        finally:
            con.unregister("_wm_result")

    def query_arrow(self, sql: str) -> pa.Table:
        return self.con.execute(sql).fetch_arrow_table()

    def close(self) -> None:
        if self._staging is not None:
            self._staging.close()
            self._staging = None
        self._ibis.disconnect()


def _ibis_backend(con: duckdb.DuckDBPyConnection) -> Any:
    """An ibis backend over ``con`` as it is. ibis's own constructors set the time zone on the connection,
    which a locked configuration refuses; :func:`tune_duckdb` has set everything they would."""
    from ibis.backends.duckdb import Backend

    backend = Backend()
    backend.con = con
    backend._can_reconnect = False
    backend._record_batch_readers_consumed = {}
    return backend


@contextmanager
def _from_staging(staging: duckdb.DuckDBPyConnection, con: duckdb.DuckDBPyConnection, query: str,
                  name: str) -> Iterator[str]:
    """The rows of ``query`` in staging, readable on the workspace connection as ``name`` (streamed as Arrow)."""
    con.register(name, staging.execute(query).fetch_record_batch())
    try:
        yield name
    finally:
        con.unregister(name)


@contextmanager
def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One transaction: committed when the block ends, rolled back when it raises."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        _rollback(con)
        raise


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
        "AND table_catalog = current_database() ORDER BY table_name"
    ).fetchall()
    return [r[0] for r in rows]


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back if a transaction is still open (DuckDB ends it by itself after some errors)."""
    try:
        con.execute("ROLLBACK")
    except duckdb.TransactionException:
        pass


def _id_column(table: str) -> str:
    """The column holding the id of the load that wrote a row."""
    return "load_id" if table in SYSTEM_TABLES else "_load_id"


def pending_marker(path: Path) -> Path:
    return path.with_name(path.name + PENDING_SUFFIX)


def settle_pending_load(path: Path) -> str | None:
    """Finish what a load cut off inside its commit left behind; say what was done, if anything.

    The load committed when its ``_loads`` row and exactly the rows it meant to insert are all
    there. Otherwise every row carrying its id goes (its ``_loads`` row too), which restores the
    state before the load.
    """
    marker = pending_marker(path)
    try:
        pending = json.loads(marker.read_text(encoding="utf-8"))
        load_id = str(pending["load_id"])
        expected = {str(t): int(n) for t, n in pending["rows"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise EngineError(
            f"cannot read {marker}: {exc}",
            fix="The file marks a load that was interrupted while committing. Move it aside, check the last "
            "loads with `wanamaker sql \"SELECT * FROM _loads ORDER BY started_at DESC\"`, and load the "
            "interrupted load's files again.",
        ) from exc
    if load_id in _COMMITTING:  # this process is committing it right now
        return None
    try:
        con = duckdb.connect(str(path))
    except duckdb.Error as exc:
        raise duckdb_open_error(path, exc) from exc
    try:
        tables = set(_tables(con))
        column = {t: _id_column(t) for t in all_tables() if t in tables}

        def count(table: str) -> int:
            row = con.execute(f"SELECT count(*) FROM main.{quote(table)} WHERE {quote(column[table])} = ?",
                              [load_id]).fetchone()
            return int(row[0]) if row else 0

        whole = all(t in column and count(t) == n for t, n in expected.items())
        message = None
        if not whole:
            with _transaction(con):
                removed = {t: count(t) for t in column}
                for table in column:
                    con.execute(f"DELETE FROM main.{quote(table)} WHERE {quote(column[table])} = ?", [load_id])
                if "_quarantine" in column:  # a retry's marks on the rows it resolved
                    con.execute("UPDATE main._quarantine SET resolved_by = NULL WHERE resolved_by = ?", [load_id])
            con.execute("CHECKPOINT")
            parts = ", ".join(f"{n:,} from {t}" for t, n in removed.items() if n)
            kept = f"removed the rows it had partly written ({parts})" if parts else "none of its rows were kept"
            message = (f"load {load_id} was cut off while committing; {kept}, so the workspace is as it was "
                       "before that load. Load its files again.")
            sys.stderr.write(f"wanamaker: {message}\n")
    finally:
        con.close()
    marker.unlink()
    return message


def _write_marker(path: Path, content: dict[str, Any]) -> None:
    """Write the pending-load marker durably: a whole file (written aside, then renamed) on disk."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(content, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
