"""SQL that turns raw VARCHAR cells into typed contract rows, with a reason for every rejection.

Everything here renders DuckDB SQL for the staging connection; nothing reads data.
"""

from __future__ import annotations

from dataclasses import dataclass

from wanamaker.engine.tables import quote
from wanamaker.ingest.expressions import render
from wanamaker.ingest.mapping import ColumnSpec, TableMapping
from wanamaker.schema.contracts import TABLES, Column
from wanamaker.schema.currencies import ISO_4217

_TRUE = ("true", "t", "yes", "y", "1")
_FALSE = ("false", "f", "no", "n", "0")


def lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True)
class Rules:
    timezone: str
    future_limit: str  # SQL timestamp literal
    min_date: str  # SQL date literal


def utm_channel(source: str, medium: str, campaign: str, utm: tuple[tuple[str | None, str | None, str | None, str], ...]
                ) -> str:
    """The channel of a touch from its source / medium / campaign by the workspace's ``utm_rules``
    (glob patterns, case-insensitive; first match wins)."""
    whens = []
    for src, med, camp, channel in utm:
        conds = [f"lower({expr}) GLOB lower({lit(pattern)})"
                 for expr, pattern in ((source, src), (medium, med), (campaign, camp)) if pattern is not None]
        if conds:
            whens.append(f"WHEN {' AND '.join(conds)} THEN {lit(channel)}")
    return f"(CASE {' '.join(whens)} END)" if whens else "CAST(NULL AS VARCHAR)"


def candidate_select(mapping: TableMapping, columns: dict[str, str], raw: str, label: str | None,
                     value_col: str | None,
                     utm: tuple[tuple[str | None, str | None, str | None, str], ...] = ()) -> str:
    """One SELECT of candidate rows (VARCHAR cells) from raw table ``raw``.

    ``columns`` maps each source column of the file to the staging column holding it (``c1``, ``c2``
    ...: the file's own names never become staging names, so no input column can collide with the
    bookkeeping columns ``_file``, ``_line``, ``_keep``). With unpivot, ``label`` is the unpivoted
    column's label and ``value_col`` its source column.
    """
    contract = TABLES[mapping.table]
    value = columns.get(value_col) if value_col else None
    exprs = {col.name: _cell(mapping.columns.get(col.name), columns, label, value) for col in contract.columns}
    if mapping.table == "touchpoints" and utm:
        # no channel given: derive it from source / medium / campaign by the utm_rules
        derived = utm_channel(exprs["source"], exprs["medium"], exprs["campaign_id"], utm)
        exprs["channel"] = f"COALESCE({exprs['channel']}, {derived})"
    if mapping.where is not None:
        # rows the filter drops are only counted: their cells are never computed
        cells = [f"CASE WHEN _keep THEN {exprs[col.name]} END AS {quote(col.name)}" for col in contract.columns]
    else:
        cells = [f"{exprs[col.name]} AS {quote(col.name)}" for col in contract.columns]
    part = lit(label) if label is not None else "''"
    where = f" WHERE NULLIF(TRIM({quote(value)}), '') IS NOT NULL" if value else ""
    if value_col and not value:
        where = " WHERE false"
    keep = ("true" if mapping.where is None
            else f"COALESCE(CAST(({render(mapping.where, columns, label=label, value_column=value)}) AS BOOLEAN), false)")
    return (f"SELECT _file, _line, {part} AS _part, _keep, {', '.join(cells)} "
            f"FROM (SELECT *, {keep} AS _keep FROM {raw}{where})")


def _cell(spec: ColumnSpec | None, columns: dict[str, str], label: str | None, value: str | None) -> str:
    if spec is None:
        return "CAST(NULL AS VARCHAR)"
    if spec.const is not None:
        expr = lit(spec.const) if spec.const != "" else "CAST(NULL AS VARCHAR)"
    elif spec.expr is not None:
        expr = f"NULLIF(TRIM(CAST(({render(spec.expr, columns, label=label, value_column=value)}) AS VARCHAR)), '')"
    elif spec.unpivot == "label":
        expr = lit(label or "")
    elif spec.unpivot == "value":
        expr = f"NULLIF(TRIM({quote(value)}), '')" if value else "CAST(NULL AS VARCHAR)"
    elif spec.column is not None and spec.column in columns:
        expr = f"NULLIF(TRIM({quote(columns[spec.column])}), '')"
    else:
        expr = "CAST(NULL AS VARCHAR)"
    if spec.values:
        whens = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in spec.values)
        expr = f"(CASE {expr} {whens} ELSE {expr} END)"
    if spec.default is not None:
        expr = f"COALESCE({expr}, {lit(spec.default)})"
    return expr


