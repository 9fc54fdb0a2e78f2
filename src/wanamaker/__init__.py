"""wanamaker: hold marketing accountable for revenue.

>>> import wanamaker
>>> sorted(wanamaker.TABLES)[:3]
['accounts', 'approvals', 'campaigns']
"""

from __future__ import annotations

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
from wanamaker.ingest.report import LoadResult
from wanamaker.schema.contracts import TABLES
from wanamaker.workspace import Workspace, init
from wanamaker.workspace import open_workspace as open  # noqa: A001 - the public name is wanamaker.open

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
