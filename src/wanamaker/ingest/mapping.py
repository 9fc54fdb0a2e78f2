"""Mapping files: how the columns of an export become rows of contract tables.

Grammar (DESIGN "Ingest"): top-level keys are target tables; under each, a target column takes a
source column name, ``{const: V}``, ``{sql: EXPR}``, ``{unpivot: label|value}`` or
``{column: NAME, format: ..., tz: ..., values: {...}, default: ...}``; a table may also take
``where:`` (a filter over source columns) and ``unpivot:`` (source column -> label: one candidate row
per listed column whose cell is not empty). A top-level ``encoding:`` names the files' text encoding.
``sql:`` and ``where:`` are parsed and checked here (:mod:`wanamaker.ingest.expressions`), so a mapping
that holds anything but one allowed scalar expression is refused with its line before any file is read.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from sqlglot import exp

from wanamaker.config.issues import ConfigIssue, did_you_mean, raise_if_any
from wanamaker.config.yamlio import load_yaml
from wanamaker.errors import ConfigError, InputFileError, UsageError
from wanamaker.ingest.expressions import ExpressionError, columns_of, parse_expression
from wanamaker.schema.contracts import TABLES, contract

_SPEC_KEYS = {"column", "const", "sql", "unpivot", "format", "tz", "values", "default"}


@dataclass(frozen=True)
class ColumnSpec:
    column: str | None = None
    const: str | None = None
    sql: str | None = None
    unpivot: str | None = None  # "label" | "value"
    format: str | None = None
    tz: str | None = None
    values: tuple[tuple[str, str], ...] = ()
    default: str | None = None
    expr: exp.Expression | None = field(default=None, compare=False)  # the checked tree of ``sql``
    line: int = 0  # where it is written in the mapping file

    def sources(self) -> list[str]:
        if self.expr is not None:
            return sorted(columns_of(self.expr))
        return [self.column] if self.column else []


@dataclass(frozen=True)
class TableMapping:
    table: str
    columns: dict[str, ColumnSpec]
    where: exp.Expression | None = field(default=None, compare=False)  # the checked tree of ``where:``
    unpivot: tuple[tuple[str, str], ...] = ()
    where_line: int = 0
    path: str = ""  # the mapping file, for messages


@dataclass
class Mapping:
    tables: list[TableMapping]
    origin: str  # "table:people", "preset:hubspot-contacts", "map:/abs/path.yml"
    text: str = ""
    optional_sources: set[str] = field(default_factory=set)
    encoding: str | None = None  # the files' encoding, when the mapping names it

    @property
    def target_tables(self) -> list[str]:
        return [t.table for t in self.tables]


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def parse_mapping(path: Path, text: str | None = None, origin: str | None = None) -> Mapping:
    """Parse and check a mapping file; every problem is reported at once with its line."""
    doc = load_yaml(path, text)
    issues: list[ConfigIssue] = []

    def problem(loc: tuple[str | int, ...], code: str, message: str, fix: str = "") -> None:
        where = ".".join(str(p) for p in loc) or "(top level)"
        issues.append(ConfigIssue(code, path, doc.line_of(loc), where, message, fix))

    tables: list[TableMapping] = []
    encoding: str | None = None
    if not isinstance(doc.data, dict) or not doc.data:
        problem((), "empty_mapping", "a mapping needs at least one target table.", "Start with e.g. `people:`.")
        raise_if_any(issues, f"Mapping {path}")
    for table, body in doc.data.items():
        if table == "encoding":
            try:
                encoding = codecs.lookup(str(body)).name
            except LookupError:
                problem((table,), "unknown_encoding", f"'{body}' is not an encoding Python knows.",
                        "Write e.g. encoding: utf-8, cp1252 or latin-1.")
            continue
        if table not in TABLES:
            problem((table,), "unknown_table", f"'{table}' is not a wanamaker table.{did_you_mean(table, set(TABLES))}",
                    f"Use one of: {', '.join(TABLES)}.")
            continue
        if not isinstance(body, dict):
            problem((table,), "bad_table_mapping", "a table maps to target columns.", "Indent `column: Source` under it.")
            continue
        contract = TABLES[table]
        columns: dict[str, ColumnSpec] = {}
        where: exp.Expression | None = None
        if body.get("where") is not None:
            where = _expression(str(body["where"]), (table, "where"), problem)
        unpivot: tuple[tuple[str, str], ...] = ()
        if "unpivot" in body:
            raw = body["unpivot"]
            if not isinstance(raw, dict) or not raw:
                problem((table, "unpivot"), "bad_unpivot", "unpivot maps source columns to labels.",
                        "Write e.g. unpivot: {\"Became a Lead Date\": lead}.")
            else:
                unpivot = tuple((str(k), str(v)) for k, v in raw.items())
        for target, spec in body.items():
            if target in ("where", "unpivot"):
                continue
            if target not in contract.column_names:
                problem((table, target), "unknown_column",
                        f"'{target}' is not a column of {table}.{did_you_mean(target, set(contract.column_names))}",
                        f"Use one of: {', '.join(contract.column_names)}.")
                continue
            parsed = _parse_spec(spec, (table, target), problem)
            if parsed is None:
                continue
            if parsed.sql is not None:
                tree = _expression(parsed.sql, (table, target, "sql"), problem)
                if tree is None:
                    continue
                parsed = ColumnSpec(**{**parsed.__dict__, "expr": tree, "line": doc.line_of((table, target))})
            if parsed.unpivot and not unpivot:
                problem((table, target), "unpivot_missing", "refers to unpivot but the table has no `unpivot:`.",
                        "Add `unpivot: {Source Column: label}` to the table.")
            columns[target] = parsed
        for required in contract.required:
            if required == "channel" and table == "touchpoints" and ({"source", "medium"} & set(columns)):
                continue  # derived from source / medium by the workspace's utm_rules
            if required not in columns and not (contract.derived_key and required in contract.key):
                problem((table,), "required_unmapped", f"required column '{required}' of {table} is not mapped.",
                        f"Add `{required}: <source column>` under {table}.")
        tables.append(TableMapping(table, columns, where, unpivot, doc.line_of((table, "where")), str(path)))
    raise_if_any(issues, f"Mapping {path}")
    return Mapping(tables, origin or f"map:{path.resolve()}", doc.text, encoding=encoding)


def _expression(text: str, loc: tuple[str, ...], problem: Any) -> exp.Expression | None:
    """The checked tree of an expression, or None after reporting why it is refused."""
    try:
        return parse_expression(text)
    except ExpressionError as exc:
        problem(loc, "bad_expression", f"{exc.message}.", exc.fix)
        return None


def _parse_spec(spec: Any, loc: tuple[str, str], problem: Any) -> ColumnSpec | None:
    if isinstance(spec, (str, int, float)) and not isinstance(spec, bool):
        return ColumnSpec(column=str(spec))
    if not isinstance(spec, dict):
        problem(loc, "bad_column_spec", "expected a source column name or {column: ..., ...}.",
                "Write e.g. `person_id: Record ID`.")
        return None
    unknown = [k for k in spec if k not in _SPEC_KEYS]
    for key in unknown:
        problem((*loc, key), "unknown_key", f"'{key}' is not a column option.{did_you_mean(key, _SPEC_KEYS)}",
                f"Use one of: {', '.join(sorted(_SPEC_KEYS))}.")
    if unknown:
        return None
    sources = [k for k in ("column", "const", "sql", "unpivot") if k in spec]
    if len(sources) != 1:
        problem(loc, "bad_column_spec", "give exactly one of column, const, sql or unpivot.",
                "Keep one of them.")
        return None
    if "unpivot" in spec and spec["unpivot"] not in ("label", "value"):
        problem((*loc, "unpivot"), "bad_value", "unpivot takes `label` or `value`.", "Write unpivot: label.")
        return None
    values = spec.get("values") or {}
    if not isinstance(values, dict):
        problem((*loc, "values"), "bad_value", "values maps raw values to contract values.",
                "Write values: {Closed Won: won}.")
        return None
    return ColumnSpec(
        column=str(spec["column"]) if "column" in spec else None,
        const=None if "const" not in spec else ("" if spec["const"] is None else str(spec["const"]).lower()
                                                   if isinstance(spec["const"], bool) else str(spec["const"])),
        sql=str(spec["sql"]) if "sql" in spec else None,
        unpivot=str(spec["unpivot"]) if "unpivot" in spec else None,
        format=str(spec["format"]) if spec.get("format") else None,
        tz=str(spec["tz"]) if spec.get("tz") else None,
        values=tuple((str(k), str(v)) for k, v in values.items()),
        default=str(spec["default"]) if spec.get("default") is not None else None,
    )


def table_mapping(table: str, headers: list[str], display: str) -> TableMapping:
    """``--table T``: match headers to contract columns by name (case and punctuation ignored)."""
    contract = TABLES[table]
    by_norm = {_norm(h): h for h in headers}
    columns: dict[str, ColumnSpec] = {}
    for name in contract.column_names:
        if name in by_norm:
            columns[name] = ColumnSpec(column=by_norm[name])
    missing = [c for c in contract.required if c not in columns and not (contract.derived_key and c in contract.key)]
    if table == "touchpoints" and "channel" in missing and ("source" in columns or "medium" in columns):
        missing.remove("channel")  # derived from source / medium by the workspace's utm_rules
    if missing:
        hints = "; ".join(
            f"'{c}'{did_you_mean(c, {_norm(h) for h in headers}).replace('Did you mean', 'the file has')}"
            for c in missing
        )
        raise InputFileError(
            f"{display} has no column for required {table} column(s) {hints}.",
            fix="Rename the header to the contract name, or load with a mapping file (--map) that names it.",
            code="missing_required_column",
        )
    return TableMapping(table, columns)


def unmatched_headers(table: str, headers: list[str]) -> list[str]:
    """Headers of a ``--table`` load that match no contract column, each with its nearest name."""
    contract = TABLES[table]
    names = set(contract.column_names) | {"_load_id", "_source", "_row_hash"}
    return [
        f"'{h}'{did_you_mean(_norm(h), names)}"
        for h in headers
        if _norm(h) not in names
    ]


def check_sources(mapping: TableMapping, headers: list[str], display: str) -> list[str]:
    """Fail when a required target's source column is absent; return warnings for optional ones."""
    present = set(headers)
    warnings: list[str] = []
    missing_required: list[str] = []
    contract = TABLES[mapping.table]
    # in expressions, _label and _value stand for the unpivoted label and cell when the file has no such column
    stand_ins = {"_label", "_value"} if mapping.unpivot else set()
    if mapping.where is not None:
        missing = sorted(columns_of(mapping.where) - present - stand_ins)
        if missing:
            raise InputFileError(
                f"{display} has no column {', '.join(repr(m) for m in missing)}, which the `where:` of "
                f"{mapping.table} (mapping {mapping.path}:{mapping.where_line}) reads."
                f"{did_you_mean(missing[0], present)}",
                fix="Fix the column name in the mapping's where:, or export the file with that column.",
                code="missing_required_column",
            )
    for target, spec in mapping.columns.items():
        for source in spec.sources():
            if source in present or source in stand_ins:
                continue
            hint = did_you_mean(source, present)
            if target in contract.required:
                missing_required.append(f"'{source}' (for {mapping.table}.{target}){hint}")
            else:
                warnings.append(f"{display}: no column '{source}' for {mapping.table}.{target}; left empty.{hint}")
    for source, _label in mapping.unpivot:
        if source not in present:
            warnings.append(f"{display}: no column '{source}' to unpivot into {mapping.table}; it yields no rows."
                            f"{did_you_mean(source, present)}")
    if missing_required:
        raise InputFileError(
            f"{display} lacks column(s) {', '.join(missing_required)}.",
            fix="Export the file with that column, or fix the source column name in the mapping.",
            code="missing_required_column",
        )
    return warnings


