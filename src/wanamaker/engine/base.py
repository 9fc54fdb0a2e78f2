"""What every engine's store does for the rest of wanamaker.

Validation always happens in a DuckDB *staging* connection (DESIGN "Engines"); a store makes the
target's rows visible there (:meth:`Store.expose`) and applies a :class:`CommitPlan` built there
in one atomic step (:meth:`Store.commit`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import duckdb
import pyarrow as pa

from wanamaker.engine.tables import columns_of, key_of, quote


@dataclass(frozen=True)
class TableWrite:
    """Rows of staging table ``insert_from`` go into ``table``; rows whose key is in
    staging table ``delete_from`` leave it first (upsert, quarantine resolution)."""

    table: str
    insert_from: str | None = None
    delete_from: str | None = None


@dataclass
class CommitPlan:
    writes: list[TableWrite] = field(default_factory=list)
    # the load these writes belong to; every row they insert carries it (``_load_id`` or ``load_id``)
    load_id: str | None = None


class Store(ABC):
    engine: Literal["duckdb", "postgres", "spark"]

    @abstractmethod
    def staging(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection where validation runs (TEMP tables live here)."""

    @abstractmethod
    def ensure_tables(self) -> None:
        """Create every contract and bookkeeping table that does not exist yet."""

    @abstractmethod
    def expose(self, table: str, as_name: str, columns: list[str] | None = None) -> None:
        """Make the target's rows of ``table`` readable in staging as ``as_name``."""

    @abstractmethod
    def commit(self, plan: CommitPlan) -> None:
        """Apply ``plan`` atomically: every write lands, or none does."""

    @abstractmethod
    def ibis(self) -> Any:
        """The ibis backend for analyses."""

    @abstractmethod
    def list_tables(self) -> list[str]: ...

    @abstractmethod
    def write_result(self, name: str, data: pa.Table, mode: Literal["append", "replace"]) -> None:
        """Write a result table (attribution runs, ground truth...) atomically."""

    @abstractmethod
    def query_arrow(self, sql: str) -> pa.Table:
        """Run read-only SQL in the engine's own dialect."""

    @contextmanager
    def load_lock(self) -> Iterator[None]:
        """Held for the whole of a load (validation and commit), so two loads of one workspace run one
        after the other and the second sees the first's rows. DuckDB's file lock already gives this."""
        yield

    def close(self) -> None:  # noqa: B027 - optional hook
        pass


MEMORY_LIMIT = "3GB"
LOCK_TIMEOUT_SECONDS = 600.0


def lock_timeout() -> float:
    """Seconds a load waits for another one: ``WANAMAKER_LOCK_TIMEOUT``, else 10 minutes."""
    import os

    from wanamaker.errors import UsageError

    text = os.environ.get("WANAMAKER_LOCK_TIMEOUT", "").strip()
    if not text:
        return LOCK_TIMEOUT_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise UsageError(f"WANAMAKER_LOCK_TIMEOUT={text!r} is not a number of seconds.",
                         fix="Set it to how long a load may wait for another one, e.g. 600, or unset it.")
    return seconds


def tune_duckdb(con: duckdb.DuckDBPyConnection, memory_limit: str | None = None) -> None:
    """UTC everywhere, and a memory cap (``memory_limit``, else ``WANAMAKER_DUCKDB_MEMORY``, else 3 GB) so a
    large load spills to disk instead of growing without bound. Run before :func:`lock_down`."""
    import os
    import tempfile

    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    con.execute("SET python_enable_replacements = false")  # no Python variable is ever read as a table
    limit = memory_limit or os.environ.get("WANAMAKER_DUCKDB_MEMORY", MEMORY_LIMIT)
    try:
        con.execute("SET memory_limit = ?", [limit])
    except duckdb.Error as exc:
        from wanamaker.errors import ConfigError

        raise ConfigError(f"the DuckDB memory cap {limit!r} is not a size DuckDB understands.",
                          fix="Write it like 3GB or 512MB (WANAMAKER_DUCKDB_MEMORY).") from exc
    con.execute(f"SET temp_directory = '{os.path.join(tempfile.gettempdir(), 'wanamaker-spill')}'")


def lock_down(con: duckdb.DuckDBPyConnection) -> None:
    """No file, network or extension access from SQL on ``con`` from now on, and no way to turn it back
    on: DuckDB cannot re-enable external access in a running database, and the locked configuration
    refuses every later SET or PRAGMA that changes a setting (DESIGN "Security model")."""
    for setting in ("enable_external_access", "allow_community_extensions", "autoload_known_extensions",
                    "autoinstall_known_extensions"):
        con.execute(f"SET {setting} = false")
    con.execute("SET lock_configuration = true")


def is_locked(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute("SELECT current_setting('lock_configuration')").fetchone()
    return bool(row and row[0])


def key_match(table: str, left: str, right: str) -> str:
    return " AND ".join(f"{left}.{quote(k)} = {right}.{quote(k)}" for k in key_of(table))


def select_list(table: str) -> str:
    return ", ".join(quote(c) for c, _ in columns_of(table))
