"""What a load reports: per target table, per file, every bucket counted from its own table."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class FileCounts:
    path: str
    read: int = 0
    loaded: int = 0
    quarantined: int = 0
    duplicates: int = 0
    skipped: int = 0

    @property
    def balanced(self) -> bool:
        return self.read == self.loaded + self.quarantined + self.duplicates + self.skipped

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "read": self.read,
            "loaded": self.loaded,
            "quarantined": self.quarantined,
            "duplicates": self.duplicates,
            "skipped": self.skipped,
        }


@dataclass
class TableReport:
    table: str
    files: list[FileCounts] = field(default_factory=list)
    quarantine_reasons: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "files": [f.as_dict() for f in self.files],
            "quarantine_reasons": dict(sorted(self.quarantine_reasons.items())),
        }

    def total(self, bucket: str) -> int:
        return sum(int(getattr(f, bucket)) for f in self.files)


@dataclass
class LoadResult:
    load_id: str
    tables: list[TableReport]
    dry_run: bool = False
    warnings: list[str] = field(default_factory=list)
    resolved: int = 0  # quarantined rows a retry resolved

    @property
    def quarantined(self) -> int:
        return sum(t.total("quarantined") for t in self.tables)

    @property
    def loaded(self) -> int:
        return sum(t.total("loaded") for t in self.tables)

    def as_json(self) -> Any:
        items = [t.as_dict() for t in self.tables]
        return items[0] if len(items) == 1 else items

    def rows(self) -> list[dict[str, Any]]:
        out = []
        for table in self.tables:
            for f in table.files:
                out.append({"table": table.table, **f.as_dict()})
        return out