def typed_expr(col: Column, spec: ColumnSpec | None, rules: Rules) -> str:
    """The typed value of VARCHAR column ``col`` (NULL when it cannot be read)."""
    v = quote(col.name)
    fmt = spec.format if spec else None
    tz = lit((spec.tz if spec and spec.tz else None) or rules.timezone)
    if col.type == "string":
        return f"UPPER({v})" if col.currency else v
    if col.type == "float64":
        return f"(CASE WHEN isfinite(TRY_CAST({v} AS DOUBLE)) THEN TRY_CAST({v} AS DOUBLE) END)"
    if col.type == "int64":
        return f"TRY_CAST({v} AS BIGINT)"
    if col.type == "boolean":
        t = ", ".join(lit(x) for x in _TRUE)
        f = ", ".join(lit(x) for x in _FALSE)
        return f"(CASE WHEN lower({v}) IN ({t}) THEN true WHEN lower({v}) IN ({f}) THEN false END)"
    if col.type == "date":
        if fmt:
            return f"CAST(try_strptime({v}, {lit(fmt)}) AS DATE)"
        return f"COALESCE(TRY_CAST({v} AS DATE), CAST(TRY_CAST({v} AS TIMESTAMP) AS DATE))"
    # timestamp: naive UTC
    if fmt in ("epoch_s", "epoch_ms", "epoch_us"):
        scale = {"epoch_s": "1000000", "epoch_ms": "1000", "epoch_us": "1"}[fmt]
        return f"make_timestamp(TRY_CAST(TRY_CAST({v} AS DOUBLE) * {scale} AS BIGINT))"
    if fmt:
        if "%z" in fmt or "%Z" in fmt:
            return f"timezone('UTC', try_strptime({v}, {lit(fmt)}))"
        return f"timezone('UTC', timezone({tz}, CAST(try_strptime({v}, {lit(fmt)}) AS TIMESTAMP)))"
    # an offset or Z can only follow the time part (after the 10 characters of the date)
    has_offset = (f"(strpos(substr({v}, 11), '+') > 0 OR strpos(substr({v}, 11), '-') > 0 "
                  f"OR upper(right({v}, 1)) = 'Z')")
    naive = (f"TRY_CAST({v} AS TIMESTAMP)" if tz == "'UTC'"
             else f"timezone('UTC', timezone({tz}, TRY_CAST({v} AS TIMESTAMP)))")
    return f"(CASE WHEN {has_offset} THEN timezone('UTC', TRY_CAST({v} AS TIMESTAMPTZ)) ELSE {naive} END)"


_BAD_TYPE = {
    "timestamp": ("bad_timestamp", "is not a date-time (write ISO 8601 such as 2026-03-01 14:30, or set `format` in the mapping)"),
    "date": ("bad_date", "is not a date (write YYYY-MM-DD, or set `format` in the mapping)"),
    "float64": ("bad_number", "is not a number (use digits with a dot for decimals, no currency symbol)"),
    "int64": ("bad_integer", "is not a whole number"),
    "boolean": ("bad_boolean", "is not true or false"),
}


