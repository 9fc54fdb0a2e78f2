"""What the machine did, in words: disk full, permission denied, read-only, locked, corrupt, out of memory.

These are not wanamaker's defects, so they never end in the "unexpected ... report it" message: each
becomes an :class:`~wanamaker.errors.EngineError` that says what happened, where, and the fix. The
engines report them as exceptions of their own (DuckDB puts the operating system's words in the text
of an ``IOException``); :func:`classify` reads both kinds. The stores call it with the file they were
working on; the CLI calls it once more for anything that reached it unclassified.
"""

from __future__ import annotations

import errno
import re
from pathlib import Path

from wanamaker.errors import EngineError, WanamakerError

_MEMORY_FIX = ("Give DuckDB a different cap with WANAMAKER_DUCKDB_MEMORY (e.g. 8GB, or less if other programs "
               "need the memory), or load the files in smaller batches.")

# (pattern in an engine's message, errno it stands for)
_OS_WORDS: tuple[tuple[str, int], ...] = (
    ("no space left on device", errno.ENOSPC),
    ("file too large", errno.EFBIG),
    ("disk quota exceeded", errno.EDQUOT),
    ("read-only file system", errno.EROFS),
    ("permission denied", errno.EACCES),
    ("operation not permitted", errno.EPERM),
)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _where(path: Path | str | None, exc: BaseException) -> str:
    name = getattr(exc, "filename", None)
    if name:
        return str(name)
    quoted = re.search(r'"([^"]+)"', str(exc))
    if quoted:
        return quoted.group(1)
    return str(path) if path is not None else "the workspace"


def _from_errno(code: int, where: str) -> EngineError | None:
    if code in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return EngineError(
            f"the disk is full (or a file-size limit or quota was reached) while writing {where}; the command "
            "was stopped and its writes rolled back.",
            fix="Free space on that disk (DuckDB also spills large loads to the temp folder: set TMPDIR to a "
                "disk with room), then run the command again.",
            code="disk_full",
        )
    if code == errno.EROFS:
        return EngineError(
            f"{where} is on a read-only file system, so nothing could be written.",
            fix="Put the workspace on a writable disk (or mount it read-write), or use read-only commands only.",
            code="read_only_filesystem",
        )
    if code in (errno.EACCES, errno.EPERM):
        return EngineError(
            f"permission denied on {where}.",
            fix="Check its owner and mode (`ls -l`), or run wanamaker as a user who may read and write it.",
            code="permission_denied",
        )
    return None


def classify(exc: BaseException, path: Path | str | None = None) -> WanamakerError | None:
    """The clear error for a fault of the machine or the database file, or None when it is not one."""
    if isinstance(exc, WanamakerError):
        return exc
    if isinstance(exc, MemoryError):
        return EngineError("the machine ran out of memory.", fix=_MEMORY_FIX, code="out_of_memory")
    if isinstance(exc, OSError) and exc.errno is not None:
        return _from_errno(exc.errno, _where(path, exc))
    try:
        import duckdb
    except ImportError:  # pragma: no cover - duckdb is a core dependency
        return None
    if not isinstance(exc, duckdb.Error):
        return None
    text = str(exc).lower()
    if isinstance(exc, duckdb.OutOfMemoryException) or "out of memory" in text:
        return EngineError(f"DuckDB ran out of memory: {_first_line(exc)}", fix=_MEMORY_FIX, code="out_of_memory")
    if "could not set lock" in text or "conflicting lock" in text:
        pid = re.search(r"pid (\d+)", text)
        holder = f" (process {pid.group(1)})" if pid else ""
        return EngineError(
            f"{path or _where(path, exc)} is in use by another process{holder}; DuckDB lets one process at a time "
            "write a database file.",
            fix="Wait for the other wanamaker command to finish, or close the other program holding the file, "
                "then run the command again.",
            code="database_locked",
        )
    for words, code in _OS_WORDS:
        if words in text:
            return _from_errno(code, _where(path, exc))
    if ("not a valid duckdb database" in text or "corrupt" in text or "checksum" in text
            or "invalid database file" in text or "could not read enough bytes" in text
            or isinstance(exc, duckdb.SerializationException)):
        return EngineError(
            f"{path or 'the database file'} cannot be read as a DuckDB database (it is damaged, truncated or not "
            f"a DuckDB file): {_first_line(exc)}",
            fix="Restore the file from a backup, or move it aside and load your files again into a new workspace "
                "(`wanamaker init`).",
            code="database_corrupt",
        )
    if "newer" in text and "version" in text:
        return EngineError(
            f"{path or 'the database file'} was written by a newer DuckDB: {_first_line(exc)}",
            fix="Upgrade wanamaker (pip install -U wanamaker) to read it.",
            code="database_version",
        )
    return None


def duckdb_open_error(path: Path, exc: BaseException) -> WanamakerError:
    """Why a DuckDB file cannot be opened (locked, corrupt, permission, ...), with the fix that fits."""
    known = classify(exc, path)
    if known is not None:
        return known
    return EngineError(f"cannot open {path}: {_first_line(exc)}",
                       fix="Check that the file is a wanamaker DuckDB workspace and that no other program holds it.",
                       code="database_unopenable")


def raise_fault(exc: BaseException, path: Path | str | None = None) -> None:
    """Raise the clear error for ``exc`` when it is a fault of the machine; return otherwise."""
    known = classify(exc, path)
    if known is not None and known is not exc:
        raise known from exc
