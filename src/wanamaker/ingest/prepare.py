"""Preparing an input file before DuckDB reads it: one streaming pass in Python.

The pass hashes the file (its identity for the duplicate-of-quarantined rule), checks gzip integrity,
checks the text encoding and measures the longest line. Then:

- **Only regular files** (and gzip of them) are read; a FIFO, device or folder is refused at once.
- **Encoding**: a file that decodes as UTF-8 is read as UTF-8. A file with invalid bytes is still
  UTF-8 when most of its non-ASCII bytes form valid UTF-8: the lines holding invalid bytes are
  quarantined (``bad_encoding``), and the file is never re-decoded as another encoding. Only a file in
  which no non-ASCII byte forms valid UTF-8 is read as Windows-1252 (Latin-1 for the bytes cp1252 leaves
  undefined), and the load says so. ``--encoding`` (or a mapping's ``encoding:``) overrides detection.
- **Over-long lines**: DuckDB's CSV reader drops a line longer than its 32 MB buffer without a word, so
  a line longer than :data:`LONG_LINE` is cut out here and replaced by a placeholder row, which
  :func:`wanamaker.ingest.readers.read_raw` swaps for a quarantined ``line_too_long`` record. JSON lines
  with invalid UTF-8 take the same path (``bad_encoding``).

Transcoding and cutting write a UTF-8 temporary copy; the original file is never changed.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import os
import re
import stat
import tempfile
import uuid
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from wanamaker.errors import InputFileError

_CHUNK = 1 << 24
_GZIP_MAGIC = b"\x1f\x8b"
LONG_LINE = 16 << 20  # the longest line handed to DuckDB (its CSV buffer is 32 MB)
RAW_LIMIT = 10_000  # characters of a rejected line kept in _quarantine (DESIGN "Limits")
# one valid UTF-8 sequence of two to four bytes
_UTF8_SEQ = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}|\xed[\x80-\x9f][\x80-\xbf]"
    rb"|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)


@dataclass(frozen=True)
class Cut:
    """A line cut out before DuckDB reads the file: its physical line, raw text (bounded), why."""

    line: int
    text: str
    message: str
    code: str  # line_too_long | bad_encoding


@dataclass
class PreparedFile:
    path: Path
    display: str
    sha256: str
    kind: str  # csv | parquet | json
    read_path: Path  # what DuckDB reads (a temp copy when transcoded or cut)
    encoding: str
    compressed: bool
    temp: Path | None = None
    cuts: list[Cut] = field(default_factory=list)
    placeholder: str = ""  # the token marking a cut line's placeholder row
    notes: list[str] = field(default_factory=list)  # what the load should tell the user

    def cleanup(self) -> None:
        if self.temp is not None and self.temp.exists():
            self.temp.unlink()


def file_kind(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in (".gz", ".gzip"):
        suffixes = suffixes[:-1]
    last = suffixes[-1] if suffixes else ""
    if last in (".parquet", ".pq"):
        return "parquet"
    if last in (".jsonl", ".ndjson", ".json"):
        return "json"
    return "csv"


class _Hashing:
    """A binary reader that hashes what passes through it."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.digest.update(data)
        return data

    def finish(self) -> str:
        while self.read(_CHUNK):
            pass
        return self.digest.hexdigest()


def _regular(path: Path, display: str) -> None:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InputFileError(f"{display} does not exist.", fix="Check the path and the file name.",
                             code="file_missing") from None
    except PermissionError:
        raise InputFileError(f"{display} cannot be read: permission denied.",
                             fix="Check the file's owner and mode (`ls -l`).", code="file_unreadable") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputFileError(f"{display} is a folder, not a file.", fix="Name the files inside it.",
                             code="file_unreadable")
    if not stat.S_ISREG(info.st_mode):
        raise InputFileError(
            f"{display} is not a regular file (a pipe, socket or device); wanamaker reads only files.",
            fix="Save the export to a file first, then load that file.", code="file_not_regular",
        )
    if info.st_size == 0:
        raise InputFileError(
            f"{display} is empty (0 bytes): it has no header, so its columns cannot be matched.",
            fix="Export the file again; a file with no rows still needs its header line.", code="file_empty",
        )


