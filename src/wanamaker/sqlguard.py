"""`wanamaker sql` is read-only on every engine: one statement, and it only reads."""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from wanamaker.errors import UsageError

_DIALECT = {"duckdb": "duckdb", "postgres": "postgres", "spark": "duckdb"}
_WRITES = (exp.Insert, exp.Update, exp.Delete, exp.Create, exp.Drop, exp.Alter, exp.Merge, exp.Command,
           exp.TruncateTable, exp.Copy, exp.Attach, exp.Set)


def ensure_read_only(query: str, engine: str) -> None:
    try:
        statements = [s for s in sqlglot.parse(query, read=_DIALECT.get(engine, "duckdb")) if s is not None]
    except sqlglot.errors.ParseError as exc:
        raise UsageError(f"the SQL does not parse: {str(exc).splitlines()[0]}", fix="Check the query's syntax.") from exc
    if len(statements) != 1:
        raise UsageError("give exactly one SQL statement.", fix="Run statements one at a time.")
    stmt = statements[0]
    if isinstance(stmt, _WRITES) or any(isinstance(node, _WRITES) for node in stmt.walk()):
        raise UsageError("`wanamaker sql` only reads; this statement would change the data.",
                         fix="Use SELECT (or WITH ... SELECT); load data with `wanamaker load`.")
