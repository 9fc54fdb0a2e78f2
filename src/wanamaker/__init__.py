"""wanamaker: hold marketing accountable for revenue.

>>> import wanamaker
>>> sorted(wanamaker.TABLES)[:3]
['accounts', 'approvals', 'campaigns']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wanamaker.errors import (
    ConfigError,
    DataError,
    EngineError,
    InputFileError,
    IntegrityError,
    UsageError,
    WanamakerError,
    WorkspaceNotFound,
)

if TYPE_CHECKING:
    from wanamaker.ingest.report import LoadResult
    from wanamaker.schema.contracts import TABLES
    from wanamaker.workspace import Workspace, init
    from wanamaker.workspace import open_workspace as open  # noqa: A001 - the public name is wanamaker.open

# the heavy parts load on first use, so `wanamaker attribute --paths` and `--help` start quickly
_LAZY = {
    "LoadResult": ("wanamaker.ingest.report", "LoadResult"),
    "TABLES": ("wanamaker.schema.contracts", "TABLES"),
    "Workspace": ("wanamaker.workspace", "Workspace"),
    "init": ("wanamaker.workspace", "init"),
    "open": ("wanamaker.workspace", "open_workspace"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib  # noqa: PLC0415

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'wanamaker' has no attribute {name!r}")


__version__ = "0.1.0"

__all__ = [
    "TABLES",
    "ConfigError",
    "DataError",
    "EngineError",
    "InputFileError",
    "IntegrityError",
    "LoadResult",
    "UsageError",
    "WanamakerError",
    "Workspace",
    "WorkspaceNotFound",
    "__version__",
    "init",
    "open",
]
