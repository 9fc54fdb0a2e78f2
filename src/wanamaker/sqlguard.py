"""`wanamaker sql` and ``Workspace.sql`` only read, on every engine (DESIGN "Security model").

An allow-list checked on sqlglot's parse tree before the engine sees the text:

- exactly one statement, and it is a query: SELECT (DuckDB's ``FROM t`` too), WITH ... SELECT,
  UNION / INTERSECT / EXCEPT of queries, or VALUES; every CTE and subquery is a query too;
  no ``SELECT ... INTO`` (it writes a table) and no ``FOR UPDATE`` / ``FOR SHARE`` (it takes locks);
- FROM and JOIN read plain table or view names, CTEs, subqueries or VALUES: never a table function
  (``read_csv``, ``read_text``, ``glob``, ``range``, ``unnest``, ``duckdb_settings`` ...) and never a
  name that is a file path (DuckDB reads ``FROM 'file.csv'`` as the file);
- no function that reaches files, the server, its settings, other databases or other sessions
  (``pg_read_file``, ``pg_ls_dir``, ``lo_export``, ``dblink``, ``set_config``, ``query_to_xml`` ...).

On DuckDB (and Spark, whose SQL DuckDB answers) DuckDB's own parser must also see one statement.
This is the second wall, not the only one: the engine's is DuckDB's locked-down workspace connection
and, on PostgreSQL, a READ ONLY transaction through a cursor (one query, no data-modifying CTE) as a
non-superuser role (``docs/security.md``).
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

import sqlglot
from sqlglot import exp
from sqlglot.tokenizer_core import Token, TokenType

from wanamaker.errors import EngineError, UsageError, WanamakerError

if TYPE_CHECKING:
    import duckdb

_DIALECT = {"duckdb": "duckdb", "postgres": "postgres", "spark": "duckdb"}
CODE = "sql_refused"
_FIX = ("Write one SELECT (or WITH ... SELECT, VALUES, a UNION of SELECTs) over the workspace's tables "
        "(see `wanamaker tables`); load files with `wanamaker load`; settings belong in wanamaker.yml.")

# The first word of the one statement: what a query may start with (after any opening parentheses).
_QUERY_STARTS = frozenset({TokenType.SELECT, TokenType.WITH, TokenType.VALUES, TokenType.FROM})

# Statement nodes refused wherever they appear inside the query (a belt to the allow-list above).
_STATEMENT_NAMES = ("DML", "DDL", "Drop", "Alter", "Command", "Set", "Pragma", "Copy", "Attach", "Detach",
                    "Install", "Use", "Transaction", "Commit", "Rollback", "Describe", "Show", "Summarize",
                    "Kill", "Export", "Refresh", "Analyze", "Grant", "Revoke", "Comment", "Cache", "Uncache",
                    "TruncateTable", "LoadData", "Execute")
_STATEMENTS: tuple[type[exp.Expr], ...] = tuple(
    cls for name in _STATEMENT_NAMES if isinstance(cls := getattr(exp, name, None), type)
)

# Functions that read or write server files, large objects, settings, other databases or sessions
# (PostgreSQL), or files, extensions and the catalogue (DuckDB). Refused on every engine.
_REFUSED_FUNCTION = re.compile(
    r"""^(?:
        pg_read_.* | pg_ls_.* | pg_stat_file | pg_file_.* | pg_reload_conf | pg_rotate_logfile.*
      | pg_terminate_backend | pg_cancel_backend | pg_(?:try_)?advisory_.* | pg_sleep.* | pg_notify
      | pg_promote | pg_switch_wal | pg_create_.* | pg_drop_.* | pg_replication_.* | pg_logical_.*
      | pg_backup_.* | pg_log_backend_memory_contexts | pg_import_system_collations | pg_current_logfile
      | lo_.* | loread | lowrite | dblink.* | set_config | current_setting | setval | nextval | copy
      | (?:query|cursor|table|schema|database)_to_xml.*
      | read_.* | glob | getenv | query | query_table | duckdb_.* | pragma_.* | sqlite_.* | postgres_.*
      | mysql_.* | parquet_.* | iceberg_.* | delta_.* | checkpoint | force_checkpoint | load_extension
    )$""",
    re.VERBOSE,
)
# Characters no table name has but a file path or URL does (DuckDB's replacement scans read those).
_FILE_LIKE = re.compile(r"[/\\:.*?~\[\]{}]")


def _refuse(message: str, fix: str = _FIX) -> UsageError:
    return UsageError(f"`wanamaker sql` only reads the workspace's tables: {message}", fix=fix, code=CODE)


def ensure_read_only(query: str, engine: str) -> None:
    """Raise :class:`UsageError` unless ``query`` is one query that reads only tables, views and CTEs."""
    dialect = _DIALECT.get(engine, "duckdb")
    statement, tokens = _one_statement(query, dialect)
    try:
        tree = sqlglot.parse_one(statement, read=dialect)
    except sqlglot.errors.ParseError as exc:
        for token, after in zip(tokens, tokens[1:], strict=False):  # name a refused call sqlglot cannot parse
            if after.token_type == TokenType.L_PAREN and _REFUSED_FUNCTION.match(token.text.lower()):
                raise _refuse(f"the function {token.text.lower()}() reaches files, the server or its settings "
                              "and is refused.") from exc
        raise UsageError(f"the SQL does not parse: {str(exc).splitlines()[0]}",
                         fix="Check the query's syntax.") from exc
    _check_query(tree)
    for node in tree.walk():
        _check_node(node)
    if dialect == "duckdb":
        _duckdb_sees_one(query)


def _one_statement(query: str, dialect: str) -> tuple[str, list[Token]]:
    """The text and tokens of the one statement, which must start like a query (checked before parsing)."""
    try:
        tokens = sqlglot.tokenize(query, read=dialect)
    except sqlglot.errors.TokenError as exc:
        raise UsageError(f"the SQL does not parse: {str(exc).splitlines()[0]}",
                         fix="Check the query's quoting.") from exc
    groups: list[list[Token]] = [[]]
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            groups.append([])
        else:
            groups[-1].append(token)
    statements = [g for g in groups if g]
    if len(statements) != 1:
        raise UsageError(f"give exactly one SQL statement (this text holds {len(statements)}).",
                         fix="Run one SELECT at a time.", code=CODE)
    first = next((t for t in statements[0] if t.token_type != TokenType.L_PAREN), statements[0][0])
    if first.token_type not in _QUERY_STARTS:
        raise _refuse(f"{first.text.upper()} statements are refused; only a query may run.")
    return query[statements[0][0].start: statements[0][-1].end + 1], statements[0]


def _check_query(node: exp.Expr) -> None:
    """A statement position (the top, a CTE, a subquery, a set operation's side) holds a query."""
    if isinstance(node, exp.Subquery):
        if not isinstance(node.this, exp.Table):  # FROM (a JOIN b): the walk checks the tables
            _check_query(node.this)
    elif isinstance(node, exp.SetOperation):
        _check_query(node.this)
        _check_query(node.expression)
    elif not isinstance(node, exp.Select | exp.Values):
        raise _refuse(f"{_name(node)} is refused; only a query may run.")


def _check_node(node: exp.Expr) -> None:
    if isinstance(node, _STATEMENTS):
        raise _refuse(f"{_name(node)} inside the query is refused; only a query may run.")
    if isinstance(node, exp.CTE | exp.Subquery):
        _check_query(node.this)
    elif isinstance(node, exp.Into):
        raise _refuse("SELECT ... INTO writes a table and is refused.", fix="Drop the INTO clause.")
    elif isinstance(node, exp.Lock):
        raise _refuse("SELECT ... FOR UPDATE / FOR SHARE locks rows and is refused.",
                      fix="Drop the FOR UPDATE / FOR SHARE clause.")
    elif isinstance(node, exp.From | exp.Join):
        _check_source(node.this)
    elif isinstance(node, exp.Table):
        _check_table(node)
    elif isinstance(node, exp.Func):
        for name in _function_names(node):
            if _REFUSED_FUNCTION.match(name):
                raise _refuse(f"the function {name}() reaches files, the server or its settings and is refused.")


def _check_source(source: exp.Expr) -> None:
    """What FROM or JOIN reads: a table or view name (or CTE), a subquery, or VALUES."""
    if isinstance(source, exp.Table | exp.Subquery | exp.Values):
        return
    if isinstance(source, exp.Lateral) and isinstance(source.this, exp.Subquery):
        return
    inner = source.this if isinstance(source, exp.Lateral) and isinstance(source.this, exp.Expr) else source
    raise _refuse(f"the table function {_name(inner)} is refused.")


def _check_table(table: exp.Table) -> None:
    if not isinstance(table.this, exp.Identifier):
        raise _refuse(f"the table function {_name(table.this) if table.this else 'ROWS FROM'} is refused.")
    for part in table.parts:
        if _FILE_LIKE.search(part.name):
            raise _refuse(f"'{part.name}' names a file, not a table, and is refused.",
                          fix="Select from a table (see `wanamaker tables`); load files with `wanamaker load`.")


def _function_names(node: exp.Func) -> set[str]:
    names = {node.sql_name().lower()}
    if isinstance(node, exp.Anonymous):
        names.add(node.name.lower())
    return names


def _name(node: exp.Expr) -> str:
    """How to name a refused node: a function's name with (), a statement's keyword."""
    if isinstance(node, exp.Command):
        return str(node.this).upper()
    if isinstance(node, exp.Anonymous):
        return f"{node.name}()"
    if isinstance(node, exp.Func):
        return f"{node.sql_name().lower()}()"
    if isinstance(node, exp.TruncateTable):
        return "TRUNCATE"
    return type(node).__name__.upper()


@cache
def _checker() -> duckdb.DuckDBPyConnection:
    """An empty in-memory DuckDB, locked down, used only for its parser."""
    import duckdb

    return duckdb.connect(":memory:", config={
        "enable_external_access": False, "autoload_known_extensions": False,
        "autoinstall_known_extensions": False, "allow_community_extensions": False,
        "lock_configuration": True,
    })


def _duckdb_sees_one(query: str) -> None:
    """DuckDB's own parser must split the text into the same one statement sqlglot saw."""
    import duckdb

    try:
        count = len(_checker().extract_statements(query))
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise UsageError(f"the duckdb engine refused the query: {first}", fix="Check the query's syntax.") from exc
    if count != 1:
        raise UsageError(f"give exactly one SQL statement (DuckDB reads {count}).",
                         fix="Run one SELECT at a time.", code=CODE)


def engine_refusal(exc: Exception, engine: str, role: str | None) -> WanamakerError | None:
    """The clear error for an engine's permission refusal (a role without a grant, DuckDB's lockdown)."""
    import duckdb

    if isinstance(exc, duckdb.PermissionException):
        first = str(exc).strip().splitlines()[0]
        return _refuse(f"the {engine} engine refused to reach outside the workspace ({first}).")
    try:
        import psycopg
    except ImportError:  # pragma: no cover - the postgres extra is not installed
        return None
    if isinstance(exc, psycopg.errors.ReadOnlySqlTransaction):
        return _refuse(f"PostgreSQL refused to write ({exc.diag.message_primary}).")
    if not isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return None
    primary = exc.diag.message_primary or str(exc).strip().splitlines()[0]
    who = f"role {role}" if role else "the workspace's role"
    grantee = role or "<role>"
    found = re.match(r"permission denied for (schema|table|view|materialized view|sequence|function) (.+)", primary)
    if found and found.group(1) == "schema":
        fix = f"Ask the database owner to run: GRANT USAGE ON SCHEMA {found.group(2)} TO {grantee};"
    elif found and found.group(1) == "function":
        fix = "Select from the workspace's tables; functions that reach the server are not granted on purpose."
    elif found:
        fix = f"Ask the database owner to run: GRANT SELECT ON {found.group(2)} TO {grantee};"
    else:
        fix = f"Ask the database owner to grant {grantee} SELECT on the tables the query reads."
    what = f"{found.group(1)} {found.group(2)}" if found else "what the query reads"
    return EngineError(f"the database {who} may not read {what} ({primary}).", fix=fix, code="permission_denied")
