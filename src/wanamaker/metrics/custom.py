"""Custom metrics from ``plan.yml`` (DESIGN "The metrics layer"): an aggregate over a contract table, or a
ratio of two metrics.

``where:`` is parsed by :func:`wanamaker.ingest.expressions.parse_expression` (the same allow-list as a
mapping's expressions: one scalar expression, no subqueries, no table functions, no statements) and then
**translated node by node into an Ibis expression** over the table's columns (:func:`to_ibis`), so it is
built into the query as an expression tree and runs the same on every engine; the text never reaches
the engine. The translation covers what a filter needs: columns, literals, comparisons, ``AND`` / ``OR`` /
``NOT``, ``IN``, ``BETWEEN``, ``IS [NOT] NULL``, ``LIKE`` / ``ILIKE``, arithmetic, ``CASE``, ``COALESCE``
and the common text functions; anything else the allow-list admits is refused with the list of what a
plan metric may use.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import ibis
import ibis.expr.types as ir
from sqlglot import exp

from wanamaker.config.models import CustomMetric
from wanamaker.ingest.expressions import ExpressionError, columns_of, parse_expression
from wanamaker.metrics.catalogue import Metric, RowsFn, Source
from wanamaker.schema.contracts import TABLES

# the column that places a row of each table in a period, when a metric does not say (time:)
DEFAULT_TIME: dict[str, str] = {
    "accounts": "created_at", "people": "created_at", "identities": "linked_at", "touchpoints": "ts",
    "stage_events": "ts", "opportunities": "created_at", "revenue": "ts", "spend": "date", "campaigns": "starts",
    "work_items": "delivered_at", "approvals": "decided_at", "survey_responses": "submitted_at",
    "team_members": "active_from", "experiments": "assigned_at", "fx_rates": "date",
}  # fmt: skip

MONEY_COLUMNS = ("amount", "cost", "budget", "revenue", "expected_value")
SUPPORTED = ("columns, 'text', numbers, TRUE/FALSE/NULL, = <> < <= > >=, AND OR NOT, IN (...), BETWEEN, "
             "IS [NOT] NULL, LIKE, ILIKE, + - * /, CASE, COALESCE, lower, upper, trim, length")


class MetricDefinitionError(ValueError):
    """A custom metric that cannot be built; ``fix`` says what to write."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


def _literal(node: exp.Literal) -> ir.Value:
    if node.is_string:
        return ibis.literal(node.this, type="string")
    text = node.this
    return ibis.literal(float(text)) if any(c in text for c in ".eE") else ibis.literal(int(text))


def _coerce(value: ir.Value, other: ir.Value) -> ir.Value:
    """A string literal compared with a date or time column is read as one (``ts >= '2026-01-01'``)."""
    if isinstance(value, ir.StringScalar) and isinstance(other, ir.TimestampValue | ir.DateValue):
        raw = value.op().value
        try:
            parsed: date | datetime = datetime.fromisoformat(str(raw))
        except ValueError as exc:
            raise ExpressionError(f"'{raw}' is not a date or time",
                                  fix="Write dates as 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS'.") from exc
        if isinstance(other, ir.DateValue):
            return ibis.literal(parsed.date() if isinstance(parsed, datetime) else parsed, type="date")
        return ibis.literal(parsed, type="timestamp")
    return value


_COMPARE: dict[type[exp.Expression], Callable[[Any, Any], Any]] = {
    exp.EQ: lambda a, b: a == b, exp.NEQ: lambda a, b: a != b, exp.GT: lambda a, b: a > b,
    exp.GTE: lambda a, b: a >= b, exp.LT: lambda a, b: a < b, exp.LTE: lambda a, b: a <= b,
    exp.Add: lambda a, b: a + b, exp.Sub: lambda a, b: a - b, exp.Mul: lambda a, b: a * b,
    exp.Div: lambda a, b: a / b,
}  # fmt: skip


def to_ibis(tree: exp.Expression, table: ir.Table) -> ir.Value:
    """The Ibis expression of a checked tree over ``table``'s columns (see the module doc)."""

    def walk(node: exp.Expression) -> Any:
        if isinstance(node, exp.Paren):
            return walk(node.this)
        if isinstance(node, exp.Column):
            if node.name not in table.columns:
                raise ExpressionError(f"'{node.name}' is not a column of the table",
                                      fix=f"Use one of: {', '.join(c for c in table.columns if not c.startswith('_'))}.")
            return table[node.name]
        if isinstance(node, exp.Literal):
            return _literal(node)
        if isinstance(node, exp.Boolean):
            return ibis.literal(bool(node.this))
        if isinstance(node, exp.Null):
            return ibis.null()
        if isinstance(node, exp.Not):
            return ~walk(node.this)
        if isinstance(node, exp.Neg):
            return -walk(node.this)
        if isinstance(node, exp.And):
            return walk(node.this) & walk(node.expression)
        if isinstance(node, exp.Or):
            return walk(node.this) | walk(node.expression)
        if type(node) in _COMPARE:
            left, right = walk(node.this), walk(node.expression)
            return _COMPARE[type(node)](_coerce(left, right), _coerce(right, left))
        if isinstance(node, exp.Is):
            if not isinstance(node.expression, exp.Null):
                raise ExpressionError("IS takes NULL (IS NULL, IS NOT NULL)", fix="Use = to compare values.")
            return walk(node.this).isnull()
        if isinstance(node, exp.In):
            if node.args.get("query") or node.args.get("unnest") or node.args.get("field"):
                raise ExpressionError("IN takes a list of values", fix="Write column IN ('a', 'b').")
            left = walk(node.this)
            return left.isin([_coerce(walk(v), left) for v in node.expressions])
        if isinstance(node, exp.Between):
            v = walk(node.this)
            return v.between(_coerce(walk(node.args["low"]), v), _coerce(walk(node.args["high"]), v))
        if isinstance(node, exp.Like):
            return walk(node.this).like(walk(node.expression))
        if isinstance(node, exp.ILike):
            return walk(node.this).ilike(walk(node.expression))
        if isinstance(node, exp.Case):
            branches = [(walk(i.this), walk(i.args["true"])) for i in node.args.get("ifs", [])]
            default = node.args.get("default")
            return ibis.cases(*branches, else_=walk(default) if default is not None else None)
        if isinstance(node, exp.Coalesce):
            return ibis.coalesce(walk(node.this), *[walk(e) for e in node.expressions])
        if isinstance(node, exp.Lower):
            return walk(node.this).lower()
        if isinstance(node, exp.Upper):
            return walk(node.this).upper()
        if isinstance(node, exp.Trim):
            return walk(node.this).strip()
        if isinstance(node, exp.Length):
            return walk(node.this).length()
        raise ExpressionError(f"'{node.sql(dialect='duckdb')[:60]}' is not supported in a plan metric's where:",
                              fix=f"Use only: {SUPPORTED}.")

    return walk(tree)


