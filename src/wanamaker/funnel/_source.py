"""What the funnel reads from a workspace: its config and its contract tables.

The analyses take anything shaped like :class:`wanamaker.workspace.Workspace`; this protocol names the
few members they use, so the funnel package never imports the workspace module (dependencies point down).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

import ibis.expr.types as ir

from wanamaker.config.models import WorkspaceConfig


class Source(Protocol):
    """The part of a workspace the funnel reads."""

    @property
    def config(self) -> WorkspaceConfig: ...

    def table(self, name: str) -> ir.Table: ...


FAR_FUTURE = datetime(2999, 1, 1)
NONE_KEY = "(none)"
ALL_KEY = "all"


def scalar(expr: ir.Scalar) -> Any:
    """Execute a scalar expression (a small result)."""
    return expr.to_pyarrow().as_py()


def days_between(start: ir.TimestampValue, end: ir.TimestampValue) -> ir.FloatingValue:
    """``end - start`` in days = seconds / 86400 (DESIGN "Parity traps"), the same on every engine."""
    return (end.epoch_seconds() - start.epoch_seconds()).cast("float64") / 86400.0


def hours_between(start: ir.TimestampValue, end: ir.TimestampValue) -> ir.FloatingValue:
    return (end.epoch_seconds() - start.epoch_seconds()).cast("float64") / 3600.0
