"""Physical layout shared by every engine: column types of contract, bookkeeping and result tables."""

from __future__ import annotations

from wanamaker.schema.contracts import BOOKKEEPING, TABLES

# engine-neutral type -> (DuckDB, PostgreSQL)
_SQL_TYPES: dict[str, tuple[str, str]] = {
    "string": ("VARCHAR", "TEXT"),
    "timestamp": ("TIMESTAMP", "TIMESTAMP"),
    "date": ("DATE", "DATE"),
    "float64": ("DOUBLE", "DOUBLE PRECISION"),
    "int64": ("BIGINT", "BIGINT"),
    "boolean": ("BOOLEAN", "BOOLEAN"),
}

# the bookkeeping tables of ingest (DESIGN "Ingest: nothing is lost")
SYSTEM_TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "_loads": (
        ("load_id", "string"),
        ("started_at", "timestamp"),
        ("finished_at", "timestamp"),
        ("status", "string"),
        ("command", "string"),
        ("files", "string"),
        ("counts", "string"),
    ),
    "_quarantine": (
        ("qid", "string"),
        ("load_id", "string"),
        ("table_name", "string"),
        ("file", "string"),
        ("file_sha", "string"),
        ("line", "int64"),
        ("part", "string"),
        ("reason_code", "string"),
        ("reason", "string"),
        ("raw", "string"),
        ("source_spec", "string"),
        ("resolved_by", "string"),
    ),
    "_duplicates": (
        ("load_id", "string"),
        ("table_name", "string"),
        ("file", "string"),
        ("line", "int64"),
        ("part", "string"),
        ("duplicate_of", "string"),
    ),
    "_skipped": (
        ("load_id", "string"),
        ("table_name", "string"),
        ("file", "string"),
        ("line", "int64"),
        ("part", "string"),
    ),
}

SYSTEM_KEYS: dict[str, tuple[str, ...]] = {
    "_loads": ("load_id",),
    "_quarantine": ("qid",),
    "_duplicates": ("load_id", "table_name", "file", "line", "part"),
    "_skipped": ("load_id", "table_name", "file", "line", "part"),
}


def columns_of(table: str) -> list[tuple[str, str]]:
    """(name, neutral type) of every stored column of a contract or system table."""
    if table in TABLES:
        cols: list[tuple[str, str]] = [(c.name, str(c.type)) for c in TABLES[table].columns]
        return cols + [(b, "string") for b in BOOKKEEPING]
    return list(SYSTEM_TABLES[table])


def key_of(table: str) -> tuple[str, ...]:
    return TABLES[table].key if table in TABLES else SYSTEM_KEYS[table]


def sql_type(neutral: str, dialect: str) -> str:
    duck, pg = _SQL_TYPES[neutral]
    return pg if dialect == "postgres" else duck


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def create_sql(table: str, dialect: str, *, name: str | None = None, if_not_exists: bool = True) -> str:
    cols = ", ".join(f"{quote(c)} {sql_type(t, dialect)}" for c, t in columns_of(table))
    guard = "IF NOT EXISTS " if if_not_exists else ""
    return f"CREATE TABLE {guard}{quote(name or table)} ({cols})"


def all_tables() -> list[str]:
    return list(TABLES) + list(SYSTEM_TABLES)
