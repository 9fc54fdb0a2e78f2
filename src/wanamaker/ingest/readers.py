"""Readers: CSV (delimiter, quoting and encoding detected), Parquet, JSON lines, and their gzip forms.

A file is first *prepared* in Python (:mod:`wanamaker.ingest.prepare`: hash, gzip integrity, encoding,
over-long lines), then read by the staging DuckDB into a TEMP table of VARCHAR columns named by
position (``c1``, ``c2``, ...; the file's own names are kept beside, in :attr:`RawRead.columns`, so no
input column can collide with the bookkeeping columns) plus ``_file`` and ``_line``. Lines DuckDB cannot
parse (ragged rows, broken quoting, invalid UTF-8, over-long lines) are kept with their raw text, a
reason code and the error, never dropped.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field

import duckdb

from wanamaker.engine.faults import raise_fault
from wanamaker.engine.tables import quote
from wanamaker.errors import InputFileError
from wanamaker.ingest.prepare import RAW_LIMIT, PreparedFile, file_kind, prepare, sniff_line

__all__ = ["PreparedFile", "RawRead", "file_kind", "prepare", "read_raw", "sniff_header", "sniff_line"]

# DuckDB's CSV error types -> quarantine reason codes
_REJECT_CODES = {"INVALID ENCODING": "bad_encoding", "INVALID UNICODE": "bad_encoding",
                 "LINE SIZE OVER MAXIMUM": "line_too_long"}


@dataclass
class RawRead:
    headers: list[str]
    rows: int
    rejects: list[tuple[int, str, str, str]] = field(default_factory=list)  # (line, raw text, error, reason code)
    columns: dict[str, str] = field(default_factory=dict)  # source column name -> staging column (c1, c2, ...)


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def staging_names(headers: list[str]) -> dict[str, str]:
    """Each source column's staging column, by position: ``{"Email": "c1", ...}``."""
    return {h: f"c{i + 1}" for i, h in enumerate(headers)}


def read_raw(con: duckdb.DuckDBPyConnection, prepared: PreparedFile, table: str, file_index: int) -> RawRead:
    """Read ``prepared`` into TEMP table ``table``: VARCHAR columns ``c1``..``cN``, ``_file`` (index) and ``_line``."""
    src = _sql_str(str(prepared.read_path))
    reject_table, reject_scan = f"{table}_rej", f"{table}_rejscan"
    con.execute(f"DROP TABLE IF EXISTS {reject_table}")
    con.execute(f"DROP TABLE IF EXISTS {reject_scan}")
    try:
        if prepared.kind == "csv":
            delimiter, headers = sniff_header(prepared)
            columns = staging_names(headers)
            spec = ", ".join(f"{_sql_str(c)}: 'VARCHAR'" for c in columns.values())
            reader = (
                f"read_csv({src}, header=true, auto_detect=false, columns={{{spec}}}, quote='\"', escape='\"', "
                f"delim={_sql_str(delimiter)}, "
                f"store_rejects=true, rejects_table='{reject_table}', rejects_scan='{reject_scan}', "
                f"null_padding=false, compression='{'gzip' if prepared.compressed else 'none'}', "
                f"strict_mode=true, sample_size=20480)"
            )
            select = "r.*"
        else:
            reader = (f"read_json({src}, format='newline_delimited', records=true, sample_size=-1)"
                      if prepared.kind == "json" else f"read_parquet({src})")
            described = con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()
            headers = [str(d[0]) for d in described]
            columns = staging_names(headers)
            # non-text values (JSON numbers, Parquet types) become VARCHAR for uniform validation;
            # JSON-typed values lose their quotes
            select = ", ".join(
                (f"(r.{quote(h)} ->> '$')" if str(t).upper() == "JSON" else f"CAST(r.{quote(h)} AS VARCHAR)")
                + f" AS {quote(columns[h])}"
                for h, t in ((str(d[0]), d[1]) for d in described)
            ) or "NULL AS _none"
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT {select}, CAST({file_index} AS INTEGER) AS _file, "
            f"row_number() OVER () AS _line FROM {reader} r"
        )
        if select == "NULL AS _none":
            con.execute(f"ALTER TABLE {table} DROP COLUMN _none")
    except duckdb.Error as exc:
        raise_fault(exc)  # out of memory, disk full ...: the machine's, not the file's
        first = str(exc).strip().splitlines()[0]
        raise InputFileError(
            f"{prepared.display} cannot be read as {prepared.kind.upper()}: {first}",
            fix="Check that the file is a complete export in CSV, Parquet or JSON-lines form.",
            code="file_unreadable",
        ) from exc
    rejects: list[tuple[int, str, str, str]] = []
    if prepared.kind == "csv":
        rejects = [
            (int(line), str(text or "")[:RAW_LIMIT], str(msg or kind), _REJECT_CODES.get(str(kind), "malformed_row"))
            for line, text, kind, msg in con.execute(
                f"SELECT line, any_value(csv_line), any_value(error_type), any_value(error_message) "
                f"FROM {reject_table} GROUP BY line ORDER BY line"
            ).fetchall()
        ]
        if rejects:
            _renumber(con, table, [r[0] for r in rejects])
        con.execute(f"UPDATE {table} SET _line = _line + 1")  # the header is line 1
    if prepared.cuts:
        rejects = sorted(rejects + _take_cuts(con, prepared, table, columns))
        headers = [h for h in headers if h in columns]
    rows = int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]
    return RawRead(headers=headers, rows=rows, rejects=rejects, columns=columns)