def checks(mapping: TableMapping, rules: Rules) -> list[tuple[str, str, str]]:
    """(condition over VARCHAR cells and typed ``__t_<col>`` values, code, message SQL), in order."""
    contract = TABLES[mapping.table]
    out: list[tuple[str, str, str]] = []
    for col in contract.columns:
        v, t = quote(col.name), quote(f"__t_{col.name}")
        name = col.name
        if col.type == "string":
            # PostgreSQL cannot store a NUL byte, and a control byte in an id makes two ids look alike
            identifying = name in contract.key or col.references is not None or name.endswith("_id")
            cond = (f"regexp_matches({v}, '[\\x00-\\x1f\\x7f]')" if identifying else f"strpos({v}, chr(0)) > 0")
            kind = "a control character (a byte below 0x20, or 0x7f)" if identifying else "a NUL byte"
            out.append((cond, "control_character",
                        f"{lit(name + ' contains ' + kind + ': ')} || {lit(chr(39))} || "
                        f"regexp_replace({v}, '[\\x00-\\x1f\\x7f]', '?', 'g') || {lit(chr(39))}"))
        if col.required and not (contract.derived_key and name in contract.key and name not in mapping.columns):
            out.append((f"{v} IS NULL", "missing_value", lit(f"{name} is empty; it is required")))
        if col.type != "string":
            code, text = _BAD_TYPE[col.type]
            out.append((f"{v} IS NOT NULL AND {t} IS NULL", code, f"{lit(name + ' ')} || {lit(chr(39))} || {v} || {lit(chr(39) + ' ' + text)}"))
        if col.allowed:
            allowed = ", ".join(lit(a) for a in col.allowed)
            out.append((f"{t} IS NOT NULL AND {t} NOT IN ({allowed})", "bad_value",
                        f"{lit(name + ' ')} || {lit(chr(39))} || {v} || {lit(chr(39) + ' is not one of ' + ', '.join(col.allowed))}"))
        if col.min_value is not None:
            code = "negative_amount" if col.type == "float64" and col.min_value == 0 else "out_of_range"
            out.append((f"{t} < {col.min_value}", code,
                        f"{lit(name + ' ')} || {v} || {lit(f' is below {col.min_value:g}')}"))
        if col.currency:
            codes = ", ".join(lit(c) for c in sorted(ISO_4217))
            out.append((f"{t} IS NOT NULL AND {t} NOT IN ({codes})", "unknown_currency",
                        f"{lit(name + ' ')} || {lit(chr(39))} || {v} || {lit(chr(39) + ' is not an ISO-4217 currency code')}"))
        if col.type in ("timestamp", "date"):
            cast = "TIMESTAMP" if col.type == "timestamp" else "DATE"
            if not col.planned:  # a due date or a campaign's end may lie ahead
                out.append((f"{t} > CAST({rules.future_limit} AS {cast})", "future_timestamp",
                            f"{lit(name + ' ')} || CAST({t} AS VARCHAR) || {lit(' is in the future (beyond ingest.future_tolerance)')}"))
            out.append((f"{t} < CAST({rules.min_date} AS {cast})", "ancient_timestamp",
                        f"{lit(name + ' ')} || CAST({t} AS VARCHAR) || {lit(' is before ingest.min_date')}"))
    for group in contract.one_of:
        cond = " AND ".join(f"{quote(c)} IS NULL" for c in group)
        out.append((cond, "missing_subject", lit(f"none of {', '.join(group)} is given; one is required")))
    return out


def typed_select(mapping: TableMapping, rules: Rules, source: str) -> str:
    """Typed values ``__t_<col>`` beside the VARCHAR cells, and ``_code`` / ``_reason``."""
    contract = TABLES[mapping.table]
    typed = ", ".join(
        f"{typed_expr(c, mapping.columns.get(c.name), rules)} AS {quote('__t_' + c.name)}" for c in contract.columns
    )
    inner = f"SELECT *, {typed} FROM {source}"
    rules_list = checks(mapping, rules)
    if not rules_list:
        return f"SELECT *, CAST(NULL AS VARCHAR) AS _code, CAST(NULL AS VARCHAR) AS _reason FROM ({inner})"
    code = " ".join(f"WHEN {c} THEN {lit(k)}" for c, k, _ in rules_list)
    reason = " ".join(f"WHEN {c} THEN {m}" for c, _, m in rules_list)
    return f"SELECT *, CASE {code} END AS _code, CASE {reason} END AS _reason FROM ({inner})"


def row_hash_expr(table: str, prefix: str = "") -> str:
    cols = TABLES[table].column_names
    parts = ", ".join(f"COALESCE(CAST({quote(prefix + c)} AS VARCHAR), chr(0))" for c in cols)
    return f"md5(concat_ws(chr(31), {parts}))"


def derived_key_expr(table: str) -> str:
    """The key of a row whose export has none (DESIGN "Table contracts"): a hash of its contract columns plus,
    from the second identical line of the same file on, its occurrence number (``-2``, ``-3`` ...), so two
    identical purchases on one day are two rows, while reloading the file (or an export that overlaps it)
    finds the same keys and so the duplicates. Needs ``_file`` and ``_line`` (and ``_part``) in scope."""
    contract = TABLES[table]
    others = [c for c in contract.column_names if c not in contract.key]
    parts = ", ".join(f"COALESCE(CAST({quote('__t_' + c)} AS VARCHAR), chr(0))" for c in others)
    digest = f"substr(md5(concat_ws(chr(31), {parts})), 1, 24)"
    nth = f"row_number() OVER (PARTITION BY _file, {digest} ORDER BY _line, _part)"
    return f"'t' || {digest} || CASE WHEN {nth} > 1 THEN '-' || CAST({nth} AS VARCHAR) ELSE '' END"


def key_text_expr(table: str, prefix: str = "") -> str:
    keys = TABLES[table].key
    return " || '|' || ".join(f"COALESCE(CAST({quote(prefix + k)} AS VARCHAR), '')" for k in keys)