def prepare(path: Path, encoding: str | None = None) -> PreparedFile:
    """Hash, integrity-check, check the encoding of and (if needed) rewrite ``path``; raise if it cannot be
    read whole. ``encoding`` overrides detection."""
    display = str(path)
    _regular(path, display)
    kind = file_kind(path)
    text = kind != "parquet"
    decoder = codecs.getincrementaldecoder("utf-8")()
    clean = True
    total = longest = run = 0
    try:
        with open(path, "rb") as fh:
            compressed = fh.read(2) == _GZIP_MAGIC
            fh.seek(0)
            hashing = _Hashing(fh)
            stream: Any = gzip.GzipFile(fileobj=hashing) if compressed else hashing  # type: ignore[call-overload]
            while chunk := stream.read(_CHUNK):
                total += len(chunk)
                if not text:
                    continue
                if clean:
                    try:
                        decoder.decode(chunk)
                    except UnicodeDecodeError:
                        clean = False
                ends = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 10)
                if ends.size:
                    longest = max(longest, run + int(ends[0]), int(np.diff(ends).max(initial=0)))
                    run = len(chunk) - int(ends[-1]) - 1
                else:
                    run += len(chunk)
            longest = max(longest, run)
            if clean and text:
                try:
                    decoder.decode(b"", final=True)
                except UnicodeDecodeError:
                    clean = False
            sha = hashing.finish()
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise InputFileError(
            f"{display} is a damaged or truncated gzip file ({exc}).",
            fix="Download or export the file again and check it with `gzip -t`.",
            code="file_truncated",
        ) from exc
    if text and total == 0:
        raise InputFileError(
            f"{display} is empty: it has no header, so its columns cannot be matched.",
            fix="Export the file again; a file with no rows still needs its header line.",
            code="file_empty",
        )
    prepared = PreparedFile(path, display, sha, kind, path, "utf-8", compressed)
    if not text:
        return prepared
    chosen = _encoding(prepared, clean, encoding)
    transcode = chosen not in ("utf-8", "utf-8-sig")
    # JSON has no reader of its own that keeps a line with invalid bytes: cut such lines here
    cut_bad = kind == "json" and not clean and not transcode
    if transcode or cut_bad or longest > LONG_LINE:
        try:
            _rewrite(prepared, chosen, cut_bad)
        except BaseException:
            prepared.cleanup()
            raise
    return prepared


def _encoding(prepared: PreparedFile, clean: bool, given: str | None) -> str:
    if given:
        try:
            return codecs.lookup(given).name
        except LookupError:
            raise InputFileError(f"'{given}' is not an encoding Python knows.",
                                 fix="Use e.g. utf-8, cp1252 or latin-1.", code="unknown_encoding") from None
    if clean or _mostly_utf8(prepared):
        if not clean:
            prepared.notes.append(f"{prepared.display} is UTF-8 with invalid bytes on some lines; those lines are "
                                  "quarantined as bad_encoding (pass --encoding if the file is in another encoding).")
        return "utf-8"
    prepared.notes.append(f"{prepared.display} is not UTF-8; it was read as Windows-1252 (pass --encoding to say "
                          "otherwise).")
    return "cp1252"


def _open_text(prepared: PreparedFile) -> IO[bytes]:
    if prepared.compressed:
        return gzip.open(prepared.path, "rb")  # type: ignore[return-value]
    return open(prepared.path, "rb")