def build(spec: CustomMetric, known: set[str], origin: str) -> Metric:
    """The catalogue entry of one custom metric; :class:`MetricDefinitionError` when it cannot be built
    (``known``: the ids already in the catalogue, for the ratio's parts)."""
    name = spec.name or spec.id
    if spec.is_ratio:
        assert spec.numerator is not None and spec.denominator is not None
        for part in (spec.numerator, spec.denominator):
            if part not in known:
                raise MetricDefinitionError(f"the ratio {spec.id} names '{part}', which is not a metric",
                                            "Name a built-in metric (see `wanamaker metrics`) or one defined above "
                                            "it under metrics:.")
        return Metric(spec.id, name, spec.description or f"{spec.numerator} / {spec.denominator}",
                      spec.unit or "ratio", spec.kind, spec.direction, "ratio", spec.stage,
                      numerator=spec.numerator, denominator=spec.denominator, origin=origin)
    assert spec.table is not None
    if spec.table not in TABLES:
        raise MetricDefinitionError(f"'{spec.table}' is not a contract table",
                                    f"Use one of: {', '.join(TABLES)}.")
    contract = TABLES[spec.table]
    names = contract.column_names
    time = spec.time or DEFAULT_TIME.get(spec.table)
    for what, col in (("time", time), ("column", spec.column)):
        if col is not None and col not in names:
            raise MetricDefinitionError(f"{what}: '{col}' is not a column of {spec.table}",
                                        f"Use one of: {', '.join(names)}.")
    if spec.column is not None and (spec.agg or "count") in ("sum", "mean") \
            and contract.column(spec.column).type not in ("float64", "int64", "boolean"):
        raise MetricDefinitionError(f"agg: {spec.agg} needs a number column; {spec.table}.{spec.column} is "
                                    f"{contract.column(spec.column).type}",
                                    "Sum or average a number column (amount, cost, hours ...), or use agg: count / "
                                    "count_distinct.")
    if time is None or contract.column(time).type not in ("timestamp", "date"):
        raise MetricDefinitionError(f"time: '{time}' is not a date or time column of {spec.table}",
                                    "Name the column that places a row in a period, e.g. time: created_at.")
    tree = None
    if spec.where is not None:
        try:
            tree = parse_expression(spec.where)
        except ExpressionError as exc:
            raise MetricDefinitionError(f"where: {exc}", exc.fix) from exc
        unknown = sorted(c for c in columns_of(tree) if c not in names)
        if unknown:
            raise MetricDefinitionError(f"where: reads {', '.join(unknown)}, not a column of {spec.table}",
                                        f"Use columns of {spec.table}: {', '.join(names)}.")
    agg = spec.agg or "count"
    column, table_name, where_tree, time_col = spec.column, spec.table, tree, time

    def rows(src: Source, by: str | None) -> ir.Table:
        t = src.table(table_name)
        if where_tree is not None:
            t = t.filter(to_ibis(where_tree, t).coalesce(False))
        value: ir.Value = t[column] if column is not None else ibis.literal(1.0)
        if agg in ("sum", "mean") and column is not None:
            value = t[column].cast("float64")
        out = t.mutate(ts=t[time_col].cast("timestamp"), value=value)
        return out.mutate(key=t[by]) if by is not None else out

    fn: RowsFn = rows
    keys = tuple(c.name for c in contract.columns if c.type == "string" and c.name != column)
    money = column is not None and contract.column(column).currency is False and column in MONEY_COLUMNS
    unit = spec.unit or ("currency" if agg in ("sum", "mean") and money else "count")
    if tree is not None:  # the expression is translated once now, so a mistake is found at load, not at run
        probe = ibis.table({c.name: c.type for c in contract.columns}, name=table_name)
        try:
            to_ibis(tree, probe)
        except ExpressionError as exc:
            raise MetricDefinitionError(f"where: {exc}", exc.fix) from exc
        except Exception as exc:  # an ill-typed comparison (text against a number ...)
            raise MetricDefinitionError(f"where: {exc}", "Compare columns with values of their type.") from exc
    return Metric(spec.id, name, spec.description or _describe(spec, time), unit, spec.kind, spec.direction, agg,
                  spec.stage, fn, keys=keys, origin=origin)


def _describe(spec: CustomMetric, time: str) -> str:
    what = "rows" if (spec.agg or "count") == "count" else f"{spec.agg} of {spec.column}"
    where = f" where {spec.where}" if spec.where else ""
    return f"{what} of {spec.table}{where}, by {time}."