def _take_cuts(con: duckdb.DuckDBPyConnection, prepared: PreparedFile, table: str, columns: dict[str, str]
               ) -> list[tuple[int, str, str, str]]:
    """Swap the placeholder rows of lines cut out in preparation for reject records at the rows' lines."""
    token = prepared.placeholder
    if prepared.kind == "csv":
        cond = f"{quote(next(iter(columns.values())))} = {_sql_str(token)}"
    else:
        cond = f"{quote(columns[token])} IS NOT NULL"
    lines = [int(r[0]) for r in con.execute(f"SELECT _line FROM {table} WHERE {cond} ORDER BY _line").fetchall()]
    if len(lines) != len(prepared.cuts):
        raise InputFileError(
            f"{prepared.display}: {len(prepared.cuts)} over-long or undecodable line(s) were cut out, but "
            f"{len(lines)} placeholder row(s) came back.",
            fix="Check the file's quoting around those lines (a quote left open swallows the next lines).",
            code="file_unreadable",
        )
    con.execute(f"DELETE FROM {table} WHERE {cond}")
    if prepared.kind == "json":
        con.execute(f"ALTER TABLE {table} DROP COLUMN {quote(columns.pop(token))}")
    return [(line, cut.text, cut.message, cut.code) for line, cut in zip(lines, prepared.cuts, strict=True)]


def sniff_header(prepared: PreparedFile) -> tuple[str, list[str]]:
    """:func:`sniff_line` of the file's first line."""
    opener = gzip.open if prepared.compressed else open
    with opener(prepared.read_path, "rb") as fh:
        first = fh.readline(1 << 20).decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r\n")
    return sniff_line(first)


def _renumber(con: duckdb.DuckDBPyConnection, table: str, reject_lines: list[int]) -> None:
    """Give parsed rows their physical line when unparseable lines sit between them.

    A reject at physical line r with j rejects before it has r - 2 - j parsed rows before it, so
    parsed row k (1-based) lies after it when k > r - 2 - j; its line is k + 1 + that count.
    """
    thresholds = ", ".join(f"({r - 2 - j})" for j, r in enumerate(reject_lines))
    con.execute(
        f"UPDATE {table} SET _line = _line + (SELECT count(*) FROM (VALUES {thresholds}) v(t) "
        f"WHERE {table}._line > v.t)"
    )
