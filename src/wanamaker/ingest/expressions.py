"""Expressions users write (a mapping's ``sql:`` and ``where:``): parsed, checked, rebuilt — never pasted.

An expression is **one scalar expression over the source columns** (DESIGN "Ingest", "Security
model"). :func:`parse_expression` parses it with sqlglot and walks the whole tree against two
allow-lists: the kinds of node an expression may hold (columns, literals, operators, ``CASE``,
``CAST`` ...) and the functions it may call (string, regex, date and time, numeric). Anything else —
a second statement, a subquery, a table function, a file or network function, a parameter, a column
qualified by a table — is refused with a :class:`ExpressionError` that the mapping reader turns into
``file:line`` and a fix. :func:`render` then rebuilds the checked tree with every column replaced by the
staging column that holds it, so the SQL that runs is generated from the tree, and no text a user
wrote reaches the engine as text.

>>> tree = parse_expression("lower(\\"Lead Source\\") = 'web'")
>>> sorted(columns_of(tree))
['Lead Source']
>>> render(tree, {"Lead Source": "c3"})
'LOWER("c3") = \\'web\\''
>>> parse_expression("(SELECT content FROM read_text('/etc/shadow'))")
Traceback (most recent call last):
...
wanamaker.ingest.expressions.ExpressionError: a subquery is not allowed in an expression
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlglot
from sqlglot import exp

# kinds of node (sqlglot keys) that are not function calls
_NODES = frozenset({
    "column", "identifier", "literal", "boolean", "null", "paren", "neg", "not", "datatype", "datatypeparam",
    "add", "sub", "mul", "div", "intdiv", "mod", "dpipe", "eq", "neq", "nullsafeeq", "nullsafeneq", "gt", "gte",
    "lt", "lte", "and", "or", "is", "in", "between", "like", "ilike", "glob", "similarto", "case", "if",
    "interval", "var", "tuple", "escape",
})

# functions (sqlglot keys, or the name of a function sqlglot does not model)
_FUNCTIONS = frozenset({
    # text
    "lower", "upper", "trim", "substring", "left", "right", "length", "concat", "concatws", "replace", "splitpart",
    "strposition", "contains", "startswith", "endswith", "pad", "reverse", "translate", "initcap", "ascii", "chr",
    "format", "md5", "sha2", "url_decode", "url_encode", "strip_accents", "printf", "nfc_normalize",
    # regular expressions
    "regexpextract", "regexpreplace", "regexplike", "regexpfullmatch",
    # conditionals and types
    "coalesce", "nullif", "greatest", "least", "cast", "trycast", "if",
    # numbers
    "abs", "round", "floor", "ceil", "sign",
    # dates and times
    "strtotime", "timetostr", "timestamptrunc", "datetrunc", "extract", "datefromparts", "unixtotime", "datediff",
    "date", "year", "month", "day", "dayofweek", "hour", "quarter", "try_strptime", "date_part", "timezone",
    "make_timestamp", "epoch_ms",
    # JSON held in a cell
    "jsonextractscalar", "jsonpath", "jsonpathkey", "jsonpathroot", "json_extract_string",
    # the label and the value of an unpivoted candidate (DESIGN "Ingest")
    "unpivot_label", "unpivot_value",
})

_REFUSED = {
    "select": "a subquery is not allowed in an expression",
    "subquery": "a subquery is not allowed in an expression",
    "exists": "a subquery is not allowed in an expression",
    "placeholder": "a parameter (? or $1) is not allowed in an expression",
    "parameter": "a parameter is not allowed in an expression",
    "star": "* is not allowed in an expression",
}

_FIX = ("Write one expression over the file's columns, e.g. lower(\"Lead Source\") = 'web'; double-quote column names "
        "with spaces or dots; use only text, regex, date, number, CASE, COALESCE, NULLIF and CAST functions.")

MAX_LENGTH = 10_000


class ExpressionError(ValueError):
    """An expression a user wrote is not one allowed scalar expression; ``fix`` says what to write."""

    def __init__(self, message: str, fix: str = _FIX) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


def _name(node: exp.Expr) -> str:
    return node.name.lower() if isinstance(node, exp.Anonymous) else node.key


def parse_expression(text: str) -> exp.Expression:
    """The checked tree of ``text``, or :class:`ExpressionError` saying what is not allowed."""
    if not text.strip():
        raise ExpressionError("the expression is empty")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is {len(text):,} characters long (at most {MAX_LENGTH:,})")
    try:
        statements = [s for s in sqlglot.parse(text, read="duckdb") if s is not None]
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "syntax error"
        raise ExpressionError(f"the expression does not parse: {first}",
                              fix="Check the quotes and parentheses: 'text' in single quotes, \"Column Name\" in "
                                  "double quotes.") from exc
    if len(statements) != 1:
        raise ExpressionError("write one expression, not several statements (no `;`)")
    tree = statements[0]
    for node in tree.walk():
        key = node.key
        if key in _REFUSED:
            raise ExpressionError(_REFUSED[key])
        if isinstance(node, exp.Column) and (node.table or node.args.get("db") or node.args.get("catalog")):
            raise ExpressionError(f"'{node.sql(dialect='duckdb')}' names a table; an expression reads only the "
                                  "file's own columns",
                                  fix="Double-quote a column whose name holds a dot: \"utm.source\".")
        if key in _NODES:
            continue
        if isinstance(node, exp.Func):
            name = _name(node)
            if name not in _FUNCTIONS:
                shown = node.name if isinstance(node, exp.Anonymous) else node.sql_name()
                raise ExpressionError(f"the function {shown.lower()}() is not allowed in an expression")
            if name in ("unpivot_label", "unpivot_value") and node.expressions:
                raise ExpressionError(f"{name}() takes no arguments")
            continue
        raise ExpressionError(f"'{node.sql(dialect='duckdb')[:80]}' ({key}) is not allowed in an expression")
    assert isinstance(tree, exp.Expression)
    return tree


def columns_of(tree: exp.Expression) -> set[str]:
    """The source columns ``tree`` reads."""
    return {c.name for c in tree.find_all(exp.Column)}


def render(tree: exp.Expression, columns: Mapping[str, str], *, label: str | None = None,
           value_column: str | None = None) -> str:
    """DuckDB SQL for a checked ``tree``: each source column becomes its staging column (``columns``: source
    name -> staging name; a name not there reads as NULL), ``unpivot_label()`` the label and
    ``unpivot_value()`` the unpivoted cell. ``_label`` and ``_value`` stand for the last two when the file
    has no column of that name (the form older mappings use)."""

    def replace(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column):
            name = node.name
            if name in columns:
                return exp.column(columns[name], quoted=True)
            if name == "_label" and label is not None:
                return exp.Literal.string(label)
            if name == "_value" and value_column is not None:
                return exp.column(value_column, quoted=True)
            return exp.cast(exp.null(), exp.DataType.Type.VARCHAR)
        if isinstance(node, exp.Anonymous) and node.name.lower() == "unpivot_label":
            return exp.Literal.string(label) if label is not None else exp.cast(exp.null(), exp.DataType.Type.VARCHAR)
        if isinstance(node, exp.Anonymous) and node.name.lower() == "unpivot_value":
            return (exp.column(value_column, quoted=True) if value_column is not None
                    else exp.cast(exp.null(), exp.DataType.Type.VARCHAR))
        return node

    return tree.copy().transform(replace).sql(dialect="duckdb")