PRESETS_PACKAGE = "wanamaker.ingest.presets"


def preset_names() -> list[str]:
    return sorted(p.name[:-4] for p in resources.files(PRESETS_PACKAGE).iterdir() if p.name.endswith(".yml"))


def load_preset(name: str) -> Mapping:
    names = preset_names()
    if name not in names:
        raise UsageError(f"'{name}' is not a preset.{did_you_mean(name, set(names))}", fix=f"Use one of: {', '.join(names)}.")
    resource = resources.files(PRESETS_PACKAGE).joinpath(f"{name}.yml")
    text = resource.read_text(encoding="utf-8")
    try:
        return parse_mapping(Path(f"preset {name}.yml"), text, origin=f"preset:{name}")
    except ConfigError as exc:  # a shipped preset must parse; this is our bug
        raise ConfigError(f"the shipped preset '{name}' is invalid: {exc.message}", fix="Report this bug.") from exc


def resolve_mapping(table: str | None, mapping: str | Path | None, preset: str | None) -> Mapping | None:
    """The mapping a command names (None for --table: headers match contract columns)."""
    chosen = [x for x in (table, mapping, preset) if x]
    if len(chosen) != 1:
        raise UsageError(
            "say how to read the files with exactly one of --table, --map or --preset.",
            fix="Add e.g. --table touchpoints, --map my-mapping.yml or --preset hubspot-contacts.",
        )
    if table:
        contract(table)
        return None
    if preset:
        return load_preset(preset)
    return parse_mapping(Path(str(mapping)))


def mapping_from_origin(origin: str) -> tuple[str | None, Mapping | None]:
    """The mapping a quarantined row came through (``table:T``, ``preset:NAME``, ``map:PATH``), for --retry."""
    kind, _, value = origin.partition(":")
    if kind == "table":
        return value, None
    if kind == "preset":
        return None, load_preset(value)
    return None, parse_mapping(Path(value))