def _mostly_utf8(prepared: PreparedFile) -> bool:
    """Whether most non-ASCII bytes of the file form valid UTF-8 sequences (a UTF-8 file with a few bad bytes),
    rather than none or few of them (a file in a single-byte encoding such as Windows-1252)."""
    high = valid = 0
    non_ascii = bytes(range(128, 256))
    with _open_text(prepared) as fh:
        tail = b""
        while chunk := fh.read(_CHUNK):
            data = tail + chunk
            # a sequence may straddle the chunk boundary: keep the last bytes from the first non-ASCII one on
            cut = len(data)
            while cut > 0 and len(data) - cut < 3 and data[cut - 1] >= 0x80:
                cut -= 1
            body, tail = data[:cut], data[cut:]
            high += len(body) - len(body.translate(None, non_ascii))
            valid += sum(len(m) for m in _UTF8_SEQ.findall(body))
        high += len(tail) - len(tail.translate(None, non_ascii))
        valid += sum(len(m) for m in _UTF8_SEQ.findall(tail))
    return high > 0 and valid * 2 > high


def _rewrite(prepared: PreparedFile, encoding: str, cut_bad: bool) -> None:
    """Write the UTF-8 copy DuckDB reads: transcoded from ``encoding``, with over-long lines (and, for JSON,
    lines with invalid UTF-8) replaced by placeholder rows."""
    token = "wanamaker-cut-" + uuid.uuid4().hex
    prepared.placeholder = token
    fd, name = tempfile.mkstemp(suffix=".csv" if prepared.kind == "csv" else ".jsonl", prefix="wanamaker-utf8-")
    out = Path(name)
    source = _open_text(prepared)
    prepared.temp, prepared.read_path, prepared.compressed, prepared.encoding = out, out, False, encoding
    utf8 = encoding in ("utf-8", "utf-8-sig")
    placeholder = (f'{{"{token}": 1}}\n' if prepared.kind == "json" else "").encode()
    with os.fdopen(fd, "wb") as sink, source as fh:
        for number, line in enumerate(fh, start=1):
            if number == 1 and prepared.kind == "csv":
                if len(line) > LONG_LINE:
                    raise InputFileError(f"{prepared.display}: the header line is {len(line) >> 20} MB long.",
                                         fix="Check that the file is a CSV export with a header line.",
                                         code="file_unreadable")
                header = _decode(line, encoding, prepared, number)
                sink.write(header.encode("utf-8"))
                placeholder = _csv_placeholder(header, token)
                continue
            problem: tuple[str, str] | None = None
            if len(line) > LONG_LINE:
                problem = (f"the line is {len(line) / (1 << 20):.1f} MB long; a row may be at most "
                           f"{LONG_LINE >> 20} MB", "line_too_long")
            elif cut_bad:
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError as exc:
                    problem = (f"the line holds bytes that are not UTF-8 (at byte {exc.start + 1})", "bad_encoding")
            if problem is not None:
                shown = line[: RAW_LIMIT * 4].decode("utf-8", errors="replace")[:RAW_LIMIT]
                prepared.cuts.append(Cut(number, shown, problem[0], problem[1]))
                sink.write(placeholder)
                continue
            sink.write(line if utf8 else _decode(line, encoding, prepared, number).encode("utf-8"))


def _decode(line: bytes, encoding: str, prepared: PreparedFile, number: int) -> str:
    if encoding == "cp1252":
        try:
            return line.decode("cp1252")
        except UnicodeDecodeError:
            return line.decode("latin-1")  # the five bytes cp1252 leaves undefined
    try:
        return line.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputFileError(
            f"{prepared.display}:{number} is not valid {encoding} (byte {exc.start + 1} of the line).",
            fix="Name the file's real encoding with --encoding (or `encoding:` in the mapping).",
            code="bad_encoding",
        ) from exc


def _csv_placeholder(header: str, token: str) -> bytes:
    """A row with as many fields as the header, the first holding ``token``."""
    delimiter, names = sniff_line(header.lstrip("\ufeff").rstrip("\r\n"))
    return (f'"{token}"' + (delimiter + '""') * (len(names) - 1) + "\n").encode("utf-8")


def sniff_line(first: str) -> tuple[str, list[str]]:
    """The delimiter (the most frequent of , ; tab | outside quotes) and the column names of a header line;
    repeated or empty names get a suffix so that every column is kept."""
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
