"""Spark: a warehouse of versioned Parquet folders named by one ``_manifest.json``.

Loads validate in an in-memory DuckDB, write each changed table as a new version folder
(``touchpoints/v000042/``) and then replace the manifest atomically with ``os.replace``: a crash
leaves the previous manifest, so readers see the old tables whole (DESIGN "Spark storage").
Loads start no JVM; the Spark session is started only for analyses (:meth:`SparkStore.ibis`).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import duckdb
import pyarrow as pa

from wanamaker.engine.base import CommitPlan, Store, key_match, lock_down, lock_timeout, select_list, tune_duckdb
from wanamaker.engine.tables import all_tables, columns_of, quote, sql_type
from wanamaker.errors import EngineError

MANIFEST = "_manifest.json"
_SESSION: Any = None


def spark_session(master: str = "local[2]") -> Any:
    """One Spark session per process (it takes ~10 s to start)."""
    global _SESSION
    if _SESSION is None:
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        os.environ.setdefault("PYSPARK_PYTHON", __import__("sys").executable)
        from pyspark.sql import SparkSession

        _SESSION = (
            SparkSession.builder.master(master)
            .appName("wanamaker")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.memory", "2g")
            .config("spark.sql.parquet.inferTimestampNTZ.enabled", "true")
            .config("spark.sql.timestampType", "TIMESTAMP_NTZ")
            .getOrCreate()
        )
        _SESSION.sparkContext.setLogLevel("ERROR")
    return _SESSION


class SparkStore(Store):
    engine: Literal["spark"] = "spark"

    def __init__(self, warehouse: Path, master: str = "local[2]", memory_limit: str | None = None) -> None:
        self.warehouse = warehouse
        self.master = master
        self.memory_limit = memory_limit
        self._duck = duckdb.connect()
        tune_duckdb(self._duck, memory_limit)
        self._reader: duckdb.DuckDBPyConnection | None = None
        self._ibis_backend: Any = None
        self._registered: dict[str, str] = {}

    # ---------------------------------------------------------------- locks
    @contextmanager
    def _flock(self, name: str, what: str) -> Iterator[None]:
        """An exclusive lock on ``warehouse/name`` (released by the kernel if the process dies)."""
        self.warehouse.mkdir(parents=True, exist_ok=True)
        with open(self.warehouse / name, "a+") as fh:
            deadline = time.monotonic() + lock_timeout()
            told = False
            while True:
                try:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise EngineError(
                            f"another process has held {what} of {self.warehouse} for too long.",
                            fix="Wait for the other wanamaker command to finish (or raise WANAMAKER_LOCK_TIMEOUT, "
                                "in seconds), then run the command again.",
                            code="database_locked",
                        ) from None
                    if not told:
                        sys.stderr.write(f"wanamaker: waiting for another process holding {what}...\n")
                        told = True
                    time.sleep(0.2)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    @contextmanager
    def load_lock(self) -> Iterator[None]:
        """Loads of one warehouse run one after the other (a lock file beside the manifest), so the second
        validates against the first's rows; the manifest itself is replaced under a lock of its own."""
        with self._flock(".load.lock", "the load lock"):
            yield

    # ---------------------------------------------------------------- manifest
    def manifest(self) -> dict[str, Any]:
        path = self.warehouse / MANIFEST
        if not path.exists():
            return {"version": 0, "tables": {}}
        data: dict[str, Any] = json.loads(path.read_text())
        return data

    def _files(self, table: str) -> str:
        folder = self.manifest()["tables"][table]
        return str(self.warehouse / folder / "*.parquet")

    def _write_manifest(self, tables: dict[str, str]) -> None:
        """Switch ``tables`` to their new folders in one atomic replace; read-modify-write under a lock, so
        two writers (a load and an analysis writing its result) never lose each other's tables."""
        with self._flock(".manifest.lock", "the manifest"):
            current = self.manifest()
            live: dict[str, str] = {**current["tables"], **tables}
            new = {"version": int(current["version"]) + 1, "tables": live}
            tmp = self.warehouse / f".{MANIFEST}.{uuid.uuid4().hex}"
            with open(tmp, "w") as fh:
                json.dump(new, fh, indent=1, sort_keys=True)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.warehouse / MANIFEST)
            self._collect_garbage(live)

    def _collect_garbage(self, live: dict[str, str]) -> None:
        """Keep the live version of each table and the one before it; remove older ones."""
        for table, folder in live.items():
            root = self.warehouse / table
            versions = sorted(p.name for p in root.glob("v*") if p.is_dir())
            keep = {Path(folder).name}
            older = [v for v in versions if v < Path(folder).name]
            if older:
                keep.add(older[-1])
            for version in versions:
                if version not in keep and version < Path(folder).name:
                    shutil.rmtree(root / version, ignore_errors=True)

    def _new_folder(self, table: str) -> Path:
        root = self.warehouse / table
        root.mkdir(parents=True, exist_ok=True)
        versions = sorted(int(p.name[1:]) for p in root.glob("v*") if p.is_dir() and p.name[1:].isdigit())
        folder = root / f"v{(versions[-1] + 1) if versions else 0:06d}"
        folder.mkdir()
        return folder

    # ---------------------------------------------------------------- Store
    def staging(self) -> duckdb.DuckDBPyConnection:
        return self._duck

    def ensure_tables(self) -> None:
        self.warehouse.mkdir(parents=True, exist_ok=True)
        have = self.manifest()["tables"]
        fresh: dict[str, str] = {}
        for table in all_tables():
            if table in have:
                continue
            folder = self._new_folder(table)
            cols = ", ".join(
                f"CAST(NULL AS {sql_type(t, 'duckdb')}) AS {quote(c)}" for c, t in columns_of(table)
            )
            self._duck.execute(f"COPY (SELECT {cols} LIMIT 0) TO '{folder / 'part-00000.parquet'}' (FORMAT parquet)")
            fresh[table] = str(folder.relative_to(self.warehouse))
        if fresh:
            self._write_manifest(fresh)

    def expose(self, table: str, as_name: str, columns: list[str] | None = None) -> None:
        cols = ", ".join(quote(c) for c in columns) if columns else "*"
        self._duck.execute(
            f"CREATE OR REPLACE TEMP VIEW {quote(as_name)} AS SELECT {cols} FROM read_parquet('{self._files(table)}')"
        )

    def commit(self, plan: CommitPlan) -> None:
        folders: dict[str, str] = {}
        written: list[Path] = []
        try:
            for write in plan.writes:
                table = write.table
                current = folders.get(table)
                source = str(self.warehouse / current / "*.parquet") if current else self._files(table)
                folder = self._new_folder(table)
                written.append(folder)
                cols = select_list(table)
                if write.delete_from:
                    keep = (
                        f"SELECT {cols} FROM read_parquet('{source}') AS t WHERE NOT EXISTS "
                        f"(SELECT 1 FROM {quote(write.delete_from)} AS d WHERE {key_match(table, 't', 'd')})"
                    )
                    parts = [keep]
                    if write.insert_from:
                        parts.append(f"SELECT {cols} FROM {quote(write.insert_from)}")
                    self._duck.execute(
                        f"COPY ({' UNION ALL '.join(parts)}) TO '{folder / 'part-00000.parquet'}' (FORMAT parquet)"
                    )
                else:
                    base = Path(source).parent
                    for index, old in enumerate(sorted(base.glob("*.parquet"))):
                        os.link(old, folder / f"part-{index:05d}.parquet")
                    if write.insert_from:
                        name = f"part-{uuid.uuid4().hex[:12]}.parquet"
                        self._duck.execute(
                            f"COPY (SELECT {cols} FROM {quote(write.insert_from)}) TO '{folder / name}' (FORMAT parquet)"
                        )
                folders[table] = str(folder.relative_to(self.warehouse))
            self._write_manifest(folders)
        except BaseException:
            for folder in written:
                shutil.rmtree(folder, ignore_errors=True)
            raise

    def ibis(self) -> Any:
        import ibis

        if self._ibis_backend is None:
            self._ibis_backend = ibis.pyspark.connect(spark_session(self.master))
        session = spark_session(self.master)
        for table, folder in self.manifest()["tables"].items():
            if self._registered.get(table) != folder:
                session.read.parquet(str(self.warehouse / folder)).createOrReplaceTempView(table)
                self._registered[table] = folder
        return self._ibis_backend

    def list_tables(self) -> list[str]:
        return sorted(self.manifest()["tables"])

    def write_result(self, name: str, data: pa.Table, mode: Literal["append", "replace"]) -> None:
        folder = self._new_folder(name)
        try:
            current = self.manifest()["tables"].get(name)
            if mode == "append" and current:
                for index, old in enumerate(sorted((self.warehouse / current).glob("*.parquet"))):
                    os.link(old, folder / f"part-{index:05d}.parquet")
            self._duck.register("_wm_result", data)
            self._duck.execute(
                f"COPY (SELECT * FROM _wm_result) TO '{folder / ('part-' + uuid.uuid4().hex[:12] + '.parquet')}' "
                "(FORMAT parquet)"
            )
            self._duck.unregister("_wm_result")
            self._write_manifest({name: str(folder.relative_to(self.warehouse))})
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise

    def query_arrow(self, sql: str) -> pa.Table:
        """Read-only SQL, answered by DuckDB over the manifest's Parquet (no JVM needed), on a connection
        that may read only the warehouse folder (external access off, configuration locked)."""
        if self._reader is None:
            self._reader = duckdb.connect()
            tune_duckdb(self._reader, self.memory_limit)
            self._reader.execute("SET allowed_directories = ?", [[str(self.warehouse.resolve()) + os.sep]])
            lock_down(self._reader)
        for table, folder in self.manifest()["tables"].items():
            files = str((self.warehouse / folder).resolve() / "*.parquet").replace("'", "''")
            self._reader.execute(f"CREATE OR REPLACE TEMP VIEW {quote(table)} AS SELECT * FROM read_parquet('{files}')")
        return self._reader.execute(sql).fetch_arrow_table()

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
        self._duck.close()
