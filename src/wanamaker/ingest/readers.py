"""Readers: CSV (delimiter, quoting and encoding detected), Parquet, JSON lines, and their gzip forms.

A file is first *prepared* in Python (one streaming pass: content hash, gzip integrity, encoding;
cp1252 / Latin-1 is transcoded to UTF-8 here because no DuckDB extension is installed at run time),
then read by DuckDB into a staging table of VARCHAR columns plus ``_line``. Lines DuckDB cannot parse
(ragged rows, broken quoting) are kept with their raw text and error, never dropped.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import os
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from wanamaker.errors import InputFileError

_CHUNK = 1 << 24
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass
class PreparedFile:
    path: Path
    display: str
    sha256: str
    kind: str  # csv | parquet | json
    read_path: Path  # what DuckDB reads (a transcoded temp copy for cp1252 input)
    encoding: str
    compressed: bool
    temp: Path | None = None

    def cleanup(self) -> None:
        if self.temp is not None and self.temp.exists():
            self.temp.unlink()


@dataclass
class RawRead:
    headers: list[str]
    rows: int
    rejects: list[tuple[int, str, str]] = field(default_factory=list)  # (line, raw text, error)


def _kind(path: Path) -> tuple[str, bool]:
    suffixes = [s.lower() for s in path.suffixes]
    compressed = bool(suffixes) and suffixes[-1] in (".gz", ".gzip")
    if compressed:
        suffixes = suffixes[:-1]
    last = suffixes[-1] if suffixes else ""
    if last in (".parquet", ".pq"):
        return "parquet", compressed
    if last in (".jsonl", ".ndjson", ".json"):
        return "json", compressed
    return "csv", compressed


def prepare(path: Path) -> PreparedFile:
    """Hash, integrity-check and (if needed) transcode ``path``; raise if it cannot be read whole."""
    display = str(path)
    if not path.exists():
        raise InputFileError(f"{display} does not exist.", fix="Check the path and the file name.", code="file_missing")
    if path.is_dir():
        raise InputFileError(f"{display} is a folder, not a file.", fix="Name the files inside it.", code="file_unreadable")
    kind, _ = _kind(path)
    with open(path, "rb") as fh:
        magic = fh.read(2)
    compressed = magic == _GZIP_MAGIC
    if os.path.getsize(path) == 0:
        raise InputFileError(
            f"{display} is empty (0 bytes): it has no header, so its columns cannot be matched.",
            fix="Export the file again; a file with no rows still needs its header line.",
            code="file_empty",
        )
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = kind == "csv" or kind == "json"
    total = 0
    try:
        with open(path, "rb") as raw:
            digest_source = raw
            stream = gzip.GzipFile(fileobj=raw) if compressed else raw
            while chunk := stream.read(_CHUNK):
                total += len(chunk)
                if utf8:
                    try:
                        decoder.decode(chunk)
                    except UnicodeDecodeError:
                        utf8 = False
            if utf8:
                decoder.decode(b"", final=True)
            digest_source.seek(0)
            while block := digest_source.read(_CHUNK):
                digest.update(block)
    except (EOFError, zlib.error, gzip.BadGzipFile, OSError) as exc:
        raise InputFileError(
            f"{display} is a damaged or truncated gzip file ({exc}).",
            fix="Download or export the file again and check it with `gzip -t`.",
            code="file_truncated",
        ) from exc
    except UnicodeDecodeError:
        utf8 = False
    if kind != "parquet" and total == 0:
        raise InputFileError(
            f"{display} is empty: it has no header, so its columns cannot be matched.",
            fix="Export the file again; a file with no rows still needs its header line.",
            code="file_empty",
        )
    prepared = PreparedFile(path, display, digest.hexdigest(), kind, path, "utf-8", compressed)
    if kind != "parquet" and not utf8:
        prepared.encoding = "cp1252"
        prepared.temp = _transcode(path, compressed)
        prepared.read_path = prepared.temp
        prepared.compressed = False
    return prepared


def _transcode(path: Path, compressed: bool) -> Path:
    """Windows-1252 (falling back to Latin-1 for bytes cp1252 leaves undefined) -> UTF-8 temp file."""
    fd, name = tempfile.mkstemp(suffix=".csv", prefix="wanamaker-utf8-")
    out = Path(name)
    with os.fdopen(fd, "wb") as sink, open(path, "rb") as raw:
        stream = gzip.GzipFile(fileobj=raw) if compressed else raw
        data = stream.read()
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
        sink.write(text.encode("utf-8"))
    return out


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def read_raw(con: duckdb.DuckDBPyConnection, prepared: PreparedFile, table: str, file_index: int) -> RawRead:
    """Read ``prepared`` into TEMP table ``table``: VARCHAR columns, ``_file`` (index) and ``_line``."""
    src = _sql_str(str(prepared.read_path))
    reject_table, reject_scan = f"{table}_rej", f"{table}_rejscan"
    con.execute(f"DROP TABLE IF EXISTS {reject_table}")
    con.execute(f"DROP TABLE IF EXISTS {reject_scan}")
    try:
        if prepared.kind == "csv":
            delimiter, names = sniff_header(prepared)
            delim = _sql_str(delimiter)
            spec = ", ".join(f"{_sql_str(n)}: 'VARCHAR'" for n in names)
            reader = (
                f"read_csv({src}, header=true, auto_detect=false, columns={{{spec}}}, quote='\"', escape='\"', "
                f"delim={delim}, "
                f"store_rejects=true, rejects_table='{reject_table}', rejects_scan='{reject_scan}', "
                f"null_padding=false, compression='{'gzip' if prepared.compressed else 'none'}', "
                f"strict_mode=true, sample_size=20480)"
            )
        elif prepared.kind == "json":
            reader = f"read_json({src}, format='newline_delimited', records=true, sample_size=20480)"
        else:
            reader = f"read_parquet({src})"
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT *, CAST({file_index} AS INTEGER) AS _file, "
            f"row_number() OVER () AS _line FROM {reader}"
        )
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise InputFileError(
            f"{prepared.display} cannot be read as {prepared.kind.upper()}: {first}",
            fix="Check that the file is a complete export in CSV, Parquet or JSON-lines form.",
            code="file_unreadable",
        ) from exc
    described = con.execute(f"SELECT * FROM {table} LIMIT 0").description or []
    headers = [d[0] for d in described if d[0] not in ("_file", "_line")]
    rejects: list[tuple[int, str, str]] = []
    if prepared.kind == "csv":
        rejects = [
            (int(line), str(text or ""), str(msg or kind))
            for line, text, kind, msg in con.execute(
                f"SELECT line, any_value(csv_line), any_value(error_type), any_value(error_message) "
                f"FROM {reject_table} GROUP BY line ORDER BY line"
            ).fetchall()
        ]
        if rejects:
            _renumber(con, table, [r[0] for r in rejects])
    if prepared.kind != "csv":
        # non-text values (JSON numbers, Parquet types) become VARCHAR for uniform validation;
        # JSON-typed values lose their quotes
        types = {d[0]: str(d[1]) for d in described}
        casts = ", ".join(
            (f'("{h}" ->> \'$\') AS "{h}"' if types.get(raw_h, "").upper() == "JSON" else f'CAST("{h}" AS VARCHAR) AS "{h}"')
            for raw_h, h in ((x, x.replace('"', '""')) for x in headers)
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT {casts}{',' if casts else ''} _file, _line + 0 AS _line "
            f"FROM {table}"
        )
    else:
        con.execute(f"UPDATE {table} SET _line = _line + 1")  # the header is line 1
    rows = int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]
    return RawRead(headers=headers, rows=rows, rejects=rejects)


def sniff_header(prepared: PreparedFile) -> tuple[str, list[str]]:
    """The delimiter (the most frequent of , ; tab | outside quotes) and the column names of the
    header line; repeated or empty names get a suffix so that every column is kept."""
    import csv

    opener = gzip.open if prepared.compressed else open
    with opener(prepared.read_path, "rb") as fh:
        first = fh.readline(1 << 20).decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r\n")
    counts: dict[str, int] = {}
    quoted = False
    for ch in first:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in ",;\t|":
            counts[ch] = counts.get(ch, 0) + 1
    delimiter = max(counts, key=lambda k: counts[k]) if counts else ","
    raw = next(csv.reader([first], delimiter=delimiter, quotechar='"'), [])
    names: list[str] = []
    for index, name in enumerate(raw):
        base = name.strip() or f"column{index + 1}"
        candidate, n = base, 1
        while candidate in names:
            n += 1
            candidate = f"{base}_{n}"
        names.append(candidate)
    return delimiter, names


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
