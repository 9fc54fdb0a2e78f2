"""Typed results: frozen dataclasses of rows, with ``rows()``, ``to_pandas()`` and ``to_arrow()``."""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

import pyarrow as pa

if TYPE_CHECKING:
    import pandas as pd


def row_dict(row: Any) -> dict[str, Any]:
    """A result row as a plain dict (a row may define ``as_dict`` to flatten nested fields)."""
    if hasattr(row, "as_dict"):
        out: dict[str, Any] = row.as_dict()
        return out
    return dataclasses.asdict(row)


class Tabular(ABC):
    """Base of results whose main content is ``self.table_rows`` (a tuple of row dataclasses)."""

    @property
    @abstractmethod
    def table_rows(self) -> tuple[Any, ...]:
        """The result's rows, in output order."""

    def rows(self) -> list[dict[str, Any]]:
        return [row_dict(r) for r in self.table_rows]

    def to_arrow(self) -> pa.Table:
        return pa.Table.from_pylist(self.rows())

    def to_pandas(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.rows())
