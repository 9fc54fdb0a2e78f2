"""The one root exception of wanamaker and its families.

Every error a user can cause carries a stable ``code``, a sentence saying what went wrong and
where, and a ``fix`` saying what to do. The CLI prints them in one place (``cli/app.py``).
Subclasses also inherit the builtin they resemble, as ibis does.
"""

from __future__ import annotations


class WanamakerError(Exception):
    """Root of every error wanamaker raises on purpose."""

    code: str = "error"

    def __init__(self, message: str, *, fix: str = "", code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"{self.message} Fix: {self.fix}" if self.fix else self.message


class UsageError(WanamakerError, ValueError):
    """The command or call was asked for something it cannot do (CLI exit 2)."""

    code = "usage"


class ConfigError(WanamakerError, ValueError):
    """``wanamaker.yml``, ``plan.yml`` or a mapping file is invalid; ``issues`` holds every problem."""

    code = "config_invalid"

    def __init__(self, message: str, *, fix: str = "", issues: list[object] | None = None) -> None:
        super().__init__(message, fix=fix)
        self.issues = list(issues or [])


class WorkspaceNotFound(WanamakerError, FileNotFoundError):
    code = "workspace_not_found"


class InputFileError(WanamakerError, ValueError):
    """A whole input file cannot be read: nothing of the command is loaded."""

    code = "file_unreadable"


class DataError(WanamakerError, ValueError):
    """The data cannot answer the question asked (e.g. no journeys in the window)."""

    code = "data"


class EngineError(WanamakerError, RuntimeError):
    """The engine (DuckDB, PostgreSQL, Spark) cannot be reached or refused the work."""

    code = "engine_error"


class IntegrityError(WanamakerError, RuntimeError):
    """A bookkeeping invariant did not hold (e.g. read != loaded + quarantined + duplicates + skipped)."""

    code = "integrity"
